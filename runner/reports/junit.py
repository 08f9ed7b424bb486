"""junit.xml: the run as JUnit XML, for CI systems.

Theory of operation
-------------------
One ``<testsuite>`` per target (a cross-check's target is its
``PRODUCER -> CONSUMER`` pair), one ``<testcase>`` per Result, named as the
pytest plugin names its items: ``classname`` ``picklespec.CHECK``, ``name``
``CASE[pN-TARGET]``.  Outcomes map onto what CI systems know:

- ``fail``, ``unclean`` -> ``<failure>``, whose text is the message, the first
  difference and a unified diff of expected and actual;
- ``crash``, ``timeout``, ``protocol-error`` -> ``<error type=OUTCOME>``
  with what the target printed: the target broke, rather than disagreed;
- ``unsupported``, ``skip`` -> ``<skipped>`` with the reason (never a pass);
- ``pass``, ``defined`` -> a plain testcase; a ``defined`` one says in
  ``<system-out>`` which allowed outcome the target chose.

An incomplete run adds a property ``complete=false`` and one ``<error>``
testcase, ``picklespec.run``, so a CI job cannot read a cut-short run as
green.  Text that cannot appear in XML 1.0 is escaped (`view.clean`).
"""

import collections
import xml.etree.ElementTree as ET

from . import view

FAILURES = frozenset({"fail", "unclean"})
ERRORS = frozenset({"crash", "timeout", "protocol-error"})
SKIPS = frozenset({"unsupported", "skip"})


def testcase_name(result):
    if result.protocol is None:
        return "%s[%s]" % (result.case, result.target)
    return "%s[p%d-%s]" % (result.case, result.protocol, result.target)


def testcase(result):
    element = ET.Element("testcase", {
        "classname": "picklespec." + result.check,
        "name": view.clean(testcase_name(result)),
        "time": "0",
    })
    message = view.clean(result.message or result.outcome)
    if result.outcome in FAILURES:
        ET.SubElement(element, "failure", {"type": result.outcome, "message": message}).text = view.detail_text(result)
    elif result.outcome in ERRORS:
        ET.SubElement(element, "error", {"type": result.outcome, "message": message}).text = view.detail_text(result)
    elif result.outcome in SKIPS:
        ET.SubElement(element, "skipped", {"type": result.outcome, "message": message})
    elif result.outcome == "defined" and result.chosen:
        ET.SubElement(element, "system-out").text = view.clean("chosen: %s" % result.chosen)
    return element


def suite(name, results, hello=None):
    counts = collections.Counter(r.outcome for r in results)
    element = ET.Element("testsuite", {
        "name": view.clean(name),
        "tests": str(len(results)),
        "failures": str(sum(counts[o] for o in FAILURES)),
        "errors": str(sum(counts[o] for o in ERRORS)),
        "skipped": str(sum(counts[o] for o in SKIPS)),
        "time": "0",
    })
    if hello:
        properties = ET.SubElement(element, "properties")
        for key in ("implementation", "version", "kind", "executable"):
            if hello.get(key):
                ET.SubElement(properties, "property", {"name": key, "value": view.clean(hello[key])})
    element.extend(testcase(r) for r in results)
    return element


def incomplete_suite(run):
    element = ET.Element("testsuite", {"name": "picklespec.run", "tests": "1", "failures": "0",
                                       "errors": "1", "skipped": "0", "time": "0"})
    properties = ET.SubElement(element, "properties")
    ET.SubElement(properties, "property", {"name": "complete", "value": "false"})
    case = ET.SubElement(element, "testcase", {"classname": "picklespec.run", "name": "complete", "time": "0"})
    ET.SubElement(case, "error", {"type": "incomplete", "message": view.status_line(run)}).text = \
        view.clean("\n".join(run.notes))
    return element


def render(run):
    by_target = collections.OrderedDict()
    for r in run.sorted_results():
        by_target.setdefault(r.target, []).append(r)
    root = ET.Element("testsuites", {"name": "picklespec"})
    if not run.complete:
        root.append(incomplete_suite(run))
    for name in sorted(by_target):
        root.append(suite(name, by_target[name], run.targets.get(name)))
    counts = collections.Counter(r.outcome for r in run.results)
    root.set("tests", str(len(run.results) + (0 if run.complete else 1)))
    root.set("failures", str(sum(counts[o] for o in FAILURES)))
    root.set("errors", str(sum(counts[o] for o in ERRORS) + (0 if run.complete else 1)))
    root.set("skipped", str(sum(counts[o] for o in SKIPS)))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
