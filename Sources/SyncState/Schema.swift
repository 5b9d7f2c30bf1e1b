/// The state file's tables, and the steps that bring an older file up to date.
///
/// Format history:
/// - 0: the pre-release layout: `metadata`, `files` without `job_id`, `folders`, `lock`;
///   no journal.
/// - 1: adds `files.job_id` and the bulk-job journal (`batches`, `batch_items`).
/// - 2: adds `files.checksum` and `folders.checksum` (`RowChecksum` over the row's other
///   columns, verified on every read), and `lock.machine` (the holder's boot and PID-namespace
///   identity, so a holder in another container with the same host name is never probed as
///   if it were a local process).
///
/// To change the layout: add format N+1 to this list, append the SQL that turns N into N+1 to
/// `migrations`, bump `StateStore.formatVersion`, and add a test that opens a hand-made file of
/// format N.
enum Schema {
    /// The full layout of the current format, for new files.
    static let current = """
        CREATE TABLE metadata (
            key   TEXT PRIMARY KEY NOT NULL,
            value NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE files (
            project     TEXT NOT NULL,
            path        TEXT NOT NULL,
            source_kind TEXT NOT NULL CHECK (source_kind IN ('volume', 'drs')),
            source      TEXT NOT NULL,              -- volume id, or the DRS URI
            location    TEXT,                       -- object location on the volume; NULL for DRS
            metadata    BLOB,                       -- RecordCodec; NULL when empty
            tags        BLOB,                       -- RecordCodec; NULL when empty
            spec_digest TEXT NOT NULL CHECK (spec_digest <> ''),
            file_id     TEXT,
            actual_name TEXT NOT NULL CHECK (actual_name <> ''),
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL,
            job_id      TEXT,
            checksum    INTEGER NOT NULL DEFAULT 0, -- RowChecksum of the columns above
            PRIMARY KEY (project, path),
            CHECK ((source_kind = 'volume') = (location IS NOT NULL))
        ) WITHOUT ROWID;

        CREATE TABLE folders (
            project     TEXT NOT NULL,
            path        TEXT NOT NULL,              -- '' is never stored: the root has no id here
            folder_id   TEXT NOT NULL,
            created     INTEGER NOT NULL,           -- 1 when sbsync created it, 0 when found
            recorded_at INTEGER NOT NULL,
            checksum    INTEGER NOT NULL DEFAULT 0, -- RowChecksum of the columns above
            PRIMARY KEY (project, path)
        ) WITHOUT ROWID;

        CREATE TABLE lock (
            id           INTEGER PRIMARY KEY CHECK (id = 1),
            holder       TEXT NOT NULL,
            pid          INTEGER NOT NULL,
            host         TEXT NOT NULL,
            operation    TEXT NOT NULL,
            created_at   INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL,
            machine      TEXT NOT NULL DEFAULT ''   -- boot id and PID namespace of the holder
        );

        \(journal)
        """

    /// The bulk-job journal (format 1).
    static let journal = """
        CREATE TABLE batches (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            kind       TEXT NOT NULL CHECK (kind IN ('volume', 'drs')),
            policy     TEXT NOT NULL CHECK (policy IN ('skip', 'overwrite', 'rename')),
            tags       BLOB,
            state      TEXT NOT NULL CHECK (state IN ('submitting', 'submitted', 'done')),
            job_id     TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX batches_unfinished ON batches (id) WHERE state <> 'done';

        CREATE TABLE batch_items (
            batch_id            INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
            position            INTEGER NOT NULL,
            project             TEXT NOT NULL,
            path                TEXT NOT NULL,
            source_kind         TEXT NOT NULL CHECK (source_kind IN ('volume', 'drs')),
            source              TEXT NOT NULL,
            location            TEXT,
            requested_name      TEXT NOT NULL,
            destination_project TEXT NOT NULL,
            destination_parent  TEXT,           -- folder id; NULL for the project root
            import_id           TEXT,
            outcome             TEXT CHECK (outcome IN ('imported', 'skipped', 'failed')),
            result_file_id      TEXT,
            result_name         TEXT,
            error               TEXT,
            PRIMARY KEY (batch_id, position)
        ) WITHOUT ROWID;
        """

    /// `migrations[n]` turns format n into n+1. Each runs inside the open's transaction;
    /// after the SQL of 1 → 2 the store sums every existing row (`StateStore.fillChecksums`).
    static let migrations: [String] = [
        // 0 → 1
        """
        ALTER TABLE files ADD COLUMN job_id TEXT;
        \(journal)
        """,
        // 1 → 2
        """
        ALTER TABLE files ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE folders ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE lock ADD COLUMN machine TEXT NOT NULL DEFAULT '';
        """,
    ]

    /// The layout of format 1, kept to test the migration path: format 0 and its migration.
    static let version1 = version0 + "\n" + migrations[0]

    /// The layout of format 0, kept to test the migration path.
    static let version0 = """
        CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value NOT NULL) WITHOUT ROWID;
        CREATE TABLE files (
            project     TEXT NOT NULL,
            path        TEXT NOT NULL,
            source_kind TEXT NOT NULL CHECK (source_kind IN ('volume', 'drs')),
            source      TEXT NOT NULL,
            location    TEXT,
            metadata    BLOB,
            tags        BLOB,
            spec_digest TEXT NOT NULL CHECK (spec_digest <> ''),
            file_id     TEXT,
            actual_name TEXT NOT NULL CHECK (actual_name <> ''),
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL,
            PRIMARY KEY (project, path),
            CHECK ((source_kind = 'volume') = (location IS NOT NULL))
        ) WITHOUT ROWID;
        CREATE TABLE folders (
            project TEXT NOT NULL, path TEXT NOT NULL, folder_id TEXT NOT NULL,
            created INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
            PRIMARY KEY (project, path)
        ) WITHOUT ROWID;
        CREATE TABLE lock (
            id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL, pid INTEGER NOT NULL,
            host TEXT NOT NULL, operation TEXT NOT NULL, created_at INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL
        );
        """
}
