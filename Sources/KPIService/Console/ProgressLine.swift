import Foundation

/// Progress of long work (backfill, generate) on stderr: a line rewritten in
/// place when stderr is a terminal, nothing otherwise; and one summary line
/// at the end either way (interfaces.md).
public struct ProgressLine {
    private let enabled: Bool
    private var lastDraw: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    public init(forceEnabled: Bool? = nil) {
        enabled = forceEnabled ?? (isatty(STDERR_FILENO) == 1)
    }

    /// Redraws the line at most ten times a second.
    public mutating func update(_ text: @autoclosure () -> String) {
        guard enabled else { return }
        let now = clock.now
        if let lastDraw, now - lastDraw < .milliseconds(100) { return }
        lastDraw = now
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text())".utf8))
    }

    /// Clears the progress line and prints the summary.
    public func finish(_ summary: String) {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardError.write(Data("\(summary)\n".utf8))
    }
}
