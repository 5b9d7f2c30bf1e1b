// Placeholder: SyncCoreTests is being built.
