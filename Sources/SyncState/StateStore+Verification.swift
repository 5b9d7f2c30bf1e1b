import Foundation
public import SyncCore

/// When each recorded file was last found to be on the platform as recorded: by a refresh, or
/// in the platform's own answer when an import batch completed (DESIGN.md "Truth from the platform").
///
/// Kept in a table of its own, `verifications (project, path, verified_at)`, made by the first
/// `recordVerification` (a file never refreshed has none, and an older sbsync reading the file
/// ignores it): it is advice on what to check next, not part of a record, so the file's format
/// and the records' checksums stay as they are. A row whose file is gone is ignored by every read.
extension StateStore {
    static let verificationTable = """
        CREATE TABLE IF NOT EXISTS verifications (
            project     TEXT NOT NULL,
            path        TEXT NOT NULL,
            verified_at INTEGER NOT NULL,
            PRIMARY KEY (project, path)
        ) WITHOUT ROWID
        """

    /// Records that the files at `addresses` were found as recorded at `time` (Unix seconds),
    /// in one transaction (the caller holds the lock).
    public func recordVerification(addresses: [Address], at time: Int64) throws(StateError) {
        guard !addresses.isEmpty else { return }
        try write { db, _ in try Self.verified(addresses, at: time, db) }
    }

    /// Writes the verification of `addresses` at `time` inside the caller's transaction: a
    /// refresh's findings, and files an import batch just received from the platform.
    static func verified(_ addresses: [Address], at time: Int64, _ db: SQLiteConnection) throws {
        guard !addresses.isEmpty else { return }
        try db.execute(Self.verificationTable)
        let upsert = try db.prepare("INSERT OR REPLACE INTO verifications (project, path, verified_at) VALUES (?, ?, ?)")
        for address in addresses { try upsert.run(.text(address.project), .text(address.path), .int(time)) }
    }

    /// Recorded files, least recently verified first (never verified first of all, then by
    /// address), at most `limit` of them: the order a budgeted refresh checks them in, so
    /// repeated runs cover the state round-robin.
    public func leastRecentlyVerifiedFiles(limit: Int?) throws(StateError) -> [RecordedFile] {
        try read { db in
            let columns = Self.fileColumns.split(separator: ",").map { "f.\($0.trimmingCharacters(in: .whitespaces))" }
                .joined(separator: ", ")
            let limitClause = limit.map { " LIMIT \(max($0, 0))" } ?? ""
            let sql = try Self.hasVerifications(db)
                ? "SELECT \(columns) FROM files f LEFT JOIN verifications v ON v.project = f.project AND v.path = f.path "
                    + "ORDER BY coalesce(v.verified_at, -1), f.project, f.path\(limitClause)"
                : "SELECT \(columns) FROM files f ORDER BY f.project, f.path\(limitClause)"
            let select = try db.prepare(sql)
            defer { select.reset() }
            var decoder = RowDecoder()
            var files: [RecordedFile] = []
            while try select.step() { files.append(try decoder.file(select, path: path)) }
            return files
        }
    }

    /// The verification time of each recorded file that has one.
    public func verificationTimes() throws(StateError) -> [Address: Int64] {
        try read { db in
            guard try Self.hasVerifications(db) else { return [:] }
            let select = try db.prepare("SELECT v.project, v.path, v.verified_at FROM verifications v "
                + "JOIN files f ON f.project = v.project AND f.path = v.path")
            defer { select.reset() }
            var times: [Address: Int64] = [:]
            while try select.step() {
                times[Address(project: select.text(0) ?? "", path: select.text(1) ?? "")] = select.int64(2)
            }
            return times
        }
    }

    /// How many recorded files were ever verified, and the range of their times.
    public func verificationSummary(fileCount: Int?) throws(StateError) -> VerificationSummary {
        try read { db in
            let files = try fileCount ?? Int(db.scalarInt("SELECT count(*) FROM files") ?? 0)
            guard try Self.hasVerifications(db) else { return VerificationSummary(files: files, verified: 0, oldest: nil, newest: nil) }
            let select = try db.prepare("SELECT count(*), min(v.verified_at), max(v.verified_at) FROM verifications v "
                + "JOIN files f ON f.project = v.project AND f.path = v.path")
            defer { select.reset() }
            guard try select.step() else { return VerificationSummary(files: files, verified: 0, oldest: nil, newest: nil) }
            let verified = Int(select.int64(0))
            return VerificationSummary(files: files, verified: verified,
                                       oldest: verified > 0 ? select.int64(1) : nil, newest: verified > 0 ? select.int64(2) : nil)
        }
    }

    static func hasVerifications(_ db: SQLiteConnection) throws -> Bool {
        try db.scalarInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'verifications'") == 1
    }
}
