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


def write_all(run, directory):
    """Write every report of run into directory; return their paths."""
    os.makedirs(directory, exist_ok=True)
    staged = []
    try:
        for name, write in FORMATS.items():
            path = os.path.join(directory, name)
            staged.append((_stage(path, lambda out, write=write: write(run, out)), path))
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            if os.path.exists(temporary):
                os.unlink(temporary)
    return [path for _, path in staged]


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
