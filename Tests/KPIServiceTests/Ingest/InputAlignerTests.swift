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
