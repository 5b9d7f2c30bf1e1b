// Placeholder: SyncCLITests is being built.
