// Placeholder: SyncCLI is being built.
