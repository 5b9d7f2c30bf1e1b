// Parses YAML files with SyncYAML and prints the node count: the "parse only" benchmark row.
// Usage: sbsync-yaml-bench FILE [--stream] [--resolve]
import SyncYAML
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

var arguments = Array(CommandLine.arguments.dropFirst())
let stream = arguments.contains("--stream")
let resolve = arguments.contains("--resolve")
arguments.removeAll { $0.hasPrefix("--") }
guard let path = arguments.first else {
    print("usage: sbsync-yaml-bench FILE [--stream] [--resolve]")
    exit(64)
}

/// Counts the nodes of a tree (aliases counted once per use), iteratively.
func countNodes(_ root: YAMLNode, resolve: Bool) -> (nodes: Int, strings: Int) {
    var stack = [root]
    var nodes = 0, strings = 0
    while let node = stack.popLast() {
        nodes += 1
        switch node.kind {
        case .scalar:
            if resolve, case .string? = node.value { strings += 1 }
        case .sequence:
            stack.append(contentsOf: node.items)
        case .mapping:
            for pair in node.pairs {
                stack.append(pair.key)
                stack.append(pair.value)
            }
        }
    }
    return (nodes, strings)
}

do {
    let documents = stream ? try YAMLParser.parseStream(contentsOf: path) : [try YAMLParser.parse(contentsOf: path)]
    for document in documents {
        let counts = countNodes(document.root, resolve: resolve)
        print(resolve ? "nodes: \(counts.nodes) strings: \(counts.strings)" : "nodes: \(counts.nodes)")
    }
} catch {
    print(error.description)
    exit(1)
}
