import Foundation
import Synchronization

/// Set by the SIGINT / SIGTERM handler (an atomic store is async-signal-safe).
private let processStopRequested = Atomic<Bool>(false)

/// Ctrl-C and SIGTERM as a flag the long-running loops check between
/// batches, so they stop cleanly (flush, commit) instead of dying mid-write.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    private let watchesProcessSignals: Bool

    public init() { watchesProcessSignals = false }
    private init(watchingProcessSignals: Bool) { watchesProcessSignals = watchingProcessSignals }

    public var isRequested: Bool {
        flag.load(ordering: .acquiring) || (watchesProcessSignals && processStopRequested.load(ordering: .acquiring))
    }

    public func request() { flag.store(true, ordering: .releasing) }

    /// A stop signal that SIGINT and SIGTERM of this process also set.
    public static func installedForProcess() -> StopSignal {
        var mask = sigset_t()
        sigemptyset(&mask)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in processStopRequested.store(true, ordering: .releasing) }
            sigaddset(&mask, sig)
        }
        // A parent may have started us with these signals blocked (they are
        // inherited): a service that ignores SIGTERM cannot stop cleanly.
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        return StopSignal(watchingProcessSignals: true)
    }
}
