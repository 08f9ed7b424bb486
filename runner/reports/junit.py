"""junit.xml: the run as JUnit XML, for CI systems, streamed.

Theory of operation
-------------------
One ``<testsuite>`` per target, one ``<testcase>`` per Result, named as the
pytest plugin names its items: ``classname`` ``picklespec.CHECK``, ``name``
``CASE[pN-TARGET]``.  A cross-check cell (target ``PRODUCER -> CONSUMER``)
sits in its consumer's suite: the consumer is the one judged.  Each
testcase's ``time`` is the cell's ``seconds`` as the runner measured it
(runner/timing.py), and a suite's is the sum of its cells'.  Outcomes map
onto what CI systems know:

- ``fail``, ``unclean`` -> ``<failure>``, whose text is the message, the first
  difference and a unified diff of expected and actual;
- ``crash``, ``timeout``, ``protocol-error`` -> ``<error type=OUTCOME>``
  with what the target printed: the target broke, rather than disagreed;
- ``unsupported``, ``skip`` -> ``<skipped>`` with the reason (never a pass);
- ``pass``, ``defined``, ``difference`` -> a plain testcase; a ``defined``
  one says in ``<system-out>`` which allowed outcome the target chose.

An incomplete run adds a property ``complete=false`` and one ``<error>``
testcase, ``picklespec.run``, so a CI job cannot read a cut-short run as
green.  Text that cannot appear in XML 1.0 is escaped (`view.clean`).  The
document is written suite by suite as it is rendered.
"""

import collections
import functools
import re
from xml.sax.saxutils import escape, quoteattr

from . import view

FAILURES = frozenset({"fail", "unclean"})
ERRORS = frozenset({"crash", "timeout", "protocol-error"})
SKIPS = frozenset({"unsupported", "skip"})


def testcase_name(result):
    if result.protocol is None:
        return "%s[%s]" % (result.case, result.target)
    return "%s[p%d-%s]" % (result.case, result.protocol, result.target)


def suite_of(result):
    """The suite a cell is in: its target; a cross cell's consumer."""
    return result.target.split(" -> ")[-1] if view.is_cross(result) else result.target


_PLAIN = re.compile('[&<>"\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]')


def _attr(text):
    """text as a quoted XML attribute value (most need nothing done: checked first)."""
    if not _PLAIN.search(text):
        return '"%s"' % text
    return quoteattr(view.clean(text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


# The messages of unsupported and skipped cells repeat, thousands of times.
_message_attr = functools.lru_cache(maxsize=4096)(_attr)


@functools.lru_cache(maxsize=8192)
def _piece(text):
    """text as part of an attribute value, escaped as `_attr` escapes it,
    without the quotes; None when it holds a '"' (which decides the quoting)."""
    if not _PLAIN.search(text):
        return text
    if '"' in text:
        return None
    return _attr(text)[1:-1]


def _name_attr(result):
    """_attr(testcase_name(result)), from the escaped case and target: each
    appears in thousands of names, and a cross cell's target holds a '>'."""
    case, target = _piece(result.case), _piece(result.target)
    if case is None or target is None:
        return _attr(testcase_name(result))
    if result.protocol is None:
        return '"%s[%s]"' % (case, target)
    return '"%s[p%d-%s]"' % (case, result.protocol, target)


def _seconds(value):
    return "%.6f" % (value or 0.0)


def testcase(result):
    head = '  <testcase classname="picklespec.%s" name=%s time="%.6f"' % (
        result.check, _name_attr(result), result.seconds or 0.0)
    message = result.message or result.outcome
    if result.outcome in FAILURES or result.outcome in ERRORS:
        tag = "failure" if result.outcome in FAILURES else "error"
        return '%s>\n   <%s type=%s message=%s>%s</%s>\n  </testcase>\n' % (
            head, tag, _attr(result.outcome), _message_attr(message), escape(view.detail_text(result)), tag)
    if result.outcome in SKIPS:
        return '%s>\n   <skipped type=%s message=%s />\n  </testcase>\n' % (
            head, _attr(result.outcome), _message_attr(message))
    if result.outcome == "defined" and result.chosen:
        return '%s>\n   <system-out>%s</system-out>\n  </testcase>\n' % (
            head, escape(view.clean("chosen: %s" % result.chosen)))
    return head + " />\n"


def _counts(results):
    counts = collections.Counter(r.outcome for r in results)
    return (len(results), sum(counts[o] for o in FAILURES), sum(counts[o] for o in ERRORS),
            sum(counts[o] for o in SKIPS))


def suite(out, name, results, hello=None):
    tests, failures, errors, skipped = _counts(results)
    out.write(' <testsuite name=%s tests="%d" failures="%d" errors="%d" skipped="%d" time="%s">\n' % (
        _attr(name), tests, failures, errors, skipped, _seconds(sum(r.seconds or 0.0 for r in results))))
    properties = [(key, hello[key]) for key in ("implementation", "version", "kind", "executable")
                  if hello and hello.get(key)]
    if properties:
        out.write("  <properties>\n")
        for key, value in properties:
            out.write("   <property name=%s value=%s />\n" % (_attr(key), _attr(str(value))))
        out.write("  </properties>\n")
    for r in results:
        out.write(testcase(r))
    out.write(" </testsuite>\n")


def incomplete_suite(out, run):
    out.write(' <testsuite name="picklespec.run" tests="1" failures="0" errors="1" skipped="0" time="0">\n'
              '  <properties>\n   <property name="complete" value="false" />\n  </properties>\n'
              '  <testcase classname="picklespec.run" name="complete" time="0">\n'
              '   <error type="incomplete" message=%s>%s</error>\n  </testcase>\n </testsuite>\n'
              % (_attr(view.status_line(run)), escape(view.clean("\n".join(run.notes)))))


def write(run, out):
    """Stream junit.xml into the text file object out."""
    by_suite = collections.defaultdict(list)
    for r in run.sorted_results():
        by_suite[suite_of(r)].append(r)
    tests, failures, errors, skipped = _counts(run.results)
    extra = 0 if run.complete else 1
    out.write('<?xml version="1.0" encoding="utf-8"?>\n')
    out.write('<testsuites name="picklespec" tests="%d" failures="%d" errors="%d" skipped="%d" time="%s">\n'
              % (tests + extra, failures, errors + extra, skipped,
                 _seconds(sum(r.seconds or 0.0 for r in run.results))))
    if not run.complete:
        incomplete_suite(out, run)
    for name in sorted(by_suite, key=view.natural):
        suite(out, name, by_suite[name], run.targets.get(name))
    out.write("</testsuites>\n")
