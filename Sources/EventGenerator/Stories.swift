import KPICore

// The stories a shop's activity is made of. Each is a chain of `PendingStep`s:
// emitting one step plans the next ones (`plan(after:)`), so a story needs no
// storage of its own.
//
// - AdExposure: impression → sometimes a click → mostly an arrival (landing page view).
// - BrowsingSession: page views of one visitor; may end in a chat or a silent order.
// - ChatStory: turns of buyer question / (auto reply) / agent answer, maybe a
//   rating, maybe an order.
// - OrderStory: created → paid or cancelled; paid → shipped, sometimes refunded.
// - Spend reports: every 15 minutes per `reported` campaign.

extension ShopActivityGenerator {
    // MARK: - Starting stories

    /// A new story at a record time with nothing due: its first event.
    mutating func startStory(at now: Int64) -> GeneratedRecord {
        let shop = Int32(random.pick(cumulative: shopWeights))
        // Saturated: only stand-alone impressions, which plan nothing.
        let r = pending.count >= options.maxPendingSteps ? 0 : random.below(1000)
        let step: PendingStep
        if r < 790 {
            step = newImpression(shop, at: now)
        } else if r < 955 {
            let channel = Channel.organic[random.pick(cumulative: Channel.organicWeights)]
            let visitor = shops[Int(shop)].visitor(&random, returningPerMille: 350)
            // One organic session in ten has no known source.
            step = newBrowsingSession(shop, at: now, visitor: visitor,
                                      channel: random.chance(perMille: 100) ? -1 : channel.rawValue,
                                      campaign: -1, landing: false)
        } else if r < 991 {
            step = newChat(shop, at: now, channel: -1, campaign: -1)
        } else {
            // A silent order: no chat (at least none with this shop), sometimes a known source.
            let buyer = shops[Int(shop)].buyer(&random, returningPerMille: 400)
            let channel: Int8 = random.chance(perMille: 400) ? Channel.organic[Int(random.below(4))].rawValue : -1
            step = newOrder(shop, at: now, buyer: buyer, agent: -1, channel: channel, campaign: -1)
        }
        return emit(step, at: now)
    }

    /// A fresh one-event story of `kind` for a fault record: new ids, never continued.
    mutating func standaloneStep(_ kind: StepKind, shop: Int32, at time: Int64) -> PendingStep {
        var step: PendingStep
        switch kind {
        case .adImpression, .adSpend:
            step = newImpression(shop, at: time)
        case .adClick:
            step = newClick(shop, at: time, campaign: Int16(random.pick(cumulative: shops[Int(shop)].campaignReach)))
        case .pageView:
            let visitor = shops[Int(shop)].visitor(&random, returningPerMille: 350)
            step = newBrowsingSession(shop, at: time, visitor: visitor,
                                      channel: Channel.organic[Int(random.below(4))].rawValue, campaign: -1, landing: false)
            step.extra = 1
        case .chatQuestion, .chatFollowUp, .chatAutoReply, .chatAnswer, .chatRating:
            step = newChat(shop, at: time, channel: -1, campaign: -1)
            step.kind = kind
            if kind == .chatRating { step.sub = Int16(drawScore(happy: true)) }
        case .orderCreated, .orderPaid, .orderCancelled, .orderRefunded, .orderShipped:
            let buyer = shops[Int(shop)].buyer(&random, returningPerMille: 400)
            step = newOrder(shop, at: time, buyer: buyer, agent: -1, channel: -1, campaign: -1)
            step.kind = kind
            if kind == .orderRefunded { step.amount = partialRefund(step.amount) }
            if kind == .orderShipped { step.extra = time + Self.day; step.showsDetail = true }
        }
        prepare(&step)
        return step
    }

    mutating func newImpression(_ shop: Int32, at time: Int64) -> PendingStep {
        var step = PendingStep(kind: .adImpression, shop: shop, time: time)
        let campaignIndex = random.pick(cumulative: shops[Int(shop)].campaignReach)
        let campaign = shops[Int(shop)].campaigns[campaignIndex]
        step.campaign = Int16(campaignIndex)
        step.channel = campaign.channel.rawValue
        step.story = shops[Int(shop)].impressions
        shops[Int(shop)].impressions += 1
        if campaign.billing == .perImpression { step.amount = campaign.price + random.below(3) }
        return step
    }

    mutating func newClick(_ shop: Int32, at time: Int64, campaign campaignIndex: Int16) -> PendingStep {
        var step = PendingStep(kind: .adClick, shop: shop, time: time)
        let campaign = shops[Int(shop)].campaigns[Int(campaignIndex)]
        step.campaign = campaignIndex
        step.channel = campaign.channel.rawValue
        step.story = shops[Int(shop)].clicks
        shops[Int(shop)].clicks += 1
        step.party = shops[Int(shop)].visitor(&random, returningPerMille: 150)
        step.showsDetail = random.chance(perMille: 900)
        if campaign.billing == .perClick { step.amount = campaign.price * random.between(70, 130) / 100 }
        return step
    }

    mutating func newBrowsingSession(
        _ shop: Int32, at time: Int64, visitor: Int64, channel: Int8, campaign: Int16, landing: Bool
    ) -> PendingStep {
        var step = PendingStep(kind: .pageView, shop: shop, time: time)
        step.story = shops[Int(shop)].browsingSessions
        shops[Int(shop)].browsingSessions += 1
        step.party = visitor
        step.channel = channel
        step.campaign = campaign
        step.flag = landing
        step.sub = 1
        // A third bounce (more from ads); the others see 2..8 pages, mostly few.
        step.extra = random.chance(perMille: landing ? 400 : 300) ? 1 : 2 + random.below(4) + random.below(4)
        return step
    }

    mutating func newChat(_ shop: Int32, at time: Int64, channel: Int8, campaign: Int16) -> PendingStep {
        var step = PendingStep(kind: .chatQuestion, shop: shop, time: time)
        step.story = shops[Int(shop)].chatSessions
        shops[Int(shop)].chatSessions += 1
        step.party = shops[Int(shop)].buyer(&random, returningPerMille: 350)
        step.agent = Int16(random.pick(cumulative: shops[Int(shop)].agentLoad))
        step.channel = channel
        step.campaign = campaign
        step.sub = 1
        return step
    }

    mutating func newOrder(
        _ shop: Int32, at time: Int64, buyer: Int64, agent: Int16, channel: Int8, campaign: Int16
    ) -> PendingStep {
        var step = PendingStep(kind: .orderCreated, shop: shop, time: time)
        step.story = shops[Int(shop)].orders
        shops[Int(shop)].orders += 1
        step.party = buyer
        step.agent = agent
        step.channel = channel
        step.campaign = campaign
        let r = random.below(100)
        let items: Int64 = r < 70 ? 1 : r < 90 ? 2 : random.between(3, 4)
        step.amount = drawPrice() * items
        step.extra = items
        step.showsDetail = random.chance(perMille: 600)
        return step
    }

    /// An item price in cents, with shop-like endings (.00 .50 .80 .90 .99).
    mutating func drawPrice() -> Int64 {
        let r = random.below(100)
        let yuan = r < 50 ? random.between(9, 98) : r < 85 ? random.between(99, 398) : random.between(399, 1998)
        let endings: [Int64] = [0, 50, 80, 90, 99]
        return yuan * 100 + endings[Int(random.below(5))]
    }

    /// 10..60% of `amount`, to the 10 cents, at least a cent.
    mutating func partialRefund(_ amount: Int64) -> Int64 {
        Swift.max(1, amount * random.between(10, 60) / 100 / 10 * 10)
    }

    /// A rating, 1...5: mostly 5s and 4s after a served chat, worse otherwise.
    mutating func drawScore(happy: Bool) -> Int64 {
        let r = random.below(100)
        if happy { return r < 60 ? 5 : r < 83 ? 4 : r < 92 ? 3 : r < 96 ? 2 : 1 }
        return r < 15 ? 5 : r < 30 ? 4 : r < 50 ? 3 : r < 70 ? 2 : 1
    }

    mutating func scheduleFirstSpendReports() {
        let period = 15 * Self.minute
        let firstEnd = (CivilTime.floorDiv(startMillis, period) + 1) * period
        for shop in shops.indices {
            for (index, campaign) in shops[shop].campaigns.enumerated() where campaign.billing == .reported {
                // Reported a few seconds after the period's end; `story` numbers the period.
                var step = PendingStep(kind: .adSpend, shop: Int32(shop), time: firstEnd + random.below(30 * Self.second))
                step.campaign = Int16(index)
                step.channel = campaign.channel.rawValue
                step.story = firstEnd / period
                pending.push(step, waitsLong: false)
            }
        }
    }

    // MARK: - Preparing and planning

    /// Decisions about the event itself taken when it is emitted.
    mutating func prepare(_ step: inout PendingStep) {
        switch step.kind {
        case .pageView:
            // Time on the page; known (written as dwell_ms) on most pages,
            // less often on a session's last one.
            step.amount = drawDwell()
            step.showsDetail = random.chance(perMille: step.sub < step.extra ? 880 : 400)
        case .adSpend:
            // Spend of the quarter hour ending around now, following the rhythm.
            let campaign = shops[Int(step.shop)].campaigns[Int(step.campaign)]
            let weight = DailyRhythm.weight(atMillis: step.time - Self.minute, offsetMillis: offsetMillis)
            step.amount = Swift.max(100, campaign.price * weight / 100 * random.between(70, 130) / 100)
        case .chatAnswer:
            step.showsDetail = random.chance(perMille: 250)  // an explicit "auto":false
        default:
            break
        }
    }

    /// Milliseconds on a page: mostly 5..60 s, some up to 5 min.
    mutating func drawDwell() -> Int64 {
        random.chance(perMille: 800) ? random.between(3 * Self.second, 60 * Self.second)
                                     : random.between(60 * Self.second, 5 * Self.minute)
    }

    /// Plans the steps that follow `step`, just emitted at `step.time`.
    mutating func plan(after step: PendingStep) {
        let now = step.time
        switch step.kind {
        case .adImpression:
            let campaign = shops[Int(step.shop)].campaigns[Int(step.campaign)]
            if pending.count < options.maxPendingSteps && random.chance(perMille: campaign.clickPerMille) {
                schedule(newClick(step.shop, at: now + random.between(Self.second, 20 * Self.second), campaign: step.campaign), now: now)
            }
        case .adClick:
            // Most clicks arrive: the landing page loads.
            if random.chance(perMille: 850) {
                let arrival = newBrowsingSession(step.shop, at: now + random.between(Self.second, 6 * Self.second),
                                                 visitor: step.party, channel: step.channel,
                                                 campaign: step.campaign, landing: true)
                schedule(arrival, now: now)
            }
        case .adSpend:
            var nextReport = step
            nextReport.time = (step.story + 1) * 15 * Self.minute + random.below(30 * Self.second)
            nextReport.story += 1
            schedule(nextReport, now: now)
        case .pageView:
            planBrowsing(after: step)
        case .chatQuestion:
            planTurn(after: step)
        case .chatAnswer:
            planAfterAnswer(step)
        case .orderCreated:
            planAfterCreated(step)
        case .orderPaid:
            planAfterPaid(step)
        case .chatFollowUp, .chatAutoReply, .chatRating, .orderCancelled, .orderRefunded, .orderShipped:
            break
        }
    }

    // MARK: BrowsingSession

    mutating func planBrowsing(after page: PendingStep) {
        let now = page.time
        if Int64(page.sub) < page.extra {
            var next = page
            next.sub += 1
            next.flag = false
            next.time = now + page.amount
            schedule(next, now: now)
            return
        }
        guard page.extra >= 2 else { return }
        // The session is over: some visitors ask a question, some just buy.
        if random.chance(perMille: 70) {
            schedule(newChat(page.shop, at: now + random.between(20 * Self.second, 3 * Self.minute),
                             channel: page.channel, campaign: page.campaign), now: now)
        } else if random.chance(perMille: 35) {
            let buyer = shops[Int(page.shop)].buyer(&random, returningPerMille: 300)
            schedule(newOrder(page.shop, at: now + random.between(Self.minute, 10 * Self.minute), buyer: buyer,
                              agent: -1, channel: page.channel, campaign: page.campaign), now: now)
        }
    }

    // MARK: ChatStory

    /// After a buyer's question opens a turn: maybe an auto reply, maybe the
    /// buyer insists, and the agent answers after a delay, late, or never.
    mutating func planTurn(after question: PendingStep) {
        let now = question.time
        let pace = shops[Int(question.shop)].agentPace[Int(question.agent)]
        let r = random.below(1000)
        var delay: Int64?
        if r < 600 {
            delay = random.between(5 * Self.second, 90 * Self.second) * pace / 1000
        } else if r < 800 {
            delay = random.between(90 * Self.second, 4 * Self.minute) * pace / 1000
        } else if r < 880 {
            delay = Swift.min(random.between(4 * Self.minute, 9 * Self.minute) * pace / 1000, 9 * Self.minute + 30 * Self.second)
        } else if r < 930 {
            delay = random.between(11 * Self.minute, 25 * Self.minute)  // answered, but after the 10-minute timeout
        }
        if question.sub == 1 && random.chance(perMille: 400) {
            var auto = question
            auto.kind = .chatAutoReply
            auto.time = now + random.between(Self.second, 3 * Self.second)
            schedule(auto, now: now)
        }
        if (delay ?? .max) > 45 * Self.second && random.chance(perMille: 350) {
            var insist = question
            insist.kind = .chatFollowUp
            insist.time = now + random.between(15 * Self.second, Swift.min((delay ?? .max) - 5 * Self.second, 150 * Self.second))
            schedule(insist, now: now)
        }
        guard let delay else {
            endChat(question, answered: false)
            return
        }
        var answer = question
        answer.kind = .chatAnswer
        answer.time = now + delay
        // Now and then a colleague takes the session over.
        let agents = shops[Int(question.shop)].agentPace.count
        if random.chance(perMille: 40) { answer.agent = Int16((Int(question.agent) + 1 + Int(random.below(Int64(agents - 1)))) % agents) }
        schedule(answer, now: now)
    }

    mutating func planAfterAnswer(_ answer: PendingStep) {
        let keepGoing: Int64 = answer.sub == 1 ? 650 : answer.sub == 2 ? 500 : 350
        if answer.sub < 6 && random.chance(perMille: keepGoing) {
            var question = answer
            question.kind = .chatQuestion
            question.sub += 1
            question.time = answer.time + random.between(10 * Self.second, 3 * Self.minute)
            schedule(question, now: answer.time)
        } else {
            endChat(answer, answered: true)
        }
    }

    /// The buyer leaves: maybe a rating, maybe an order within hours (some
    /// beyond the attribution window), crediting the agent on a few.
    mutating func endChat(_ last: PendingStep, answered: Bool) {
        let now = last.time
        if random.chance(perMille: answered ? 330 : 120) {
            var rating = last
            rating.kind = .chatRating
            rating.sub = Int16(drawScore(happy: answered))
            rating.time = now + (answered ? random.between(20 * Self.second, 5 * Self.minute) : random.between(11 * Self.minute, 20 * Self.minute))
            schedule(rating, now: now)
        }
        if random.chance(perMille: answered ? 350 : 80) {
            let later = random.chance(perMille: 850) ? random.between(Self.minute, 3 * Self.hour) : random.between(3 * Self.hour, 30 * Self.hour)
            let agent: Int16 = random.chance(perMille: 200) ? last.agent : -1
            schedule(newOrder(last.shop, at: now + later, buyer: last.party, agent: agent,
                              channel: last.channel, campaign: last.campaign), now: now)
        }
    }

    // MARK: OrderStory

    mutating func planAfterCreated(_ created: PendingStep) {
        let now = created.time
        let r = random.below(1000)
        if r < 820 {
            var paid = created
            paid.kind = .orderPaid
            paid.time = now + (random.chance(perMille: 600) ? random.between(10 * Self.second, 3 * Self.minute)
                                                              : random.between(3 * Self.minute, 15 * Self.minute))
            schedule(paid, now: now)
        } else if r < 920 {
            var cancelled = created
            cancelled.kind = .orderCancelled
            cancelled.time = now + random.between(10 * Self.minute, 2 * Self.hour)
            schedule(cancelled, now: now)
        }
        // Else: never paid, never closed (within the run).
    }

    /// Shipping against a promise of 24 hours (a tenth late), and a refund
    /// for some: quick ones before shipping, most later. Horizons stay within
    /// a day or so: these steps are what fills memory at high rates.
    mutating func planAfterPaid(_ paid: PendingStep) {
        let now = paid.time
        var refundTime: Int64?
        var fullRefund = false
        if random.chance(perMille: 70) {
            var refund = paid
            refund.kind = .orderRefunded
            refund.time = now + (random.chance(perMille: 300) ? random.between(5 * Self.minute, Self.hour)
                                                               : random.between(2 * Self.hour, 24 * Self.hour))
            fullRefund = random.chance(perMille: 550)
            if !fullRefund { refund.amount = partialRefund(paid.amount) }
            refundTime = refund.time
            schedule(refund, now: now)
        }
        let r = random.below(100)
        let shipTime = now + (r < 25 ? random.between(20 * Self.minute, 2 * Self.hour)
                              : r < 90 ? random.between(2 * Self.hour, 12 * Self.hour)
                              : random.between(25 * Self.hour, 30 * Self.hour))
        if fullRefund, let refundTime, refundTime < shipTime { return }
        var shipped = paid
        shipped.kind = .orderShipped
        shipped.time = shipTime
        shipped.extra = now + 24 * Self.hour
        shipped.showsDetail = random.chance(perMille: 950)
        schedule(shipped, now: now)
    }
}
