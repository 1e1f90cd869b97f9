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
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in processStopRequested.store(true, ordering: .releasing) }
        }
        unblockTerminationSignals()
        return StopSignal(watchingProcessSignals: true)
    }

    /// A parent may have started us with SIGINT and SIGTERM blocked (the mask
    /// is inherited): a service that never sees SIGTERM cannot stop cleanly.
    /// Call on the main thread before starting other threads, which inherit it.
    public static func unblockTerminationSignals() {
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }
}
