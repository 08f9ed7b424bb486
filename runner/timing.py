"""What each cell cost, measured by the runner: `Clock`.

Theory of operation
-------------------
A target answers a batch of requests pipelined (runner/process/adapter.py),
so a request has no start and end of its own; what the runner sees is the
answers arriving.  The time a request cost is taken as the time from the
previous answer of the same batch (or the start of the batch) to its own:
the target's time on it, once the pipeline is full.  A check asks for its
answers over one or more rounds and judges them as they come; a cell's
``seconds`` is the sum of the costs of the answers its check took and of
the time the check spent judging them (the generator's own steps).  An
answer shared by several checks (the same stream read with the same
options) is counted in each, as each would have needed it alone.

`execute` (runner/run.py) takes a Clock; reports read ``Result.seconds``
(junit.xml's ``time``, matrix.html's slowest cells).
"""

import threading
import time

__all__ = ["Clock"]


class Clock:
    """Request costs by call key, and the running cost of each check."""

    def __init__(self, now=time.perf_counter):
        self.now = now
        self._requests = {}  # call key -> seconds
        self._checks = {}  # id(generator) -> seconds so far
        self._lock = threading.Lock()

    def batch(self):
        """A function to call as each answer of a batch arrives, with its key."""
        last = [self.now()]

        def arrived(key):
            now = self.now()
            with self._lock:
                self._requests[key] = now - last[0]
            last[0] = now
        return arrived

    def requests(self, keys):
        """The seconds the requests of keys cost together."""
        timed = self._requests
        return sum([timed.get(key, 0.0) for key in keys])

    def charge(self, check, seconds):
        """Add seconds to a check's cost; its total."""
        total = self._checks.get(id(check), 0.0) + seconds
        self._checks[id(check)] = total
        return total

    def forget(self, check):
        self._checks.pop(id(check), None)
