// Placeholder: SyncState is being built.
