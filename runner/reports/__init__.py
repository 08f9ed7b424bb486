"""The reports of a run: run.json, summary.md, matrix.html, junit.xml, findings.md.

Theory of operation
-------------------
`write_all(run, directory)` renders every format from the same Run (one
module per format; `view` computes what they share) and only then writes
them, each to a temporary file in the directory, flushed to disk, then moved
over the old report with `os.replace`.  A report is therefore always whole:
an interrupted run, a full disk or a rendering error leaves the previous
files, never half of one.  A run that was cut short (Ctrl-C, a target that
could not start) has ``complete`` false and says so in every format: the
``complete`` field of run.json, a line at the top of summary.md, a banner in
matrix.html, an error testcase in junit.xml.

reports/README.md (in the repository) explains how to read them.
"""

import os
import tempfile

from .. import findings
from . import html, json_report, junit, markdown

__all__ = ["FORMATS", "write_all", "write_atomic"]

# file name -> render(run) -> text
FORMATS = {
    "run.json": json_report.render,
    "summary.md": markdown.render,
    "matrix.html": html.render,
    "junit.xml": junit.render,
    "findings.md": findings.render,
}


def write_all(run, directory):
    """Write every report of run into directory; return their paths."""
    texts = {name: render(run) for name, render in FORMATS.items()}
    os.makedirs(directory, exist_ok=True)
    staged = []
    try:
        for name, text in texts.items():
            staged.append((_stage(os.path.join(directory, name), text), os.path.join(directory, name)))
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            if os.path.exists(temporary):
                os.unlink(temporary)
    return [path for _, path in staged]


def write_atomic(path, text):
    """Replace the file at path with text (UTF-8), all at once."""
    temporary = _stage(path, text)
    try:
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _stage(path, text):
    """A temporary file next to path holding text, flushed to disk."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a report is for reading
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary
