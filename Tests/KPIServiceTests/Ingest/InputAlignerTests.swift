import KPICore
@testable import KPIService
import Testing

/// `InputAligner`: one partition's three inputs merged in event time, and
/// the events it announces ahead for `PartitionKPIState.prefetch`.
@Suite struct InputAlignerTests {
    /// A page view (traffic), chat message (chats) or paid order (orders) with id `id` at `second`.
    static func event(_ id: String, _ input: InputTopic, at second: Int64) -> ShopEvent {
        let type: EventType = switch input {
        case .orders: .orderPaid
        case .chats: .chatMessage
        case .traffic: .pageView
        }
        return ShopEvent(type: type, eventID: id, time: activityStart + .seconds(second), shopID: "s1")
    }

    static func append(_ a: inout InputAligner, _ e: ShopEvent, _ input: InputTopic, offset: Int64, keepBytes: Bool = true) {
        let value: [UInt8] = Array(e.eventID.utf8)
        value.withUnsafeBytes { a.append(e, from: input, recordTimestamp: nil, offset: offset, key: nil, value: $0, keepBytes: keepBytes) }
    }

    /// Record bytes are kept only for the events the KPI state may refuse
    /// (the pipeline asks `PartitionKPIState.mayRefuse`): those, and only
    /// those, come back with their own bytes, in event time with the others.
    @Test func keepsRecordBytesOnlyWhereAsked() {
        var a = InputAligner()
        a.settled = [true, true, true]
        for i in 0..<600 {
            Self.append(&a, Self.event("t\(i)", .traffic, at: Int64(i)), .traffic, offset: Int64(i), keepBytes: i % 100 == 7)
        }
        var kept: [String] = [], order: [Int64] = []
        a.release { p, _, bytes in
            order.append(p.offset)
            if let v = p.value { kept.append(String(decoding: bytes[v], as: UTF8.self)) }
        }
        #expect(order == (0..<600).map(Int64.init))
        #expect(kept == ["t7", "t107", "t207", "t307", "t407", "t507"])
    }

    @Test func releasesInEventTimeAcrossInputsAndWaitsForARunningInput() {
        var a = InputAligner()
        // traffic at 1, 4; chats at 2, 4; orders still running with nothing buffered.
        Self.append(&a, Self.event("t1", .traffic, at: 1), .traffic, offset: 0)
        Self.append(&a, Self.event("t4", .traffic, at: 4), .traffic, offset: 1)
        Self.append(&a, Self.event("c2", .chats, at: 2), .chats, offset: 0)
        Self.append(&a, Self.event("c4", .chats, at: 4), .chats, offset: 1)
        var released: [String] = []
        a.release { p, _, _ in released.append(p.event.eventID) }
        #expect(released.isEmpty, "orders may still deliver an earlier event")

        a.settled[Int(InputTopic.orders.rawValue)] = true
        a.release { p, _, _ in released.append(p.event.eventID) }
        // t1, c2, then the tie at 4 goes to chats (orders < chats < traffic); after
        // c4 the chats input is empty and still running, so t4 waits.
        #expect(released == ["t1", "c2", "c4"])
        a.settled[Int(InputTopic.chats.rawValue)] = true
        a.release { p, _, _ in released.append(p.event.eventID) }
        #expect(released == ["t1", "c2", "c4", "t4"])
        #expect(a.buffered == 0)
    }

    /// An old record written after newer ones of another input (record
    /// timestamps) is released first, as event time says, but carries the
    /// newer event time in `seen`, for its `late` check; newer records
    /// written after it do not count.
    @Test func aReleasedEventCarriesWhatOtherInputsHadBeenSentBeforeIt() {
        var a = InputAligner()
        a.settled = [true, true, true]
        func add(_ id: String, _ input: InputTopic, at second: Int64, written: Int64, offset: Int64) {
            let e = Self.event(id, input, at: second)
            let value: [UInt8] = Array(id.utf8)
            value.withUnsafeBytes { a.append(e, from: input, recordTimestamp: activityStart + .seconds(written), offset: offset, key: nil, value: $0) }
        }
        add("t1", .traffic, at: 1000, written: 1000, offset: 0)
        add("c1", .chats, at: 2000, written: 2000, offset: 0)
        add("old", .orders, at: 10, written: 1500, offset: 0)   // written after t1, before c1
        var released: [(String, Int64)] = []
        a.release { p, _, _ in released.append((p.event.eventID, p.seen)) }
        #expect(released.map(\.0) == ["old", "t1", "c1"])
        #expect(released[0].1 == (activityStart + .seconds(1000)).millis)   // t1, not c1
        #expect(released[1].1 == .min)   // c1 was written after t1
        #expect(released[2].1 == .min)
    }

    @Test func announcesTheEventPrefetchDistanceAheadInTheSameInputAcrossChunks() {
        var a = InputAligner()
        a.settled = [true, true, true]
        // 300 traffic events: two chunks (256 + 44).
        let n = 300, d = PartitionKPIState.prefetchDistance
        for i in 0..<n { Self.append(&a, Self.event("t\(i)", .traffic, at: Int64(i)), .traffic, offset: Int64(i)) }
        var log: [String] = []
        a.release(upcoming: { log.append("next " + $0.eventID) }) { p, _, bytes in
            // The record bytes handed over are the event's own.
            #expect(p.value.map { String(decoding: bytes[$0], as: UTF8.self) } == p.event.eventID)
            log.append(p.event.eventID)
        }
        // Before event i comes the announcement of event i + d, while there is one.
        var expected: [String] = []
        for i in 0..<n {
            if i + d < n { expected.append("next t\(i + d)") }
            expected.append("t\(i)")
        }
        #expect(log == expected)
        #expect(log.contains("next t\(InputAligner.chunkSize)"), "announced across the chunk boundary")
    }
}
