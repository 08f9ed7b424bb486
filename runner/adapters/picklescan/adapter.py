"""picklescan as a scanner: ``scan_pickle_bytes`` lists every global that a
GLOBAL, INST or STACK_GLOBAL names (each with a safety level; all are
reported here, whatever the level), as a set: no order, no count, no calls.
STACK_GLOBAL operands it cannot follow are reported as "unknown".  Globals
found before a parse error are still reported (scan_err); a stream that fails
before any global is reported clean, with no error: answered as it is, ok
with no finds."""
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import kit  # noqa: E402


def make():
    from picklescan.scanner import scan_pickle_bytes

    version = kit.version_of("picklescan")

    def scan(data):
        result = scan_pickle_bytes(io.BytesIO(data), "stream", multiple_pickles=False)
        return sorted("%s:%s" % (g.module, g.name) for g in result.globals), None

    return kit.Adapter({
        "name": "picklescan", "implementation": "picklescan", "version": version, "kind": "py",
        "library": "picklescan %s on Python %d.%d" % ((version,) + sys.version_info[:2]),
        "load_protocols": [0, 1, 2, 3, 4, 5], "opcodes": "all", "scan_reports": "all"}, scan=scan)


kit.main(make)
