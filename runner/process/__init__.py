"""Target processes: starting one and speaking the adapter protocol to it.

Installed as `picklespec.process`, apart from `picklespec.runner`: the
runner (which reads the corpus, `picklespec.cases`) and the corpus's own
maintainer tool `picklespec cases regen` (which runs real picklers through
the worker) both need it, and neither imports the other through it.  It
imports only `picklespec.reference`.

- `adapter.Adapter`: one long-lived process, requests and answers as JSON
  lines, crashes, hangs and protocol errors told apart (runner/PROTOCOL.md);
- `worker_path()`: where runner/worker.py, the protocol's Python worker, is.
"""

import os

from .adapter import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, Adapter, AdapterFailure

__all__ = ["Adapter", "AdapterFailure", "DEFAULT_TIMEOUT", "DEFAULT_MEMORY_MB", "worker_path"]

_HERE = os.path.dirname(os.path.abspath(__file__))


def worker_path():
    """The worker script: next to this package in the repository (runner/),
    in the installed runner package otherwise (picklespec/runner/)."""
    parent = os.path.dirname(_HERE)
    for path in (os.path.join(parent, "worker.py"), os.path.join(parent, "runner", "worker.py")):
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("the picklespec worker (runner/worker.py) is not installed near %s" % _HERE)
