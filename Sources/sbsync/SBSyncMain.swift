// The sbsync executable: wiring only. Everything it does lives in SyncCLI.
import SyncCLI

@main
enum SBSyncMain {
    static func main() async {
        FatalSignals.install()
        AllocatorTuning.apply()
        await SBSync.main()
    }
}
