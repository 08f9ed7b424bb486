"""The reference unpickler's handler of each opcode, as source text.

The spec site shows, for each opcode, the function the reference unpickler
registered for it with ``handles("NAME")``, read with `inspect` when the
site is made (never copied), and the methods of the unpickler it calls, so
the page says what the code says today.  The registry is found as the
unpickler keeps it (``_HANDLERS``); if that ever moves, the handlers are
found by the ``handles("NAME")`` line in their source.
"""

import inspect
import re
import textwrap

__all__ = ["handler_of", "handler_sources", "ALSO"]


def handler_of(name):
    """The reference unpickler's function registered for opcode `name`."""
    from .. import unpickler

    registry = getattr(unpickler, "_HANDLERS", None)
    if registry is not None and name in registry:
        return registry[name]
    mark = 'handles("%s")' % name
    for value in vars(unpickler.Unpickler).values():
        if inspect.isfunction(value):
            try:
                if mark in inspect.getsource(value):
                    return value
            except OSError:
                continue
    raise LookupError("no handler registered with handles(%r) in reference/unpickler.py" % name)


_CALLED = re.compile(r"self\.(\w+)\(")

# Where a handler only signals the loop, the loop's method that does the work.
ALSO = {"FRAME": ("_enter_frame",)}


def handler_sources(name):
    """[(title, source)]: the handler, then each Unpickler method it calls."""
    from .. import unpickler

    function = handler_of(name)
    source = textwrap.dedent(inspect.getsource(function))
    out = [("Unpickler.%s" % function.__name__, source)]
    seen = {function.__name__}
    for called in list(_CALLED.findall(source)) + list(ALSO.get(name, ())):
        method = vars(unpickler.Unpickler).get(called)
        if called in seen or not inspect.isfunction(method):
            continue
        seen.add(called)
        out.append(("Unpickler.%s" % called, textwrap.dedent(inspect.getsource(method))))
    return out
