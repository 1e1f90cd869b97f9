import Testing
@testable import KafkaClient

/// librdkafka's statistics report (STATISTICS.md), abridged but with the
/// shapes that must be skipped: nested objects, arrays, floats, escapes,
/// the internal partition -1 and a lag not known yet (-1).
@Suite struct StatisticsScannerTests {
    static let report = #"""
    { "name": "rdkafka#consumer-1", "client_id": "kpi \"ingest\"", "type": "consumer",
      "ts": 5016483227792, "time": 1527060869, "replyq": 0, "msg_cnt": 22710, "simple_cnt": 0,
      "brokers": {
        "127.0.0.1:40001/1": { "name": "127.0.0.1:40001/1", "nodeid": 1, "state": "UP", "rxidle": 42000,
                               "int_latency": { "min": 0, "max": 3.5e2, "avg": 12.25, "cnt": 2 },
                               "toppars": { "shop.orders-0": { "topic": "shop.orders", "partition": 0 } } },
        "127.0.0.1:40002/2": { "name": "127.0.0.1:40002/2", "nodeid": 2, "state": "DOWN", "rxidle": -1 },
        "127.0.0.1:40001/bootstrap": { "nodeid": -1, "state": "UP", "rxidle": 7 }
      },
      "topics": {
        "shop.orders": { "topic": "shop.orders", "age": 1, "batchsize": { "p99": 0.5, "hdrsize": 14 },
          "partitions": {
            "0": { "partition": 0, "broker": 1, "fetchq_cnt": 3, "consumer_lag": 120, "hi_offset": 500, "ls_offset": [1, 2] },
            "1": { "partition": 1, "broker": 1, "consumer_lag": -1 },
            "-1": { "partition": -1, "broker": -1, "consumer_lag": -1 }
          } },
        "shop.traffic": { "partitions": { "7": { "consumer_lag": 0, "partition": 7, "desired": true, "txerrs": null } } }
      },
      "cgrp": { "state": "up", "rebalance_cnt": 1, "assignment_size": 3 }
    }
    """#

    @Test func picksBrokersAndLagsOutOfAFullReport() {
        var brokers: [(Bool, Int64, Int64?)] = []
        var lags: [TopicPartition: Int64] = [:]
        Array(Self.report.utf8).withUnsafeBytes { bytes in
            StatisticsScanner.scan(bytes, broker: { brokers.append(($0.up, $0.nodeID, $0.rxIdle)) },
                                   partition: { t, p, l in lags[TopicPartition(t, p)] = l })
        }
        #expect(brokers.count == 3)
        #expect(brokers.contains { $0 == (true, 1, 42000) })
        #expect(brokers.contains { $0 == (false, 2, -1) })
        #expect(brokers.contains { $0 == (true, -1, 7) })
        // Unknown lags (-1) and the internal partition are left out.
        #expect(lags == [TopicPartition("shop.orders", 0): 120, TopicPartition("shop.traffic", 7): 0])
        Array(Self.report.utf8).withUnsafeBytes { #expect(ConsumerStatistics.consumerLag(statisticsJSON: $0) == lags) }
    }

    @Test func aTruncatedReportKeepsWhatWasReadAndNeverTraps() {
        let cut = Self.report.utf8.count * 3 / 4
        var lags: [TopicPartition: Int64] = [:]
        Array(Self.report.utf8.prefix(cut)).withUnsafeBytes { bytes in
            StatisticsScanner.scan(bytes, broker: { _ in }, partition: { t, p, l in lags[TopicPartition(t, p)] = l })
        }
        #expect(lags == [TopicPartition("shop.orders", 0): 120])
        for n in stride(from: 0, to: Self.report.utf8.count, by: 37) {
            Array(Self.report.utf8.prefix(n)).withUnsafeBytes { StatisticsScanner.scan($0, broker: { _ in }, partition: { _, _, _ in }) }
        }
        for garbage in ["", "[]", "{", "{\"topics\":", "{\"topics\":{\"a\":{\"partitions\":{\"0\":{\"partition\":99999999999999999999}}}}}", "null"] {
            Array(garbage.utf8).withUnsafeBytes { StatisticsScanner.scan($0, broker: { _ in }, partition: { _, _, _ in Issue.record("no partition in \(garbage)") }) }
        }
    }
}
