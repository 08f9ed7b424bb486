"""Record, from real interpreters, the exception type reject cases raise.

Theory of operation
-------------------
A reject case's `failure` is a kind of fault; which exception *type* a
reader raises for it is not part of the format, but where CPython is
consistent, programs depend on it (``except ValueError`` around a load), so
the case records it as `exception` (cases/README.md, "The exception
CPython raises").

``picklespec cases regen --only exceptions`` loads every reject case's
stream with the C and pure-Python unpicklers of each CPython 3 it is given
(by default every one `picklespec.runner.targets` finds), through the
worker's ``load`` request -- the same real load the runner makes, with
`allow_globals` as the worker's restricting find_class, which raises
pickle.UnpicklingError as the pickle documentation's "Restricting Globals"
example does -- and takes the name of the type each raised.  The rule:

- when every producer of `REQUIRED` (CPython 3.6 to 3.13, C and pure
  Python) rejects the stream with the same type, the case's `exception` is
  that type's name;
- otherwise (two types, a producer that loads the stream, crashes or times
  out) the case has no `exception`.

So the field is only ever written from a complete run: without every
producer of `REQUIRED` the command refuses to run.  Python 2 is not asked
(its cPickle raises its own classes).  With ``--write`` the `exception:`
line is written after the case's `failure:` line, the rest of the file kept
byte for byte.
"""

import difflib
import fnmatch
import sys

from . import corpus
from .producers import parse_producer
from .regen import load_request_options, read_entry, read_for_edit, _block_end, _key_column

__all__ = ["REQUIRED", "ExceptionRecorder", "common_exception", "find_pythons"]

# The producers whose agreement a recorded `exception` states.
REQUIRED = frozenset(("cpython", (3, minor), kind) for minor in range(6, 14)
                     for kind in ("c", "py"))


def common_exception(answers):
    """The exception type name every answer rejected with, or None.

    `answers` maps each producer to the name of the type its load raised, or
    None when it did not reject the stream (it loaded it, crashed, timed out).
    """
    names = set(answers.values())
    if len(names) == 1 and None not in names:
        return names.pop()
    return None


def find_pythons():
    """The newest interpreter of each CPython 3 minor version on this machine."""
    from picklespec.runner.targets import find_interpreters, newest_per_family

    return [i.executable or i.path for i in newest_per_family(find_interpreters())
            if i.implementation == "cpython" and i.version[0] == 3 and i.has_c]


def _answer_name(answer):
    if isinstance(answer, Exception) or answer.get("ok") or answer.get("kind") != "rejected":
        return None
    return answer.get("exception")


class ExceptionRecorder:
    """Runs the reject cases through several unpicklers and edits their `exception`."""

    def __init__(self, adapters, write=False, case_glob=None, out=None, required=REQUIRED):
        self.adapters = adapters  # one per producer
        self.required = frozenset(required)  # the producers whose agreement is recorded
        self.write = write
        self.case_glob = case_glob
        self.out = out or sys.stdout
        self.counts = dict.fromkeys(["cases", "same", "changed", "errors"], 0)

    def say(self, text):
        self.out.write(text + "\n")

    def hello(self):
        """{producer point: adapter}; SystemExit unless every REQUIRED producer answers."""
        self.producers = {}
        for adapter in self.adapters:
            answer = adapter.request({"op": "hello"})
            if not answer.get("ok"):
                raise SystemExit("picklespec cases regen: a worker cannot load: %s" % (answer,))
            point = parse_producer(answer["producer"])
            if point in self.required:
                self.producers[point] = adapter
        missing = sorted(self.required - set(self.producers))
        if missing:
            raise SystemExit("picklespec cases regen --only exceptions: the exception is "
                             "recorded from every CPython 3.6 to 3.13, C and pure Python; "
                             "missing: %s" % ", ".join("%s-%d.%d-%s" % (i, v[0], v[1], k)
                                                       for i, v, k in missing))

    def cases_of(self, read):
        for case, _broken in read.cases:
            if case.classification != "reject" or case.id is None or case.data is None:
                continue
            if self.case_glob and not fnmatch.fnmatchcase(case.id, self.case_glob):
                continue
            yield case

    def answers(self, cases):
        """[{producer point: exception name or None}] for the cases, in order."""
        requests = []
        for case in cases:
            request = {"op": "load", "data": bytes(case.data).hex()}
            if case.load_options:
                request["options"] = load_request_options(case.load_options)
            requests.append(request)
        out = [{} for _ in cases]
        for point, adapter in sorted(self.producers.items()):
            for index, answer in adapter.pipeline(requests):
                out[index][point] = _answer_name(answer)
        return out

    def run_file(self, path):
        read = read_for_edit(self, path)
        if read is None:
            return
        cases = list(self.cases_of(read))
        edits = []
        for case, answers in zip(cases, self.answers(cases)):
            self.counts["cases"] += 1
            new = common_exception(answers)
            if new == case.exception:
                self.counts["same"] += 1
                continue
            self.counts["changed"] += 1
            self.show(case, answers, new)
            edits.append((case, new))
        if edits and self.write:
            rewrite_exceptions(read, edits)
            for problem in corpus.read_file(path).problems:
                self.say("after writing: %s" % problem)

    def show(self, case, answers, new):
        def text(name):
            return ["exception: %s" % name] if name else []
        for line in difflib.unified_diff(text(case.exception), text(new),
                                         "%s %s" % (case.file, case.id), "CPython 3.6-3.13",
                                         lineterm=""):
            self.say(line)
        if new is None:
            by_name = {}
            for (impl, version, kind), name in sorted(answers.items()):
                by_name.setdefault(name or "(no rejection)", []).append(
                    "%s-%d.%d-%s" % (impl, version[0], version[1], kind))
            for name, producers in sorted(by_name.items()):
                self.say("  %s: %s" % (name, ", ".join(producers)))


def rewrite_exceptions(read, edits):
    """Set (or remove) each edited case's `exception:` line, after its `failure:`."""
    lines = read.text.splitlines()
    source = read.document.source
    spans = []
    for case, name in edits:
        entry = read_entry(read, case)
        column = _key_column(lines[case.line - 1], "id")
        new = [] if name is None else [" " * column + "exception: " + name]
        if "exception" in entry:
            start = source.key_line(entry, "exception") - 1
            spans.append((start, _block_end(lines, start, column), new))
            continue
        anchor = "failure" if "failure" in entry else max(
            (k for k in entry if k not in ("finds", "calls", "scan-variants")),
            key=lambda k: source.key_line(entry, k))
        end = _block_end(lines, source.key_line(entry, anchor) - 1, column)
        spans.append((end, end, new))
    for start, end, new in sorted(spans, key=lambda s: s[0], reverse=True):
        lines[start:end] = new
    with open(read.path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main(args, files):
    """`picklespec cases regen --only exceptions`: args from regen's parser."""
    from picklespec.process import Adapter, AdapterFailure

    from .regen import worker_command

    pythons = args.python or find_pythons()
    adapters = [Adapter(worker_command(python, kind), timeout=args.timeout)
                for python in pythons for kind in ("c", "py")]
    recorder = ExceptionRecorder(adapters, write=args.write, case_glob=args.case)
    try:
        recorder.hello()
        for path in files:
            if corpus.classification_of(path) == "reject":
                recorder.run_file(path)
    except AdapterFailure as exc:
        sys.stderr.write("picklespec cases regen: %s\n%s" % (exc, exc.stderr))
        return 2
    finally:
        for adapter in adapters:
            adapter.close()
    counts = recorder.counts
    sys.stderr.write("CPython 3.6-3.13: %d reject cases; %d exceptions as recorded, %d differ%s, "
                     "%d errors\n" % (counts["cases"], counts["same"], counts["changed"],
                                      " (written)" if args.write else "", counts["errors"]))
    if counts["errors"]:
        return 2
    return 1 if counts["changed"] and not args.write else 0
