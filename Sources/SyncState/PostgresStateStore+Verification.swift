public import SyncCore
internal import PostgresNIO

/// When each recorded file was last found to be on the platform as recorded (by a refresh, or in
/// an import batch's answer): the same rules as the SQLite file's (`StateStore+Verification.swift`).
///
/// Kept in a table of its own, `sbsync_verifications (workspace_id, project, path, verified_at)`,
/// beside the records: recording a file again keeps its time, and a row whose file is gone is
/// ignored by every read (it counts again if the address is recorded again, as in SQLite).
extension PostgresStateStore {
    public func recordVerification(addresses: [Address], at time: Int64) throws(StateError) {
        guard !addresses.isEmpty else { return }
        try write { _ in try verified(addresses, at: time) }
    }

    /// Writes the verification of `addresses` at `time` inside the caller's transaction: a
    /// refresh's findings, and files an import batch just received from the platform.
    func verified(_ addresses: [Address], at time: Int64) throws {
        guard !addresses.isEmpty else { return }
        _ = try run("""
            INSERT INTO sbsync_verifications (workspace_id, project, path, verified_at)
            SELECT DISTINCT ON (project, path) $1, project, path, $4 FROM unnest($2::text[], $3::text[]) AS a (project, path)
            ON CONFLICT (workspace_id, project, path) DO UPDATE SET verified_at = EXCLUDED.verified_at
            """, [.int(workspaceID), .texts(addresses.map(\.project)), .texts(addresses.map(\.path)), .int(time)])
    }

    public func leastRecentlyVerifiedFiles(limit: Int?) throws(StateError) -> [RecordedFile] {
        let columns = Self.fileColumns.split(separator: ",").map { "f." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        let shown = path
        return try readTransaction { _ in
            let box = FileCollector()
            _ = try Self.wait(connection.query(Self.query("""
                SELECT \(columns) FROM sbsync_files f LEFT JOIN sbsync_verifications v
                    ON v.workspace_id = f.workspace_id AND v.project = f.project AND v.path = f.path
                WHERE f.workspace_id = $1 ORDER BY coalesce(v.verified_at, -1), f.project, f.path LIMIT $2
                """, [.int(workspaceID), .int(limit.map { Int64(max($0, 0)) })]), logger: logger) { row in
                box.files.append(try Self.file(row, shown: shown))
            }, on: connection)
            return box.files
        }
    }

    public func verificationTimes() throws(StateError) -> [Address: Int64] {
        try locked { _ in
            var times: [Address: Int64] = [:]
            for row in try run("""
                SELECT v.project, v.path, v.verified_at FROM sbsync_verifications v
                JOIN sbsync_files f ON f.workspace_id = v.workspace_id AND f.project = v.project AND f.path = v.path
                WHERE v.workspace_id = $1
                """, [.int(workspaceID)]).rows {
                let cells = Array(row)
                times[Address(project: try cells[0].decode(String.self), path: try cells[1].decode(String.self))] = try cells[2].decode(Int64.self)
            }
            return times
        }
    }

    /// One query counts the files with their verifications; `fileCount` saves nothing here.
    public func verificationSummary(fileCount: Int?) throws(StateError) -> VerificationSummary {
        try locked { _ in
            let row = try run("""
                SELECT count(*), count(v.verified_at), min(v.verified_at), max(v.verified_at) FROM sbsync_files f
                LEFT JOIN sbsync_verifications v ON v.workspace_id = f.workspace_id AND v.project = f.project AND v.path = f.path
                WHERE f.workspace_id = $1
                """, [.int(workspaceID)]).rows.first
            guard let cells = row.map(Array.init) else { return VerificationSummary(files: 0, verified: 0, oldest: nil, newest: nil) }
            return VerificationSummary(files: try cells[0].decode(Int.self), verified: try cells[1].decode(Int.self),
                                       oldest: try cells[2].decode(Int64?.self), newest: try cells[3].decode(Int64?.self))
        }
    }
}
