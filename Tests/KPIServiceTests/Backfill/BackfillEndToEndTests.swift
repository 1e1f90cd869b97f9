import EventGenerator
import Foundation
import KafkaClient
import KPICore
import KPIService
import Testing

@Suite("Backfill end to end over the embedded broker")
struct BackfillEndToEndTests {
    @Test func dirtyDataIsAccountedForToTheRecordAndOutputIsDeterministic() throws {
        let broker = try brokerWithTopics(partitions: 4)
        let bootstrap = broker.bootstrapServers
        // 3 hours at 8 events/s: 86,400 records, ~2% of them faults.
        let options = GeneratorOptions(seed: 42, shops: 6, rate: 8, duration: .hours(3), start: activityStart, dirty: true)
        let stats = try produceGenerated(options, bootstrap: bootstrap)
        #expect(stats.total == 8 * 3 * 3600)
        #expect(stats.rejected > 0 && stats.duplicates > 0 && stats.lateEvents > 0)

        func backfill(runLength: Int? = nil, heldBackLimit: Int? = nil, lanes: Int = 1) throws -> ([KPISnapshot], BackfillSummary, [UInt8]) {
            try onOwnThread {
                let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap), groupID: nil)
                let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
                let sink = DeadLetterSink(producer: producer, topic: TopicNames().deadLetter)
                var progress = ProgressLine(forceEnabled: false)
                // From a day before the data: offsets for times land on the first records.
                var job = BackfillJob(configuration: KPIConfiguration(), from: activityStart - .days(1), until: nil)
                if let runLength { job.runLength = runLength }
                if let heldBackLimit { job.heldBackLimit = heldBackLimit }
                job.lanes = lanes
                let result = try job.run(consumer: consumer, deadLetters: sink, progress: &progress, emittedAt: { activityStart + .days(1) })
                let (snapshots, summary) = (result.snapshots, result.summary)
                try consumer.close()
                let zone = try ZoneRules(identifier: "Asia/Shanghai")
                var bytes: [UInt8] = []
                for s in snapshots { SnapshotJSON.append(s, fractionDigits: 2, zone: zone, to: &bytes); bytes.append(10) }
                return (snapshots, summary, bytes)
            }
        }

        let (snapshots, summary, bytes) = try backfill()
        // Every produced record was consumed once, and is either counted,
        // recognised as a duplicate, or dead-lettered: nothing is lost.
        #expect(summary.consumed == stats.total)
        #expect(summary.counted + summary.duplicates + summary.deadLettered == summary.consumed)
        #expect(summary.counted == stats.valid)
        #expect(summary.duplicates == stats.duplicates)
        #expect(summary.deadLettered == stats.rejected)
        #expect(summary.deadLetteredByReason["late"] == stats.lateEvents)
        #expect(summary.deadLetteredByReason["negative_amount"] == stats.negativeAmount)
        let malformed = summary.deadLetteredByReason.filter { $0.key == "malformed_json" || $0.key == "not_an_object" }.values.reduce(0, +)
        #expect(malformed == stats.malformed)
        let missing = summary.deadLetteredByReason.filter { $0.key.hasPrefix("missing_field:") }.values.reduce(0, +)
        #expect(missing == stats.missingField)
        let wrong = summary.deadLetteredByReason.filter { $0.key.hasPrefix("wrong_type:") }.values.reduce(0, +)
        #expect(wrong == stats.wrongType)

        // The dead-letter topic holds each rejected record with its provenance.
        let dead = try onOwnThread { try readAll(TopicNames().deadLetter, bootstrap: bootstrap) }
        #expect(dead.count == stats.rejected)
        for r in dead.prefix(50) {
            let names = Set(r.headers.map(\.name))
            #expect(names.isSuperset(of: [DeadLetterSink.Header.sourceTopic, DeadLetterSink.Header.sourcePartition, DeadLetterSink.Header.sourceOffset, DeadLetterSink.Header.reason, DeadLetterSink.Header.error]))
        }

        // Every scope kind and window kind is there.
        #expect(Set(snapshots.map(\.scope.type)) == Set([.shop, .agent, .channel, .campaign]))
        #expect(Set(snapshots.map(\.window.type)) == Set(WindowType.allCases))
        // The 3 hours lie in one local day (from 00:00 +08:00): summed over the
        // shops, that day's counts equal what the generator says it wrote
        // validly (duplicates and rejected records excluded, late ones too).
        let shopDays = snapshots.filter { $0.scope.type == .shop && $0.window.type == .day && $0.window.id == "2026-11-20" }
        #expect(shopDays.count == 6)
        func total(_ metric: String) -> Int64 {
            shopDays.reduce(0) { sum, s in if case .count(let n) = s[metric: metric] { return sum + n } else { return sum } }
        }
        #expect(total("orders_paid") == Int64(stats.count(.orderPaid)))
        #expect(total("orders_created") == Int64(stats.count(.orderCreated)))
        #expect(total("pv") == Int64(stats.count(.pageView)))

        // Same input, same bytes (emitted_at fixed here), also when each
        // partition's events are released after every poll rather than in
        // runs of `preferredRunLength`, or all partitions' whenever together
        // they hold more than 5,000 (and with different fetch timing).
        let (_, summary2, bytes2) = try backfill(runLength: 1)
        #expect(summary2.consumed == summary.consumed)
        #expect(bytes2 == bytes)
        let (_, summary3, bytes3) = try backfill(runLength: .max, heldBackLimit: 5_000)
        #expect(summary3.consumed == summary.consumed)
        #expect(bytes3 == bytes)
        // And when the partitions are decoded and counted on three threads
        // side by side (a backfill uses one per CPU): the same bytes, the
        // same records dead-lettered for the same reasons.
        let (_, summary4, bytes4) = try backfill(lanes: 3)
        #expect(summary4.consumed == summary.consumed)
        #expect(summary4.deadLetteredByReason == summary.deadLetteredByReason)
        #expect(bytes4 == bytes)
        let (_, summary5, bytes5) = try backfill(runLength: 1, lanes: 3)
        #expect(summary5.counted == summary.counted && summary5.duplicates == summary.duplicates)
        #expect(bytes5 == bytes)
    }
}
