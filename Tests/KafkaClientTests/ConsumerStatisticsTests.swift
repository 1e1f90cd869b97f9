import Testing
@testable import KafkaClient

/// What the consumer keeps of a statistics report: the lags, and whether a
/// broker answers (a real one, `UP`, heard from within the limit).
@Suite struct ConsumerStatisticsTests {
    private func parse(_ json: String, within: Int64 = 5_000_000) -> (lag: [TopicPartition: Int64], brokersAnswering: Bool) {
        var bytes = Array(json.utf8)
        return bytes.withUnsafeMutableBytes { ConsumerStatistics.parse(statisticsJSON: UnsafeRawBufferPointer($0), answeringWithin: within) }
    }

    @Test func aBrokerAnswersWhenUpAndHeardFromWithinTheLimit() {
        // The scanner test's report: broker 1 UP, heard from 42 ms ago; 2 DOWN; the bootstrap entry (node −1) ignored.
        let r = parse(StatisticsScannerTests.report)
        #expect(r.brokersAnswering)
        #expect(!r.lag.isEmpty)
        #expect(!parse(StatisticsScannerTests.report, within: 42_000).brokersAnswering, "42 ms is not within 42 ms")
        #expect(!parse(#"{"brokers": {"b/2": {"nodeid": 2, "state": "DOWN", "rxidle": 10}, "b/bootstrap": {"nodeid": -1, "state": "UP", "rxidle": 7}}}"#).brokersAnswering)
        #expect(!parse(#"{"brokers": {"b/1": {"nodeid": 1, "state": "UP", "rxidle": -1}}}"#).brokersAnswering, "never heard from")
    }
}
