"""The reference unpickler's handler of each opcode, as source text.

The spec site shows, for each opcode, the function the reference unpickler
registered for it with ``handles("NAME")``, read with `inspect` when the
site is made (never copied), and the methods of the unpickler it calls, so
the page says what the code says today.  With it come the functions it calls
in the reference (methods of the unpickler, helpers of its module, functions
of the reference modules it imports), two calls deep.  The registry is found
as the unpickler keeps it (``_HANDLERS``); if that ever moves, the handlers
are found by the ``handles("NAME")`` line in their source.
"""

import inspect
import re
import textwrap

__all__ = ["handler_of", "handler_sources", "ALSO", "SKIP"]


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


_METHOD = re.compile(r"\bself\.(\w+)\(")
_FUNCTION = re.compile(r"(?<![.\w])(\w+)\(")
_MODULE_FUNCTION = re.compile(r"(?<![.\w])(\w+)\.(\w+)\(")

# Methods a handler hands to the loop or passes on rather than calls (the
# loop's frame check, the hooks called through _call_out): shown with it.
ALSO = {"FRAME": ("_enter_frame",), "GLOBAL": ("find_class",), "STACK_GLOBAL": ("find_class",),
        "INST": ("find_class",), "PERSID": ("persistent_load",),
        "BINPERSID": ("persistent_load",)}

# The machinery every page would repeat: the registration decorator, and the
# wrapper through which all called code runs (the unpickler's module doc says
# what it does).
SKIP = frozenset({"handles", "_call_out"})


def _called(source, unpickler):
    """(title, function) for what `source` calls in the reference: methods of
    the Unpickler, functions of the unpickler module, and functions of the
    reference modules it imports (``effects.set_state``)."""
    package = unpickler.__name__.rpartition(".")[0]
    out = []
    for name in _METHOD.findall(source):
        method = vars(unpickler.Unpickler).get(name)
        if inspect.isfunction(method):
            out.append(("Unpickler.%s" % name, method))
    for name in _FUNCTION.findall(source):
        function = vars(unpickler).get(name)
        if inspect.isfunction(function) and function.__module__ == unpickler.__name__:
            out.append(("%s (reference/unpickler.py)" % name, function))
    for module_name, name in _MODULE_FUNCTION.findall(source):
        module = vars(unpickler).get(module_name)
        if inspect.ismodule(module) and module.__name__.startswith(package + "."):
            function = vars(module).get(name)
            if inspect.isfunction(function) and function.__module__ == module.__name__:
                out.append(("%s.%s (reference/%s.py)" % (module_name, name,
                                                         module.__name__.rpartition(".")[2]),
                            function))
    return out


def handler_sources(name):
    """[(title, source)]: the handler, then what it calls in the reference,
    and what those call in turn (two levels, each function once)."""
    from .. import unpickler

    function = handler_of(name)
    source = textwrap.dedent(inspect.getsource(function))
    out = [("Unpickler.%s" % function.__name__, source)]
    seen = {function}
    level = [source]
    extra = [("Unpickler.%s" % n, vars(unpickler.Unpickler).get(n)) for n in ALSO.get(name, ())]
    for depth in range(2):
        found = (extra if depth == 0 else []) + [c for text in level for c in _called(text, unpickler)]
        level = []
        for title, called in found:
            if (called is None or called in seen or not inspect.isfunction(called)
                    or called.__name__ in SKIP):
                continue
            seen.add(called)
            text = textwrap.dedent(inspect.getsource(called))
            out.append((title, text))
            level.append(text)
    return out
