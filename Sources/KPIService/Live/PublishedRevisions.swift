import KafkaClient
import KPICore

/// The highest revision published per scope × window on the snapshots
/// topic, read back when partitions are assigned: a window's next revision
/// continues above it (`PartitionKPIState.revisionFloors`), so a consumer
/// that keeps the highest revision per key never throws a correction away,
/// across restarts, replays and rebalances (interfaces.md "Snapshot").
enum PublishedRevisions {
    /// Record key → highest `"revision"` in its values. Records that cannot
    /// be read are skipped.
    static func read(topic: String, configuration: KafkaConfiguration) throws -> [String: Int] {
        var highest: [String: Int] = [:]
        try KafkaConsumer.readToEnd(topic: topic, configuration: configuration, missingIsEmpty: true) { r in
            guard let key = r.key, let value = r.value, let revision = Self.revision(in: value) else { return }
            let k = String(decoding: key, as: UTF8.self)
            if revision > highest[k] ?? 0 { highest[k] = revision }
        }
        return highest
    }

    /// The top-level `"revision":N` of a snapshot JSON (written by
    /// `SnapshotJSON`: after `"window":{...}`, never inside a string), read
    /// without a JSON library.
    static func revision(in json: UnsafeRawBufferPointer) -> Int? {
        let needle = Array(#""revision":"#.utf8)
        guard json.count > needle.count else { return nil }
        var i = 0
        while i + needle.count < json.count {
            if json[i] == needle[0] && json[i..<(i + needle.count)].elementsEqual(needle) {
                var j = i + needle.count, n = 0, digits = 0
                while j < json.count, json[j] >= 0x30, json[j] <= 0x39, digits < 10 {
                    n = n * 10 + Int(json[j] - 0x30); j += 1; digits += 1
                }
                return digits > 0 ? n : nil
            }
            i += 1
        }
        return nil
    }
}
