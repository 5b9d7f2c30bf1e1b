// Placeholder: PlatformAPI is being built.
