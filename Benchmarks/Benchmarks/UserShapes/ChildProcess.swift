import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct UserShapesError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A child process started with `posix_spawn`, so that `wait4` gives its own
/// resource usage (peak RSS, CPU) rather than the sum over every child.
struct ChildProcess {
    let pid: pid_t
    let command: String

    /// Starts `arguments[0]` (a path) with `environment`, standard input from
    /// /dev/null and standard output and error to the given files (created anew).
    static func spawn(_ arguments: [String], environment: [String: String], stdout: String, stderr: String) throws -> ChildProcess {
        // Nothing but 0, 1 and 2 reaches the child: a broker that outlives this
        // process must not hold the pipes ordo-one reads this process through.
        closeOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        // A clean signal state: the benchmark runner's threads block signals,
        // and a child that inherits a blocked SIGTERM (e.g. /usr/bin/timeout
        // around the broker) never stops on it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard rc == 0 else { throw UserShapesError("could not start \(arguments[0]): \(String(cString: strerror(rc)))") }
        return ChildProcess(pid: pid, command: arguments.prefix(2).joined(separator: " "))
    }

    /// Marks every open descriptor above 2 close-on-exec.
    static func closeOnExec() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let fd = Int32(name), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// Waits for the process to end: its exit status (or 128 + signal) and resource usage.
    func wait() throws -> (status: Int32, usage: rusage) {
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw UserShapesError("wait4 \(command): \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
        let signal = status & 0x7f
        return (signal == 0 ? (status >> 8) & 0xff : 128 + signal, usage)
    }

    /// Runs to the end; throws with the tail of its standard error when it fails.
    static func run(_ arguments: [String], environment: [String: String], stdout: String, stderr: String) throws -> rusage {
        let child = try spawn(arguments, environment: environment, stdout: stdout, stderr: stderr)
        let (status, usage) = try child.wait()
        guard status == 0 else {
            let tail = ((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "").split(separator: "\n").suffix(10).joined(separator: "\n")
            throw UserShapesError("\(child.command) exited with \(status):\n\(tail)")
        }
        return usage
    }
}

extension rusage {
    /// Peak resident set in MB (`ru_maxrss` is in KiB on Linux).
    var peakResidentMB: Int { Int(ru_maxrss) / 1024 }
    /// User + system CPU in milliseconds.
    var cpuMilliseconds: Int {
        Int(ru_utime.tv_sec + ru_stime.tv_sec) * 1000 + Int(ru_utime.tv_usec + ru_stime.tv_usec) / 1000
    }
}

/// Whether a process with this pid exists and runs `kpi-ingest broker`.
func isBrokerProcess(_ pid: pid_t) -> Bool {
    guard pid > 0, kill(pid, 0) == 0,
          let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
    let args = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    return args.contains("broker") && args.contains { $0.hasSuffix("kpi-ingest") }
}

/// Stops a broker we started (SIGTERM, then SIGKILL after 10 s).
func stopBroker(_ pid: pid_t) {
    guard isBrokerProcess(pid) else { return }
    kill(pid, SIGTERM)
    for _ in 0..<100 {
        usleep(100_000)
        // Reaped if it is our child; gone (or a zombie, whose cmdline is empty) otherwise.
        if waitpid(pid, nil, WNOHANG) == pid || !isBrokerProcess(pid) { return }
    }
    kill(pid, SIGKILL)
    _ = waitpid(pid, nil, WNOHANG)
}
