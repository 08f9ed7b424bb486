"""modelscan as a scanner: its pickle scanner (``scan_pickle_bytes``, with
the default settings) reports only the globals its unsafe_globals list rates
(CRITICAL..LOW), as issues: scan_reports "unsafe", no calls.  A stream its
genops pass cannot read before any global is an error
(PickleGenopsError): answered as rejected."""
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import kit  # noqa: E402


def make():
    import modelscan.modelscan  # noqa: F401  (importing picklescanner first is an import cycle)
    from modelscan.model import Model
    from modelscan.settings import DEFAULT_SETTINGS
    from modelscan.tools.picklescanner import scan_pickle_bytes

    version = kit.version_of("modelscan")

    def scan(data):
        results = scan_pickle_bytes(Model("stream.pkl", io.BytesIO(data)), DEFAULT_SETTINGS,
                                    multiple_pickles=False)
        if results.errors:
            error = results.errors[0]
            raise kit.Rejected(type(error).__name__, str(getattr(error, "message", error)))
        return sorted("%s:%s" % (i.details.module, i.details.operator) for i in results.issues), None

    return kit.Adapter({
        "name": "modelscan", "implementation": "modelscan", "version": version, "kind": "py",
        "library": "modelscan %s on Python %d.%d" % ((version,) + sys.version_info[:2]),
        "load_protocols": [0, 1, 2, 3, 4, 5], "opcodes": "all", "scan_reports": "unsafe",
        "clean_exceptions": ["PickleGenopsError"]}, scan=scan)


kit.main(make)
