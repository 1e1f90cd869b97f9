/// Constants and the configuration fingerprint of the checkpoint format
/// written by `PartitionKPIState.checkpoint()`.
///
/// Layout (all integers varints unless marked fixed):
///
///     header   magic "KPIC" · format version · fingerprint (fixed 8) ·
///              configuration summary (the fingerprinted fields, so a
///              mismatch can name the field that differs)
///     body     partition · base time · coverage start · clock ·
///              shops · scopes (windows, rolling buckets) ·
///              join state per shop (chat sessions, browsing sessions,
///              buyer histories) · dedup ids · turn deadlines · evicted windows
///     trailer  StableHash of every byte before it (fixed 8)
///
/// Dictionaries are written sorted by key (hashes numerically, strings in
/// `String` order), so the same state always gives the same bytes.
enum CheckpointFormat {
    static let magic: [UInt8] = Array("KPIC".utf8)
    /// Bump on any layout change; a reader refuses other versions (the
    /// service then replays from the inputs instead). 2: rolling distinct
    /// ids exact or a sliding sketch (`RollingDistinct`). 3: a session's
    /// first turn carries the agent who answered it; the clock has the
    /// latest record timestamp.
    static let version: UInt64 = 3
    /// From this many hashes on, sorted hash lists are delta varints.
    static let deltaHashThreshold = 1024
    /// Counter values beyond ±2⁵³ are corruption (no KPI sums that much), and
    /// would overflow the metric formulas (`count × 1000`).
    static let counterBound: Int64 = 1 << 53
    static let trailerSize = 8

    /// The fingerprinted configuration fields, in writing order. `teams` are
    /// names in order plus each team's distinct agents, sorted (agent order
    /// and duplicates do not change results); `leads` only route alerts, so
    /// they are not part of it.
    static func writeSummary(_ c: KPIConfiguration, to w: inout CheckpointWriter) {
        w.string(c.timeZoneID)
        w.count(c.firstWeekday)
        w.signed(c.allowedLateness.millis)
        w.count(c.retention.days); w.count(c.retention.weeks); w.count(c.retention.months)
        w.signed(c.attributionWindow.millis)
        w.signed(c.replyTimeout.millis)
        w.signed(c.responseWithin.millis)
        w.signed(c.futureSkew.millis)
        w.count(c.distinctExactThreshold)
        w.count(c.fractionDigits)
        w.fixed64(teamsHash(c.teams))
    }

    /// A configuration as the summary describes it, field by field, for naming differences.
    struct Summary: Equatable {
        var fields: [(name: String, value: String)]
        static func == (a: Summary, b: Summary) -> Bool { a.fields.map(\.value) == b.fields.map(\.value) }
    }

    static func summary(_ c: KPIConfiguration) -> Summary {
        var w = CheckpointWriter(capacity: 64)
        writeSummary(c, to: &w)
        var r = CheckpointReader(w.bytes, limit: w.bytes.count)
        // Cannot fail: we just wrote it.
        return (try? readSummary(&r)) ?? Summary(fields: [])
    }

    static func readSummary(_ r: inout CheckpointReader) throws(KPICoreError) -> Summary {
        var f: [(String, String)] = []
        f.append(("timeZone", try r.string()))
        f.append(("firstWeekday", String(try r.varint())))
        f.append(("allowedLateness", String(try r.signed())))
        f.append(("retention.days", String(try r.varint())))
        f.append(("retention.weeks", String(try r.varint())))
        f.append(("retention.months", String(try r.varint())))
        f.append(("attributionWindow", String(try r.signed())))
        f.append(("replyTimeout", String(try r.signed())))
        f.append(("responseWithin", String(try r.signed())))
        f.append(("futureSkew", String(try r.signed())))
        f.append(("distinctExactThreshold", String(try r.varint())))
        f.append(("fractionDigits", String(try r.varint())))
        f.append(("teams", String(try r.fixed64())))
        return Summary(fields: f.map { (name: $0.0, value: $0.1) })
    }

    static func teamsHash(_ teams: [KPIConfiguration.Team]) -> UInt64 {
        var w = CheckpointWriter(capacity: 256)
        w.count(teams.count)
        for t in teams {
            w.string(t.name)
            let agents = Set(t.agents).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            w.count(agents.count)
            for a in agents { w.string(a) }
        }
        return w.bytes.withUnsafeBytes { StableHash.hash(bytes: $0) }
    }

    /// The fingerprint: StableHash of the summary bytes.
    static func fingerprint(_ c: KPIConfiguration) -> UInt64 {
        var w = CheckpointWriter(capacity: 64)
        writeSummary(c, to: &w)
        return w.bytes.withUnsafeBytes { StableHash.hash(bytes: $0) }
    }

    static func checksum(_ bytes: [UInt8], count: Int) -> UInt64 {
        bytes.withUnsafeBytes { StableHash.hash(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
}
