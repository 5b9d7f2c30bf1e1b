/// The PostgreSQL tables that hold every workspace's state, and the steps between their versions.
///
/// One set of tables per database, rows keyed by workspace; text that orders addresses is
/// `COLLATE "C"` (byte order, as SQLite's and the diff's). `sbsync_schema` holds the version;
/// sbsync creates and migrates the tables itself, under a transaction-level advisory lock so
/// two first runs do not race.
///
/// To change the layout: append the SQL that turns version N into N+1 to `migrations` (never
/// edit a step already released) and add a test. A nullable column is one step, e.g.
/// `ALTER TABLE sbsync_files ADD COLUMN …`.
enum PostgresSchema {
    /// The version this sbsync writes (`migrations.count`).
    static var version: Int { migrations.count }

    /// The key of the advisory lock held while the tables are created or migrated.
    static let migrationLockKey: Int64 = 0x7362_7379_6e63_0001  // "sbsync" + 1

    /// `migrations[n]` turns version n into n+1; version 0 is "no tables".
    static let migrations: [String] = [
        // 0 → 1
        """
        CREATE TABLE sbsync_workspaces (
            id             BIGSERIAL PRIMARY KEY,
            name           TEXT NOT NULL UNIQUE,
            lineage        TEXT NOT NULL,
            serial         BIGINT NOT NULL DEFAULT 0,
            format_version INTEGER NOT NULL,
            created_at     BIGINT NOT NULL
        );
        CREATE TABLE sbsync_files (
            workspace_id BIGINT NOT NULL REFERENCES sbsync_workspaces (id) ON DELETE CASCADE,
            project      TEXT COLLATE "C" NOT NULL,
            path         TEXT COLLATE "C" NOT NULL,
            source_kind  TEXT NOT NULL CHECK (source_kind IN ('volume', 'drs')),
            source       TEXT NOT NULL,
            location     TEXT,
            metadata     BYTEA,
            tags         BYTEA,
            spec_digest  TEXT NOT NULL CHECK (spec_digest <> ''),
            file_id      TEXT,
            actual_name  TEXT NOT NULL CHECK (actual_name <> ''),
            job_id       TEXT,
            created_at   BIGINT NOT NULL,
            updated_at   BIGINT NOT NULL,
            PRIMARY KEY (workspace_id, project, path),
            CHECK ((source_kind = 'volume') = (location IS NOT NULL))
        );
        CREATE TABLE sbsync_verifications (
            workspace_id BIGINT NOT NULL REFERENCES sbsync_workspaces (id) ON DELETE CASCADE,
            project      TEXT COLLATE "C" NOT NULL,
            path         TEXT COLLATE "C" NOT NULL,
            verified_at  BIGINT NOT NULL,
            PRIMARY KEY (workspace_id, project, path)
        );
        CREATE TABLE sbsync_folders (
            workspace_id BIGINT NOT NULL REFERENCES sbsync_workspaces (id) ON DELETE CASCADE,
            project      TEXT COLLATE "C" NOT NULL,
            path         TEXT COLLATE "C" NOT NULL CHECK (path <> ''),
            folder_id    TEXT NOT NULL,
            created      BOOLEAN NOT NULL,
            recorded_at  BIGINT NOT NULL,
            PRIMARY KEY (workspace_id, project, path)
        );
        CREATE TABLE sbsync_locks (
            workspace_id BIGINT PRIMARY KEY REFERENCES sbsync_workspaces (id) ON DELETE CASCADE,
            holder       TEXT NOT NULL,
            pid          INTEGER NOT NULL,
            host         TEXT NOT NULL,
            operation    TEXT NOT NULL,
            created_at   BIGINT NOT NULL,
            heartbeat_at BIGINT NOT NULL,
            machine      TEXT NOT NULL DEFAULT '',
            backend_pid  INTEGER NOT NULL
        );
        CREATE TABLE sbsync_batches (
            id           BIGSERIAL PRIMARY KEY,
            workspace_id BIGINT NOT NULL REFERENCES sbsync_workspaces (id) ON DELETE CASCADE,
            kind         TEXT NOT NULL CHECK (kind IN ('volume', 'drs')),
            policy       TEXT NOT NULL CHECK (policy IN ('skip', 'overwrite', 'rename')),
            tags         BYTEA,
            state        TEXT NOT NULL CHECK (state IN ('submitting', 'submitted', 'done')),
            job_id       TEXT,
            created_at   BIGINT NOT NULL,
            updated_at   BIGINT NOT NULL
        );
        CREATE INDEX sbsync_batches_workspace ON sbsync_batches (workspace_id, id);
        CREATE TABLE sbsync_batch_items (
            batch_id            BIGINT NOT NULL REFERENCES sbsync_batches (id) ON DELETE CASCADE,
            position            INTEGER NOT NULL,
            project             TEXT NOT NULL,
            path                TEXT NOT NULL,
            source_kind         TEXT NOT NULL CHECK (source_kind IN ('volume', 'drs')),
            source              TEXT NOT NULL,
            location            TEXT,
            requested_name      TEXT NOT NULL,
            destination_project TEXT NOT NULL,
            destination_parent  TEXT,
            import_id           TEXT,
            outcome             TEXT CHECK (outcome IN ('imported', 'skipped', 'failed')),
            result_file_id      TEXT,
            result_name         TEXT,
            error               TEXT,
            PRIMARY KEY (batch_id, position)
        );
        """,
    ]

    /// The in-sync notes plans leave (`StateBackend.leaveInSyncNote`): a cache beside the
    /// versioned tables, created by the first note left (`IF NOT EXISTS`), so it moves no
    /// schema version and an older sbsync, which never reads it, keeps working on the database.
    static let inSyncNotes = """
        CREATE TABLE IF NOT EXISTS sbsync_in_sync_notes (
            workspace_id BIGINT PRIMARY KEY REFERENCES sbsync_workspaces (id) ON DELETE CASCADE,
            note         TEXT NOT NULL
        )
        """
}
