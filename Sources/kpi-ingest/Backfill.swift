import ArgumentParser
import Dispatch
import Foundation
import KafkaClient
import KPICore
import KPIService
import Synchronization

/// `kpi-ingest backfill`: rebuilds every window from the input topics and
/// prints the final snapshots as JSON Lines.
struct Backfill: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the input topics from a time and write every window's final snapshot as JSON Lines.")

    @Option(help: "Kafka bootstrap servers, comma-separated (overrides kafka.brokers of the config).")
    var brokers: String?

    @Option(help: "Replay from this time: RFC 3339 or a date (local midnight in the configured time zone).")
    var from: String

    @Option(help: "Replay up to this time (default: the end offsets taken at start).")
    var until: String?

    @Option(help: "Write the snapshots to this file (default: standard output).")
    var output: String?

    @Option(help: "Also write the alert notifications the replay raised, in order, as JSON Lines to this file.")
    var alerts: String?

    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        // The form only (the configured zone decides the instant, not whether
        // it parses): a mistake is shown with backfill's usage, not the top-level one.
        _ = try parseInstant(from, flag: "--from", timeZone: .gmt)
        if let until { _ = try parseInstant(until, flag: "--until", timeZone: .gmt) }
    }

    func run() throws {
        let service = configOptions.load(brokers: brokers)
        let configuration = service.kpi
        let zone = TimeZone(identifier: configuration.timeZoneID)!
        let fromTime = try parseInstant(from, flag: "--from", timeZone: zone)
        let untilTime = try until.map { try parseInstant($0, flag: "--until", timeZone: zone) }
        if let untilTime, untilTime <= fromTime { throw ValidationError("--until must be after --from.") }
        do {
            let kafka = service.kafka.clientConfiguration
            let consumer = try KafkaConsumer(configuration: kafka, groupID: nil)
            try consumer.waitUntilReachable(timeout: .milliseconds(service.kafka.brokerTimeout.millis))
            let deadLetters = DeadLetterSink(producer: try KafkaProducer(configuration: kafka), topic: service.kafka.topics.deadLetter)
            // Opened before the replay: a path that cannot be written fails now, not after it.
            let snapshotOut = try LineWriter(path: output, flag: "--output")
            let alertOut = try alerts.map { try LineWriter(path: $0, flag: "--alerts") }
            var progress = ProgressLine()
            let began = Date()
            let zoneRules = try ZoneRules(identifier: configuration.timeZoneID)
            let digits = configuration.fractionDigits
            // Notifications are spooled as they are raised (none kept without --alerts).
            let spool = try alerts.map { _ in
                try AlertSpool { a, out in AlertJSON.append(a, fractionDigits: digits, zone: zoneRules, to: &out) }
            }
            var dropped = 0
            var job = BackfillJob(service: service, from: fromTime, until: untilTime)
            job.alertSink = { partition, alerts in
                if let spool { try spool.add(partition: partition, alerts) } else { dropped += alerts.count }
            }
            let result = try job.run(consumer: consumer, deadLetters: deadLetters, stop: .installedForProcess(), progress: &progress, emittedAt: { EventTime(millis: Int64(Date().timeIntervalSince1970 * 1000)) })
            let (snapshots, summary) = (result.snapshots, result.summary)
            try consumer.close()
            try snapshotOut.lines(snapshots) { s, out in SnapshotJSON.append(s, fractionDigits: digits, zone: zoneRules, to: &out) }
            try snapshotOut.close()
            if let alertOut, let spool {
                try spool.write(to: alertOut)
                try alertOut.close()
            }
            let reasons = summary.deadLetteredByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            progress.finish("backfill: \(summary.consumed) records from \(summary.partitions) partitions: \(summary.counted) counted, \(summary.duplicates) duplicates, \(summary.deadLettered) dead-lettered\(reasons.isEmpty ? "" : " (\(reasons))"); \(snapshots.count) snapshots, \(spool?.count ?? dropped) alert notifications in \(String(format: "%.1f", Date().timeIntervalSince(began))) s")
        } catch {
            exitWithError(error)
        }
    }
}

/// `--config FILE`: the service configuration (YAML, `KPI_INGEST_*` overrides).
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration file (default: $KPI_INGEST_CONFIG or config/kpi-ingest.yaml; built-in defaults when that default file is absent).")
    var config: String?

    /// Whether the user named a configuration file (flag or environment).
    var isExplicit: Bool { (config ?? ProcessInfo.processInfo.environment["KPI_INGEST_CONFIG"]) != nil }

    /// Loads the configuration; every problem is printed with its place in the file and the command exits 1.
    func load(brokers: String? = nil) -> ServiceConfiguration {
        let env = ProcessInfo.processInfo.environment
        let explicit = config ?? env["KPI_INGEST_CONFIG"]
        let path = explicit ?? ServiceConfiguration.defaultPath
        do {
            var c: ServiceConfiguration
            if explicit == nil && !FileManager.default.fileExists(atPath: path) {
                c = try ServiceConfiguration.parse(yaml: "{}", source: "(built-in defaults)", environment: env)
            } else {
                c = try ServiceConfiguration.load(path: path, environment: env)
            }
            if let brokers {
                c.kafka.brokers = brokers.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            }
            return c
        } catch {
            FileHandle.standardError.write(Data("error: invalid configuration:\n".utf8))
            for problem in error.problems {
                FileHandle.standardError.write(Data("\(problem.formatted(source: error.source))\n".utf8))
            }
            Foundation.exit(1)
        }
    }
}

/// JSON Lines to a file (or standard output), written in blocks as they are
/// made: a backfill's output is never held whole in memory.
final class LineWriter {
    private let handle: FileHandle
    private let path: String
    private let flag: String
    private var buffer: [UInt8] = []
    private let ownsHandle: Bool

    /// `path` nil: standard output. Fails naming `flag` when the file cannot be created.
    init(path: String?, flag: String) throws {
        self.path = path ?? "-"
        self.flag = flag
        buffer.reserveCapacity(1 << 20)
        guard let path else {
            handle = FileHandle.standardOutput
            ownsHandle = false
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw ServiceError(.output, "Could not write \(flag) \(path): check that its folder exists and is writable")
        }
        handle = h
        ownsHandle = true
    }

    /// Appends one line made by `body` (without its newline).
    func line(_ body: (inout [UInt8]) -> Void) throws {
        body(&buffer)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends one line per item, in order, each made by `encode` (without
    /// its newline). Encoded on every CPU, a block of lines per CPU at a
    /// time (a month's backfill writes hundreds of thousands), written in order.
    func lines<Item: Sendable>(_ items: [Item], encode: @escaping @Sendable (Item, inout [UInt8]) -> Void) throws {
        guard ProcessInfo.processInfo.activeProcessorCount > 1, items.count > Self.block else {
            for item in items { try line { encode(item, &$0) } }
            return
        }
        try flush()
        try Self.encodeLines(items, encode: encode) { try write($0) }
    }

    /// Writes bytes as they are (whole lines).
    func write(_ bytes: [UInt8]) throws {
        try flush()
        buffer = bytes
        try flush()
    }

    /// Copies `length` bytes (whole lines) at `offset` of `source` to the
    /// output, in the kernel (`sendfile`).
    func copy(from source: FileHandle, offset: UInt64, length: Int) throws {
        try flush()
        var position = off_t(offset)
        var left = length
        while left > 0 {
            let n = sendfile(handle.fileDescriptor, source.fileDescriptor, &position, left)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = n < 0 ? String(cString: strerror(errno)) : "the spooled data ended early"
                throw ServiceError(.output, "Could not write \(flag) \(path): \(reason)")
            }
            left -= n
        }
    }

    private static let block = 2048

    /// Encodes one line per item (each ending in a newline) on every CPU, a
    /// block of lines per CPU at a time, handing the blocks to `take` in order.
    static func encodeLines<Item: Sendable>(_ items: [Item], encode: @escaping @Sendable (Item, inout [UInt8]) -> Void,
                                            take: ([UInt8]) throws -> Void) rethrows {
        let cpus = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var start = 0
        while start < items.count {
            let end = min(items.count, start + block * cpus)
            let slices = (end - start + block - 1) / block
            let encoded = Mutex([[UInt8]](repeating: [], count: slices))
            let first = start
            DispatchQueue.concurrentPerform(iterations: slices) { k in
                var out: [UInt8] = []
                for i in (first + k * block)..<min(end, first + (k + 1) * block) {
                    encode(items[i], &out)
                    out.append(UInt8(ascii: "\n"))
                }
                encoded.withLock { $0[k] = out }
            }
            for slice in encoded.withLock({ $0 }) { try take(slice) }
            start = end
        }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try buffer.withUnsafeBytes { try handle.write(contentsOf: $0) }
        } catch {
            throw ServiceError(.output, "Could not write \(flag) \(path): \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        if ownsHandle { try? handle.close() }
    }
}

/// The alert notifications of a backfill, spooled to an unnamed temporary
/// file as the replay raises them and written out at the end in the
/// contract's order (partition by partition, each in the order raised): a
/// month raising millions of notifications is never held in memory.
final class AlertSpool {
    private let file: FileHandle
    private let encode: @Sendable (Alert, inout [UInt8]) -> Void
    /// Per partition, its spooled blocks (where in the file, how long), in order.
    private var blocks: [Int32: [(offset: UInt64, length: Int)]] = [:]
    private var end: UInt64 = 0
    /// Notifications spooled so far.
    private(set) var count = 0

    init(encode: @escaping @Sendable (Alert, inout [UInt8]) -> Void) throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kpi-ingest-alerts-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forUpdatingAtPath: path) else {
            throw ServiceError(.output, "Could not create a temporary file for --alerts in \(FileManager.default.temporaryDirectory.path): check that it is writable (or set TMPDIR)")
        }
        // Unnamed from now on: gone with the process, however it ends.
        unlink(path)
        file = h
        self.encode = encode
    }

    /// Spools a partition's notifications (the next ones it raised).
    func add(partition: Int32, _ alerts: [Alert]) throws {
        guard !alerts.isEmpty else { return }
        count += alerts.count
        try LineWriter.encodeLines(alerts, encode: encode) { bytes in
            do {
                try file.seekToEnd()
                try bytes.withUnsafeBytes { try file.write(contentsOf: $0) }
            } catch {
                throw ServiceError(.output, "Could not spool alert notifications to a temporary file: \(error.localizedDescription) (check the free space of \(FileManager.default.temporaryDirectory.path), or set TMPDIR)")
            }
            blocks[partition, default: []].append((end, bytes.count))
            end += UInt64(bytes.count)
        }
    }

    /// Writes every spooled notification to `out`, partitions in order.
    func write(to out: LineWriter) throws {
        for p in blocks.keys.sorted() {
            for b in blocks[p]! { try out.copy(from: file, offset: b.offset, length: b.length) }
        }
    }
}
