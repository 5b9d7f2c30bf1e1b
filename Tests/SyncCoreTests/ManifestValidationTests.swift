import SyncCore
import Testing

@Suite struct ManifestValidationTests {
    @Test(arguments: ["rfranklin/my-project", "icdc-team/os_cohort.2024", "a/b", "Division1/P-2"])
    func validProjectIDs(_ id: String) {
        #expect(ManifestValidation.projectID(id) == nil)
    }

    @Test(arguments: ["rfranklin", "rfranklin/", "/slug", "a/b/c", "rfranklin/my project", "-x/y", "x/-y", "", "a:b/c"])
    func invalidProjectIDs(_ id: String) {
        #expect(ManifestValidation.projectID(id) == .invalidProjectID(id))
    }

    @Test(arguments: ["rfranklin/input", "rfranklin/my_volume", "d1/" + String(repeating: "v", count: 32)])
    func validVolumeIDs(_ id: String) {
        #expect(ManifestValidation.volumeID(id) == nil)
    }

    @Test(arguments: ["rfranklin", "rfranklin/my-volume", "rfranklin/a.b", "d1/" + String(repeating: "v", count: 33), "/v", "a/b/c"])
    func invalidVolumeIDs(_ id: String) {
        #expect(ManifestValidation.volumeID(id) == .invalidVolumeID(id))
    }

    @Test(arguments: [
        "drs://nci-crdc.datacommons.io/1805d249-bc24-4eed-b191-86d333d7563f",
        "drs://example.org:8443/abc~def_1.2",
        "drs://localhost/x",
        "drs://drs.example.org/0b1c%2F2d",
        "drs://dg.4503:0b1c2d3e-aaaa-bbbb-cccc-000000000002",
        "drs://dg.ABCD:0b1c2d3e",
        "drs://provider-1/dg.4503:0b1c/2d3e",
        "drs://doi:10.1234/abc",
        // Not a port, so a compact identifier: namespace 'example.org', accession '80a/abc'.
        "drs://example.org:80a/abc",
    ])
    func validDRSURIs(_ uri: String) {
        #expect(ManifestValidation.drsURI(uri) == nil)
    }

    @Test(arguments: [
        ("https://example.org/ga4gh/drs/v1/objects/abc", ManifestProblem.DRSURIError.scheme),
        ("DRS://example.org/abc", .scheme),
        ("drs:/example.org/abc", .scheme),
        ("drs://", .form),
        ("drs://example.org/", .hostnameForm),
        ("drs://example.org", .form),
        ("drs://-bad-/abc", .hostnameForm),
        ("drs://example..org/abc", .hostnameForm),
        ("drs://example.org/a b", .hostnameForm),
        ("drs://example.org//abc", .hostnameForm),
        ("drs://dg.4503:", .compactForm),
        ("drs://:abc", .compactForm),
        ("drs://dg-4503:abc", .compactForm),
    ])
    func invalidDRSURIs(_ uri: String, _ error: ManifestProblem.DRSURIError) {
        #expect(ManifestValidation.drsURI(uri) == .invalidDRSURI(uri, error))
    }

    @Test func names() {
        #expect(ManifestValidation.name("s1_R1.fastq.gz") == nil)
        #expect(ManifestValidation.name("name with spaces (1).txt") == nil)
        #expect(ManifestValidation.name(String(repeating: "é", count: 255)) == nil)
        #expect(ManifestValidation.name("") == .invalidName("", .empty))
        #expect(ManifestValidation.name("a/b") == .invalidName("a/b", .slash))
        #expect(ManifestValidation.name("..") == .invalidName("..", .dots))
        let long = String(repeating: "é", count: 256)
        #expect(ManifestValidation.name(long) == .invalidName(long, .tooLong(256)))
    }

    @Test(arguments: ["", "raw", "raw/s1", "a.b/c-d/e_f", "...", ".hidden"])
    func validFolders(_ folder: String) {
        #expect(ManifestValidation.folder(folder) == nil)
    }

    @Test(arguments: [
        ("/raw", ManifestProblem.FolderError.leadingSlash),
        ("raw/", .trailingSlash),
        ("raw//s1", .emptySegment),
        ("raw/../s1", .dotSegment("..")),
        ("./raw", .dotSegment(".")),
        ("..", .dotSegment("..")),
        ("raw/sample 1", .character(" ")),
        ("données", .character("é")),
        ("a:b", .character(":")),
    ])
    func invalidFolders(_ folder: String, _ error: ManifestProblem.FolderError) {
        #expect(ManifestValidation.folder(folder) == .invalidFolder(folder, error))
    }

    @Test func locationsPrefixesTags() {
        #expect(ManifestValidation.location("fastq/a.fq") == nil)
        #expect(ManifestValidation.location("") == .invalidLocation("", .empty))
        #expect(ManifestValidation.location("fastq/") == .invalidLocation("fastq/", .endsWithSlash))
        #expect(ManifestValidation.prefix("") == nil)
        #expect(ManifestValidation.prefix("fastq/") == nil)
        #expect(ManifestValidation.prefix("fastq") == .invalidPrefix("fastq"))
        #expect(ManifestValidation.tag("raw data") == nil)
        #expect(ManifestValidation.tag("") == .invalidTag("", .empty))
        #expect(ManifestValidation.tag("a,b") == .invalidTag("a,b", .comma))
    }

    @Test(arguments: [
        ("skip", Result<ConflictPolicy, ManifestProblem>.success(.skip)),
        ("overwrite", .success(.overwrite)),
        ("rename", .success(.rename)),
        ("overwite", .failure(.invalidConflict("overwite", suggestion: "overwrite"))),
        ("Skip", .failure(.invalidConflict("Skip", suggestion: "skip"))),
        ("replace", .failure(.invalidConflict("replace", suggestion: nil))),
    ])
    func conflicts(_ text: String, _ expected: Result<ConflictPolicy, ManifestProblem>) {
        #expect(ManifestValidation.conflict(text) == expected)
    }

    @Test(arguments: [
        ("metdata", "metadata"), ("fodler", "folder"), ("projcet", "project"), ("tag", "tags"),
        ("locaton", "location"), ("includes", "include"),
    ])
    func suggestions(_ typo: String, _ expected: String) {
        let keys = ["location", "name", "folder", "project", "metadata", "tags", "conflict", "include"]
        #expect(Suggestion.closest(to: typo, in: keys) == expected)
    }

    @Test func noSuggestionForUnrelatedWords() {
        #expect(Suggestion.closest(to: "checksum", in: ManifestKeys.volumeFile) == nil)
        #expect(Suggestion.closest(to: "x", in: ManifestKeys.volumeFile) == nil)
        #expect(Suggestion.distance("kitten", "sitting") == 3)
        #expect(Suggestion.distance("ab", "ba") == 1)
    }
}
