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

Each failure carries what the process wrote to stderr while it was on that
request.  After a failure the next request starts a fresh process, so a target
loses only the request it was on.

`pipeline` is the fast path: it keeps writing requests while answers come
back, so the process never waits for us between requests (the adapter says
in its hello that it reads ahead; the protocol's one-answer-per-line, in
order, makes the answers unambiguous).  Because requests are answered in
order, the request a process was on when it died or hung is always the oldest
one unanswered; the requests written after it are written again to the fresh
process.  `request` is a pipeline of one.

All three pipes are non-blocking and watched with one selector, so a process
that writes garbage without a newline, floods stderr, or stops reading its
stdin cannot block us.  The process runs in a session of its own, so a Ctrl-C
at the terminal reaches the runner (which writes its report) and not the
targets (which would otherwise all "crash" at once), and its address space is
limited (RLIMIT_AS) so a runaway allocation ends in that process alone.
"""

import collections
import json
import os
import re
import select
import selectors
import signal
import subprocess
import time

from picklespec.reference.model import MAX_JSON_DEPTH

__all__ = ["Adapter", "AdapterFailure", "DEFAULT_TIMEOUT", "DEFAULT_MEMORY_MB"]

DEFAULT_TIMEOUT = 10.0  # seconds for one request
DEFAULT_MEMORY_MB = 2048  # address-space limit per target process
_STDERR_KEEP = 4096  # the last bytes of stderr kept for a failure report
_CHUNK = 1 << 16


class AdapterFailure(Exception):
    """The target process failed a request: kind is crash, timeout or protocol-error."""

    def __init__(self, kind, message, stderr=""):
        super().__init__("%s: %s" % (kind, message))
        self.kind = kind
        self.message = message
        self.stderr = stderr


def _limit_memory(megabytes):
    def apply():  # runs in the child between fork and exec (where prlimit is missing)
        try:
            import resource

            limit = megabytes * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass
    return apply


def _prlimit(pid, megabytes):
    """Limit a started process's address space; False where prlimit(2) is missing."""
    try:
        import resource

        limit = megabytes * 1024 * 1024
        resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))
        return True
    except (ImportError, AttributeError):
        return False
    except (ValueError, OSError):
        return True  # the process is already gone: nothing left to limit


def _exit_text(code):
    if code is None:
        return "the process closed its output"
    if code < 0:
        try:
            return "the process was killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "the process was killed by signal %d" % -code
    return "the process exited (status %d)" % code


class Adapter:
    """One target process; restarted on demand after a failure.

    `pipeline` (the constructor argument, or the attribute set later, once the
    hello said so) allows requests to be written before earlier ones are
    answered.
    """

    def __init__(self, argv, *, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB,
                 env=None, cwd=None, name=None, pipeline=False):
        self.argv = list(argv)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.env = env
        self.cwd = cwd
        self.name = name or " ".join(self.argv)
        self.pipelining = pipeline
        self.process = None
        self.restarts = 0
        self.started = 0
        self._next_id = 0
        self._stderr = bytearray()
        self._stderr_total = 0  # bytes of stderr ever read from this process
        self._stderr_mark = 0  # _stderr_total when the request being answered began

    # -- process lifetime ------------------------------------------------

    def start(self):
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        env.setdefault("PYTHONIOENCODING", "utf-8")
        has_prlimit = _prlimit_available()
        try:
            process = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=env, cwd=self.cwd, bufsize=0,
                start_new_session=True,
                preexec_fn=None if has_prlimit or not self.memory_mb else _limit_memory(self.memory_mb),
            )
        except OSError as exc:
            self.process = None
            raise AdapterFailure("crash", "cannot start %s: %s" % (self.name, exc.strerror)) from None
        if has_prlimit and self.memory_mb:
            _prlimit(process.pid, self.memory_mb)
        if self.started:
            self.restarts += 1
        self.started += 1
        self.process = process
        self._wbuf = bytearray()
        self._rbuf = bytearray()
        self._stderr = bytearray()
        self._stderr_total = self._stderr_mark = 0
        self._stderr_open = True
        self._selector = selectors.DefaultSelector()
        for pipe in (process.stdin, process.stdout, process.stderr):
            os.set_blocking(pipe.fileno(), False)
        self._selector.register(process.stdout, selectors.EVENT_READ)
        self._selector.register(process.stderr, selectors.EVENT_READ)
        self._writing = False

    def stderr_text(self):
        return bytes(self._stderr).decode("utf-8", "replace")

    def _stderr_since_mark(self):
        new = self._stderr_total - self._stderr_mark
        tail = bytes(self._stderr[-new:]) if 0 < new <= len(self._stderr) else bytes(self._stderr)
        return tail.decode("utf-8", "replace")

    def close(self):
        """Close stdin and let the process exit; kill it if it does not."""
        process = self.process
        if process is None:
            return
        try:
            process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        self._kill()

    def _kill(self):
        process, self.process = self.process, None
        if process is None:
            return
        # Its own session, so its whole process group: what it started too,
        # even once it exited itself (a helper it left running).
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            if process.poll() is None:
                process.kill()
        process.wait()
        self._selector.close()
        for pipe in (process.stdin, process.stdout, process.stderr):
            try:
                pipe.close()
            except OSError:
                pass

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
        for _, answer in self.pipeline([message], timeout=timeout):
            if isinstance(answer, AdapterFailure):
                raise answer
            return answer
        raise AdapterFailure("crash", "no answer")  # only reachable through `stop`

    def pipeline(self, messages, timeout=None, stop=None, raw=False):
        """Send every message and yield (index, answer) in order.

        A message is a dict, or the JSON text of one (encoded once by the
        caller for many targets).  An answer is the answer dict -- or, with
        `raw`, the line it was read from (bytes: far smaller to keep than the
        dict) -- or the AdapterFailure that the request met; a failure costs
        only that request.  When `stop` (a threading.Event) is set, the
        pipeline ends early, leaving the rest unanswered.
        """
        timeout = self.timeout if timeout is None else timeout
        queue = collections.deque(range(len(messages)))  # not yet written to this process
        inflight = collections.deque()  # (index, id), oldest first
        head_since = time.monotonic()
        try:
            while queue or inflight:
                if stop is not None and stop.is_set():
                    return
                if self.process is not None and not inflight and self.process.poll() is not None:
                    self._kill()  # it exited while idle: not the fault of what comes next
                if self.process is None:
                    try:
                        self.start()
                    except AdapterFailure as failure:
                        yield queue.popleft(), failure
                        continue
                window = len(messages) if self.pipelining else 1
                while queue and len(inflight) < window and len(self._wbuf) < _CHUNK:
                    index = queue.popleft()
                    self._next_id += 1
                    if not inflight:
                        head_since = time.monotonic()
                        self._stderr_mark = self._stderr_total
                    inflight.append((index, self._next_id))
                    self._wbuf += _encode(messages[index], self._next_id)
                self._want_write(bool(self._wbuf))
                wait = head_since + timeout - time.monotonic()
                if stop is not None:
                    wait = min(wait, 0.2)
                ended = False
                for key, _ in self._selector.select(max(wait, 0)):
                    if key.fileobj is self.process.stdin:
                        self._write()
                    elif key.fileobj is self.process.stderr:
                        self._read_stderr()
                    elif not self._read_stdout():
                        ended = True
                failure = None
                # Answers first: a process may answer and then die.
                while inflight:
                    line = self._take_line()
                    if line is None:
                        break
                    index, ident = inflight[0]
                    answer = _skim(line, ident) if raw else None
                    if answer is None:
                        answer = _decode(line)
                        if isinstance(answer, str):
                            failure = ("protocol-error", answer)
                            break
                        if answer.get("id", ident) != ident:
                            failure = ("protocol-error", "answer to request %r while request %r waits"
                                       % (answer.get("id"), ident))
                            break
                    inflight.popleft()
                    head_since = time.monotonic()
                    self._stderr_mark = self._stderr_total
                    yield index, (line if raw else answer)
                    if answer.get("restart"):
                        # The adapter asks for a fresh process (a Python worker
                        # does after a MemoryError); what was written after is resent.
                        self._kill()
                        queue.extendleft(i for i, _ in reversed(inflight))
                        inflight.clear()
                        break
                if self.process is None:
                    continue
                if failure is None and ended:
                    if not inflight:
                        self._kill()  # it exited between requests: restart quietly
                        continue
                    failure = ("crash", _exit_text(self._reap()))
                if failure is None and inflight and time.monotonic() >= head_since + timeout:
                    failure = ("timeout", "no answer within %.1f s" % timeout)
                if failure is not None:
                    index, _ = inflight.popleft()
                    queue.extendleft(i for i, _ in reversed(inflight))
                    inflight.clear()
                    yield index, self._fail(*failure)
        finally:
            if inflight and self.process is not None:
                self._kill()  # left with requests in flight: their answers must not be read later

    # -- pipes ------------------------------------------------------------

    def _want_write(self, want):
        if want != self._writing and self.process is not None:
            events = selectors.EVENT_WRITE if want else None
            if events:
                self._selector.register(self.process.stdin, events)
            else:
                self._selector.unregister(self.process.stdin)
            self._writing = want

    def _write(self):
        try:
            written = os.write(self.process.stdin.fileno(), self._wbuf[:_CHUNK])
        except BlockingIOError:
            return None
        except (BrokenPipeError, OSError):
            self._want_write(False)
            self._wbuf.clear()
            return None  # the process is gone: its stdout's end tells how
        del self._wbuf[:written]
        return None

    def _read_stdout(self):
        try:
            data = os.read(self.process.stdout.fileno(), _CHUNK)
        except BlockingIOError:
            return True
        if not data:
            return False
        self._rbuf += data
        return True

    def _read_stderr(self):
        try:
            data = os.read(self.process.stderr.fileno(), _CHUNK)
        except BlockingIOError:
            return
        if not data:
            self._selector.unregister(self.process.stderr)
            self._stderr_open = False
            return
        self._stderr += data
        self._stderr_total += len(data)
        del self._stderr[:-_STDERR_KEEP]

    def _take_line(self):
        end = self._rbuf.find(b"\n")
        if end < 0:
            return None
        line = bytes(self._rbuf[:end])
        del self._rbuf[:end + 1]
        return line

    def _reap(self):
        """The exit status of a process that closed its stdout (None if it lives on)."""
        try:
            return self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return None

    def _fail(self, kind, message):
        # Collect the last words on stderr (a traceback, an abort message):
        # until it closes for a crash, what is already there otherwise.
        end = time.monotonic() + (0.5 if kind == "crash" else 0.02)
        fd = self.process.stderr.fileno()
        while self._stderr_open:
            remaining = end - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                break
            self._read_stderr()
        stderr = self._stderr_since_mark()
        self._kill()
        return AdapterFailure(kind, message, stderr)


def _prlimit_available():
    try:
        import resource

        return hasattr(resource, "prlimit")
    except ImportError:
        return False


def _encode(message, ident):
    """One request line with its id, from a dict or from pre-encoded JSON text."""
    if isinstance(message, dict):
        return (json.dumps(dict(message, id=ident)) + "\n").encode("utf-8")
    body = message.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError("a request must be a JSON object, got %r" % message[:80])
    inner = body[1:-1].strip()
    return ('{"id": %d%s}\n' % (ident, ", " + inner if inner else "")).encode("utf-8")


ANSWER_ID = re.compile(rb'"id": (-?[0-9]+)[,}]')  # an answer's request id, as json.dumps writes it
_RESTART = b'"restart": true'


def _skim(line, ident):
    """What pipeline(raw=True) needs of an answer without decoding it: a dict
    with its restart flag, if the line is json.dumps's form of an object
    answering request `ident`; None when a full decoding must tell.

    Decoding answers is most of the runner's own work, and the checks decode
    them anyway.  In json.dumps's output a quote inside a string is escaped,
    so ``"id": 12,`` is a key and its value, and tagged JSON's own ids are
    strings: the number after ``"id": `` is the answer's id.  A line that only
    looks like JSON fails where it is decoded, as a protocol error.
    """
    if not (line.startswith(b"{") and line.endswith(b"}")):
        return None
    found = ANSWER_ID.search(line)
    if found is None or int(found.group(1)) != ident:
        return None
    return {"restart": _RESTART in line}


def decode_answer(line):
    """A line `pipeline(raw=True)` gave, decoded: the answer dict, or the
    AdapterFailure of a line that is not one (a protocol error)."""
    answer = _decode(line)
    return AdapterFailure("protocol-error", answer) if isinstance(answer, str) else answer


def without_id(line):
    """An answer's line with its request id taken out (None if it has none):
    answers alike but for the request they answer are then equal."""
    found = ANSWER_ID.search(line)
    if found is None:
        return None
    return line[:found.start(1)] + line[found.end(1):]


def _decode(line):
    """The answer dict for a line, or a str saying why it is not one."""
    try:
        answer = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "not a JSON answer: %r" % line[:200]
    except RecursionError:
        return "the answer nests deeper than the protocol allows (%d levels)" % MAX_JSON_DEPTH
    if not isinstance(answer, dict):
        return "answer is not a JSON object: %r" % line[:200]
    return answer
