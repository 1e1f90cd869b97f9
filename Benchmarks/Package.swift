// swift-tools-version: 6.1
// Benchmarks of kpi-ingest (ordo-one/benchmark). Run from this folder:
//   swift package --allow-writing-to-package-directory benchmark
// A separate package so that the service's own build and tests never build
// the benchmark tooling.
import PackageDescription

let package = Package(
    name: "kpi-ingest-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named explicitly: a path dependency's identity is otherwise its folder name.
        .package(name: "kpi-ingest", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The baseline of the user-shape benchmarks: a plain librdkafka
        // consume loop over the input topics (used by `plain-consume` and `UserShapes`).
        .target(
            name: "PlainConsume",
            dependencies: [.product(name: "CRdKafka", package: "kpi-ingest")],
            path: "Sources/PlainConsume"
        ),
        // `plain-consume --brokers B`: that loop as a process of its own, for user-shapes.sh.
        .executableTarget(
            name: "plain-consume",
            dependencies: ["PlainConsume"],
            path: "Sources/plain-consume"
        ),
        // kpi-ingest backfill as users run it (a process, the shipped config,
        // the broker in another process) against the plain loop, per data shape.
        .executableTarget(
            name: "UserShapes",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "PlainConsume",
            ],
            path: "Benchmarks/UserShapes",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "KafkaConsume",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KafkaClient", package: "kpi-ingest"),
                .product(name: "CRdKafka", package: "kpi-ingest"),
            ],
            path: "Benchmarks/KafkaConsume",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "KPIPipeline",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KafkaClient", package: "kpi-ingest"),
                .product(name: "CRdKafka", package: "kpi-ingest"),
                .product(name: "KPICore", package: "kpi-ingest"),
                .product(name: "EventGenerator", package: "kpi-ingest"),
                .product(name: "KPIService", package: "kpi-ingest"),
            ],
            path: "Benchmarks/KPIPipeline",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
