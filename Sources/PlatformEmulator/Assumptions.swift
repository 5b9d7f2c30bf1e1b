/// Every behaviour the emulator bakes in that platform-api.md marks **[UNCONFIRMED]** (or does not
/// cover), in one place. Each entry names the section of platform-api.md it settles. The README
/// README section "The platform emulator" repeats this list; keep the two in step.
///
/// The values here are also what the code uses, so changing an assumption means changing it here.
public enum EmulatorAssumptions {
    /// One line per assumption, for `sbsync-emulator --list-assumptions` and the README.
    public static let all: [String] = [
        "§7.1/§14.1 POST /storage/imports answers 201 Created; bulk creates answer 200 even when items fail.",
        "§12.3/§14.2 a volume import whose name is taken with overwrite=false and autorename=false is accepted (PENDING) and ends FAILED with error 409 code \(conflictCode) (\"\(conflictMessage)\").",
        "§12.3/§14.3 auto-rename uses `_<n>_<name>` with the smallest free n ≥ 1, counted against files and folders of the directory.",
        "§12.3 OVERWRITE replaces the existing file by a new file with a new id (metadata and tags of the old file are not kept).",
        "§12.3 OVERWRITE onto a folder of the same name does not import: the volume job FAILS with 409 code \(conflictCode), a DRS item gets that error.",
        "§7.1 problems found at submission (no such volume 9007, location not on volume 9105, no such project 3002 / parent 5026, bad body 9011) are synchronous HTTP errors, per item in bulk calls.",
        "§7.1 folder imports (location ending in `/`) are not emulated: they are rejected with 400 code 9011.",
        "§10.1/§14.5 the server default for conflict_resolution is SKIP; `tags: null` is accepted.",
        "§10.2/§14.4 DRS `result` holds one entry per item in request order, filled as items finish; a SKIPped conflict is an `error` entry 409 code 5003; error entries do not echo the drs_uri; the counters total_files/completed_files/failed_files are sent.",
        "§10.2 DRS job states: SUBMITTED until the first tenth of the first item's duration, RESOLVING until a fifth, then RUNNING until every item finished, then FINISHED.",
        "§6.1 DRS pacing: items start in windows of drsPace files per drsWindow across all jobs; an item finishes jobDuration after it starts. API calls do not count toward the DRS pace.",
        "§9.1/§14.6 DRS-imported files have storage {\"type\":\"DRS\",\"drs_uri\":…} and a synthetic size derived from the URI.",
        "§12.1/§14.8 compact-identifier DRS URIs are accepted; a URI is valid when it starts with drs:// and has a non-empty host/prefix and id/accession.",
        "§7.2 import job states: PENDING for the first half of jobDuration, RUNNING for the second half, then COMPLETED/FAILED; the file appears when the job finishes.",
        "§9.2 repeated `name` filters are OR, repeated `tag` filters are OR (any tag), `metadata.<k>` filters are AND across keys.",
        "§9.1 folders carry `size: null` and `storage: null`; each project has a hidden root folder (24-hex id) that is `parent` of root items.",
        "§6.1/§14.7 429 responses carry Retry-After only when configured (sendRetryAfter / --retry-after).",
        "§6.1 the rate limit is a fixed window per token starting at the first request; GET /rate_limit is not counted; a 429 is not counted either.",
        "(fault) a burst 429 reports X-RateLimit-Remaining 0 and an X-RateLimit-Reset one real second away, whatever the rate window.",
        "§5.3 unauthorized is 401 code 90001; an unknown route is 404 code 90003; injected 5xx are 503 code 90005 and 500 code 90004; injected item failures are 503 code 9000.",
        "§3.5 `fields` is accepted and ignored: every response carries every field.",
        "§7.3 GET /storage/imports filters on volume, project and (repeated) state; jobs are listed in submission order.",
        "§9.2/§15 POST /bulk/files/update and /bulk/files/edit take {\"items\": [{\"id\", \"name\", \"tags\", \"metadata\"}]} (≤ 100) and answer 200 with one record per item in request order: {\"resource\": file} or {\"error\": {status, code, message, more_info}}; a failed item changes nothing, the others are applied.",
        "§9.2/§15 update replaces: an omitted or null `tags`/`metadata` becomes empty, a null or omitted `name` keeps the name. Edit merges: omitted or null fields are kept, metadata keys are merged (a null value removes the key), a given tag list replaces the tags. One item may set name, tags and metadata together.",
        "§9.2 bulk edit/update item errors: unknown id 404 code 5002, a folder 400 code 5023, a taken name 409 code 5003, a bad value 400 (5024 name, 5006 metadata, 9011 tags); injected item failures (editFailureRate) 503 code 9000.",
        "§15 POST /async/files/move takes {\"items\": [{\"file\", \"parent\", \"name\"?}]} (≤ 100, within one project) and answers 200 with a job that is already FINISHED, `result` one {\"resource\": file} or {\"error\": …} per item in request order (a taken name 409 code 5003); GET /async/files/move/{id} answers the same job.",
        "§15 POST /bulk/files/get answers a deleted file id with an error record 404 code 5002.",
    ]

    static let conflictCode = 9108
    static let conflictMessage = "Requested file already exists."
}
