import Benchmark
import Foundation
import PlainConsume
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Backfill measured the way users run it (issue "stream speed"): the
// `kpi-ingest backfill` process with the shipped config/kpi-ingest.yaml,
// the broker (`kpi-ingest broker`) in another process, wall clock, data
// shapes from `kpi-ingest generate`, each compared in the same run with a
// plain librdkafka consume loop over the same broker and records.
//
//   cd Benchmarks && swift package --disable-sandbox benchmark --target UserShapes
//
// Environment: KPI_SHAPES (sparse,dense,wide,restore; default sparse,dense),
// KPI_INGEST_BIN (default ../.build/release/kpi-ingest: build it first with
// `swift build -c release`), KPI_CONFIG (default config/kpi-ingest.yaml),
// WIDE_PARTITIONS (default 512), RESTORE_TIMEOUT (seconds, default 3600).
//
// ordo-one runs each benchmark in a process of its own, so a shape's broker
// outlives them: the first benchmark of a shape starts it and generates the
// data (state in Benchmarks/.build/user-shapes/), the next ones reuse it,
// and the last benchmark over that data stops it. A broker left
// behind by an interrupted run is stopped by the next run, and ends by
// itself after KPI_BROKER_LIFETIME seconds (default 21600) in any case.
// Shape `restore` (not in the default): `kpi-ingest run` with a fresh
// consumer group over the sparse history, from launch to the first 200 of
// GET /readyz, against the plain loop over the same records.

struct Shape: Sendable {
    let name: String
    /// The data set (and so the broker): shapes over the same data share it.
    let data: String
    let partitions: Int32
    let generate: [String]
    /// Restore by replay (`kpi-ingest run` until /readyz) instead of backfill.
    var restore = false
}

let environment = ProcessInfo.processInfo.environment

let allShapes: [Shape] = [
    // ~1.2M generated; the mock broker keeps ~5 MiB per partition, so ~1.0M remain (the shape users reported).
    Shape(name: "sparse", data: "sparse", partitions: 128, generate: sparseHistory),
    Shape(name: "dense", data: "dense", partitions: 128, generate: ["--rate", "12", "--duration", "1d", "--start", "2026-11-20", "--shops", "40", "--seed", "7"]),
    // ~2.6M records; enough partitions that the mock keeps everything (checked at setup).
    Shape(name: "wide", data: "wide", partitions: Int32(environment["WIDE_PARTITIONS"] ?? "") ?? 512,
          generate: ["--rate", "1", "--duration", "30d", "--start", "2026-11-01", "--shops", "500", "--seed", "7"]),
    // `kpi-ingest run` with a fresh consumer group over the sparse history, from launch to the first 200 of /readyz.
    Shape(name: "restore", data: "sparse", partitions: 128, generate: sparseHistory, restore: true),
]

let sparseHistory = ["--rate", "1", "--duration", "14d", "--start", "2026-11-01", "--shops", "40", "--seed", "7"]

/// The shapes this run measures (KPI_SHAPES), in ordo-one's order (by name).
let selectedShapes: [Shape] = {
    let names = (environment["KPI_SHAPES"] ?? "sparse,dense").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    return allShapes.filter { names.contains($0.name) }.sorted { $0.name < $1.name }
}()

enum Paths {
    /// The repository: four levels above this file (Benchmarks/Benchmarks/UserShapes/UserShapes.swift).
    static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let kpiIngest = environment["KPI_INGEST_BIN"] ?? repository + "/.build/release/kpi-ingest"
    static let config = environment["KPI_CONFIG"] ?? repository + "/config/kpi-ingest.yaml"
    static let state = repository + "/Benchmarks/.build/user-shapes"
    /// A file of the shape's data set (its broker, generate log) ...
    static func data(_ shape: Shape, _ suffix: String) -> String { "\(state)/\(shape.data).\(suffix)" }
    /// ... or of the shape's runs.
    static func file(_ shape: Shape, _ suffix: String) -> String { "\(state)/\(shape.name).\(suffix)" }
}

/// The environment of the processes we start. kpi-ingest reads every
/// KPI_INGEST_* variable as a configuration override and refuses one that
/// names no key, so KPI_INGEST_BIN must not reach it.
let childEnvironment: [String: String] = environment.filter { $0.key != "KPI_INGEST_BIN" }

/// A shape's running broker and what it holds.
struct BrokerState: Sendable {
    var pid: pid_t
    var bootstrap: String
    var records: Int64

    static func load(_ shape: Shape) -> BrokerState? {
        guard let text = try? String(contentsOfFile: Paths.data(shape, "broker"), encoding: .utf8) else { return nil }
        let f = text.split(whereSeparator: \.isWhitespace)
        guard f.count == 3, let pid = pid_t(f[0]), let records = Int64(f[2]) else { return nil }
        return BrokerState(pid: pid, bootstrap: String(f[1]), records: records)
    }

    func save(_ shape: Shape) throws {
        try "\(pid) \(bootstrap) \(records)\n".write(toFile: Paths.data(shape, "broker"), atomically: true, encoding: .utf8)
    }

    static func remove(_ shape: Shape) {
        try? FileManager.default.removeItem(atPath: Paths.data(shape, "broker"))
    }
}

let brokers = Mutex<[String: BrokerState]>([:])

func note(_ line: String) {
    FileHandle.standardError.write(Data("UserShapes: \(line)\n".utf8))
}

/// The shape's broker with its data: a live one left by an earlier
/// benchmark of this run, or a new one, filled by `kpi-ingest generate`.
func prepare(_ shape: Shape) throws {
    guard FileManager.default.isExecutableFile(atPath: Paths.kpiIngest) else {
        throw UserShapesError("no kpi-ingest at \(Paths.kpiIngest): build it (swift build -c release in the repository) or set KPI_INGEST_BIN")
    }
    try FileManager.default.createDirectory(atPath: Paths.state, withIntermediateDirectories: true)
    if let s = BrokerState.load(shape), isBrokerProcess(s.pid),
       let marks = try? PlainConsume.watermarks(bootstrap: s.bootstrap),
       marks.count == 3 * Int(shape.partitions), marks.reduce(0, { $0 + $1.records }) == s.records {
        brokers.withLock { $0[shape.data] = s }
        return
    }
    // One broker at a time: stop the others (and a stale one of this shape).
    for other in allShapes {
        if let s = BrokerState.load(other) { stopBroker(s.pid) }
        BrokerState.remove(other)
    }
    let lifetime = environment["KPI_BROKER_LIFETIME"] ?? "21600"
    let out = Paths.data(shape, "broker.out")
    let child = try ChildProcess.spawn(
        ["/usr/bin/timeout", "--signal=TERM", lifetime, Paths.kpiIngest, "broker", "--partitions", "\(shape.partitions)", "--config", Paths.config],
        environment: childEnvironment, stdout: out, stderr: Paths.data(shape, "broker.err"))
    // The first line of its standard output is the bootstrap address.
    var bootstrap = ""
    for _ in 0..<300 {
        if let text = try? String(contentsOfFile: out, encoding: .utf8), let line = text.split(separator: "\n").first {
            bootstrap = String(line)
            break
        }
        usleep(100_000)
    }
    guard !bootstrap.isEmpty else {
        stopBroker(child.pid)
        throw UserShapesError("kpi-ingest broker printed no address within 30 s (see \(Paths.data(shape, "broker.err")))")
    }
    let began = ContinuousClock.now
    _ = try ChildProcess.run([Paths.kpiIngest, "generate", "--config", Paths.config, "--brokers", bootstrap] + shape.generate,
                             environment: childEnvironment, stdout: "/dev/null", stderr: Paths.data(shape, "generate.err"))
    let generated = ((try? String(contentsOfFile: Paths.data(shape, "generate.err"), encoding: .utf8)) ?? "")
        .split(separator: "\n").last { $0.hasPrefix("generate:") } ?? "generate: ?"
    let marks = try PlainConsume.watermarks(bootstrap: bootstrap)
    let kept = marks.reduce(0) { $0 + $1.records }
    let truncated = marks.filter { $0.low > 0 }.count
    note("\(shape.data): broker \(bootstrap), \(marks.count) input partitions; \(generated) (\(Int(PlainConsume.seconds(ContinuousClock.now - began))) s); the broker keeps \(kept) records, \(truncated) partitions truncated")
    if shape.name == "wide" && truncated > 0 {
        note("WARNING: the mock broker dropped records of the wide shape: raise WIDE_PARTITIONS (now \(shape.partitions))")
    }
    let state = BrokerState(pid: child.pid, bootstrap: bootstrap, records: kept)
    try state.save(shape)
    brokers.withLock { $0[shape.data] = state }
}

/// After the shape's last benchmark: stops its broker unless a later shape of this run uses the same data.
func finish(_ shape: Shape) {
    if selectedShapes.contains(where: { $0.data == shape.data && $0.name > shape.name }) { return }
    if let s = BrokerState.load(shape) { stopBroker(s.pid) }
    BrokerState.remove(shape)
    _ = brokers.withLock { $0.removeValue(forKey: shape.data) }
}

func bootstrap(_ shape: Shape) throws -> String {
    guard let s = brokers.withLock({ $0[shape.data] }) else { throw UserShapesError("no broker for \(shape.name): setup failed") }
    return s.bootstrap
}

/// One plain consume of the shape's records (a fresh group id each time).
func plainConsume(_ shape: Shape) throws -> PlainConsume.Result {
    let r = try PlainConsume.run(bootstrap: try bootstrap(shape), groupID: "user-shapes-plain-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    guard Int64(r.records) == r.expected else { throw UserShapesError("plain consume read \(r.records) of \(r.expected) records") }
    return r
}

func rate(_ records: Int, _ d: Duration) -> Double {
    let s = PlainConsume.seconds(d)
    return s > 0 ? Double(records) / s : 0
}

let recordsRead = BenchmarkMetric.custom("records read", polarity: .prefersLarger, useScalingFactor: false)
let recordsPerSecond = BenchmarkMetric.custom("records/s", polarity: .prefersLarger, useScalingFactor: false)
let plainRecordsPerSecond = BenchmarkMetric.custom("plain records/s, same iteration", polarity: .prefersLarger, useScalingFactor: false)
/// Per mille, not percent: today's backfill runs at ~1% of the plain loop, and custom metrics are integers.
let perMilleOfPlain = BenchmarkMetric.custom("‰ of plain rate, same iteration", polarity: .prefersLarger, useScalingFactor: false)
let peakRSS = BenchmarkMetric.custom("kpi-ingest peak RSS (MB)", polarity: .prefersSmaller, useScalingFactor: false)
let cpuTime = BenchmarkMetric.custom("kpi-ingest CPU (ms)", polarity: .prefersSmaller, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock],
        timeUnits: .milliseconds,
        warmupIterations: 0,
        scalingFactor: .one,
        // Each backfill takes seconds to minutes: at most 3 iterations, fewer once 5 minutes have passed.
        maxDuration: .seconds(300),
        maxIterations: 3
    )
    let wanted = (environment["KPI_SHAPES"] ?? "sparse,dense").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    for name in wanted where !allShapes.contains(where: { $0.name == name }) {
        note("unknown shape \(name) in KPI_SHAPES (known: \(allShapes.map(\.name).joined(separator: ", ")))")
    }
    // ordo-one runs a target's benchmarks sorted by name: per shape, "1: plain" before "2: kpi-ingest".
    for shape in selectedShapes {
        Benchmark("\(shape.name) 1: plain librdkafka consume loop",
                  configuration: .init(metrics: [.wallClock, recordsRead, recordsPerSecond, .peakMemoryResident],
                                       setup: { try prepare(shape) })) { benchmark in
            benchmark.startMeasurement()
            let began = ContinuousClock.now
            let r = try plainConsume(shape)
            let took = ContinuousClock.now - began
            benchmark.stopMeasurement()
            blackHole(r.checksum)
            benchmark.measurement(recordsRead, r.records)
            benchmark.measurement(recordsPerSecond, Int(rate(r.records, took)))
        }

        // Each iteration: the plain loop first (not in the wall clock), then the
        // kpi-ingest process, so the ratio pairs runs that saw the same machine state.
        let name = shape.restore ? "kpi-ingest run, launch to /readyz 200 (fresh group)" : "kpi-ingest backfill process"
        Benchmark("\(shape.name) 2: \(name)",
                  configuration: .init(metrics: [.wallClock, recordsRead, recordsPerSecond, plainRecordsPerSecond, perMilleOfPlain, peakRSS, cpuTime],
                                       setup: { try prepare(shape) },
                                       teardown: { finish(shape) })) { benchmark in
            let plainBegan = ContinuousClock.now
            let plain = try plainConsume(shape)
            let plainRate = rate(plain.records, ContinuousClock.now - plainBegan)
            let run = shape.restore ? try restore(shape, benchmark) : try backfill(shape, benchmark)
            if run.records != plain.records { note("\(shape.name): kpi-ingest read \(run.records) records, the plain loop \(plain.records)") }
            let kpiRate = rate(run.records, run.took)
            benchmark.measurement(recordsRead, run.records)
            benchmark.measurement(recordsPerSecond, Int(kpiRate))
            benchmark.measurement(plainRecordsPerSecond, Int(plainRate))
            benchmark.measurement(perMilleOfPlain, plainRate > 0 ? Int((1000 * kpiRate / plainRate).rounded()) : 0)
            benchmark.measurement(peakRSS, run.usage.peakResidentMB)
            benchmark.measurement(cpuTime, run.usage.cpuMilliseconds)
        }
    }
}

/// One measured kpi-ingest process: records it read, the measured wall time, its own resource usage.
struct Measured {
    var records: Int
    var took: Duration
    var usage: rusage
}

/// `kpi-ingest backfill` as users run it; measured from launch to exit.
func backfill(_ shape: Shape, _ benchmark: Benchmark) throws -> Measured {
    let err = Paths.file(shape, "backfill.err")
    let arguments = [Paths.kpiIngest, "backfill", "--config", Paths.config, "--brokers", try bootstrap(shape),
                     "--from", "2026-10-25", "--output", Paths.file(shape, "snapshots.jsonl"), "--alerts", Paths.file(shape, "alerts.jsonl")]
    benchmark.startMeasurement()
    let began = ContinuousClock.now
    let usage = try ChildProcess.run(arguments, environment: childEnvironment, stdout: "/dev/null", stderr: err)
    let took = ContinuousClock.now - began
    benchmark.stopMeasurement()
    // "backfill: N records from P partitions: ..."
    let summary = ((try? String(contentsOfFile: err, encoding: .utf8)) ?? "").split(separator: "\n").last { $0.hasPrefix("backfill: ") } ?? ""
    guard let records = summary.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
        throw UserShapesError("no summary line from kpi-ingest backfill (see \(err))")
    }
    return Measured(records: records, took: took, usage: usage)
}

/// `kpi-ingest run` with a fresh consumer group, measured from launch to the
/// first 200 of GET /readyz (polled every 50 ms); then stopped with SIGTERM.
/// A fresh state topic too, so that no checkpoint left by an earlier
/// iteration short-cuts the replay (the mock broker creates it on the first
/// checkpoint). Records: the consumed counters of /metrics at readiness.
func restore(_ shape: Shape, _ benchmark: Benchmark) throws -> Measured {
    let port = try LocalHTTP.freePort()
    let group = "kpi-ingest-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    var env = childEnvironment
    env["KPI_INGEST_KAFKA_GROUP_ID"] = group
    env["KPI_INGEST_KAFKA_TOPICS_STATE"] = "kpi.state.\(group)"
    let err = Paths.file(shape, "run.err")
    let arguments = [Paths.kpiIngest, "run", "--config", Paths.config, "--brokers", try bootstrap(shape), "--port", "\(port)"]
    let timeout = Duration.seconds(Int(environment["RESTORE_TIMEOUT"] ?? "") ?? 3600)
    benchmark.startMeasurement()
    let began = ContinuousClock.now
    let child = try ChildProcess.spawn(arguments, environment: env, stdout: Paths.file(shape, "run.out"), stderr: err)
    var ready = false
    while ContinuousClock.now - began < timeout && !isZombieOrGone(child.pid) {
        if let r = LocalHTTP.get(port: port, path: "/readyz"), r.status == 200 { ready = true; break }
        usleep(50_000)
    }
    let took = ContinuousClock.now - began
    benchmark.stopMeasurement()
    var records = 0
    if ready, let metrics = LocalHTTP.get(port: port, path: "/metrics", timeoutSeconds: 10) {
        // kpi_ingest_records_consumed_total{topic="shop.orders"} 33688
        for line in metrics.body.split(separator: "\n") where line.hasPrefix("kpi_ingest_records_consumed_total{") {
            guard PlainConsume.inputTopics.contains(where: { line.contains("topic=\"\($0)\"") }),
                  let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            records += Int(value)
        }
    }
    kill(child.pid, SIGTERM)
    for _ in 0..<600 where !isZombieOrGone(child.pid) { usleep(100_000) }
    if !isZombieOrGone(child.pid) {
        note("\(shape.name): kpi-ingest run did not stop within 60 s of SIGTERM: killed")
        kill(child.pid, SIGKILL)
    }
    let (status, usage) = try child.wait()
    guard ready else {
        throw UserShapesError("kpi-ingest run was not ready within \(timeout) (exit status \(status); see \(err))")
    }
    if status != 0 { note("\(shape.name): kpi-ingest run exited with \(status) after SIGTERM (see \(err))") }
    return Measured(records: records, took: took, usage: usage)
}

/// Whether a child has ended (a zombie until waited for) or does not exist.
func isZombieOrGone(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    // "pid (comm) S ...": the state follows the command name.
    return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}
