"""Where the reference deliberately differs from CPython's own pickle tests.

`tests/reference/test_pickletester.py` runs the interpreter's
`test.pickletester` classes against the reference.  Every test it fails on
purpose is listed here, once, with what CPython does, what the reference does
instead, and the tracker issue that justifies the difference; the test runs
it as a strict xfail, so an entry that stops deviating fails until removed.

`versions` is the inclusive range of CPython (major, minor) versions whose
test suite has the test that deviates.
"""

import collections

__all__ = ["Deviation", "DEVIATIONS", "for_version"]

Deviation = collections.namedtuple("Deviation", "test versions cpython reference ref")

DEVIATIONS = [
]


def for_version(version, class_name):
    """{test method name: reason} for the tests of `class_name` that deviate under
    the CPython `version` ((major, minor))."""
    found = {}
    for d in DEVIATIONS:
        cls, _, method = d.test.partition(".")
        low, high = d.versions
        if cls == class_name and low <= tuple(version) <= high:
            found[method] = "%s -- CPython: %s; reference: %s" % (d.ref, d.cpython, d.reference)
    return found
