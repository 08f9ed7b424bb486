"""picklespec.reference: an executable, readable specification of pickle.

The reference pickler and unpickler define what picklespec expects of every
other implementation.  They have the standard library's API::

    from picklespec import reference
    data = reference.dumps(obj, protocol=5)
    obj = reference.loads(data)
    tree = reference.loads_symbolic(data)   # read without importing or calling

Where things live:

- `opcodes`: the opcode table, the single source of truth;
- `arguments`: how each argument is encoded, in both directions;
- `pickler`: objects to bytes; `unpickler`: bytes to objects (or to the model);
- `model`: the language-neutral object model and its tagged JSON;
- `asm`: assembly text for opcode streams (disassemble / assemble);
- `errors`: the exceptions, which subclass the standard library's.
"""

from .errors import *  # noqa: F401,F403
from .errors import __all__ as _error_names
from .opcodes import HIGHEST_PROTOCOL

# The pickler and unpickler are imported on first use, so that reading the
# table or the model does not pay for them.
_LAZY = {
    "Pickler": "pickler", "dump": "pickler", "dumps": "pickler",
    "DEFAULT_PROTOCOL": "pickler",
    "Unpickler": "unpickler", "load": "unpickler", "loads": "unpickler",
    "SymbolicUnpickler": "unpickler", "load_symbolic": "unpickler",
    "loads_symbolic": "unpickler", "Limits": "unpickler",
    "disassemble": "asm", "assemble": "asm",
}

__all__ = sorted(list(_error_names) + list(_LAZY) + ["HIGHEST_PROTOCOL"])


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    import importlib

    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value
