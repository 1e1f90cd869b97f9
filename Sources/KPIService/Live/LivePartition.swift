import KPICore

/// One input partition (the same number on the three input topics) as the
/// live ingester holds it: its KPI state, its aligner, and how far its
/// restore replay has come.
struct LivePartition {
    let partition: Int32
    var work: PartitionWork
    var aligner = InputAligner()
    /// Per input: offsets the restore replays, `[from, to)`; done when empty.
    private var restoreFrom = [Int64](repeating: 0, count: 3)
    private var restoreTo = [Int64](repeating: 0, count: 3)
    /// Per input: the next offset after the last record seen / released.
    private var seen = [Int64?](repeating: nil, count: 3)
    private var releasedNext = [Int64?](repeating: nil, count: 3)
    private(set) var restoring = true

    init(partition: Int32, work: PartitionWork) {
        self.partition = partition
        self.work = work
    }

    mutating func setRestoreRange(_ input: InputTopic, from: Int64, to: Int64) {
        restoreFrom[Int(input.rawValue)] = from
        restoreTo[Int(input.rawValue)] = to
        // Everything before `from` is in the restored state (or outside
        // retention): processed, so it is committed even when nothing new
        // arrives (a checkpoint that covers the input to its end).
        seen[Int(input.rawValue)] = from
        // Nothing to read yet (e.g. a checkpoint covers the input to its end):
        // do not hold the other inputs back waiting for it; a new record
        // un-settles it (`sawRecord`).
        if from >= to { aligner.settled[Int(input.rawValue)] = true }
    }

    mutating func sawRecord(_ input: InputTopic, offset: Int64) {
        let i = Int(input.rawValue)
        seen[i] = offset + 1
        aligner.settled[i] = false
    }

    /// The input has nothing more for now: do not wait for it when aligning.
    mutating func reachedEnd(_ input: InputTopic) {
        aligner.settled[Int(input.rawValue)] = true
    }

    mutating func released(_ input: InputTopic, offset: Int64) {
        releasedNext[Int(input.rawValue)] = offset + 1
    }

    /// The next offset to commit for an input: nothing buffered before it is unprocessed.
    func processedUpTo(_ input: InputTopic) -> Int64? {
        let i = Int(input.rawValue)
        return aligner.buffered(input) > 0 ? releasedNext[i] : seen[i]
    }

    /// The first offset of an input not yet in the KPI state: where a restore from a checkpoint of it resumes.
    func resumeOffset(_ input: InputTopic) -> Int64 {
        processedUpTo(input) ?? restoreFrom[Int(input.rawValue)]
    }

    /// Live once every input has been processed up to the end offsets taken at assignment.
    mutating func updateRestore() {
        guard restoring else { return }
        restoring = (0..<3).contains { i in
            restoreTo[i] > restoreFrom[i] && (processedUpTo(InputTopic(rawValue: UInt8(i))!) ?? restoreFrom[i]) < restoreTo[i]
        }
    }

    var restoreProgress: Double {
        let total = (0..<3).reduce(Int64(0)) { $0 + max(0, restoreTo[$1] - restoreFrom[$1]) }
        guard total > 0, restoring else { return 1 }
        let done = (0..<3).reduce(Int64(0)) { sum, i in
            let upTo = processedUpTo(InputTopic(rawValue: UInt8(i))!) ?? restoreFrom[i]
            return sum + max(0, min(upTo, restoreTo[i]) - restoreFrom[i])
        }
        return Double(done) / Double(total)
    }
}
