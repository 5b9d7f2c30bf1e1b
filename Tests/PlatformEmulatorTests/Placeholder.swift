// Placeholder: PlatformEmulatorTests is being built.
