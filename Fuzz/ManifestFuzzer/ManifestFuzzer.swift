import SyncCore
import SyncYAML

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one input through every offline stage of the manifest loader: parse (the YAML layer's
/// limits, merges, duplicate keys), decode and validate, expand. Any outcome is fine except a
/// crash, a sanitizer report, or a slow input (libFuzzer's `-timeout`).
func loadManifest(_ bytes: UnsafeBufferPointer<UInt8>) {
    let document: YAMLDocument
    do {
        document = try YAMLParser.parse(bytes: Array(bytes), file: "fuzz.yaml", options: .manifest)
    } catch {
        _ = error.diagnostic.description
        return
    }
    let decoding = ManifestDecoder.decode(document)
    let expansion = decoding.manifest.expand(listings: nil, detail: .full)
    for diagnostic in decoding.diagnostics + expansion.diagnostics { _ = diagnostic.description }
}

/// libFuzzer's entry point: one input per call.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    loadManifest(UnsafeBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
/// libFuzzer's driver (linked in by `-sanitize=fuzzer`). SwiftPM gives every executable its own
/// `main`, so libFuzzer's is not used: ours hands the command line to the driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
#endif

/// `make fuzz` builds this with `-sanitize=fuzzer,address -DFUZZING`: it then runs libFuzzer
/// with the arguments given. A plain build replays the files named on the command line (a
/// crash or a slow input the fuzzer saved) through the same function.
@main
enum ManifestFuzzer {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, fuzzOneInput))
        #else
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                print("sbsync-fuzz: cannot open \(path)")
                exit(1)
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = fread(&chunk, 1, chunk.count, file)
                if n <= 0 { break }
                bytes.append(contentsOf: chunk[..<n])
            }
            fclose(file)
            bytes.withUnsafeBufferPointer { loadManifest($0) }
            print("\(path): ok")
        }
        #endif
    }
}
