"""dill as a producer: dill.Pickler (pickle's pure-Python pickler with more
types) writes streams plain CPython reads when they hold no dill types."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import kit  # noqa: E402


def make():
    import dill

    return kit.Adapter({
        "name": "dill", "implementation": "dill", "version": dill.__version__, "kind": "py",
        "library": "dill %s on Python %d.%d" % ((dill.__version__,) + sys.version_info[:2]),
        "dump_protocols": [0, 1, 2, 3, 4, 5], "opcodes": "all",
        "readable_by": ["3.8", "3.10", "3.13"]}, dump=kit.pickler_dump(dill.Pickler))


kit.main(make)
