import KPICore

/// A metric's name for people in `language`, from the metric catalog
/// (`Metric.label(in:)`): `first_response_s` → 首次响应时间 / First response.
/// The no-data watch's `silence_s` is not a metric of the catalog; an
/// unknown wire name is returned as it is.
func metricLabel(_ wireName: String, language: NotificationLanguage) -> String {
    let lang: Language = language == .en ? .en : .zhCN
    if let label = MetricCatalog.label(of: wireName, in: lang) { return label }
    if wireName == "silence_s" { return language == .en ? "Time without data" : "无数据时长" }
    return wireName
}
