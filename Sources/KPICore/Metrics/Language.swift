/// A language the service speaks to people in: dashboard labels, and the
/// alert messages written for a lead.
public enum Language: String, CaseIterable, Sendable, Hashable {
    /// Simplified Chinese, the seeds' language (首次响应时间, 询单转化率).
    case zhCN = "zh-CN"
    /// English.
    case en

    /// The BCP 47 tag (`zh-CN`, `en`).
    public var tag: String { rawValue }

    /// The language of a tag, case-insensitively and by its primary subtag:
    /// `zh`, `zh-CN`, `zh-Hans-CN` → `.zhCN`; `en`, `en-GB` → `.en`; nil
    /// for any other language.
    public init?(tag: some StringProtocol) {
        let primary = tag.split(separator: "-", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        switch primary {
        case "zh": self = .zhCN
        case "en": self = .en
        default: return nil
        }
    }

    /// The language a browser prefers among those spoken here, from an
    /// `Accept-Language` header (`zh-CN,zh;q=0.9,en;q=0.8`): the highest
    /// `q` wins, the earlier entry on a tie; `fallback` when none is spoken
    /// here or the header is absent.
    public static func preferred(acceptLanguage header: String?, fallback: Language = .en) -> Language {
        guard let header else { return fallback }
        var best: (language: Language, q: Double)?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let first = parts.first else { continue }
            let tag = first.trimmingWhitespace()
            var q = 1.0
            for p in parts.dropFirst() {
                let param = p.trimmingWhitespace()
                if param.hasPrefix("q="), let v = Double(param.dropFirst(2)) { q = v }
            }
            guard q > 0, let language = Language(tag: tag) else { continue }
            if best == nil || q > best!.q { best = (language, q) }
        }
        return best?.language ?? fallback
    }
}

private extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }
}
