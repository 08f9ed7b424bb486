"""zodbpickle (ZODB's fork of the Python 3.3 pickle) as three targets.

``c`` is zodbpickle.fastpickle (its _pickle), ``py`` zodbpickle.slowpickle
(its pickle.py), both loading and dumping protocols 0-3; ``noload`` is the C
Unpickler's noload(), which walks the stream without building instances or
importing anything: judged as a parse (accept or reject, no object), with
Python 2 strs read as bytes.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import kit  # noqa: E402

CLEAN = ["UnpicklingError", "EOFError", "ValueError", "MemoryError", "ImportError", "AttributeError"]
OPTIONS = ["encoding", "errors", "fix_imports", "sequence", "allow_globals"]


def make(variant):
    if variant == "py":
        from zodbpickle import slowpickle as zp
    else:
        from zodbpickle import fastpickle as zp
    version = kit.version_of("zodbpickle")
    hello = {"name": "zodbpickle-" + variant, "implementation": "zodbpickle", "version": version,
             "kind": variant, "library": "zodbpickle %s (%s) on Python %d.%d" % (
                 version, zp.Unpickler.__module__, sys.version_info[0], sys.version_info[1]),
             "load_protocols": [0, 1, 2, 3], "opcodes": kit.opcodes_up_to(3),
             "clean_exceptions": CLEAN}
    if variant == "noload":
        load = kit.unpickler_load(zp.Unpickler, method="noload", options=[])
        # A parse has no object: a Python 2 str is read as bytes, never refused
        # for the default ASCII (which encoding is a load option, not form).
        return kit.Adapter(hello, parse=lambda data: load(data, {"encoding": "bytes"}))
    # it writes Python 3.3's bytes, which no recorded producer has: judged by CPython reading them
    hello.update(dump_protocols=[0, 1, 2, 3], load_options=OPTIONS, readable_by=["3.8", "3.13"])
    # Python 3.3's Pickler has no reducer_override (3.8): it would be ignored.
    return kit.Adapter(hello, load=kit.unpickler_load(zp.Unpickler),
                       dump=kit.pickler_dump(zp.Pickler, reducer_override=False))


kit.main(make)
