"""The published conformance of known targets, shipped as package data.

As WPT ships its expectation files next to its tests, picklespec ships the
results of its published run (reports/README.md, "known/") inside the
package as ``picklespec.known``: ``baseline.json``, every cell of that run
that did not conform with the reason it is expected to, and the reports that
explain them (``summary.md``, ``findings.md``, ``upstream.md``,
``sample.md``).  ``picklespec run`` and the pytest plugin judge a run
against ``baseline.json`` by default, and ``picklespec cases show`` reads
the known outcome of a case from it.

This module only says where the files are; reading them is the job of
picklespec.runner.baseline.  It imports nothing, so any layer may ask.
"""

import os

__all__ = ["FOLDER", "path"]

FOLDER = os.path.dirname(os.path.abspath(__file__))


def path(name="baseline.json"):
    """The path of one shipped file (default: the expectations, baseline.json)."""
    return os.path.join(FOLDER, name)
