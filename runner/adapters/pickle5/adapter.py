"""pickle5: Python 3.8's pickle and _pickle backported to 3.6 and 3.7
(protocol 5, PEP 574 buffers).  ``c`` is pickle5's _pickle, ``py`` its
pickle.py (_Pickler/_Unpickler)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import kit  # noqa: E402

CLEAN = ["UnpicklingError", "EOFError", "ValueError", "MemoryError", "ImportError", "AttributeError"]


def make(variant):
    import pickle5

    pickler, unpickler = ((pickle5.Pickler, pickle5.Unpickler) if variant == "c"
                          else (pickle5.pickle._Pickler, pickle5.pickle._Unpickler))
    version = kit.version_of("pickle5")
    python = "%d.%d" % sys.version_info[:2]
    return kit.Adapter({
        "name": "pickle5-%s-%s" % (python, variant), "implementation": "pickle5",
        "version": version, "kind": variant,
        "library": "pickle5 %s (%s) on Python %s" % (version, unpickler.__module__, python),
        # what 3.8 writes: pickle5 is its pickle, byte for byte
        "producer": "cpython-3.8-%s" % variant,
        "load_protocols": [0, 1, 2, 3, 4, 5], "dump_protocols": [0, 1, 2, 3, 4, 5], "opcodes": "all",
        "load_options": ["encoding", "errors", "fix_imports", "buffers", "sequence", "allow_globals"],
        "clean_exceptions": CLEAN},
        load=kit.unpickler_load(unpickler), dump=kit.pickler_dump(pickler),
        picklebuffer=pickle5.PickleBuffer)


kit.main(make)
