import Testing
@testable import KPICore

@Suite struct CheckpointPrimitivesTests {
    @Test func varintsStringsAndTimesRoundTrip() throws {
        var w = CheckpointWriter()
        w.baseTime = 1_795_104_000_000
        let unsigned: [UInt64] = [0, 1, 127, 128, 16_383, 16_384, UInt64(UInt32.max), .max]
        let signed: [Int64] = [0, -1, 1, -64, 64, .min, .max, -1_000_000_007]
        let times: [Int64] = [0, 1_795_104_000_000, .min, .max, -5]
        for v in unsigned { w.varint(v) }
        for v in signed { w.signed(v) }
        for t in times { w.time(t) }
        w.string("店铺-é-🛒"); w.string("")
        w.fixed64(0xDEAD_BEEF_0123_4567)
        w.day(20_420); w.hour(490_000)
        var r = CheckpointReader(w.bytes, limit: w.bytes.count)
        r.baseTime = w.baseTime
        for v in unsigned { #expect(try r.varint() == v) }
        for v in signed { #expect(try r.signed() == v) }
        for t in times { #expect(try r.timeOrSentinel() == t) }
        #expect(try r.string() == "店铺-é-🛒")
        #expect(try r.string() == "")
        #expect(try r.fixed64() == 0xDEAD_BEEF_0123_4567)
        #expect(try r.day() == 20_420)
        #expect(try r.hour() == 490_000)
        #expect(r.isAtEnd)
        #expect(throws: KPICoreError.self) { try r.byte() }
    }

    @Test func sortedHashesBothEncodings() throws {
        var rng = SplitMix(seed: 1)
        for n in [0, 1, 5, CheckpointFormat.deltaHashThreshold - 1, CheckpointFormat.deltaHashThreshold, 5000] {
            let hashes = Set((0..<n).map { _ in rng.next() | 1 }).sorted()
            var w = CheckpointWriter()
            w.sortedHashes(hashes)
            var r = CheckpointReader(w.bytes, limit: w.bytes.count)
            #expect(try r.sortedHashes() == hashes)
            #expect(r.isAtEnd)
        }
    }

    @Test func hashOrderSortsUniformAndPiledUpKeys() {
        var rng = SplitMix(seed: 3)
        let uniform = (0..<10_000).map { _ in rng.next() }
        // Keys sharing their top bits land in one bucket: the fallback sort.
        let piled = (0..<5_000).map { _ in rng.next() >> 30 } + uniform.prefix(100)
        for keys in [uniform, piled, Array(uniform.prefix(63)), []] {
            #expect(HashOrder.sorted(keys) == keys.sorted())
            #expect(HashOrder.permutation(keys).map { keys[$0] } == keys.sorted())
        }
    }

    @Test func badInputsThrowInsteadOfTrapping() {
        // An over-long varint, an unterminated one.
        for bytes: [UInt8] in [[UInt8](repeating: 0xFF, count: 10) + [0x01], [0x80, 0x80]] {
            var r = CheckpointReader(bytes, limit: bytes.count)
            #expect(throws: KPICoreError.self) { _ = try r.varint() }
        }
        // Invalid UTF-8, a length beyond the buffer.
        for bytes: [UInt8] in [[0x02, 0xC3, 0x28], [0xFF, 0xFF, 0x03, 0x41]] {
            var r = CheckpointReader(bytes, limit: bytes.count)
            #expect(throws: KPICoreError.self) { _ = try r.string() }
        }
        var unordered = CheckpointWriter()
        unordered.count(2); unordered.fixed64(9); unordered.fixed64(3)
        var r = CheckpointReader(unordered.bytes, limit: unordered.bytes.count)
        #expect(throws: KPICoreError.self) { _ = try r.sortedHashes() }
    }
}

@Suite struct CheckpointRoundTripTests {
    @Test func freshStateRoundTrips() throws {
        let config = KPIConfiguration()
        let fresh = try PartitionKPIState(partition: 7, configuration: config, coverageStart: nil)
        let bytes = fresh.checkpoint()
        #expect(bytes.starts(with: Array("KPIC".utf8)))
        var restored = try PartitionKPIState(checkpoint: bytes, configuration: config)
        #expect(restored.partition == 7)
        #expect(restored.coverageStart == nil)
        #expect(restored.watermark == nil)
        #expect(restored.checkpoint() == bytes)
        // And it behaves like a fresh state.
        var twin = fresh
        var e = Events()
        let events = [e.pageView(local(2026, 11, 21, 10), visitor: "v", session: "p"),
                      e.order(.orderPaid, local(2026, 11, 21, 10, 5), order: "o", buyer: "b", amount: 990)]
        #expect(restored.ingest(events) == twin.ingest(events))
        #expect(restored.drainChanged(emittedAt: EventTime(millis: 1)) == twin.drainChanged(emittedAt: EventTime(millis: 1)))
        #expect(restored.checkpoint() == twin.checkpoint())
        print("CHECKPOINT fresh state: \(bytes.count) bytes")
    }

    @Test func coverageStartAndPartitionRoundTrip() throws {
        let config = KPIConfiguration()
        let state = try PartitionKPIState(partition: -2, configuration: config, coverageStart: local(2026, 1, 1))
        let restored = try PartitionKPIState(checkpoint: state.checkpoint(), configuration: config)
        #expect(restored.partition == -2)
        #expect(restored.coverageStart == local(2026, 1, 1))
    }

    /// The property that matters: restoring mid-stream changes nothing downstream.
    @Test func restoredStateContinuesExactlyLikeTheOriginal() throws {
        let events = CheckpointStream.events(count: 2_400)
        let splits = [0, 1, 2, 3, 5, 8, 13, 50, 199, 200, 201, 433, 600, 777, 1000, 1199, 1500, 1801, 2000, 2399, 2400]
        let compared = try expectCheckpointReplayEquivalence(events, configure: CheckpointStream.config, splits: splits,
                                                             drainEvery: 50)
        #expect(compared > 300)
    }

    /// Drains at irregular points relative to the splits: pending changed and evicted windows carry over.
    @Test func pendingDrainStateCarriesOver() throws {
        let events = CheckpointStream.events(count: 1_500, days: 6, seed: 99)
        try expectCheckpointReplayEquivalence(events, configure: CheckpointStream.config,
                                              splits: Array(stride(from: 0, through: 1_500, by: 97)), drainEvery: 333)
    }

    @Test func defaultConfigurationExactSetsRoundTrip() throws {
        let events = CheckpointStream.events(count: 1_200, days: 3, seed: 3)
        try expectCheckpointReplayEquivalence(events, configure: { _ in }, splits: [0, 400, 811, 1_200], drainEvery: 40)
    }

    /// The state really holds what the stream should have produced: sketches,
    /// evicted windows, pending turns, join state.
    @Test func streamExercisesEveryKindOfState() throws {
        var config = KPIConfiguration()
        CheckpointStream.config(&config)
        var state = try PartitionKPIState(partition: 0, configuration: config, coverageStart: nil)
        let events = CheckpointStream.events(count: 2_400)
        var outcomes: [IngestOutcome: Int] = [:]
        var pendingTurns = 0
        for (e, r) in events.prefix(2_000) {
            outcomes[state.ingest(e, recordTimestamp: r), default: 0] += 1
            pendingTurns = max(pendingTurns, state.turnDeadlines.count)
        }
        #expect(outcomes.count == 4)  // counted, duplicate, late, future
        #expect(state.scopes.contains { s in s.windows.contains { $0.visitors.isEstimated } })
        #expect(state.scopes.contains { $0.rolling.visitors.isEstimated })
        #expect(state.scopes.contains { !$0.rolling.visitors.isEstimated && $0.rolling.visitors.exact.count > 0 })
        #expect(state.scopes.contains { $0.scope.type == .team })
        #expect(!state.evicted.isEmpty)
        #expect(pendingTurns > 0)
        #expect(state.shops.contains { !$0.browsingSessions.isEmpty && !$0.chatSessions.isEmpty && !$0.buyers.isEmpty })
        #expect(state.shops.contains { $0.buyers.values.contains { !$0.orders.isEmpty } })
        #expect(state.scopes.contains { !$0.rolling.attributedPayerHours.isEmpty && !$0.rolling.inquiries.isEmpty })
        let restored = try PartitionKPIState(checkpoint: state.checkpoint(), configuration: config)
        #expect(restored.currentSnapshots(emittedAt: EventTime(millis: 5)) == state.currentSnapshots(emittedAt: EventTime(millis: 5)))
        #expect(restored.seenEvents.count == state.seenEvents.count)
    }
}

@Suite struct CheckpointRejectionTests {
    static func realCheckpoint() throws -> (bytes: [UInt8], config: KPIConfiguration) {
        var config = KPIConfiguration()
        CheckpointStream.config(&config)
        var state = try PartitionKPIState(partition: 1, configuration: config, coverageStart: nil)
        for (e, r) in CheckpointStream.events(count: 1_000, days: 3) { _ = state.ingest(e, recordTimestamp: r) }
        _ = state.drainChanged(emittedAt: EventTime(millis: 1))
        for (e, r) in CheckpointStream.events(count: 300, days: 1, seed: 11) { _ = state.ingest(e, recordTimestamp: r) }
        return (state.checkpoint(), config)
    }

    @Test func configurationMismatchNamesTheField() throws {
        let (bytes, config) = try Self.realCheckpoint()
        let changes: [(String, (inout KPIConfiguration) -> Void)] = [
            ("timeZone", { $0.timeZoneID = "Europe/Berlin" }),
            ("firstWeekday", { $0.firstWeekday = 7 }),
            ("allowedLateness", { $0.allowedLateness = .minutes(6) }),
            ("retention.days", { $0.retention.days = 2 }),
            ("retention.weeks", { $0.retention.weeks = 3 }),
            ("retention.months", { $0.retention.months = 2 }),
            ("attributionWindow", { $0.attributionWindow = .hours(12) }),
            ("replyTimeout", { $0.replyTimeout = .minutes(11) }),
            ("responseWithin", { $0.responseWithin = .seconds(60) }),
            ("futureSkew", { $0.futureSkew = .hours(2) }),
            ("distinctExactThreshold", { $0.distinctExactThreshold = 41 }),
            ("fractionDigits", { $0.fractionDigits = 0 }),
            ("teams", { $0.teams[1].agents.append("a4") }),
            ("teams", { $0.teams.swapAt(0, 1) }),
            ("teams", { $0.teams[0].name = "east" }),
        ]
        for (field, change) in changes {
            var other = config
            change(&other)
            #expect(throws: KPICoreError.checkpointConfigurationMismatch(field: field)) {
                _ = try PartitionKPIState(checkpoint: bytes, configuration: other)
            }
        }
        // Neither alert routing nor agent order and duplicates change results.
        var same = config
        same.teams[0].leads = ["someone", "else"]
        same.teams[1].agents = ["a3", "a2", "a3"]
        #expect(throws: Never.self) { _ = try PartitionKPIState(checkpoint: bytes, configuration: same) }
    }

    @Test func unknownVersionAndForeignBytes() throws {
        let (bytes, config) = try Self.realCheckpoint()
        var future = bytes
        let next = CheckpointFormat.version + 1
        future[4] = UInt8(next)
        #expect(throws: KPICoreError.unsupportedCheckpointVersion(Int(next))) {
            _ = try PartitionKPIState(checkpoint: future, configuration: config)
        }
        for foreign in [[], Array("KPIC".utf8), Array("{\"state\": 1}".utf8), [UInt8](repeating: 0, count: 64)] {
            #expect(throws: KPICoreError.self) { _ = try PartitionKPIState(checkpoint: foreign, configuration: config) }
        }
        do {
            _ = try PartitionKPIState(checkpoint: Array(bytes.dropLast()), configuration: config)
            Issue.record("a truncated checkpoint restored")
        } catch {
            #expect(error.code == "corrupt_checkpoint")
        }
    }

    /// Every truncation and a few thousand bit flips: the checksum rejects them all.
    @Test func truncationsAndBitFlipsThrow() throws {
        let (bytes, config) = try Self.realCheckpoint()
        var rng = SplitMix(seed: 5)
        for n in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 1_500)) {
            #expect(throws: KPICoreError.self) { _ = try PartitionKPIState(checkpoint: Array(bytes[..<n]), configuration: config) }
        }
        for _ in 0..<2_000 {
            var flipped = bytes
            let i = Int(rng.next() % UInt64(bytes.count))
            flipped[i] ^= 1 << UInt8(rng.next() % 8)
            #expect(throws: KPICoreError.self) { _ = try PartitionKPIState(checkpoint: flipped, configuration: config) }
        }
    }

    /// Behind the checksum: random damage (truncation, bit flips, byte runs)
    /// with checksum verification off must throw or give a state that can be
    /// used further — never trap.
    @Test func structuralChecksNeverTrap() throws {
        let (bytes, config) = try Self.realCheckpoint()
        let more = CheckpointStream.events(count: 60, days: 1, seed: 21).map {
            var e = $0.0
            e.time = e.time + .days(2)
            return e
        }
        var rng = SplitMix(seed: 17)
        var restoredCount = 0, thrown = 0
        for round in 0..<900 {
            var damaged = bytes
            switch round % 3 {
            case 0:
                damaged[Int(rng.next() % UInt64(damaged.count))] ^= 1 << UInt8(rng.next() % 8)
            case 1:
                for _ in 0..<1 + Int(rng.next() % 6) {
                    damaged[Int(rng.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            default:
                let cut = Int(rng.next() % UInt64(damaged.count))
                damaged = Array(damaged[..<cut]) + [UInt8](repeating: 0, count: CheckpointFormat.trailerSize)
            }
            do {
                var s = try PartitionKPIState(checkpoint: damaged, configuration: config, verifyingChecksum: false)
                restoredCount += 1
                _ = s.checkpoint()
                _ = s.drainChanged(emittedAt: EventTime(millis: 2))
                for e in more { _ = s.ingest(e, recordTimestamp: nil) }
                _ = s.drainChanged(emittedAt: EventTime(millis: 3))
                _ = s.currentSnapshots(emittedAt: EventTime(millis: 4))
            } catch {
                thrown += 1
            }
        }
        print("CHECKPOINT fuzz without checksum: \(thrown) thrown, \(restoredCount) restored and used")
        #expect(thrown > 0 && restoredCount > 0)
    }
}
