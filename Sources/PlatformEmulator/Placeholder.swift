// Placeholder: PlatformEmulator is being built.
