"""torch's weights_only unpickler (``torch._weights_only_unpickler``, what
``torch.load(weights_only=True)`` runs) as load.  Its allowlist is declared
as ``allowed_globals``: every other global is refused (UnpicklingError)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import kit  # noqa: E402

# The 34 opcodes its load() dispatches on, any other being "Unsupported
# operand", less BINPERSID: it takes only torch's own ids ("Only
# persistent_load of storage is allowed"), a tuple naming a storage that
# only a torch checkpoint holds, so no persistent id of the corpus loads.
OPCODES = ["APPEND", "APPENDS", "BINFLOAT", "BINGET", "BININT", "BININT1", "BININT2",
           "BINPUT", "BINUNICODE", "BUILD", "EMPTY_DICT", "EMPTY_LIST", "EMPTY_SET", "EMPTY_TUPLE",
           "GLOBAL", "LONG1", "LONG_BINGET", "LONG_BINPUT", "MARK", "NEWFALSE", "NEWOBJ", "NEWTRUE",
           "NONE", "PROTO", "REDUCE", "SETITEM", "SETITEMS", "SHORT_BINSTRING", "STOP", "TUPLE",
           "TUPLE1", "TUPLE2", "TUPLE3"]


def make():
    import torch
    from torch import _weights_only_unpickler as wo

    allowed = sorted("%s:%s" % tuple(path.rsplit(".", 1)) for path in wo._get_allowed_globals())
    base = kit.unpickler_load(wo.Unpickler, options=["encoding"])

    def load(data, options):
        # torch's load(file, encoding="ASCII"), with a persistent_load as torch.load gives it
        return base(data, dict({"encoding": "ASCII"}, **options))

    return kit.Adapter({
        "name": "torch-weights-only", "implementation": "torch", "version": torch.__version__,
        "kind": "py", "library": "torch %s _weights_only_unpickler on Python %d.%d"
        % ((torch.__version__,) + sys.version_info[:2]),
        "load_protocols": [0, 1, 2, 3, 4, 5], "opcodes": OPCODES, "load_options": ["encoding"],
        "clean_exceptions": ["UnpicklingError", "EOFError"], "allowed_globals": allowed}, load=load)


kit.main(make)
