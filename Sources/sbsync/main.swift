// The sbsync executable: wiring only. Everything it does lives in SyncCLI.
import SyncCLI

await SBSync.main()
