// Placeholder: SyncStateTests is being built.
