// Placeholder: SyncEngineTests is being built.
