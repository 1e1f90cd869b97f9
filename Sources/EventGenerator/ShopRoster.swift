/// The traffic sources of events.md, by index in `PendingStep.channel`.
enum Channel: Int8, CaseIterable {
    case search, ads, social, direct, recommend

    var name: StaticString {
        switch self {
        case .search: "search"
        case .ads: "ads"
        case .social: "social"
        case .direct: "direct"
        case .recommend: "recommend"
        }
    }

    /// Sources of unpaid visits, with their weights (ads only come via campaigns).
    static let organic: [Channel] = [.search, .direct, .social, .recommend]
    static let organicWeights = runningSums([35, 30, 15, 20])
}

/// How a campaign's cost reaches the ingester, so each path of `spend` gets data.
enum Billing {
    /// `cost` on every `ad_click`.
    case perClick
    /// `cost` on every `ad_impression`.
    case perImpression
    /// No per-event cost; the platform sends an `ad_spend` every 15 minutes.
    case reported
}

/// One ad campaign of a shop (`s1-cmp-2`).
struct Campaign {
    var channel: Channel
    var billing: Billing
    /// Clicks per thousand impressions.
    var clickPerMille: Int64
    /// Cents per click (`perClick`), per impression (`perImpression`) or per
    /// quarter hour at mean activity (`reported`).
    var price: Int64
}

/// One shop's fixed cast (agents, campaigns) and its id counters.
struct ShopProfile {
    /// `s7`: the `shop_id`, the record key and the prefix of every id.
    var id: [UInt8]
    /// Relative response delay per agent, ‰ of the typical one.
    var agentPace: [Int64]
    /// Running sums of how much chat each agent takes.
    var agentLoad: [Int64]
    var campaigns: [Campaign]
    /// Running sums of each campaign's share of impressions.
    var campaignReach: [Int64]

    var visitors: Int64 = 0
    var buyers: Int64 = 0
    var browsingSessions: Int64 = 0
    var chatSessions: Int64 = 0
    var orders: Int64 = 0
    var impressions: Int64 = 0
    var clicks: Int64 = 0
    /// Whether the shop has produced a valid record yet: a `late` fault is
    /// only sent to a partition whose stream has already begun.
    var hasStarted = false

    init(number: Int, random: inout SeededRandom) {
        id = Array("s\(number)".utf8)
        let agentCount = Int(random.between(3, 8))
        agentPace = (0..<agentCount).map { _ in random.between(600, 1700) }
        agentLoad = runningSums((0..<agentCount).map { _ in random.between(1, 4) })
        let campaignCount = Int(random.between(2, 4))
        // Every shop has a per-click and a reported campaign; the third bills
        // per impression, so every spend path gets data.
        let billings: [Billing] = [.perClick, .reported, .perImpression, .perClick]
        campaigns = (0..<campaignCount).map { i in
            let channel: Channel = switch i {
            case 0: .search
            case 1: .ads
            case 2: random.chance(perMille: 500) ? .social : .recommend
            default: random.chance(perMille: 500) ? .ads : .recommend
            }
            let billing = billings[i]
            let price: Int64 = switch billing {
            case .perClick: random.between(30, 300)
            case .perImpression: random.between(1, 6)
            case .reported: random.between(500, 10_000)
            }
            return Campaign(channel: channel, billing: billing, clickPerMille: random.between(15, 60), price: price)
        }
        campaignReach = runningSums((0..<campaignCount).map { _ in random.between(1, 5) })
    }

    /// A visitor id number: a new visitor, or one of the recent ones coming back.
    mutating func visitor(_ random: inout SeededRandom, returningPerMille: Int64) -> Int64 {
        if visitors > 0 && random.chance(perMille: returningPerMille) {
            return visitors - 1 - random.below(min(visitors, 5000))
        }
        visitors += 1
        return visitors - 1
    }

    /// A buyer id number: a new buyer, or a recent one buying again.
    mutating func buyer(_ random: inout SeededRandom, returningPerMille: Int64) -> Int64 {
        if buyers > 0 && random.chance(perMille: returningPerMille) {
            return buyers - 1 - random.below(min(buyers, 2000))
        }
        buyers += 1
        return buyers - 1
    }
}
