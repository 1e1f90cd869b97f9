import HeapModule

/// When each slot of an `AlertBook` (a tracked window, or a scope's no-data
/// watch) is next due for evaluation by time alone, as a heap with at most
/// one live entry per slot.
///
/// A slot's due time is rescheduled at every evaluation, and mostly later
/// (a silence's limit moves with each event of its scope): pushing an entry
/// each time grew the heap by one per event, each push and each stale pop
/// paying its logarithm. Here a later time leaves the slot's earlier entry
/// in place; when that entry comes due, the slot's actual due time decides
/// (`take`): due now, or queued again for its later time.
struct DueSchedule: Sendable {
    private struct Entry: Comparable, Sendable {
        var time: Int64
        var slot: Int32
        static func < (a: Entry, b: Entry) -> Bool { (a.time, a.slot) < (b.time, b.slot) }
    }

    private var heap = Heap<Entry>()
    /// Per slot, the time of its live heap entry; `.max`: none.
    private var queued: [Int64] = []

    /// The slot is due at `time` (`.max`: only when touched), replacing what
    /// was scheduled for it before.
    mutating func schedule(_ slot: Int32, at time: Int64) {
        let i = Int(slot)
        if i >= queued.count { queued += Array(repeating: .max, count: i + 1 - queued.count) }
        // An entry at or before `time` already wakes the slot in time.
        guard time != .max, time < queued[i] else { return }
        queued[i] = time
        heap.insert(Entry(time: time, slot: slot))
    }

    /// The earliest time a slot may be due at (`.max`: none): nothing is
    /// due before it. May be earlier than any slot's actual due time (a
    /// slot moved later keeps its earlier entry).
    var earliest: Int64 { heap.min?.time ?? .max }

    /// Appends to `due` every slot whose due time (`dueTime(slot)`, as set
    /// by the book) is at or before `now`, in time order; slots whose due
    /// time moved later are queued again.
    mutating func take(through now: Int64, dueTime: (Int32) -> Int64, into due: inout [Int32]) {
        while let top = heap.min, top.time <= now {
            let e = heap.removeMin()
            let i = Int(e.slot)
            guard queued[i] == e.time else { continue }  // superseded by an earlier entry
            queued[i] = .max
            let time = dueTime(e.slot)
            if time == .max { continue }
            if time <= now {
                due.append(e.slot)
            } else {
                schedule(e.slot, at: time)
            }
        }
    }
}
