print("sbsync")
