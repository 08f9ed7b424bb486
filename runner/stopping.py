"""How a long command is stopped: Ctrl-C and SIGTERM take one path.

Theory of operation
-------------------
``picklespec run`` and ``picklespec fuzz`` already stop cleanly on Ctrl-C:
the KeyboardInterrupt reaches the main thread, which stops the batches in
flight, closes every target (each adapter and worker runs in a session of
its own and is killed with its whole process group), writes what finished
-- a whole report marked incomplete, or the fuzzing summary -- and exits
130.  A service manager, a CI runner cancelling a job, or ``timeout(1)``
send SIGTERM instead.  `catch_sigterm` turns SIGTERM into `Terminated`, a
KeyboardInterrupt, so it takes exactly that path; `status` is then 143
(128 + SIGTERM) rather than 130 (128 + SIGINT), as a shell reports a
process ended by that signal.

Only the main thread receives Python signal handlers, which is where the
commands wait; the threads asking targets see the stop event the main
thread sets.  A forked fuzzing job inherits the handler, so a SIGTERM to
the whole process group stops each job the same way.
"""

import signal
import threading

__all__ = ["Terminated", "catch_sigterm", "status"]

_received = []


class Terminated(KeyboardInterrupt):
    """SIGTERM, taken as Ctrl-C is."""


def _on_sigterm(signum, frame):
    _received.append(signum)
    raise Terminated()


def catch_sigterm():
    """From now on SIGTERM raises Terminated (in the main thread; else nothing)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


def status():
    """The exit status of an interrupted command: 143 after SIGTERM, else 130."""
    return 128 + (signal.SIGTERM if _received else signal.SIGINT)
