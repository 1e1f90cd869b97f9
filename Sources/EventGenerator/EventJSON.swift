import KPICore

// The JSON of each event type, exactly as events.md lists its fields.
// Ids are readable and unique: `s1-o-77-paid`, `s1-c-12-t2-a`, `s1-v42-7-p3`.

extension ShopActivityGenerator {
    /// Writes the event of `step` into `writer` (between `begin` and `finish`).
    mutating func writeEvent(_ step: PendingStep, eventTime: Int64, style: TimestampStyle) {
        let shop = Int(step.shop)
        let type = step.kind.eventType
        if writer.required("event_id", .text) {
            writer.quote(); writeEventID(step); writer.quote()
        }
        if writer.required("type", .text) {
            writer.quote(); writer.text(type.name); writer.quote()
        }
        if style != .absent {
            writer.key("ts"); writer.time(eventTime, style)
        }
        if writer.required("shop_id", .text) {
            writer.quote(); writer.bytes(shopIDs[shop]); writer.quote()
        }
        switch step.kind {
        case .adImpression, .adClick, .adSpend:
            if writer.required("campaign_id", .text) { writeCampaignID(step) }
            if writer.required("channel", .text) { writeChannel(step.channel) }
            if step.kind == .adSpend {
                if writer.required("amount", .amount) { writer.amount(step.amount, asString: random.chance(perMille: 650)) }
            } else {
                if step.kind == .adClick && step.showsDetail {
                    writer.key("visitor_id"); writeVisitorID(step)
                }
                if step.amount > 0 {
                    writer.key("cost"); writer.amount(step.amount, asString: random.chance(perMille: 650))
                }
            }
        case .pageView:
            if writer.required("visitor_id", .text) { writeVisitorID(step) }
            if writer.required("session_id", .text) { writer.quote(); writeBrowsingSessionID(step); writer.quote() }
            writer.key("page"); writePage(step)
            if step.channel >= 0 { writer.key("channel"); writeChannel(step.channel) }
            if step.campaign >= 0 { writer.key("campaign_id"); writeCampaignID(step) }
            if step.flag { writer.key("landing"); writer.lit("true") }
            if step.showsDetail { writer.key("dwell_ms"); writer.int(step.amount) }
        case .chatQuestion, .chatFollowUp, .chatAutoReply, .chatAnswer, .chatRating:
            if writer.required("session_id", .text) { writer.quote(); writeChatSessionID(step); writer.quote() }
            if writer.required("buyer_id", .text) { writeBuyerID(step) }
            if writer.required("agent_id", .text) { writeAgentID(step) }
            if step.kind == .chatRating {
                if writer.required("score", .integer) { writer.int(Int64(step.sub)) }
            } else {
                if writer.required("from", .text) {
                    writer.lit(step.kind == .chatQuestion || step.kind == .chatFollowUp ? "\"buyer\"" : "\"agent\"")
                }
                if step.kind == .chatAutoReply {
                    writer.key("auto"); writer.lit("true")
                } else if step.kind == .chatAnswer && step.showsDetail {
                    writer.key("auto"); writer.lit("false")
                }
            }
        case .orderCreated, .orderPaid, .orderCancelled, .orderRefunded:
            if writer.required("order_id", .text) { writer.quote(); writeOrderID(step); writer.quote() }
            if writer.required("buyer_id", .text) { writeBuyerID(step) }
            if step.kind == .orderCancelled { break }
            if writer.required("amount", .amount) { writer.amount(step.amount, asString: random.chance(perMille: 650)) }
            if step.kind == .orderRefunded { break }
            if step.agent >= 0 { writer.key("agent_id"); writeAgentID(step) }
            if step.channel >= 0 { writer.key("channel"); writeChannel(step.channel) }
            if step.campaign >= 0 { writer.key("campaign_id"); writeCampaignID(step) }
            if step.showsDetail { writer.key("items"); writer.int(step.extra) }
        case .orderShipped:
            if writer.required("order_id", .text) { writer.quote(); writeOrderID(step); writer.quote() }
            if step.showsDetail {
                writer.key("promised_ship_by")
                writer.time(step.extra, random.chance(perMille: 800) ? .local : .epochMillis)
            }
        }
    }

    private mutating func writeEventID(_ step: PendingStep) {
        switch step.kind {
        case .adImpression:
            writer.bytes(shopIDs[Int(step.shop)]); writer.lit("-imp-"); writer.int(step.story)
        case .adClick:
            writer.bytes(shopIDs[Int(step.shop)]); writer.lit("-click-"); writer.int(step.story)
        case .adSpend:
            writeCampaignIDText(step); writer.lit("-spend-"); writer.int(step.story)
        case .pageView:
            writeBrowsingSessionID(step); writer.lit("-p"); writer.int(Int64(step.sub))
        case .chatQuestion, .chatFollowUp, .chatAutoReply, .chatAnswer:
            writeChatSessionID(step); writer.lit("-t"); writer.int(Int64(step.sub))
            switch step.kind {
            case .chatQuestion: writer.lit("-q")
            case .chatFollowUp: writer.lit("-q2")
            case .chatAutoReply: writer.lit("-auto")
            default: writer.lit("-a")
            }
        case .chatRating:
            writeChatSessionID(step); writer.lit("-rating")
        case .orderCreated, .orderPaid, .orderCancelled, .orderRefunded, .orderShipped:
            writeOrderID(step)
            switch step.kind {
            case .orderCreated: writer.lit("-created")
            case .orderPaid: writer.lit("-paid")
            case .orderCancelled: writer.lit("-cancelled")
            case .orderRefunded: writer.lit("-refunded")
            default: writer.lit("-shipped")
            }
        }
    }

    private mutating func writeCampaignIDText(_ step: PendingStep) {
        writer.bytes(shopIDs[Int(step.shop)]); writer.lit("-cmp-"); writer.int(Int64(step.campaign) + 1)
    }

    private mutating func writeCampaignID(_ step: PendingStep) {
        writer.quote(); writeCampaignIDText(step); writer.quote()
    }

    private mutating func writeChannel(_ channel: Int8) {
        writer.quote(); writer.lit(Channel(rawValue: channel)!.name); writer.quote()
    }

    private mutating func writeVisitorID(_ step: PendingStep) {
        writer.quote(); writer.bytes(shopIDs[Int(step.shop)]); writer.lit("-v"); writer.int(step.party); writer.quote()
    }

    private mutating func writeBuyerID(_ step: PendingStep) {
        writer.quote(); writer.bytes(shopIDs[Int(step.shop)]); writer.lit("-b"); writer.int(step.party); writer.quote()
    }

    private mutating func writeAgentID(_ step: PendingStep) {
        writer.quote(); writer.bytes(shopIDs[Int(step.shop)]); writer.lit("-a"); writer.int(Int64(step.agent) + 1); writer.quote()
    }

    /// `s1-v42-7`: visitor 42's session, numbered per shop.
    private mutating func writeBrowsingSessionID(_ step: PendingStep) {
        writer.bytes(shopIDs[Int(step.shop)]); writer.lit("-v"); writer.int(step.party)
        writer.lit("-"); writer.int(step.story)
    }

    private mutating func writeChatSessionID(_ step: PendingStep) {
        writer.bytes(shopIDs[Int(step.shop)]); writer.lit("-c-"); writer.int(step.story)
    }

    private mutating func writeOrderID(_ step: PendingStep) {
        writer.bytes(shopIDs[Int(step.shop)]); writer.lit("-o-"); writer.int(step.story)
    }

    /// Landing pages are item pages; later pages wander over the shop.
    private mutating func writePage(_ step: PendingStep) {
        writer.quote()
        if step.flag {
            writer.lit("/item/"); writer.int(1 + (step.story * 7 + Int64(step.campaign)) % 400)
        } else {
            switch random.below(10) {
            case 0: writer.lit("/")
            case 1, 2: writer.lit("/list/"); writer.int(1 + random.below(30))
            case 3: writer.lit("/cart")
            case 4: writer.lit("/search")
            default: writer.lit("/item/"); writer.int(1 + random.below(400))
            }
        }
        writer.quote()
    }
}
