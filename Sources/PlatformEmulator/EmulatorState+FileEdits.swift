import Foundation

extension EmulatorState {
    /// `POST /bulk/files/update` (`replace: true`) and `/bulk/files/edit` (`replace: false`),
    /// exactly as sevenbridges-python's `File.bulk_update` / `bulk_edit` send them:
    /// `{"items": [{"id", "name", "tags", "metadata"}]}`, at most 100 items. Answers one record
    /// per item in request order, `{"resource": file}` or `{"error": …}`; a failed item leaves
    /// its file unchanged (see `EmulatorAssumptions`).
    func bulkEditFiles(_ body: JSONValue, base: String, replace: Bool) throws(PlatformError) -> EmulatorResponse {
        guard let items = body["items"]?.arrayValue else {
            throw PlatformError.badRequest("Body must be {\"items\": [{\"id\", \"name\", \"tags\", \"metadata\"}, ...]}.")
        }
        guard items.count <= 100 else { throw PlatformError.badRequest("At most 100 files per bulk call.") }
        let records: [JSONValue] = items.map { item in
            do throws(PlatformError) {
                let id = try editFile(item, replace: replace)
                return ["resource": fileJSON(files[id]!, base: base)]
            } catch {
                return ["error": error.json]
            }
        }
        return .json(200, ["items": .array(records)])
    }

    /// Applies one bulk edit/update item; returns the file id.
    private func editFile(_ item: JSONValue, replace: Bool) throws(PlatformError) -> String {
        guard item.objectValue != nil else { throw PlatformError.badRequest("Each item must be a JSON object.") }
        guard let id = item["id"]?.stringValue, !id.isEmpty else { throw PlatformError.badRequest("File id is required.", code: 5004) }
        var node = try editableFile(id)
        // Validate everything before changing anything: an item applies whole or not at all.
        var newName: String?
        if let value = item["name"], !value.isNull {
            guard let name = value.stringValue, !name.isEmpty, !name.contains("/"), name.count <= 255 else {
                throw PlatformError.badRequest("Invalid name parameter.", code: 5024)
            }
            if name != node.name {
                guard childByName[node.parent]?[name] == nil else {
                    throw PlatformError(status: 409, code: 5003, message: "File '\(name)' already exists.")
                }
                newName = name
            }
        }
        var newTags: [String]?
        if let value = item["tags"], !value.isNull {
            guard let array = value.arrayValue else { throw PlatformError.badRequest("Tags must be a JSON array of strings.") }
            var tags: [String] = []
            for tag in array {
                guard let text = tag.stringValue else { throw PlatformError.badRequest("Tags must be strings.") }
                tags.append(text)
            }
            newTags = tags
        } else if replace {
            newTags = []
        }
        var newMetadata: [String: JSONValue]?
        if let value = item["metadata"], !value.isNull {
            guard let object = value.objectValue else { throw PlatformError.badRequest("Metadata must be a JSON object.", code: 5006) }
            if replace {
                newMetadata = object.filter { !$0.value.isNull }
            } else {
                var merged = node.metadata
                for (key, value) in object {
                    // (`value.isNull ? nil : value` would store JSON null: JSONValue takes a nil literal.)
                    if value.isNull { merged.removeValue(forKey: key) } else { merged[key] = value }
                }
                newMetadata = merged
            }
        } else if replace {
            newMetadata = [:]
        }
        // The fault switch: a share of items fails after validation, changing nothing.
        if random.chance(faults.editFailureRate) { throw PlatformError.injectedItemFailure }
        if let newName {
            childByName[node.parent]?[node.name] = nil
            childByName[node.parent]?[newName] = id
            node.name = newName
        }
        if let newTags { node.tags = newTags }
        if let newMetadata { node.metadata = newMetadata }
        node.modifiedOn = now
        files[id] = node
        return id
    }
}
