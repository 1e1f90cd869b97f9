import Testing
import KPICore

/// Hostile and damaged input must never crash or hang the consumer: every call
/// returns either a well-formed event or a rejection. Deterministic seeds, so
/// a failure reproduces.
@Suite struct EventDecoderFuzzTests {
    let decoder = EventDecoder()

    /// What must hold for any decode result of a record read from `topic`.
    func checkInvariants(_ result: Result<ShopEvent, EventRejection>, topic: InputTopic, input: [UInt8]) {
        switch result {
        case .success(let e):
            let ok = e.type.topic == topic
                && (1...128).contains(e.eventID.unicodeScalars.count)
                && (1...64).contains(e.shopID.unicodeScalars.count)
                && (e.amount.map { $0.minorUnits >= 0 } ?? true)
                && (e.cost.map { $0.minorUnits >= 0 } ?? true)
                && (e.score.map { (1...5).contains($0) } ?? true)
                && (e.dwellMillis.map { $0 >= 0 } ?? true)
            #expect(ok, "accepted an event breaking the contract: \(e) from \(input)")
        case .failure(let r):
            switch r.reason {
            case .future, .late, .duplicate:
                Issue.record("the decoder returned an engine reason \(r.reason.code)")
            default:
                #expect(!r.detail.isEmpty)
            }
        }
    }

    @Test func randomBytes() {
        var rng = SplitMix64(state: 0x5EED_0001)
        // Half the inputs from JSON's own alphabet so the scanner gets deep, half raw bytes.
        let alphabet = Array(#"{}[]":,.-+0123456789eE truefalsenull\u00"#.utf8) + [0x0A, 0xC3, 0xA9, 0xF0, 0x9F, 0xED]
        for i in 0..<20_000 {
            let length = Int.random(in: 0..<48, using: &rng)
            let bytes: [UInt8] = (0..<length).map { _ in
                i % 2 == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)!
            }
            let topic = InputTopic.allCases.randomElement(using: &rng)!
            checkInvariants(decoder.decode(bytes, topic: topic, recordTimestamp: recordTime), topic: topic, input: bytes)
        }
    }

    @Test func mutatedValidEvents() {
        var rng = SplitMix64(state: 0x5EED_0002)
        let samples = EventType.allCases.map { fullSamples[$0]! }
        let tokens = [#"""#, "\\", "{", "}", "[", "]", ",", ":", "null", "-", "1e9", ".", "\\u", "\\ud83d", "\u{7F}"].map { Array($0.utf8) }
        var accepted = 0
        for _ in 0..<30_000 {
            let sample = samples.randomElement(using: &rng)!
            var bytes = Array(sample.json.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)  // bit flip
                case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)  // byte replaced
                case 2: bytes.removeSubrange(at...)  // truncation
                case 3: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &rng)))  // span deleted
                case 4:  // span duplicated in place
                    let span = bytes[at..<min(bytes.count, at + Int.random(in: 1...24, using: &rng))]
                    bytes.insert(contentsOf: span, at: at)
                default: bytes.insert(contentsOf: tokens.randomElement(using: &rng)!, at: at)  // JSON token inserted
                }
            }
            let result = decoder.decode(bytes, topic: sample.topic, recordTimestamp: recordTime)
            if case .success = result { accepted += 1 }
            checkInvariants(result, topic: sample.topic, input: bytes)
        }
        // Some mutations land in values and keep the record valid; the test must exercise both outcomes.
        #expect(accepted > 100)
        #expect(accepted < 29_000)
    }

    @Test func reorderedKeysAndWhitespaceDecodeToTheSameEvent() {
        var rng = SplitMix64(state: 0x5EED_0003)
        let spaces = ["", " ", "\n", "\t", "\r\n  "]
        for type in EventType.allCases {
            let sample = fullSamples[type]!
            guard case .success(let expected) = sample.decoded() else {
                Issue.record("sample \(type.name) does not decode")
                continue
            }
            for _ in 0..<200 {
                var fields = sample.fields
                fields.append(("unknown_\(Int.random(in: 0..<1000, using: &rng))", #"{"nested":[1,"x",{"y":null}]}"#))
                fields.shuffle(using: &rng)
                func ws() -> String { spaces.randomElement(using: &rng)! }
                let json = ws() + "{" + fields.map { ws() + "\"\($0.key)\"" + ws() + ":" + ws() + $0.value + ws() }
                    .joined(separator: ",") + "}" + ws()
                let result = decode(json, topic: sample.topic)
                #expect(event(result) == expected, "\(json)")
            }
        }
    }
}
