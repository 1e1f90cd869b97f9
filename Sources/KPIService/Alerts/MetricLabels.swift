// The metric labels of alert messages, in one place until the metric
// catalog of KPICore carries zh-CN and en labels: then `metricLabel` reads
// the catalog and this table goes.

/// A metric's name for people in `language`: `first_response_s` →
/// 首次响应时间 / first response time (Chinese as the seed documents and
/// kpis.md name them). An unknown wire name is returned as it is.
func metricLabel(_ wireName: String, language: NotificationLanguage) -> String {
    guard let labels = metricLabels[wireName] else { return wireName }
    return language == .en ? labels.en : labels.zh
}

private let metricLabels: [String: (zh: String, en: String)] = [
    // Shop operations
    "pv": ("PV量", "page views"),
    "uv": ("UV", "unique visitors"),
    "pv_per_uv": ("人均浏览量", "pages per visitor"),
    "avg_stay_s": ("平均停留时长", "average stay"),
    "bounce_rate": ("跳出率", "bounce rate"),
    "orders_created": ("下单数", "orders created"),
    "orders_paid": ("付款订单数", "orders paid"),
    "buyers": ("成交人数", "buyers"),
    "sales": ("销售额", "sales"),
    "refunds": ("退款金额", "refunds"),
    "net_sales": ("净销售额", "net sales"),
    "conversion_rate": ("订单转换率", "conversion rate"),
    "aov": ("客单价", "average order value"),
    "order_success_rate": ("下单成功率", "order success rate"),
    "ship_on_time_rate": ("发货及时率", "on-time shipping rate"),
    // Customer service
    "inquiries": ("询单人数", "inquiring buyers"),
    "sessions": ("接待会话数", "chat sessions"),
    "first_response_s": ("首次响应时间", "first response time"),
    "avg_response_s": ("平均响应时间", "average response time"),
    "unanswered_sessions": ("未回复会话数", "unanswered sessions"),
    "inquiry_conversion_rate": ("询单转化率", "inquiry conversion rate"),
    "response_within_3m_rate": ("3分钟响应率", "3-minute response rate"),
    "answer_ratio": ("答问比", "answer ratio"),
    "agent_orders_created": ("客服下单数", "agent orders created"),
    "agent_orders_paid": ("客服付款订单数", "agent orders paid"),
    "agent_sales": ("个人销售业绩", "agent sales"),
    "agent_aov": ("客服客单价", "agent average order value"),
    "agent_order_success_rate": ("下单成功率", "agent order success rate"),
    "satisfaction": ("客户满意度评分", "satisfaction score"),
    "satisfaction_rate": ("满意率", "satisfaction rate"),
    // Promotion
    "impressions": ("展现量", "impressions"),
    "clicks": ("点击量", "clicks"),
    "ctr": ("点击率", "click-through rate"),
    "arrivals": ("到达数", "arrivals"),
    "arrival_rate": ("到达率", "arrival rate"),
    "click_arrival_rate": ("点击到达率", "click arrival rate"),
    "spend": ("推广费用", "ad spend"),
    "cost_per_uv": ("UV平均获取成本", "cost per visitor"),
    "cost_per_order": ("订单转换成本", "cost per order"),
    "roas": ("投入产出比", "return on ad spend"),
    // The no-data watch
    "silence_s": ("无数据时长", "time without data"),
]
