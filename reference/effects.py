"""What the opcodes that reach outside the machine do to the world.

Theory of operation
-------------------
Most opcodes only move values between the stack and the memo.  A few reach
outside the machine: GLOBAL and its kin find an object by module and
qualified name; BUILD gives an object its state; APPENDS extends an object
that is not a list.  Each of those meanings is written here, once, and
everything that needs one calls it:

- the unpickler (`unpickler.Unpickler`), when it runs a stream;
- the pickler, which must find a global the way an unpickler will
  (`follow`, `whichmodule`);
- the object model, which builds from a description the objects an
  unpickler would build (`model.materialize`);
- the worker that drives other interpreters (`runner/worker.py`), which
  names fixtures by "module:qualname".

This module runs unchanged on Python 2.7 and 3.x and imports nothing that
is not in both standard libraries (the worker imports it from its file).

Faults are raised where they are found.  A fault of the *stream* -- a state
that is not a dict, an object without a ``__dict__`` -- raises
`OperandError`, which the unpickler re-raises as its located StackError.
What *called code* raises -- ``__setstate__``, an ``extend`` method, the
``__import__`` of a module -- propagates unchanged, as CPython lets it.
"""

import sys

__all__ = ["OperandError", "find_global", "follow", "whichmodule", "set_state", "extend"]

_MISSING = object()

try:
    _intern = sys.intern
except AttributeError:  # Python 2
    _intern = intern  # noqa: F821


class OperandError(Exception):
    """The object does not take what the opcode gives it: BUILD's state is
    not a dict (or a pair of them), or the object has no ``__dict__`` to put
    it in; APPENDS on an object with neither extend() nor append().

    `builtin` is the built-in exception type both CPython unpicklers raise
    for the same fault (AttributeError for a missing attribute), or None
    where they disagree.
    """

    def __init__(self, message, builtin=None):
        Exception.__init__(self, message)
        self.builtin = builtin


def find_global(module, qualname):
    """The object `qualname` (dots followed) names in `module`, imported.

    The module is imported with ``__import__`` as both CPython unpicklers
    do: what the import raises propagates, and so does the AttributeError
    of a name the module lacks.
    """
    __import__(module)
    return follow(sys.modules[module], qualname.split("."))[0]


def follow(obj, dotted_path):
    """Follow attribute names from obj: (what they lead to, its parent)."""
    parent = None
    for name in dotted_path:
        parent = obj
        obj = getattr(obj, name)
    return obj, parent


def whichmodule(obj, dotted_path):
    """The name of the module obj belongs to (pickle's whichmodule).

    Its ``__module__``; failing that, the first loaded module (not
    ``__main__``) where the dotted path leads to obj itself; failing that,
    ``__main__``.
    """
    module_name = getattr(obj, "__module__", None)
    if module_name is not None:
        return module_name
    for module_name, module in list(sys.modules.items()):
        if module_name == "__main__" or module is None:
            continue
        try:
            if follow(module, dotted_path)[0] is obj:
                return module_name
        except AttributeError:  # not this module
            # Any other error of the search propagates, as both CPython
            # picklers (3.10-3.13) let it.
            continue
    return "__main__"


def set_state(obj, state):
    """BUILD: give obj its state (PEP 307).

    ``obj.__setstate__(state)`` when the object has that attribute -- even
    when it is None, which is then called and fails, as _pickle.c always did
    and pickle.py does since 3.13.  Else the state is a dict of instance
    attributes, or a pair (dict or None, dict of slot values or None).

    A state that is not None must be a dict, even an empty or falsy one: the
    resolution of gh-128965 (pickle.py skipped falsy states of any type);
    the same for the slot state, as _pickle.c checks (gh-144411) -- except
    that a slot state of None is none here, as in pickle.py, where _pickle.c
    refuses it too (the case defined-build-none-slot-state).  Python 2
    pickles write an empty dict for an instance with no attributes, which is
    a dict, so they load.
    """
    setstate = getattr(obj, "__setstate__", _MISSING)
    if setstate is not _MISSING:
        setstate(state)
        return
    slotstate = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slotstate = state
    if state is not None:
        if not isinstance(state, dict):
            raise OperandError("state is a %s, not a dict" % type(state).__name__)
        inst_dict = getattr(obj, "__dict__", None)
        if inst_dict is None:
            raise OperandError("a %s has no __dict__" % type(obj).__name__, AttributeError)
        for k, v in state.items():
            inst_dict[_intern(k) if type(k) is str else k] = v
    if slotstate is not None:
        if not isinstance(slotstate, dict):
            raise OperandError("slot state is a %s, not a dict" % type(slotstate).__name__)
        for k, v in slotstate.items():
            setattr(obj, k, v)


def extend(obj, items):
    """APPEND and APPENDS on an object that is not a list: its extend(items)
    when it has one, else append() for each item (PEP 307).

    The lookup happens even for no items: the resolution of gh-135573
    (_pickle.c returned early and accepted any object); an object with
    neither is an OperandError (AttributeError in both unpicklers).
    """
    method = getattr(obj, "extend", _MISSING)
    if method is not _MISSING:
        method(items)
        return
    append = getattr(obj, "append", _MISSING)
    if append is _MISSING:
        raise OperandError("a %s has no extend() or append()" % type(obj).__name__,
                           AttributeError)
    for item in items:
        append(item)
