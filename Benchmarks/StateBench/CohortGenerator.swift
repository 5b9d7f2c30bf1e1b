import Foundation
import SyncCore

/// The entries `Benchmarks/gen-manifest.py N` writes, as the manifest decoder would give them
/// (defaults applied), turned into recorded files. Keep in step with that script.
struct CohortGenerator {
    let count: Int

    static let project = "rfranklin/pan-cancer-cohort"
    static let studies = ["TCGA-BRCA", "TCGA-LUAD", "TARGET-NBL", "CPTAC-3", "ICDC-OSA"]
    static let tissues = ["tumor", "normal", "metastasis"]
    static let strategies = ["WGS", "WXS", "RNA-Seq"]
    static let platforms = ["ILLUMINA", "BGISEQ", "ONT"]
    static let centers = ["broad", "bcm", "wustl", "ucsc"]
    static let defaults = Metadata([("study", .string("PANCAN"))])
    static let tags = ["benchmark"]

    func recordedFiles(now: Int64) -> [RecordedFile] {
        var files: [RecordedFile] = []
        files.reserveCapacity(count)
        func add(_ path: String, _ source: FileSource, _ metadata: Metadata, job: String) {
            let address = Address(project: Self.project, path: path)
            let merged = Self.defaults.merging(metadata)
            files.append(RecordedFile(address: address, source: source, metadata: merged, tags: Self.tags,
                                      specDigest: SpecDigest.compute(source: source, metadata: merged, tags: Self.tags),
                                      fileID: String(format: "%024x", 0x6500_0000 + files.count), actualName: address.name,
                                      jobID: job, createdAt: now, updatedAt: now))
        }
        let nVolume = count / 2, nDRS = count - nVolume
        let volumes = max(1, min(8, nVolume / 1000 == 0 ? 1 : nVolume / 1000))
        let perVolume = (nVolume + volumes - 1) / volumes
        var written = 0
        for v in 0..<volumes {
            let n = min(perVolume, nVolume - written)
            if n <= 0 { break }
            let volume = String(format: "rfranklin/%@_bucket_%02d", Self.centers[v % Self.centers.count], v)
            let folder = String(format: "raw/v%02d", v)
            for i in written..<(written + n) {
                let patient = String(format: "P%06d", i / 8)
                let sample = "\(patient)-\(i % 2 == 0 ? "T" : "N")\((i / 2) % 4 + 1)"
                let lane = i % 4 + 1, read = i % 2 + 1
                let strategy = Self.strategies[i % 3]
                let location = "cohort/\(patient)/\(strategy)/" + String(format: "%@_L%03d_R%d_%07d.fastq.gz", sample, lane, read, i)
                let name = i % 5 == 0 ? String(format: "%@_R%d_%07d.fq.gz", sample, read, i) : String(location.split(separator: "/").last!)
                let metadata: Metadata = i % 3 == 0
                    ? Metadata([("sample_id", .string(sample)), ("sample_type", .string(Self.tissues[i % 3])), ("paired_end", .int(read))])
                    : Metadata([("sample_id", .string(sample)), ("experimental_strategy", .string(strategy))])
                add(folder + "/" + name, .volume(volume: volume, location: location), metadata, job: "import-batch-\(i / 100)")
            }
            written += n
        }
        var random = PythonRandom(seed: 20_260_101)
        for j in 0..<nDRS {
            let uuid = random.uuid4()
            let case_ = String(format: "C%06d", j / 6)
            let study = Self.studies[j % Self.studies.count]
            let ext = ["bam", "cram", "vcf.gz", "maf.gz"][j % 4]
            let name = "\(study)_\(case_)_" + String(format: "%07d", j) + ".\(ext)"
            let metadata: Metadata = j % 2 == 1
                ? Metadata([("case_id", .string(case_)), ("platform", .string(Self.platforms[j % 3])),
                            ("coverage", .float(Double(String(format: "%.1f", 20 + Double(j % 400) / 10))!))])
                : Metadata([("case_id", .string(case_)), ("reference_genome", .string("GRCh38"))])
            add("drs/\(study)/\(name)", .drs(uri: "drs://nci-crdc.datacommons.io/\(uuid)"), metadata, job: "drs-job-\(j / 100)")
        }
        return files
    }
}

/// Python's `random.Random(seed)` (MT19937 seeded by `init_by_array`), enough for
/// `uuid.UUID(int=rng.getrandbits(128), version=4)` to give the same UUIDs as the script.
struct PythonRandom {
    private var mt = [UInt32](repeating: 0, count: 624)
    private var index = 624

    init(seed: UInt32) {
        initGenrand(19_650_218)
        let key = [seed]
        var i = 1, j = 0
        for _ in 0..<max(624, key.count) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1; j += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
        }
        mt[0] = 0x8000_0000
    }

    private mutating func initGenrand(_ s: UInt32) {
        mt[0] = s
        for i in 1..<624 { mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i) }
        index = 624
    }

    mutating func next() -> UInt32 {
        if index >= 624 {
            for k in 0..<624 {
                let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % 624] & 0x7FFF_FFFF)
                mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
            }
            index = 0
        }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `str(uuid.UUID(int=getrandbits(128), version=4))`.
    mutating func uuid4() -> String {
        // getrandbits(128): four words, the first the least significant.
        var words = (0..<4).map { _ in next() }
        // Bytes big-endian: word 3 is the most significant.
        var bytes: [UInt8] = []
        for w in words.reversed() { bytes += [UInt8(w >> 24), UInt8(w >> 16 & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w & 0xFF)] }
        words.removeAll()
        bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80  // RFC 4122 variant
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let h = Array(hex)
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20]) + "-" + String(h[20..<32])
    }
}
