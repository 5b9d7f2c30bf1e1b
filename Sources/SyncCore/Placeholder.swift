// Placeholder: SyncCore is being built.
