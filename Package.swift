// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "kpi-ingest",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kpi-ingest", targets: ["kpi-ingest"]),
        .library(name: "KafkaClient", targets: ["KafkaClient"]),
        // For Benchmarks/: the plain librdkafka C API as the baseline.
        .library(name: "CRdKafka", targets: ["CRdKafka"]),
        .library(name: "KPICore", targets: ["KPICore"]),
        .library(name: "EventGenerator", targets: ["EventGenerator"]),
        .library(name: "KPIService", targets: ["KPIService"]),
        .library(name: "KPIHTTP", targets: ["KPIHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // Already in the graph through Hummingbird; named so KPIHTTP (graceful end of SSE
        // streams) and the executable (its ServiceGroup) can import it, and so the HTTP
        // tests can read a Server-Sent-Events stream incrementally.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        // Already in the graph through Hummingbird; KPIHTTP names NIOCore's `Channel`
        // to learn the port the listener was bound to.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.65.0"),
        // Heaps for the KPI core's due-time queues.
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        // Already in the graph (through swift-nio-extras and swift-certificates); HMAC-SHA256 for the chat
        // receivers' signed requests (DingTalk, Feishu).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // The C binding: Debian's librdkafka 2.0.2 (client + mock cluster) via pkg-config.
        .systemLibrary(
            name: "CRdKafka",
            path: "Sources/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // libcurl's SMTP (STARTTLS, login) for the email receiver, through pkg-config.
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // The Kafka client layer: consumer, producer, admin, embedded broker.
        .target(
            name: "KafkaClient",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The pure KPI core: events, decoding, windows, metrics. No I/O.
        .target(name: "KPICore", dependencies: [
            "CPrefetch",
            .product(name: "HeapModule", package: "swift-collections"),
        ]),
        // A cache prefetch hint for the KPI core's hash tables (Swift has none).
        .target(name: "CPrefetch"),
        // Synthetic, deterministic shop activity (events.md) for demos, tests and load.
        .target(name: "EventGenerator", dependencies: ["KPICore"]),
        // The service: consumer loop, backfill, sinks.
        .target(
            name: "KPIService",
            dependencies: [
                "KafkaClient", "KPICore", "EventGenerator", "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Writes files as Swift static strings (for EmbedFiles).
        .executableTarget(name: "embed-files"),
        // Embeds the dashboard's .html, .css and .js into KPIHTTP at build time:
        // real files in the tree, one binary without a resource bundle.
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),
        // The live HTTP side: API, SSE stream, Prometheus /metrics, health, dashboard.
        .target(
            name: "KPIHTTP",
            dependencies: [
                "KPICore",
                .product(name: "Hummingbird", package: "hummingbird"),
                // The HTTP/1 server builder, to set its idle timeout (slow request heads).
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            plugins: ["EmbedFiles"]
        ),
        .executableTarget(
            name: "kpi-ingest",
            dependencies: [
                "KPIService", "KafkaClient", "KPICore", "EventGenerator", "KPIHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "KafkaClientTests", dependencies: ["KafkaClient"]),
        .testTarget(name: "KPICoreTests", dependencies: ["KPICore"]),
        .testTarget(name: "EventGeneratorTests", dependencies: ["EventGenerator", "KPICore"]),
        .testTarget(
            name: "KPIHTTPTests",
            dependencies: [
                "KPIHTTP", "KPICore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(name: "KPIServiceTests", dependencies: [
            "KPIService", "KafkaClient", "CRdKafka", "KPICore", "EventGenerator",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Alerts/smtp_sink.py"]),
    ],
    swiftLanguageModes: [.v6]
)
