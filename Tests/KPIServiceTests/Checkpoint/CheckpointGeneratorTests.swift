import EventGenerator
@testable import KPICore
import Testing

/// Checkpoint/restore on generated shop activity (events.md), decoded like the
/// service decodes it: a state restored from a checkpoint taken at event k and
/// fed events k... emits exactly what the original emits, revisions included.
@Suite struct CheckpointGeneratorTests {
    static func decodedEvents(_ options: GeneratorOptions) -> [(ShopEvent, EventTime)] {
        var generator = ShopActivityGenerator(options)
        let decoder = EventDecoder()
        var out: [(ShopEvent, EventTime)] = []
        while let record = generator.next() {
            if case .success(let e) = decoder.decode(record.value, topic: record.topic, recordTimestamp: record.timestamp) {
                out.append((e, record.timestamp))
            }
        }
        return out
    }

    static var configuration: KPIConfiguration {
        var c = KPIConfiguration()
        c.retention = .init(days: 1, weeks: 1, months: 1)
        c.teams = [.init(name: "day", agents: ["s1-a1", "s1-a2", "s2-a1", "s3-a2", "s4-a1"]),
                   .init(name: "night", agents: ["s1-a2", "s2-a3", "s3-a1", "s5-a2"])]
        return c
    }

    /// Bytes of the checkpoint's main sections, written as `checkpoint()` writes them.
    static func sections(_ state: PartitionKPIState, _ scopeWindows: Int) -> String {
        var windows = CheckpointWriter(), joins = CheckpointWriter(), dedup = CheckpointWriter()
        let base = state.watermarkMillis ?? 0
        windows.baseTime = base; joins.baseTime = base; dedup.baseTime = base
        for s in state.scopes {
            for w in s.windows { windows.window(w) }
            windows.rolling(s.rolling)
        }
        var sessions = 0, buyers = 0
        for shop in state.shops {
            for (id, c) in shop.chatSessions { joins.string(id); joins.chatSession(c) }
            for (id, b) in shop.browsingSessions { joins.string(id); joins.browsingSession(b) }
            joins.hashKeyed(shop.buyers) { $0.buyerHistory($1) }
            sessions += shop.chatSessions.count + shop.browsingSessions.count
            buyers += shop.buyers.count
        }
        dedup.hashKeyed(state.seenEvents) { $0.day($1) }
        return "windows+rolling \(windows.bytes.count) B (\(windows.bytes.count / max(scopeWindows, 1)) B per scope × window), "
            + "\(sessions) sessions + \(buyers) buyer histories \(joins.bytes.count) B, "
            + "\(state.seenEvents.count) dedup ids \(dedup.bytes.count) B"
    }

    @Test func restoreAtSplitPointsContinuesIdentically() throws {
        let events = Self.decodedEvents(GeneratorOptions(seed: 11, shops: 5, rate: 1, duration: .hours(54),
                                                         start: activityStart, dirty: true))
        let config = Self.configuration
        let n = events.count
        let splits = [0, n / 9, n / 3, n / 2 + 17, n * 4 / 5, n - 1, n]
        let drainEvery = 1_000
        let emitted = { (i: Int) in EventTime(millis: 2_000_000_000_000 + Int64(i)) }
        func step(_ s: inout PartitionKPIState, _ i: Int) -> [KPISnapshot]? {
            _ = s.ingest(events[i].0, recordTimestamp: events[i].1)
            return (i + 1) % drainEvery == 0 ? s.drainChanged(emittedAt: emitted(i)) : nil
        }
        func finish(_ s: inout PartitionKPIState) -> [[KPISnapshot]] {
            var out = [s.drainChanged(emittedAt: emitted(n))]
            s.advanceWatermark(to: (s.watermark ?? activityStart) + .days(40))
            out.append(s.drainChanged(emittedAt: emitted(n + 1)))
            return out
        }

        var a = try PartitionKPIState(partition: 0, configuration: config, coverageStart: nil)
        var checkpoints: [Int: [UInt8]] = [:]
        var drains: [Int: [KPISnapshot]] = [:]
        var largest = (bytes: 0, scopeWindows: 0, sections: "")
        for i in 0...n {
            if splits.contains(i) {
                let bytes = a.checkpoint()
                checkpoints[i] = bytes
                let scopeWindows = a.currentSnapshots(emittedAt: emitted(0)).count
                if bytes.count > largest.bytes { largest = (bytes.count, scopeWindows, Self.sections(a, scopeWindows)) }
            }
            if i < n, let d = step(&a, i) { drains[i] = d }
        }
        let tailA = finish(&a)
        let finalA = a.checkpoint()
        print("CHECKPOINT generated stream: \(n) events; largest checkpoint \(largest.bytes) bytes for \(largest.scopeWindows) scope × windows (\(largest.bytes / max(largest.scopeWindows, 1)) bytes each, join state and dedup ids included): \(largest.sections)")

        for k in splits {
            var b = try PartitionKPIState(checkpoint: checkpoints[k]!, configuration: config)
            #expect(b.checkpoint() == checkpoints[k]!)
            var mismatch: Int? = nil
            for i in k..<n {
                if let d = step(&b, i), d != drains[i] { mismatch = i; break }
            }
            #expect(mismatch == nil, "split \(k): first differing drain after event \(mismatch ?? -1)")
            guard mismatch == nil else { continue }
            #expect(finish(&b) == tailA, "split \(k)")
            #expect(b.checkpoint() == finalA, "split \(k)")
        }
    }
}
