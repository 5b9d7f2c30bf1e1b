import Foundation
import Testing

@Suite struct MaxDurationOptionTests {
    @Test("--max-duration out of range is a usage error", arguments: ["0", "-5", "inf", "nan", "1e300"])
    func outOfRange(value: String) throws {
        let result = try run(try sbsyncBinary(), ["apply", "--max-duration", value, "--auto-approve"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--max-duration"), "\(result.stderr)")
    }
}
