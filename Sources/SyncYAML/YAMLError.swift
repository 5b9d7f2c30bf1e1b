/// Why a YAML input was rejected: a marked `Diagnostic` plus the kind of problem, so that callers
/// and tests can tell which check fired without parsing the message.
public struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The file could not be opened or read.
        case unreadable
        /// libyaml rejected the text (scanner or parser error).
        case syntax
        /// The bytes are not valid UTF-8 (or contain characters YAML forbids).
        case invalidEncoding
        /// `YAMLLimits.maxInputBytes` exceeded.
        case inputTooLarge
        /// `YAMLLimits.maxDepth` exceeded.
        case nestingTooDeep
        /// `YAMLLimits.maxAliasExpansion` exceeded.
        case aliasExpansionTooLarge
        /// `YAMLLimits.maxScalarBytes` exceeded.
        case scalarTooLong
        /// A mapping has the same key twice.
        case duplicateKey
        /// `parse` found a second document.
        case multipleDocuments
        /// A tag outside the core schema (without `allowsUnknownTags`).
        case unknownTag
        /// A value does not fit its explicit tag, or an integer does not fit in 64 bits.
        case invalidValue
        /// An alias names no earlier anchor, or its own enclosing node.
        case badAlias
        /// A `<<` merge key whose value is not a mapping or a list of mappings.
        case badMerge
    }

    public var kind: Kind
    public var diagnostic: Diagnostic

    public init(_ kind: Kind, _ diagnostic: Diagnostic) {
        self.kind = kind
        self.diagnostic = diagnostic
    }

    public var description: String {
        diagnostic.note.map { "\(diagnostic)\n\($0)" } ?? diagnostic.description
    }
}
