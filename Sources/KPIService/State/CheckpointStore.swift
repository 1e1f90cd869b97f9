import Foundation
import KafkaClient
import KPICore

/// One input partition's checkpoint as stored: the KPI state's bytes, the
/// appraisal's (alert machines), and the next input offset of each topic
/// that the state covers.
public struct PartitionCheckpoint: Sendable, Equatable {
    public var partition: Int32
    public var generation: Int64
    public var state: [UInt8]
    /// Per input topic (by `InputTopic.rawValue`): the first offset not in `state`.
    public var nextOffsets: [Int64]
    /// The alert book's checkpoint (empty without alerts).
    public var appraisal: [UInt8]
    /// The input topics' partition count when it was written (nil: written
    /// before the count was kept). Checkpoints are keyed by partition number,
    /// and which partition a shop's records go to depends on the count.
    public var inputPartitions: Int32?

    public init(partition: Int32, generation: Int64, state: [UInt8], nextOffsets: [Int64], appraisal: [UInt8] = [],
                inputPartitions: Int32? = nil) {
        self.partition = partition; self.generation = generation; self.state = state
        self.nextOffsets = nextOffsets; self.appraisal = appraisal; self.inputPartitions = inputPartitions
    }
}

/// Durable KPI state in Kafka itself, the way Kafka Streams keeps its
/// changelogs: per input partition, the state and the input offsets it
/// covers, on a compacted topic, so no other store is needed.
///
/// A checkpoint is written as one unit: chunks first (no record passes the
/// broker's size limit), keyed `p<partition>/g<generation>/<index>`, then
/// the manifest, keyed `p<partition>`, naming the generation, the chunk
/// count, a checksum and the offsets; then tombstones for the previous
/// generation's chunks. A reader trusts only a manifest whose chunks are all
/// there and match the checksum, so a crash mid-write leaves the previous
/// checkpoint in force (its chunks are deleted only after the new manifest).
/// The manifest also names the input topics' partition count
/// (`partitions=N`): a checkpoint of another count is refused on restore.
public final class CheckpointStore {
    public let topic: String
    private let producer: KafkaProducer
    private let clientConfiguration: KafkaConfiguration
    /// The largest chunk value (librdkafka's default message.max.bytes is 1 MB).
    public var chunkBytes = 512 * 1024
    private var lastGeneration: [Int32: (generation: Int64, chunks: Int)] = [:]
    /// Generations superseded by one written but not yet acknowledged (the
    /// broker was away): deleted once a later write is acknowledged.
    private var superseded: [Int32: [(generation: Int64, chunks: Int)]] = [:]
    /// How long a write waits for the broker's acknowledgement before it
    /// fails (its records stay queued and are delivered when the broker is back).
    public var acknowledgementTimeout: Duration = .seconds(15)
    /// The webhook notifications recorded as not yet delivered (`AlertOutbox`),
    /// as found by the last `readAll`.
    public private(set) var pendingDeliveries: [PendingDelivery] = []

    public init(topic: String, producer: KafkaProducer, clientConfiguration: KafkaConfiguration) {
        self.topic = topic
        self.producer = producer
        self.clientConfiguration = clientConfiguration
    }

    /// Writes a checkpoint and waits until the broker has acknowledged it.
    public func write(_ c: PartitionCheckpoint) throws {
        // The chunks carry the state's bytes, then the appraisal's.
        let bytes = c.state + c.appraisal
        let count = max(1, (bytes.count + chunkBytes - 1) / chunkBytes)
        for i in 0..<count {
            let chunk = Array(bytes[min(bytes.count, i * chunkBytes)..<min(bytes.count, (i + 1) * chunkBytes)])
            try producer.send(topic: topic, partition: 0, key: Array("p\(c.partition)/g\(c.generation)/\(i)".utf8), value: chunk)
        }
        let manifest = "kpi-checkpoint v1 generation=\(c.generation) chunks=\(count) bytes=\(bytes.count) hash=\(bytes.withUnsafeBytes { StableHash.hash(bytes: $0) }) offsets=\(c.nextOffsets.map(String.init).joined(separator: ",")) appraisal=\(c.appraisal.count)\(c.inputPartitions.map { " partitions=\($0)" } ?? "")"
        try producer.send(topic: topic, partition: 0, key: Array("p\(c.partition)".utf8), value: Array(manifest.utf8))
        // Queued in order on one partition: whenever it is delivered, the
        // manifest follows its chunks. The generation it replaces is deleted
        // only after the broker acknowledged this one.
        if let previous = lastGeneration[c.partition], previous.generation != c.generation {
            superseded[c.partition, default: []].append(previous)
        }
        lastGeneration[c.partition] = (c.generation, count)
        try producer.flush(timeout: acknowledgementTimeout)
        // The new checkpoint is in force: drop the previous generations' chunks.
        for old in superseded.removeValue(forKey: c.partition) ?? [] {
            for i in 0..<old.chunks {
                try producer.send(topic: topic, partition: 0, key: Array("p\(c.partition)/g\(old.generation)/\(i)".utf8), value: nil)
            }
        }
    }

    /// The latest complete checkpoint of each partition found on the topic.
    public func readAll(timeout: Duration = .seconds(30)) throws -> [Int32: PartitionCheckpoint] {
        var manifests: [Int32: String] = [:]
        var chunks: [String: [UInt8]] = [:]
        var deliveries: [String: PendingDelivery] = [:]
        do {
            try KafkaConsumer.readToEnd(topic: topic, configuration: clientConfiguration, timeout: timeout, missingIsEmpty: true) { r in
                guard let key = r.key.map({ String(decoding: $0, as: UTF8.self) }) else { return }
                if key.hasPrefix(PendingDelivery.prefix + "|") {
                    // The latest record per key: a tombstone means delivered.
                    deliveries[key] = r.value.flatMap { PendingDelivery(key: key, value: Array($0)) }
                } else if key.contains("/") {
                    chunks[key] = r.value.map { Array($0) }
                } else if key.hasPrefix("p"), let p = Int32(key.dropFirst()), let v = r.value {
                    manifests[p] = String(decoding: v, as: UTF8.self)
                }
            }
        } catch {
            throw ServiceError(.checkpoint, "Could not read the state topic \(topic): \(error)")
        }
        pendingDeliveries = deliveries.values.sorted { ($0.at, $0.key) < ($1.at, $1.key) }
        var out: [Int32: PartitionCheckpoint] = [:]
        for (p, manifest) in manifests {
            guard let c = Self.assemble(partition: p, manifest: manifest, chunks: chunks) else { continue }
            out[p] = c
            lastGeneration[p] = (c.generation, (c.state.count + c.appraisal.count + chunkBytes - 1) / max(1, chunkBytes))
        }
        return out
    }

    /// A checkpoint from its manifest and chunks, or nil when anything is missing or does not match.
    static func assemble(partition p: Int32, manifest: String, chunks: [String: [UInt8]]) -> PartitionCheckpoint? {
        var fields: [String: String] = [:]
        let words = manifest.split(separator: " ")
        guard words.count >= 2, words[0] == "kpi-checkpoint", words[1] == "v1" else { return nil }
        for w in words.dropFirst(2) {
            let kv = w.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        guard let generation = fields["generation"].flatMap({ Int64($0) }), let count = fields["chunks"].flatMap({ Int($0) }),
              let size = fields["bytes"].flatMap({ Int($0) }), let hash = fields["hash"].flatMap({ UInt64($0) }),
              let offsets = fields["offsets"]?.split(separator: ",").compactMap({ Int64($0) }), offsets.count == 3 else { return nil }
        var state: [UInt8] = []
        state.reserveCapacity(size)
        for i in 0..<count {
            guard let chunk = chunks["p\(p)/g\(generation)/\(i)"] else { return nil }
            state.append(contentsOf: chunk)
        }
        guard state.count == size, state.withUnsafeBytes({ StableHash.hash(bytes: $0) }) == hash else { return nil }
        // Written before the appraisal existed: no `appraisal=` field, all state.
        let appraisalCount = fields["appraisal"].flatMap { Int($0) } ?? 0
        guard (0...size).contains(appraisalCount) else { return nil }
        return PartitionCheckpoint(partition: p, generation: generation, state: Array(state[..<(size - appraisalCount)]),
                                   nextOffsets: offsets, appraisal: Array(state[(size - appraisalCount)...]),
                                   inputPartitions: fields["partitions"].flatMap { Int32($0) })
    }
}

extension PartitionCheckpoint {
    /// The refusal when checkpoints were written for another partition count
    /// than the input topics have now; nil when they agree (or the count was not kept).
    static func partitionCountMismatch(_ checkpoints: [PartitionCheckpoint], inputPartitions now: Int32, stateTopic: String,
                                       inputs: [String]) -> ServiceError? {
        let counts = Set(checkpoints.compactMap(\.inputPartitions)).subtracting([now])
        guard let then = counts.sorted().first else { return nil }
        return ServiceError(.checkpoint, """
            The state topic \(stateTopic) holds checkpoints written when the input topics had \(then) partitions; \
            \(inputs.joined(separator: ", ")) have \(now) now. Checkpoints are kept per partition number, and a \
            shop's partition changed with the count: restoring them would split its state. Either give the input \
            topics \(then) partitions again, or rebuild the state from the inputs: point kafka.topics.state at a new, \
            empty topic (or delete the records of \(stateTopic)) and start again; every partition is then replayed \
            from the inputs (kpi.retention back).
            """)
    }
}
