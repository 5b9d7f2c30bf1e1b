/// Every fact about the platform that the client relies on but that `platform-api.md` marks
/// UNCONFIRMED, or that the spec leaves silent, in one place. Each constant says what it assumes,
/// what happens if the assumption is wrong, and the section of `platform-api.md` it comes from.
///
/// When one of these is confirmed or refuted on a real platform, change it here and nowhere else.
public enum PlatformAssumptions {
    /// §6.1: 1000 requests per 5 minutes per user. Seven Bridges says this can change; the
    /// budget is corrected at run time by `X-RateLimit-Remaining` and `X-RateLimit-Reset`.
    public static let requestsPerWindow = 1000
    /// §6.1: the length of the rate-limit window.
    public static let rateLimitWindow: Duration = .seconds(300)

    /// §0, §8, §9.2, §10: bulk calls take at most 100 items. The client refuses more before
    /// sending anything.
    public static let maxBulkItems = 100
    /// §4.1: `limit` runs from 1 to 100.
    public static let maxPageLimit = 100

    /// §6.1 [UNCONFIRMED whether 429 carries `Retry-After`]: the client waits until
    /// `X-RateLimit-Reset` (Unix seconds) and falls back to `Retry-After` (seconds), then to its
    /// own backoff, when the reset header is missing or unparsable.
    public static let rateLimitResetIsUnixSeconds = true

    /// §5.2, §6.3 [UNCONFIRMED]: a 429 (and the platform's own rate-limit code 1000) means the
    /// request was refused before the server acted on it, so even a create is safe to resend.
    public static let tooManyRequestsMeansNotProcessed = true

    /// §5.2 [UNCONFIRMED]: a 503 (maintenance, code 0, or "service unavailable") means the
    /// request was not processed, so a create answered 503 is resent with backoff. Any other 5xx
    /// on a create (500, 502, 504, …) may have been acted on and surfaces as
    /// `PlatformError.outcomeUnknown`.
    public static let serviceUnavailableMeansNotProcessed = true

    /// §7.1, §8.1, §10.1 [UNCONFIRMED 200 vs 201]: any 2xx is a success for a create.
    public static let anySuccessStatusIsCreated = true

    /// §8.1 [UNCONFIRMED]: bulk results come back one per request item, in request order. The
    /// client checks the count and throws `PlatformError.invalidResponse` when it differs; it
    /// cannot check the order, so callers should also match on `source`/`destination`.
    public static let bulkResultsFollowRequestOrder = true

    /// §10.1 [UNCONFIRMED server default]: the client always sends `conflict_resolution`
    /// explicitly, so the server default never matters.
    public static let drsConflictResolutionAlwaysSent = true

    /// §10.2 [UNCONFIRMED]: a DRS job's `result[].resource` may carry only `href` and `id`;
    /// the client decodes it as a `FileReference` and the caller resolves it with
    /// `POST /bulk/files/get`.
    public static let drsResultCarriesOnlyFileReference = true

    /// §9.1 [UNCONFIRMED]: folders may have `size` absent or `null`; both decode to `nil`.
    public static let folderSizeMayBeAbsent = true

    /// §9.3: `access_mode` may sit at the top level of a volume or inside `service`; both are read.
    public static let volumeAccessModeInEitherPlace = true

    /// §4.1, §4.2: `links[].href` (offset lists) and `links[].next` (volume listings) are absolute
    /// URLs. The client follows them only when they point at the configured endpoint's scheme,
    /// host and port, so a forged link can never carry the token elsewhere.
    public static let paginationLinksAreAbsolute = true

    /// §3.3: dates are `YYYY-MM-DDTHH:MM:SSZ`, optionally with fractional seconds.
    public static let datesAreUTCWithZ = true

    /// §2.1: the developer token goes in `X-SBG-Auth-Token`.
    public static let authHeaderName = "X-SBG-Auth-Token"

    /// §3.5: list calls send `fields=_all` so `storage`, `metadata` and `tags` come back.
    public static let listFieldsParameter = "_all"

    /// §9.2, §15 [UNCONFIRMED]: `POST /bulk/files/edit` merges: fields an item leaves out are
    /// kept, its `metadata` keys are merged into the file's (a `null` value removes the key, as
    /// `PATCH /files/{id}/metadata` does), and a `tags` list replaces the file's tags. If `null`
    /// did not remove a key, a key dropped from the manifest would stay on the platform and the
    /// next plan would still show the update (nothing is lost, nothing converges).
    public static let bulkEditNullRemovesMetadataKey = true

    /// §9.2, §15 [UNCONFIRMED]: one bulk edit item may set tags and metadata together
    /// (sevenbridges-python always sends `id`, `name`, `tags` and `metadata` in each item, so the
    /// shape is accepted; that both are applied is assumed). sbsync sends both in one item.
    public static let bulkEditSetsTagsAndMetadataTogether = true

    /// §9.2, §15 [UNCONFIRMED]: bulk edit and update answer `{"items": [{"resource": file} |
    /// {"error": {status, code, message, more_info}}]}`, one record per item in request order,
    /// like bulk get; a failed item leaves that file unchanged while the others are applied.
    /// The client checks the count; the executor also matches records on the file id.
    public static let bulkEditRecordsPerItemInOrder = true

    /// §9.2 [UNCONFIRMED]: an edit whose values the file already has changes nothing, so an edit
    /// whose answer was lost is sent again (retried like a GET).
    public static let bulkEditIsIdempotent = true
}

extension PlatformAssumptions {
    /// §2.3: sevenbridges-python refuses URLs longer than 6000 characters; the server's own
    /// limit is unknown, so the client refuses longer URLs before sending. Long `name=` filter
    /// lists must be split by the caller (`FileQuery.names`).
    public static let maxURLLength = 6000

    /// §15 [UNCONFIRMED body and result]: moving a file to another folder is the async job
    /// `POST /async/files/move` with `{"items": [{"file", "parent", "name"}]}` (≤ 100), polled at
    /// `GET /async/files/move/{id}` until `FINISHED`, whose `result` holds one
    /// `{"resource": file}` or `{"error": …}` per item in request order. A rename within a
    /// folder uses `POST /bulk/files/edit` with `name` (confirmed, §15).
    public static let asyncMovePath = "/async/files/move"

    /// §15 [UNCONFIRMED per-item code]: a file id that no longer exists comes back from
    /// `POST /bulk/files/get` as an error record with status 404 (code 5002). A refresh counts
    /// only that as "gone"; any other error record stops the refresh.
    public static let bulkGetMissingStatus = 404
}
