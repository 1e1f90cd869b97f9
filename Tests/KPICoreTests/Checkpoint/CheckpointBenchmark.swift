import Foundation
import Testing
@testable import KPICore

/// Checkpoint size and speed for a large state. Runs only with `KPI_BENCH=1`
/// (meant for `swift test -c release --filter CheckpointBenchmark`).
@Suite struct CheckpointBenchmark {
    /// Two days of `ThroughputBenchmark`'s synthetic traffic (20 shops × 30
    /// agents, 5 channels, 20 campaigns): ≈ 1,100 scopes × 7–8 windows.
    static func largeState(eventsPerDay: Int) -> PartitionKPIState {
        var state = makeState { $0.teams = [.init(name: "T", agents: (0..<15).map { "a\($0)" })] }
        let day = ThroughputBenchmark.events(count: eventsPerDay)
        for e in day { _ = state.ingest(e, recordTimestamp: nil) }
        _ = state.drainChanged(emittedAt: EventTime(millis: 0))
        for var e in day {
            e.time = e.time + .days(1)
            e.eventID += "-2"
            _ = state.ingest(e, recordTimestamp: nil)
        }
        return state
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    @Test(.enabled(if: ThroughputBenchmark.enabled)) func checkpointSizeAndSpeed() throws {
        let state = Self.largeState(eventsPerDay: 500_000)
        let scopeWindows = state.scopes.reduce(0) { $0 + $1.windows.count + 3 }
        let clock = ContinuousClock()
        var bytes: [UInt8] = []
        var best = (checkpoint: Double.infinity, restore: Double.infinity)
        for _ in 0..<5 {
            best.checkpoint = min(best.checkpoint, Self.seconds(clock.measure { bytes = state.checkpoint() }))
            var restored: PartitionKPIState? = nil
            best.restore = min(best.restore, Self.seconds(clock.measure {
                restored = try? PartitionKPIState(checkpoint: bytes, configuration: state.configuration)
            }))
            #expect(restored?.checkpoint() == bytes)
        }
        // Section sizes, written the same way as in `checkpoint()`.
        var windows = CheckpointWriter(), dedup = CheckpointWriter(), joins = CheckpointWriter()
        let base = state.watermarkMillis ?? 0
        windows.baseTime = base; dedup.baseTime = base; joins.baseTime = base
        for s in state.scopes {
            for w in s.windows { windows.window(w) }
            windows.rolling(s.rolling)
        }
        dedup.hashKeyed(state.seenEvents) { $0.day($1) }
        for shop in state.shops {
            for (_, c) in shop.chatSessions { joins.chatSession(c) }
            for (_, b) in shop.browsingSessions { joins.browsingSession(b) }
            for (_, h) in shop.buyers { joins.buyerHistory(h) }
        }
        print("BENCH checkpoint of \(state.scopes.count) scopes, \(scopeWindows) scope × windows, \(state.seenEvents.count) dedup ids: \(bytes.count) bytes")
        print("BENCH   windows+rolling \(windows.bytes.count) B = \(windows.bytes.count / scopeWindows) B per scope × window; dedup ids \(dedup.bytes.count) B = \(String(format: "%.2f", Double(dedup.bytes.count) / Double(max(state.seenEvents.count, 1)))) B each; sessions+buyers \(joins.bytes.count) B")
        print("BENCH   checkpoint() best of 5: \(String(format: "%.1f", best.checkpoint * 1000)) ms; restore best of 5: \(String(format: "%.1f", best.restore * 1000)) ms")
        #expect(best.checkpoint < 1 && best.restore < 1)
    }

    /// Many small scopes (one ad click each, so no distinct sets or joins):
    /// the fixed cost of a scope × window.
    @Test(.enabled(if: ThroughputBenchmark.enabled)) func manySmallScopeWindows() throws {
        var e = Events()
        var state = makeState()
        for i in 0..<850 {
            _ = state.ingest(e.ad(.adClick, local(2026, 11, 21, 10), channel: "ch\(i)", campaign: "cmp\(i)", cost: 1), recordTimestamp: nil)
        }
        _ = state.drainChanged(emittedAt: EventTime(millis: 1))
        let scopeWindows = state.scopes.reduce(0) { $0 + $1.windows.count + 3 }
        let clock = ContinuousClock()
        var bytes: [UInt8] = []
        var best = (checkpoint: Double.infinity, restore: Double.infinity)
        for _ in 0..<5 {
            best.checkpoint = min(best.checkpoint, Self.seconds(clock.measure { bytes = state.checkpoint() }))
            best.restore = min(best.restore, Self.seconds(clock.measure {
                _ = try? PartitionKPIState(checkpoint: bytes, configuration: state.configuration)
            }))
        }
        print("BENCH \(scopeWindows) small scope × windows (emitted once): \(bytes.count) bytes = \(bytes.count / scopeWindows) B each; checkpoint \(String(format: "%.1f", best.checkpoint * 1000)) ms, restore \(String(format: "%.1f", best.restore * 1000)) ms")
        #expect(best.checkpoint < 1 && best.restore < 1)
    }
}
