// Placeholder: PlatformAPITests is being built.
