"""A long-lived target process, spoken to over the adapter protocol.

Theory of operation
-------------------
`Adapter` starts a command once (a Python worker, or any program that speaks
runner/PROTOCOL.md), sends one JSON request per line and reads one answer per
line.  Every request has a deadline.  What can go wrong with a process under
test is told apart, because a conformance report must keep crashes and hangs
apart from clean rejections:

- the process exits (or was killed for its memory) -> `AdapterFailure("crash")`
- no answer before the deadline -> the process is killed, `AdapterFailure("timeout")`
- an answer that is not a JSON object -> `AdapterFailure("protocol-error")`

Each failure carries what the process wrote to stderr around it.  After a
failure the next request starts a fresh process, so a target loses only the
request it was on.  Reading uses a thread per pipe, so a process that writes
garbage without a newline, or floods stderr, cannot block us.
"""

import json
import os
import queue
import subprocess
import threading
import time

__all__ = ["Adapter", "AdapterFailure", "DEFAULT_TIMEOUT", "DEFAULT_MEMORY_MB"]

DEFAULT_TIMEOUT = 10.0  # seconds for one request
DEFAULT_MEMORY_MB = 2048  # address-space limit per target process
_STDERR_KEEP = 4096  # the last bytes of stderr kept for a failure report


class AdapterFailure(Exception):
    """The target process failed a request: kind is crash, timeout or protocol-error."""

    def __init__(self, kind, message, stderr=""):
        super().__init__("%s: %s" % (kind, message))
        self.kind = kind
        self.message = message
        self.stderr = stderr


def _limit_memory(megabytes):
    def apply():  # runs in the child between fork and exec
        try:
            import resource

            limit = megabytes * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass
    return apply


class Adapter:
    """One target process; restarted on demand after a failure."""

    def __init__(self, argv, *, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB,
                 env=None, cwd=None, name=None):
        self.argv = list(argv)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.env = env
        self.cwd = cwd
        self.name = name or " ".join(self.argv)
        self.process = None
        self.restarts = 0
        self._next_id = 0

    # -- process lifetime ------------------------------------------------

    def start(self):
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        env.setdefault("PYTHONIOENCODING", "utf-8")
        try:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=env, cwd=self.cwd,
                preexec_fn=_limit_memory(self.memory_mb) if self.memory_mb else None,
            )
        except OSError as exc:
            self.process = None
            raise AdapterFailure("crash", "cannot start %s: %s" % (self.name, exc.strerror)) from None
        self._lines = queue.Queue()
        self._stderr = bytearray()
        threading.Thread(target=self._pump_stdout, args=(self.process,), daemon=True).start()
        threading.Thread(target=self._pump_stderr, args=(self.process,), daemon=True).start()

    def _pump_stdout(self, process):
        lines = self._lines
        for line in iter(process.stdout.readline, b""):
            lines.put(line)
        lines.put(None)  # end of output: the process closed stdout or died

    def _pump_stderr(self, process):
        for chunk in iter(lambda: process.stderr.read1(4096), b""):
            self._stderr += chunk
            del self._stderr[:-_STDERR_KEEP]

    def stderr_text(self):
        return bytes(getattr(self, "_stderr", b"")).decode("utf-8", "replace")

    def close(self):
        process, self.process = self.process, None
        if process is None:
            return
        try:
            process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _kill(self):
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- requests ------------------------------------------------------

    def request(self, message, timeout=None):
        """Send one request (a dict) and return the answer (a dict).

        Raises AdapterFailure for a crash, a timeout or a protocol error; the
        process is then gone and the next request starts a new one.
        """
        if self.process is None or self.process.poll() is not None:
            if self.process is not None:
                self.restarts += 1
            self.start()
        self._next_id += 1
        message = dict(message, id=self._next_id)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            self.process.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._fail("crash", "the process exited before the request was sent")
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._fail("timeout", "no answer within %.1f s" % (timeout or self.timeout))
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.process.wait() if self.process else None
                return self._fail("crash", "the process exited (status %s)" % code)
            try:
                answer = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return self._fail("protocol-error", "not a JSON answer: %r" % line[:200])
            if not isinstance(answer, dict):
                return self._fail("protocol-error", "answer is not a JSON object: %r" % line[:200])
            if answer.get("id", self._next_id) != self._next_id:
                continue  # a late answer to a request that already timed out
            return answer

    def _fail(self, kind, message):
        time.sleep(0.05)  # let the stderr reader catch the last words
        stderr = self.stderr_text()
        self._kill()
        if kind == "crash":
            self.restarts += 1
        raise AdapterFailure(kind, message, stderr)
