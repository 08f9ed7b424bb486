"""The reports of a run: run.json, summary.md, matrix.html, junit.xml, findings.md.

Theory of operation
-------------------
Each format is a module with ``write(run, out)``, which streams the report
into a text file object as it renders it (one module per format; `view`
computes what they share), so the largest report is never held whole in
memory.  `write_all(run, directory)` writes every format, each to a
temporary file in the directory (``errors="backslashreplace"``: a lone
surrogate a target loaded is written as its escape), flushed to disk, and
only once all are written moves them over the old reports with
`os.replace`.  A report is therefore always whole: an interrupted run, a
full disk or a rendering error leaves the previous files, never half of
one.  `render(name, run)` gives one report as a string, the same text.

Where the process can fork and runs no other thread, a child process
renders run.json and matrix.html while this one renders the rest and does
what the caller asks of it meanwhile (``picklespec run`` counts the cells
and compares them with the expectations), on a second core; the child only
stages its files and says where, and this process moves them all, or none:
should the child fail, its formats are rendered here again, so the error
is this process's own.

A run that was cut short (Ctrl-C, a target that could not start) has
``complete`` false and says so in every format: the ``complete`` field of
run.json, a line at the top of summary.md, a banner in matrix.html, an
error testcase in junit.xml.

reports/README.md (in the repository) explains how to read them.
"""

import io
import os
import tempfile

from .. import findings
from . import html, json_report, junit, markdown

__all__ = ["FORMATS", "render", "write_all", "write_atomic"]

# file name -> write(run, out): the report streamed into a text file object
FORMATS = {
    "run.json": json_report.write,
    "summary.md": markdown.write,
    "matrix.html": html.write,
    "junit.xml": junit.write,
    "findings.md": findings.write,
}


def render(name, run):
    """The report called name (a key of FORMATS) as a string, as write_all writes it."""
    out = io.StringIO()
    FORMATS[name](run, out)
    return out.getvalue().encode("utf-8", "backslashreplace").decode("utf-8")


# The formats a child process renders (write_all): about half of the work,
# with what this process does meanwhile.
_IN_CHILD = ("run.json", "matrix.html")


def write_all(run, directory, meanwhile=None):
    """Write every report of run into directory; return their paths.

    `meanwhile()`, if given, is called once the child process (if any) is
    rendering: the caller's own work on the run, done on the other core.
    """
    os.makedirs(directory, exist_ok=True)
    paths = {name: os.path.join(directory, name) for name in FORMATS}
    staged = {}  # name -> its temporary file
    run.sorted_results()  # every format walks them in this order: sorted once, before the fork
    child = _ChildStaging(run, paths) if _can_fork() else None
    try:
        if meanwhile is not None:
            meanwhile()
        for name in FORMATS:
            if child is None or name not in _IN_CHILD:
                staged[name] = _render(run, name, paths[name])
        if child is not None:
            staged.update(child.result())
            for name in _IN_CHILD:  # what the child did not stage, staged here
                if name not in staged:
                    staged[name] = _render(run, name, paths[name])
        for name in FORMATS:
            os.replace(staged[name], paths[name])
    finally:
        if child is not None:
            staged.update(child.result())
        for temporary in staged.values():
            if os.path.exists(temporary):
                os.unlink(temporary)
    return [paths[name] for name in FORMATS]


def _render(run, name, path):
    """The report `name` of run, staged next to path (`_stage`)."""
    return _stage(path, lambda out: FORMATS[name](run, out))


def _can_fork():
    """Whether this process may fork: it can, and it runs no other thread
    (counted by the system, which sees the threads Python did not start)."""
    if not hasattr(os, "fork"):
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: the threads cannot be counted, so no child
        return False


class _ChildStaging:
    """A child process staging the formats of _IN_CHILD; `result()` gives
    {name: temporary file} of those it staged (none if it failed)."""

    def __init__(self, run, paths):
        self.staged = None
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: stage, say where, and leave without cleaning up
            os.close(read)
            status, staged = 1, []
            try:
                for name in _IN_CHILD:
                    staged.append((name, _render(run, name, paths[name])))
                os.write(write, "".join("%s\t%s\n" % pair for pair in staged).encode("utf-8"))
                status = 0
            except BaseException:  # rendered again by the parent, which reports the error
                for _, temporary in staged:
                    os.unlink(temporary)
            finally:
                os._exit(status)
        os.close(write)
        self.read = read

    def result(self):
        if self.staged is None:
            chunks = []
            while True:
                chunk = os.read(self.read, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
            os.close(self.read)
            _, status = os.waitpid(self.pid, 0)
            self.staged = {}
            for line in b"".join(chunks).decode("utf-8").splitlines():
                name, _, temporary = line.partition("\t")
                self.staged[name] = temporary
            if status != 0:  # a child that failed after staging some: none of them count
                for temporary in self.staged.values():
                    if os.path.exists(temporary):
                        os.unlink(temporary)
                self.staged = {}
        return dict(self.staged)


def write_atomic(path, text):
    """Replace the file at path with text (UTF-8), all at once."""
    temporary = _stage(path, lambda out: out.write(text))
    try:
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _stage(path, fill):
    """A temporary file next to path that fill(out) wrote, flushed to disk."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n",
                       buffering=1 << 20) as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a report is for reading
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary
