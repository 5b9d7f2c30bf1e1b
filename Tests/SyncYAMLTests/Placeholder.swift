// Placeholder: SyncYAMLTests is being built.
