"""cloudpickle as a producer: its Pickler writes what plain CPython is meant
to read back, so its dumps are judged by CPython reading them."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import kit  # noqa: E402


def make():
    import cloudpickle

    return kit.Adapter({
        "name": "cloudpickle", "implementation": "cloudpickle", "version": cloudpickle.__version__,
        "kind": "py", "library": "cloudpickle %s on Python %d.%d" % ((cloudpickle.__version__,) + sys.version_info[:2]),
        "dump_protocols": [0, 1, 2, 3, 4, 5], "opcodes": "all",
        "readable_by": ["3.8", "3.10", "3.13"]}, dump=kit.pickler_dump(cloudpickle.Pickler, fix_imports=False))


kit.main(make)
