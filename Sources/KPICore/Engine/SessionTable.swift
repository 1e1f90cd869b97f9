/// The sessions of one shop by `session_id`: a dense array of sessions with
/// an index keyed by the id's `StableHash`.
///
/// Why not `[String: Value]`: a page view or chat message looks its session
/// up by id, and `Dictionary` hashes a `String` key with SipHash on every
/// lookup (about 440 instructions for a short id, ~10% of ingest), while the
/// engine already hashes ids with `StableHash` (a few multiplies). The index
/// maps the hash to the session's position; the id stored there is compared
/// on every hit, and ids whose hash collides with another's (one in ~10¹¹
/// pairs) live in `overflow`, so lookups stay exact.
///
/// Positions are stable until `filter` (retention), so a caller may keep one
/// for the duration of an event. Iteration order is never observable.
struct SessionTable<Value> {
    private(set) var ids: [String] = []
    /// Parallel to `ids`; mutate in place through `values[position]`.
    var values: [Value] = []
    /// `StableHash(id)` → position of the first id with that hash.
    private var index = IDMap<Int32>(empty: 0)
    /// Ids whose hash is already taken by another id → position.
    private var overflow: [String: Int32] = [:]

    init() {}

    /// The table holding a dictionary's sessions.
    init(_ sessions: [String: Value]) {
        ids.reserveCapacity(sessions.count)
        values.reserveCapacity(sessions.count)
        for (id, v) in sessions { insert(id, hash: StableHash.hash(id), v) }
    }

    /// The sessions as a dictionary (checkpoints, diagnostics; not the hot path).
    var dictionary: [String: Value] {
        Dictionary(uniqueKeysWithValues: zip(ids, values))
    }

    var count: Int { ids.count }

    /// The position of session `id` (whose `StableHash` is `h`), if present.
    @inline(__always)
    func position(of id: String, hash h: UInt64) -> Int? {
        guard let i = index[h] else { return nil }
        if ids[Int(i)] == id { return Int(i) }
        return overflow.isEmpty ? nil : overflow[id].map { Int($0) }
    }

    /// The position of the session whose id has UTF-8 `id` (and `StableHash` `h`), if present.
    @inline(__always)
    func position(of id: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Int? {
        guard let i = index[h] else { return nil }
        if EventText.equal(id, ids[Int(i)]) { return Int(i) }
        return overflow.isEmpty ? nil : overflow[String(decoding: id, as: UTF8.self)].map { Int($0) }
    }

    /// Adds a session that is not present; returns its position.
    @discardableResult
    mutating func insert(_ id: String, hash h: UInt64, _ value: Value) -> Int {
        let i = Int32(ids.count)
        ids.append(id)
        values.append(value)
        if index[h] == nil { index.updateValue(i, forKey: h) } else { overflow[id] = i }
        return Int(i)
    }

    /// The sessions that pass `keep` (positions change).
    func filter(_ keep: (Value) -> Bool) -> SessionTable {
        var out = SessionTable()
        for i in ids.indices where keep(values[i]) { out.insert(ids[i], hash: StableHash.hash(ids[i]), values[i]) }
        return out
    }
}
