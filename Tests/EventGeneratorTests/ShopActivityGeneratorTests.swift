import Foundation
import KPICore
import Testing
import EventGenerator

/// 2025-11-21T10:15:30.123+08:00
let someMorning = EventTime(millis: 1_763_691_330_123)

func generate(_ options: GeneratorOptions) -> (records: [GeneratedRecord], stats: GeneratorStats) {
    var generator = ShopActivityGenerator(options)
    var records: [GeneratedRecord] = []
    while let record = generator.next() { records.append(record) }
    return (records, generator.stats)
}

/// The run the spec checks look at: one hour, five shops, clean.
let oneHour = generate(GeneratorOptions(seed: 42, shops: 5, rate: 20, duration: .hours(1), start: someMorning))
let oneHourObjects: [[String: JSONValue]?] = oneHour.records.map(jsonObject)

/// A dirty run for the fault checks.
let dirtyHour = generate(GeneratorOptions(seed: 9, shops: 5, rate: 30, duration: .hours(1), start: someMorning, dirty: true))

@Suite struct VolumeAndOrder {
    @Test func sameOptionsGiveTheSameBytes() {
        let options = GeneratorOptions(seed: 3, shops: 4, rate: 30, duration: .minutes(10), start: someMorning, dirty: true)
        let first = generate(options), second = generate(options)
        #expect(first.records == second.records)
        #expect(first.stats == second.stats)
        var other = options
        other.seed = 4
        let third = generate(other)
        #expect(third.records.count == first.records.count)
        #expect(third.records.prefix(200).map(\.value) != first.records.prefix(200).map(\.value))
    }

    static let volumes: [(rate: Int, durationMillis: Int64, dirty: Bool)] = [
        (1, 1_000, false), (7, 61_500, false), (111, 600_000, true), (5, 0, true), (1, 36 * 3_600_000, false),
    ]

    @Test(arguments: volumes)
    func boundedRunHoldsExactlyRateTimesDuration(rate: Int, durationMillis: Int64, dirty: Bool) {
        let options = GeneratorOptions(seed: 1, shops: 3, rate: rate, duration: EventTime.Duration(millis: durationMillis),
                                       start: someMorning, dirty: dirty)
        let expected = Int(Int64(rate) * durationMillis / 1000)
        let generator = ShopActivityGenerator(options)
        #expect(generator.plannedCount == expected)
        let run = generate(options)
        #expect(run.records.count == expected)
        #expect(run.stats.total == expected)
    }

    @Test func cleanRecordsAreTimeOrderedInsideTheRunAndTsMatchesTheTimestamp() {
        let end = someMorning.millis + 3_600_000
        var previous = Int64.min
        for (record, fields) in zip(oneHour.records, oneHourObjects) {
            let t = record.timestamp.millis
            #expect(t >= previous && t >= someMorning.millis && t < end)
            previous = t
            if let ts = fields?["ts"] { #expect(millis(ts) == t) }
        }
    }

    @Test func followModeRunsOnWithBoundedMemory() {
        var generator = ShopActivityGenerator(GeneratorOptions(
            seed: 5, shops: 3, rate: 300, duration: nil, start: someMorning, maxPendingSteps: 2000))
        #expect(generator.plannedCount == nil)
        var previous = Int64.min, maxPending = 0
        for _ in 0..<100_000 {
            guard let record = generator.next() else { Issue.record("follow mode ended"); return }
            #expect(record.timestamp.millis >= previous)
            previous = record.timestamp.millis
            maxPending = max(maxPending, generator.pendingSteps)
        }
        #expect(maxPending <= 2000 + 100)
        // 100_000 records at 300/s on a morning's rhythm: a few minutes of event time.
        #expect(previous - someMorning.millis > 60_000)
    }

    @Test func activityFollowsTheShopsDay() {
        let run = generate(GeneratorOptions(seed: 8, shops: 1, rate: 1, duration: .days(1), start: EventTime(millis: 1_763_654_400_000)))
        var perLocalHour = [Int](repeating: 0, count: 24)
        for record in run.records {
            let local = record.timestamp.millis + 8 * 3_600_000
            perLocalHour[Int(CivilTime.floorDiv(local, 3_600_000) % 24)] += 1
        }
        let dayRate = Double(perLocalHour[10..<22].reduce(0, +)) / 12
        let nightRate = Double(perLocalHour[1..<6].reduce(0, +)) / 5
        #expect(dayRate > 3 * nightRate)
        #expect(perLocalHour[21] > perLocalHour[4] * 5)
    }
}

@Suite struct EventShapes {
    @Test func everyRecordIsAnEventOfEventsMd() throws {
        let typeByName = Dictionary(uniqueKeysWithValues: EventType.allCases.map { ($0.name, $0) })
        for (record, fields) in zip(oneHour.records, oneHourObjects) {
            let fields = try #require(fields, "not a JSON object: \(String(decoding: record.value, as: UTF8.self))")
            #expect(specViolation(fields) == nil, "\(fields)")
            let type = try #require(fields["type"]?.string.flatMap { typeByName[$0] })
            #expect(record.topic == type.topic)
            #expect(record.key == Array((fields["shop_id"]?.string ?? "").utf8))
        }
    }

    @Test func everyTypeAppearsAndStatsCountThem() {
        var counts: [String: Int] = [:]
        for fields in oneHourObjects { counts[fields?["type"]?.string ?? "?", default: 0] += 1 }
        for type in EventType.allCases {
            #expect((counts[type.name] ?? 0) > 0, "no \(type.name)")
            #expect(oneHour.stats.count(type) == counts[type.name] ?? 0)
        }
        #expect(oneHour.stats.valid == oneHour.records.count)
        #expect(oneHour.stats.rejected == 0 && oneHour.stats.duplicates == 0 && oneHour.stats.outOfOrder == 0)
        #expect(oneHour.records.allSatisfy { $0.fault == nil || $0.fault == .missingTs })
        for topic in InputTopic.allCases {
            #expect(oneHour.stats.count(topic) == oneHour.records.filter { $0.topic == topic }.count)
        }
    }

    @Test func eventIDsAreUnique() {
        let ids = oneHourObjects.compactMap { $0?["event_id"]?.string }
        #expect(ids.count == oneHour.records.count)
        #expect(Set(ids).count == ids.count)
    }

    @Test func valueFormatsVaryAsEventsMdAllows() {
        var tsStyles = Set<String>(), amountStyles = Set<String>()
        var absentTs = 0
        for (record, fields) in zip(oneHour.records, oneHourObjects) {
            guard let fields else { continue }
            switch fields["ts"] {
            case .integer?: tsStyles.insert("epoch")
            case .string(let s)?: tsStyles.insert(s.hasSuffix("Z") ? "utc" : s.hasSuffix("+08:00") ? "local" : "other")
            case nil:
                absentTs += 1
                #expect(record.fault == .missingTs)
            default: tsStyles.insert("other")
            }
            switch fields["amount"] {
            case .string?: amountStyles.insert("string")
            case .integer?, .number?: amountStyles.insert("number")
            default: break
            }
        }
        #expect(tsStyles == ["epoch", "utc", "local"])
        #expect(amountStyles == ["string", "number"])
        #expect(absentTs > 0 && absentTs == oneHour.stats.missingTs)
    }

    @Test func shopsHaveAgentsChannelsAndCampaigns() {
        var agents: [String: Set<String>] = [:], campaigns: [String: Set<String>] = [:], channels = Set<String>()
        for case let fields? in oneHourObjects {
            let shop = fields["shop_id"]?.string ?? ""
            if let a = fields["agent_id"]?.string { agents[shop, default: []].insert(a); #expect(a.hasPrefix(shop + "-a")) }
            if let c = fields["campaign_id"]?.string { campaigns[shop, default: []].insert(c); #expect(c.hasPrefix(shop + "-cmp-")) }
            if let c = fields["channel"]?.string { channels.insert(c) }
        }
        #expect(Set(agents.keys) == ["s1", "s2", "s3", "s4", "s5"])
        #expect(agents.values.allSatisfy { (3...8).contains($0.count) })
        #expect(campaigns.values.allSatisfy { (2...4).contains($0.count) })
        #expect(channels == ["search", "ads", "social", "direct", "recommend"])
    }
}

@Suite struct Stories {
    /// Chat messages per session, in time order.
    var chatSessions: [String: [[String: JSONValue]]] {
        var sessions: [String: [[String: JSONValue]]] = [:]
        for case let fields? in oneHourObjects where fields["type"]?.string == "chat_message" {
            sessions[fields["session_id"]!.string!, default: []].append(fields)
        }
        return sessions
    }

    func time(_ fields: [String: JSONValue], _ record: GeneratedRecord? = nil) -> Int64 {
        fields["ts"].flatMap(millis) ?? record?.timestamp.millis ?? 0
    }

    @Test func chatsHaveAutoRepliesAnsweredAndUnansweredTurns() {
        var byID: [String: Int64] = [:]
        for (record, fields) in zip(oneHour.records, oneHourObjects) { if let f = fields { byID[f["event_id"]!.string!] = record.timestamp.millis } }
        var answered: [Int64] = [], unanswered = 0, autoReplies = 0, multiTurn = 0
        let horizon = someMorning.millis + 3_600_000 - 600_000
        for (_, messages) in chatSessions {
            var turnStart: Int64?
            var turns = 0
            for m in messages {
                let t = byID[m["event_id"]!.string!]!
                let human = m["from"]?.string == "agent" && m["auto"] != .bool(true)
                if m["auto"] == .bool(true) { autoReplies += 1 }
                if m["from"]?.string == "buyer" {
                    if turnStart == nil { turnStart = t; turns += 1 }
                } else if human, let start = turnStart {
                    if t - start <= 600_000 { answered.append(t - start) } else { unanswered += 1 }
                    turnStart = nil
                }
            }
            if let start = turnStart, start < horizon { unanswered += 1 }
            if turns > 1 { multiTurn += 1 }
        }
        #expect(autoReplies > 0)
        #expect(unanswered > 0)
        #expect(multiTurn > 0)
        #expect(answered.count > 10 * unanswered / 2)
        let sorted = answered.sorted()
        let median = sorted[sorted.count / 2]
        #expect(median >= 5_000 && median <= 120_000)
        #expect(sorted.last! > 180_000)
    }

    @Test func ratingsAreSkewedHigh() {
        let scores = oneHourObjects.compactMap { f -> Int64? in
            guard f?["type"]?.string == "chat_rating", case .integer(let s)? = f?["score"] else { return nil }
            return s
        }
        #expect(scores.count > 10)
        #expect(Double(scores.reduce(0, +)) / Double(scores.count) > 3.5)
        #expect(scores.contains { $0 <= 2 })
    }

    @Test func ordersFollowChatsAndMoveThroughTheirLife() {
        let events = oneHourObjects.compactMap { $0 }
        let chatBuyers = Set(events.filter { $0["type"]?.string == "chat_message" }.compactMap { $0["buyer_id"]?.string })
        let created = events.filter { $0["type"]?.string == "order_created" }
        #expect(created.contains { chatBuyers.contains($0["buyer_id"]!.string!) && $0["agent_id"] == nil })
        #expect(created.contains { $0["agent_id"] != nil })
        #expect(created.contains { !chatBuyers.contains($0["buyer_id"]!.string!) })
        let paid = events.filter { $0["type"]?.string == "order_paid" }
        #expect(paid.count > created.count / 2)
        #expect(paid.contains { $0["campaign_id"] != nil } && paid.contains { $0["channel"] != nil })
        // Each payment, cancellation, refund or shipment belongs to an order created earlier.
        let createdIDs = Set(created.compactMap { $0["order_id"]?.string })
        for e in events where ["order_paid", "order_cancelled", "order_refunded"].contains(e["type"]?.string ?? "") {
            #expect(createdIDs.contains(e["order_id"]!.string!))
        }
        let amountByOrder = Dictionary(paid.map { ($0["order_id"]!.string!, cents($0["amount"]!)!) }, uniquingKeysWith: { a, _ in a })
        for refund in events where refund["type"]?.string == "order_refunded" {
            let paidCents = amountByOrder[refund["order_id"]!.string!]
            #expect(paidCents != nil && cents(refund["amount"]!)! <= paidCents!)
        }
        let shipped = events.filter { $0["type"]?.string == "order_shipped" }
        #expect(shipped.contains { $0["promised_ship_by"] != nil })
    }

    @Test func shipmentsAreMostlyOnTimeAndRefundsFullOrPartial() {
        let run = generate(GeneratorOptions(seed: 2, shops: 2, rate: 1, duration: .hours(30), start: someMorning))
        var onTime = 0, late = 0, refundsFull = 0, refundsPartial = 0
        var paidCents: [String: Int64] = [:]
        for record in run.records where record.topic == .orders {
            let f = jsonObject(record)!
            let t = f["ts"].flatMap(millis) ?? record.timestamp.millis
            switch f["type"]!.string! {
            case "order_paid": paidCents[f["order_id"]!.string!] = cents(f["amount"]!)
            case "order_shipped":
                if let promised = f["promised_ship_by"].flatMap(millis) { if t <= promised { onTime += 1 } else { late += 1 } }
            case "order_refunded":
                if cents(f["amount"]!) == paidCents[f["order_id"]!.string!] { refundsFull += 1 } else { refundsPartial += 1 }
            default: break
            }
        }
        #expect(late > 0 && onTime > 4 * late)
        #expect(refundsFull > 0 && refundsPartial > 0)
    }

    @Test func trafficHasSessionsBouncesArrivalsAndAds() {
        let events = oneHourObjects.compactMap { $0 }
        let views = events.filter { $0["type"]?.string == "page_view" }
        var pagesPerSession: [String: Int] = [:]
        for v in views { pagesPerSession[v["session_id"]!.string!, default: 0] += 1 }
        let bounces = pagesPerSession.values.filter { $0 == 1 }.count
        #expect(bounces > pagesPerSession.count / 10 && bounces < pagesPerSession.count / 2)
        #expect(Set(views.map { $0["visitor_id"]!.string! }).count < pagesPerSession.count)
        #expect(views.filter { $0["dwell_ms"] != nil }.count > views.count / 2)
        let arrivals = views.filter { $0["landing"] == .bool(true) }
        #expect(!arrivals.isEmpty && arrivals.allSatisfy { $0["campaign_id"] != nil && $0["channel"] != nil })
        let impressions = events.filter { $0["type"]?.string == "ad_impression" }.count
        let clicks = events.filter { $0["type"]?.string == "ad_click" }.count
        #expect(clicks > impressions / 100 && clicks < impressions / 10)
        #expect(arrivals.count <= clicks)
        #expect(events.contains { $0["type"]?.string == "ad_impression" && $0["cost"] != nil })
        #expect(events.contains { $0["type"]?.string == "ad_click" && $0["cost"] != nil })
    }
}

@Suite struct DirtyRecords {
    @Test func statsAddUpAndMatchTheTaggedRecords() {
        let stats = dirtyHour.stats
        #expect(stats.total == dirtyHour.records.count)
        #expect(stats.total == stats.valid + stats.duplicates + stats.rejected)
        for fault in InjectedFault.allCases {
            let tagged = dirtyHour.records.filter { $0.fault == fault }.count
            #expect(tagged == stats.count(fault), "\(fault)")
            #expect(tagged > 0, "no \(fault)")
        }
        let dirty = dirtyHour.records.filter { $0.fault != nil && $0.fault != .missingTs }.count
        let share = Double(dirty) / Double(stats.total)
        #expect(share > 0.012 && share < 0.028)
    }

    @Test func faultyRecordsAreBrokenAsStated() throws {
        var seenValues = Set<[UInt8]>()
        var newestTs = Int64.min
        var validIDs = Set<String>()
        for record in dirtyHour.records {
            let fields = jsonObject(record)
            let ts = fields?["ts"].flatMap(millis)
            switch record.fault {
            case nil, .missingTs?:
                let f = try #require(fields)
                #expect(specViolation(f) == nil)
                #expect(validIDs.insert(f["event_id"]!.string!).inserted)
                #expect((ts ?? record.timestamp.millis) >= newestTs)
                newestTs = ts ?? record.timestamp.millis
                #expect((ts == nil) == (record.fault == .missingTs))
            case .duplicate?:
                #expect(seenValues.contains(record.value))
            case .outOfOrder?:
                let f = try #require(fields)
                #expect(specViolation(f) == nil)
                #expect(validIDs.insert(f["event_id"]!.string!).inserted)
                let lag = record.timestamp.millis - ts!
                #expect(lag >= 60_000 && lag <= 480_000 && ts! < newestTs)
            case .late?:
                let f = try #require(fields)
                #expect(specViolation(f) == nil)
                #expect(record.timestamp.millis - ts! >= 40 * 86_400_000)
                // Never the first record of its shop.
                #expect(seenValues.contains { $0.starts(with: Array("{\"event_id\":\"\(f["shop_id"]!.string!)-".utf8)) })
            case .malformed?:
                #expect(fields == nil)
            case .missingField?:
                let f = try #require(fields)
                #expect(specViolation(f)?.hasPrefix("missing") == true, "\(f)")
            case .wrongType?:
                let f = try #require(fields)
                #expect(specViolation(f)?.hasPrefix("wrong type") == true || specViolation(f) == "bad type", "\(f)")
            case .negativeAmount?:
                let f = try #require(fields)
                #expect(specViolation(f) == "negative amount", "\(f)")
            }
            seenValues.insert(record.value)
        }
    }

    @Test func timestampsOnlyGoBackForDuplicates() {
        var previous = Int64.min
        for record in dirtyHour.records where record.fault != .duplicate {
            #expect(record.timestamp.millis >= previous)
            previous = record.timestamp.millis
        }
    }
}
