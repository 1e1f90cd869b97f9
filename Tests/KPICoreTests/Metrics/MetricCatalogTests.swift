import KPICore
import Testing

@Suite("Metric catalog: one declaration per metric")
struct MetricCatalogTests {
    // The three tables of kpis.md "Definitions", copied by hand in table order
    // (a row naming two metrics gives both, in the row's order).
    static let shopOperations = [
        "pv", "uv", "pv_per_uv", "avg_stay_s", "bounce_rate", "orders_created", "orders_paid", "buyers",
        "sales", "refunds", "net_sales", "conversion_rate", "aov", "order_success_rate", "ship_on_time_rate",
    ]
    static let customerService = [
        "inquiries", "sessions", "first_response_s", "avg_response_s", "unanswered_sessions",
        "inquiry_conversion_rate", "response_within_3m_rate", "answer_ratio", "agent_orders_created",
        "agent_orders_paid", "agent_sales", "agent_aov", "agent_order_success_rate", "satisfaction", "satisfaction_rate",
    ]
    static let promotion = [
        "uv", "impressions", "clicks", "ctr", "arrivals", "arrival_rate", "click_arrival_rate", "bounce_rate",
        "spend", "cost_per_uv", "orders_paid", "sales", "cost_per_order", "roas",
    ]

    @Test("each scope type carries the kpis.md tables of its role, in table order")
    func wireNamesAndOrderAreKpisMd() {
        #expect(MetricCatalog.names(for: .shop) == Self.shopOperations + Self.customerService)
        #expect(MetricCatalog.names(for: .agent) == Self.customerService)
        #expect(MetricCatalog.names(for: .team) == Self.customerService)
        #expect(MetricCatalog.names(for: .channel) == Self.promotion)
        #expect(MetricCatalog.names(for: .campaign) == Self.promotion)
        // 15 + 15 + 14 names, 4 of them in two tables: 40 metrics, each declared once.
        #expect(Metric.allCases.count == 40)
        #expect(Set(Metric.allCases.map(\.name)).count == Metric.allCases.count)
        #expect(MetricCatalog.allNames == Set(Self.shopOperations + Self.customerService + Self.promotion))
    }

    @Test("every metric of every scope type has an English and a Chinese label")
    func labelsInBothLanguages() {
        for type in ScopeType.allCases {
            for metric in MetricCatalog.metrics(for: type) {
                let en = metric.label(in: .en), zh = metric.label(in: .zhCN)
                #expect(!en.isEmpty, "\(metric.name) has no English label")
                #expect(en.unicodeScalars.allSatisfy { $0.value < 0x3000 }, "\(metric.name): \(en) is not English")
                // Chinese labels have at least one CJK ideograph (U+4E00...U+9FFF).
                #expect(zh.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "\(metric.name): \(zh)")
            }
        }
        // Within one table, a label names one column: no two alike.
        for group in MetricGroup.allCases {
            for language in Language.allCases {
                let labels = group.metrics.map { $0.label(in: language) }
                #expect(Set(labels).count == labels.count, "\(group) has a repeated \(language) label: \(labels)")
            }
        }
    }

    @Test("the Chinese labels are the seeds' names")
    func seedNames() {
        #expect(Metric.firstResponse.label(in: .zhCN) == "首次响应时间")
        #expect(Metric.inquiryConversionRate.label(in: .zhCN) == "询单转化率")
        #expect(Metric.aov.label(in: .zhCN) == "客单价")
        #expect(Metric.buyers.label(in: .zhCN) == "成交人数")
        #expect(Metric.conversionRate.label(in: .zhCN) == "订单转换率")
        #expect(Metric.arrivalRate.label(in: .zhCN) == "到达率")
        #expect(Metric.bounceRate.label(in: .zhCN) == "跳出率")
        #expect(Metric.firstResponse.label(in: .en) == "First response")
    }

    @Test("a wire name finds its metric, its label, unit, direction and scope types")
    func byWireName() {
        #expect(Metric(name: "first_response_s") == .firstResponse)
        #expect(Metric(name: "first_response") == nil)
        #expect(Metric(name: "") == nil)
        #expect(MetricCatalog.label(of: "inquiry_conversion_rate", in: .zhCN) == "询单转化率")
        #expect(MetricCatalog.label(of: "nope", in: .en) == nil)
        #expect(Metric.firstResponse.unit == .seconds && Metric.firstResponse.direction == .lowerIsBetter)
        #expect(Metric.costPerOrder.unit == .moneyPerUnit && Metric.costPerOrder.valueShape == .moneyRatio)
        #expect(Metric.sales.unit == .money && Metric.sales.kind == .total)
        #expect(Metric.satisfaction.unit == .ratingScore && Metric.satisfaction.kind == .average)
        #expect(Metric.ctr.kind == .rate)
        // Shared by the shop's operations and promotion.
        #expect(Metric.uv.scopeTypes == [.shop, .channel, .campaign])
        #expect(Metric.uv.groups == [.shopOperations, .promotion])
        #expect(Metric.agentSales.scopeTypes == [.shop, .agent, .team])
        #expect(Metric.pvPerUV.scopeTypes == [.shop])
    }

    @Test("the language of an Accept-Language header")
    func acceptLanguage() {
        #expect(Language.preferred(acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8") == .zhCN)
        #expect(Language.preferred(acceptLanguage: "en-US,en;q=0.9,zh-CN;q=0.8") == .en)
        #expect(Language.preferred(acceptLanguage: "fr-FR, zh-Hans;q=0.5") == .zhCN)
        #expect(Language.preferred(acceptLanguage: "de, fr;q=0.8") == .en)
        #expect(Language.preferred(acceptLanguage: "de", fallback: .zhCN) == .zhCN)
        #expect(Language.preferred(acceptLanguage: nil) == .en)
        #expect(Language.preferred(acceptLanguage: "zh;q=0, en") == .en)
        #expect(Language.preferred(acceptLanguage: "en;q=0.4, ZH-cn ; q=0.6") == .zhCN)
        #expect(Language(tag: "zh-CN")?.tag == "zh-CN" && Language(tag: "EN-gb") == .en && Language(tag: "ja") == nil)
    }
}
