// Placeholder: SyncEngine is being built.
