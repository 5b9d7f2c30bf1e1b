/// Pages of a paginated call, fetched one at a time as the loop asks for them. Works for both
/// pagination styles: offset collections follow their `rel: next` link (`Page<Item>`), volume
/// listings pass their continuation token (`VolumeListing`).
///
/// ```swift
/// for try await page in reader.filePages(FileQuery(in: .project("u/p"))) {
///     for file in page.items { … }
/// }
/// ```
public struct PlatformPages<Element: Sendable>: AsyncSequence, Sendable {
    /// Fetches the page at a cursor (`nil` = the first) and returns it with the next cursor.
    let fetch: @Sendable (String?) async throws -> (Element, String?)

    public struct AsyncIterator: AsyncIteratorProtocol {
        let fetch: @Sendable (String?) async throws -> (Element, String?)
        var cursor: String?
        var started = false
        var done = false

        public mutating func next() async throws -> Element? {
            if done { return nil }
            if started && cursor == nil { done = true; return nil }
            let current = cursor
            let (element, next) = try await fetch(current)
            started = true
            if let next, next == current {
                done = true
                throw PlatformError.invalidRequest("pagination did not advance: the next page is the same as this one")
            }
            cursor = next
            if next == nil { done = true }
            return element
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fetch: fetch) }
}

extension PlatformPages {
    /// Every item of every page, in order.
    public func allItems<Item: Sendable>() async throws -> [Item] where Element == Page<Item> {
        var items: [Item] = []
        for try await page in self { items += page.items }
        return items
    }
}

extension PlatformReader {
    /// Offset pagination: every page of an offset-paginated list, starting at offset 0.
    func offsetPages<Item: Decodable & Sendable>(
        first: @escaping @Sendable () async throws -> Page<Item>
    ) -> PlatformPages<Page<Item>> {
        let reader = self
        return PlatformPages { cursor in
            let page: Page<Item>
            if let cursor {
                let response = try await reader.engine.send(.get, url: cursor, kind: .idempotent)
                let offset = FormEncoding.queryValue("offset", in: cursor).flatMap { Int($0) } ?? 0
                let limit = FormEncoding.queryValue("limit", in: cursor).flatMap { Int($0) } ?? 0
                page = try reader.decodePage(
                    response, path: String(cursor.dropFirst(reader.endpoint.baseURL.count)), offset: offset, limit: limit)
            } else {
                page = try await first()
            }
            return (page, page.items.isEmpty ? nil : page.nextURL)
        }
    }

    /// Every page of `GET /files` for `query` (offset pagination, following `links`).
    public func filePages(_ query: FileQuery, pageSize: Int = 100) -> PlatformPages<Page<PlatformFile>> {
        offsetPages { try await self.listFiles(query, offset: 0, limit: pageSize) }
    }

    /// Every page of `GET /storage/imports` (offset pagination, following `links`).
    public func importJobPages(
        project: String? = nil, volume: String? = nil, state: ImportState? = nil, pageSize: Int = 100
    ) -> PlatformPages<Page<ImportJob>> {
        offsetPages {
            try await self.listImportJobs(project: project, volume: volume, state: state, offset: 0, limit: pageSize)
        }
    }

    /// Every page of a volume listing below `prefix` (continuation-token pagination: each page's
    /// `links[].next`, which carries `continuation_token`). One level only: sub-prefixes come back
    /// in each page's `prefixes`. To resume a listing later, keep `continuationToken` of the last
    /// page and call `listVolume(_:prefix:continuationToken:limit:)`.
    public func volumePages(_ volume: String, prefix: String? = nil, pageSize: Int = 100) -> PlatformPages<VolumeListing> {
        let reader = self
        return PlatformPages { next in
            let listing: VolumeListing
            if let next {
                // Follow the link as given (as sevenbridges-python does); `contains` keeps it on the endpoint.
                let response = try await reader.engine.send(.get, url: next, kind: .idempotent)
                listing = try reader.engine.decode(
                    VolumeListing.self, from: response,
                    request: RequestSummary(method: .get, path: String(next.dropFirst(reader.endpoint.baseURL.count))))
            } else {
                listing = try await reader.listVolume(volume, prefix: prefix, limit: pageSize)
            }
            return (listing, listing.nextURL)
        }
    }
}
