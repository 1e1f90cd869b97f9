import PlainConsume
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// plain-consume: the baseline of Benchmarks/user-shapes.sh.
//
//   plain-consume --brokers HOST:PORT [--topics a,b,c] [--group-id ID] [--stall-seconds S]
//       consumes every partition of the topics from the beginning to the high
//       watermarks taken at start; prints one key=value line on stdout.
//   plain-consume --brokers HOST:PORT --watermarks [--topics a,b,c]
//       only reports the partitions' watermarks (how much the broker kept).

func usage(_ message: String) -> Never {
    printError("plain-consume: \(message)\nusage: plain-consume --brokers HOST:PORT [--topics a,b,c] [--group-id ID] [--stall-seconds S] [--watermarks]\n")
    exit(2)
}

var brokers: String?
var topics = PlainConsume.inputTopics
var groupID = "plain-consume"
var stallSeconds = 60.0
var watermarksOnly = false
var args = CommandLine.arguments.dropFirst()
@MainActor func value(_ flag: String) -> String {
    guard let v = args.popFirst() else { usage("\(flag) needs a value") }
    return v
}
while let a = args.popFirst() {
    switch a {
    case "--brokers": brokers = value(a)
    case "--topics": topics = value(a).split(separator: ",").map(String.init)
    case "--group-id": groupID = value(a)
    case "--stall-seconds":
        guard let s = Double(value(a)) else { usage("--stall-seconds needs a number") }
        stallSeconds = s
    case "--watermarks": watermarksOnly = true
    case "-h", "--help": usage("help")
    default: usage("unknown argument \(a)")
    }
}
guard let brokers else { usage("--brokers is required") }

do {
    if watermarksOnly {
        let parts = try PlainConsume.watermarks(bootstrap: brokers, topics: topics, groupID: groupID)
        let lows = parts.map(\.low)
        let kept = parts.reduce(Int64(0)) { $0 + $1.records }
        let dropped = parts.reduce(Int64(0)) { $0 + $1.low }
        print("partitions=\(parts.count) records=\(kept) dropped=\(dropped) truncated_partitions=\(parts.filter { $0.low > 0 }.count) max_low=\(lows.max() ?? 0) empty_partitions=\(parts.filter { $0.records == 0 }.count) max_records=\(parts.map(\.records).max() ?? 0)")
    } else {
        let r = try PlainConsume.run(bootstrap: brokers, topics: topics, groupID: groupID, stallSeconds: stallSeconds)
        let rate = r.consumeSeconds > 0 ? Double(r.records) / r.consumeSeconds : 0
        print("records=\(r.records) expected=\(r.expected) partitions=\(r.partitions) truncated_partitions=\(r.truncatedPartitions) setup_s=\(PlainConsume.fixed(r.setupSeconds, 3)) consume_s=\(PlainConsume.fixed(r.consumeSeconds, 3)) rate=\(PlainConsume.fixed(rate, 0)) checksum=\(r.checksum)")
        if Int64(r.records) != r.expected {
            printError("plain-consume: read \(r.records) records but the watermarks held \(r.expected)\n")
            exit(1)
        }
    }
} catch {
    printError("plain-consume: \(error)\n")
    exit(1)
}
