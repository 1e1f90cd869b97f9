/// One thing wrong with a configuration: where (a path in the file, and the
/// line when it came from the file) and what to fix.
///
/// The message never carries a secret's value (Kafka passwords, the HTTP
/// token, webhook headers): those are shown as `***` or not at all.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    /// Where in the document: `targets[2].metric`, `kafka.properties["sasl.password"]`,
    /// or `environment` for a `KPI_INGEST_*` variable that names no key.
    public var path: String
    /// 1-based line in the file; nil when the value came from the environment
    /// or the problem is about a key that is absent altogether.
    public var line: Int?
    /// What is wrong and what to write instead.
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path; self.line = line; self.message = message
    }

    /// `FILE:LINE: path: message` (or `FILE: path: message` without a line),
    /// the form editors and CI logs jump to.
    public func formatted(source: String) -> String {
        let location = line.map { "\(source):\($0)" } ?? source
        return "\(location): \(path): \(message)"
    }

    public var description: String {
        "\(line.map { "line \($0): " } ?? "")\(path): \(message)"
    }
}

/// The configuration could not be used: the file is missing or unreadable, or
/// it (with its environment overrides) has problems. One error type for the
/// whole configuration part, so callers handle one thing.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file path (or the name given to `parse(yaml:source:environment:)`).
    public var source: String
    /// Every problem found, in document order, then environment problems.
    public var problems: [ConfigProblem]

    public init(source: String, problems: [ConfigProblem]) {
        self.source = source; self.problems = problems
    }

    /// One line per problem, `FILE:LINE: path: message`.
    public var description: String {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "invalid configuration \(source) (\(count)):\n"
            + problems.map { "  " + $0.formatted(source: source) }.joined(separator: "\n")
    }
}
