import KPICore

/// The live dashboard (`GET /`): one self-contained page for a shop's lead —
/// no CDN, no other requests for files, so it works offline and behind any
/// firewall.
///
/// The page is kept as real files in `Dashboard/Resources` (`dashboard.html`,
/// `.css`, `.js`), embedded at build time by the EmbedFiles plugin
/// (`DashboardFiles`). Serving it inlines the stylesheet and the script and
/// injects the metric catalog (`DashboardCatalog`): the columns, their labels
/// in English and Chinese, and the headlines, all from `Metric`.
///
/// The script loads `/api/v1/snapshots`, `/api/v1/history` and
/// `/api/v1/alerts` for the chosen shop and window, then follows
/// `/api/v1/stream`. Every value from the data reaches the DOM through
/// `textContent` or `setAttribute`, never as markup: shop, agent and campaign
/// ids come from input events.
enum DashboardPage {
    /// The page in each language, assembled once.
    static let pages: [Language: String] = Dictionary(uniqueKeysWithValues: Language.allCases.map { ($0, assemble($0)) })

    /// The page as served to a browser preferring `language`.
    static func html(_ language: Language) -> String { pages[language]! }

    /// The page for a request's `Accept-Language` (English when it names
    /// neither language).
    static func html(acceptLanguage: String?) -> String {
        html(Language.preferred(acceptLanguage: acceptLanguage))
    }

    static let stylesheetTag = #"<link rel="stylesheet" href="dashboard.css">"#
    static let scriptTag = #"<script src="dashboard.js"></script>"#
    static let languageAttribute = #"<html lang="en">"#

    /// dashboard.html with the stylesheet and script inlined, the catalog
    /// injected before the script, and `lang` set to `language` (the page's
    /// first choice; its switch changes it).
    static func assemble(_ language: Language) -> String {
        let html = DashboardFiles.dashboard_html
        precondition(html.contains(stylesheetTag) && html.contains(scriptTag) && html.contains(languageAttribute),
                     "dashboard.html lost its stylesheet link, script tag or <html lang>")
        let catalog = String(decoding: DashboardCatalog.json, as: UTF8.self)
        return html
            .replacing(languageAttribute, with: #"<html lang="\#(language.tag)">"#)
            .replacing(stylesheetTag, with: "<style>\n" + DashboardFiles.dashboard_css + "</style>")
            .replacing(scriptTag, with: #"<script id="catalog" type="application/json">"# + catalog + "</script>\n"
                + "<script>\n" + DashboardFiles.dashboard_js + "</script>")
    }
}

/// The metric catalog as the dashboard reads it (JSON in the page):
/// `{"groups": {"shop_operations": {"title": {"en": …, "zh-CN": …}, "metrics": [names]}, …},
///   "metrics": {"pv": {"unit": "count", "direction": "higher_is_better", "label": {"en": …, "zh-CN": …}}, …},
///   "headlines": {"shop": [names], "agent": …}}`.
enum DashboardCatalog {
    static let json: [UInt8] = {
        var out: [UInt8] = []
        func raw(_ s: String) { out.append(contentsOf: s.utf8) }
        func string(_ s: String) {
            // Safe inside <script>: no "</script>" can be formed.
            var bytes: [UInt8] = []
            JSONText.string(s, &bytes)
            for b in bytes { if b == 0x3C { raw("\\u003c") } else { out.append(b) } }
        }
        func labels(_ label: (Language) -> String) {
            raw("{")
            for (i, language) in Language.allCases.enumerated() {
                if i > 0 { raw(",") }
                string(language.tag); raw(":"); string(label(language))
            }
            raw("}")
        }
        func names(_ metrics: [Metric]) {
            raw("[")
            for (i, m) in metrics.enumerated() { if i > 0 { raw(",") }; string(m.name) }
            raw("]")
        }
        raw("{\"groups\":{")
        for (i, g) in MetricGroup.allCases.enumerated() {
            if i > 0 { raw(",") }
            string(g.rawValue); raw(":{\"title\":"); labels(g.title(in:)); raw(",\"metrics\":"); names(g.metrics); raw("}")
        }
        raw("},\"metrics\":{")
        for (i, m) in Metric.allCases.enumerated() {
            if i > 0 { raw(",") }
            string(m.name); raw(":{\"unit\":"); string(m.unit.rawValue)
            raw(",\"direction\":"); string(m.direction.name)
            raw(",\"label\":"); labels(m.label(in:)); raw("}")
        }
        raw("},\"headlines\":{")
        for (i, t) in ScopeType.allCases.enumerated() {
            if i > 0 { raw(",") }
            string(t.name); raw(":"); names(Headlines.metrics(for: t))
        }
        raw("}}")
        return out
    }()
}
