#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// After SIGSEGV, SIGABRT, SIGILL, SIGFPE or SIGBUS the process dies by that signal (a shell
/// sees 128 + the signal), after the Swift runtime has printed its backtrace.
///
/// Why this is needed: on Linux the Swift runtime's crash handler prints a backtrace, resets the
/// signal to its default action and returns. For a real fault that re-runs the faulting
/// instruction, which then kills the process. For the same signal sent from outside
/// (`kill -SEGV`, `kill -ABRT`: a supervisor, a test harness, a person) there is nothing to
/// re-run: the program carried on, and `apply` could finish and exit 0 as if nothing had
/// happened (swiftlang/swift pull request 89461 changes this in the runtime). `install()` puts a
/// handler in front of the runtime's: it runs the runtime's, then raises the signal again with
/// its default action, so the process ends the way the signal says. Other threads go on while
/// the backtrace is written; one that ends the process normally meanwhile (the command finished)
/// waits in an `atexit` handler for the signal to end it instead.
///
/// A signal sent from outside can also find every thread blocking it: libdispatch's worker
/// threads, which run all of sbsync's async code, block SIGABRT (and most signals that are not
/// faults), and the main thread blocks them too for a moment while it hands itself over to
/// `dispatch_main`. Such a signal waits, pending, and a command that finished meanwhile would exit
/// 0 with it still waiting (seen under load: about 1 run in 75). The `atexit` handler therefore
/// unblocks the signals first, so a pending one is delivered, and handled, before the exit.
///
/// A signal sent by another process is no crash of sbsync: it ends the process at once, without
/// the runtime's backtrace. (For such a signal the runtime's `swift-backtrace` helper was seen to
/// hang after printing, holding standard error open, so whatever reads sbsync's output to its
/// end would hang too.)
public enum FatalSignals {
    /// The signals handled.
    public static let signals: [Int32] = [SIGSEGV, SIGABRT, SIGILL, SIGFPE, SIGBUS]

    /// Installs the handlers. Call it once, first thing in `main` (the runtime has installed its
    /// handlers by then). Does nothing on platforms other than Linux.
    public static func install() {
        #if canImport(Glibc)
        for signal in signals {
            var action = sigaction()
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            sigemptyset(&action.sa_mask)
            action.__sigaction_handler.sa_sigaction = handleFatalSignal
            var old = sigaction()
            guard sigaction(signal, &action, &old) == 0 else { continue }
            previousHandlers[Int(signal)] = old
        }
        atexit {
            // A signal sent while every thread blocked it is still pending: let it in now, so
            // that it ends the process instead of being dropped by a normal exit.
            var fatal = sigset_t()
            sigemptyset(&fatal)
            for signal in FatalSignals.signals { sigaddset(&fatal, signal) }
            pthread_sigmask(SIG_UNBLOCK, &fatal, nil)
            // A fatal signal is being handled on another thread: never end with a normal exit.
            while fatalSignalArrived.load(ordering: .sequentiallyConsistent) != 0 { pause() }
        }
        #endif
    }
}

#if canImport(Glibc)
/// The handlers in place before `install()`, by signal number. Written only by `install()`
/// before its handler is in place, read only by that handler: never at the same time.
private typealias SignalAction = sigaction
nonisolated(unsafe) private var previousHandlers = [SignalAction](repeating: SignalAction(), count: 65)  // NSIG on Linux

/// The fatal signal being handled, or 0.
private let fatalSignalArrived = Atomic<Int32>(0)

/// Runs the handler that was there before ours (the runtime's backtracer), then dies by `signal`.
private func handleFatalSignal(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    fatalSignalArrived.store(signal, ordering: .sequentiallyConsistent)
    let previous = previousHandlers[Int(signal)]
    // From here on the signal has its default action: a fault in the runtime's handler kills.
    Glibc.signal(signal, SIG_DFL)
    // Sent by another process (kill, sigqueue): die now. A fault (si_code > 0) or this process's
    // own abort() (tgkill from our pid) is a crash: the runtime prints its backtrace first.
    let sentFromOutside = info.map { $0.pointee.si_code <= 0 && $0.pointee._sifields._kill.si_pid != getpid() } ?? false
    if sentFromOutside {
        // Nothing to report: fall through to dying by the signal.
    } else if previous.sa_flags & SA_SIGINFO != 0 {
        previous.__sigaction_handler.sa_sigaction?(signal, info, context)
    } else if let handler = previous.__sigaction_handler.sa_handler, unsafeBitCast(handler, to: Int.self) != 1 /* SIG_IGN */ {
        handler(signal)
    }
    // That handler returned (the signal was sent, not caused by a fault): die by it now.
    Glibc.signal(signal, SIG_DFL)
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, signal)
    sigprocmask(SIG_UNBLOCK, &set, nil)
    raise(signal)
    // Only a process that the signal cannot kill (PID 1 of a container) gets here.
    _exit(128 + signal)
}
#endif
