print("sbsync-emulator")
