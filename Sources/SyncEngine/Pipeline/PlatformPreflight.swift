import Foundation
public import PlatformAPI
public import SyncCore
public import SyncYAML

/// What `apply` will need, checked before planning (DESIGN.md "Truth from the platform"): the
/// token works, every destination project exists and is writable, every source volume exists.
/// One read-only call per project and per volume; every problem is reported at once, each with
/// the manifest line that names the project or volume.
public enum PlatformPreflight {
    /// The problems found (empty: all is well), as diagnostics of the manifest.
    /// - Throws: `PlatformError` when the platform cannot be asked (5xx after retries, no
    ///   connection): that is no answer about the manifest; `CancellationError`.
    public static func check(_ manifest: Manifest, _ desired: DesiredState, reader: PlatformReader) async throws -> [Diagnostic] {
        // Where each project and volume is first named: mark, and the file (`sourceFiles`
        // index: the manifest, an included one, a table) it is in.
        var projects: [(String, SourceMark?, Int)] = [], volumes: [(String, SourceMark?, Int)] = []
        var seenProjects = Set<String>(), seenVolumes = Set<String>()
        // Neighbours mostly share a project (one string each, compared first), so a million
        // entries cost a million comparisons, not a million set insertions.
        var lastProject = ""
        func named(_ project: String?, _ mark: SourceMark?, _ origin: Int) {
            guard let project, project != lastProject else { return }
            lastProject = project
            if seenProjects.insert(project).inserted { projects.append((project, mark, origin)) }
        }
        for group in manifest.volumes {
            if seenVolumes.insert(group.volume).inserted { volumes.append((group.volume, group.mark, group.origin)) }
            // Its prefixes' objects are listed after this check, so the group's project is named here.
            named(group.project, group.mark, group.origin)
            group.files.withUnsafeBufferPointer { files in
                for file in files { named(file.project, file.mark, file.origin) }
            }
        }
        manifest.drs.withUnsafeBufferPointer { entries in
            for entry in entries { named(entry.project, entry.mark, entry.origin) }
        }
        named(manifest.project, nil, 0)

        var problems: [Diagnostic] = []
        func problem(_ mark: SourceMark?, in origin: Int, _ message: String, note: String? = nil) {
            problems.append(Diagnostic(.error, file: manifest.sourceFiles[origin], mark: mark, message: message, note: note))
        }
        // One call per project and volume; a 404 or 403 is a problem of the manifest, a 401 of the token.
        func ask(_ kind: String, _ id: String, at mark: SourceMark?, in origin: Int,
                 _ call: () async throws -> String?) async throws -> Diagnostic? {
            do {
                if let trouble = try await call() { problem(mark, in: origin, trouble) }
                return nil
            } catch let error as PlatformError {
                if error.status == 401 { return tokenRefused(error, file: manifest.file) }
                guard let status = error.status, status == 404 || status == 403 else { throw error }
                problem(mark, in: origin, status == 404 ? "\(kind) '\(id)' does not exist on \(reader.endpoint.baseURL) (or this token cannot see it)"
                        : "\(kind) '\(id)' is not accessible with this token (403)",
                        note: "check the \(kind) id (\(kind == "project" ? "owner/slug" : "owner/name")) in the manifest")
                return nil
            }
        }
        for (id, mark, origin) in projects {
            if let refused = try await ask("project", id, at: mark, in: origin, {
                try await reader.project(id: id).isWritable ? nil : "project '\(id)' is read-only for this token: apply cannot add files to it"
            }) { return [refused] }
        }
        for (id, mark, origin) in volumes {
            if let refused = try await ask("volume", id, at: mark, in: origin, {
                try await reader.volume(id: id).active == false ? "volume '\(id)' is inactive on the platform: imports from it fail" : nil
            }) { return [refused] }
        }
        return problems
    }

    /// A 401 means the token itself is refused: one problem, not one per project.
    private static func tokenRefused(_ error: PlatformError, file: String) -> Diagnostic {
        Diagnostic(.error, file: file, mark: nil, message: "the platform refused the token (401): \(error)",
                   note: "check SB_AUTH_TOKEN or the profile's auth_token; nothing was changed")
    }
}
