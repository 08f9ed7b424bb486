"""The corpus as pytest tests: each case x protocol x target is one item.

Theory of operation
-------------------
picklespec registers this module through the ``pytest11`` entry point, so it
is loaded by every pytest session wherever picklespec is installed.  It does
nothing there -- no items, no header, no imports beyond pytest's own --
unless ``--picklespec`` or ``--picklespec-target`` is given.  Then the target
specs are checked when pytest starts (a wrong one is a usage error before
anything runs), and at the end of collection a `Corpus` collector reads the
corpus, starts the targets once per session (per xdist worker) and yields
one item per case x protocol x target, named like
``picklespec::int-text-hex[p0-cpython-3.13-c]``.  A corpus with problems or a
target that will not start is that collector's error, which pytest and
pytest-xdist both report.

The items are named after the targets' hellos (``cpython-3.13-c`` is what
the worker says it is), so the targets start during collection, not at the
first item's setup: in a background thread, while the corpus and the
expectations are read, so their start-up costs no extra time.  When the
corpus has problems, those are the error (as they were when the targets
started after it), and the targets started meanwhile are closed as soon as
they are up.  Each item is made once, with `Item.from_parent`; what many
items share -- a classification's mark, the expectations indexed by case
and target -- is made once, and an xfail mark only for the items the
expectations list.  Ordinary pytest does the rest: ``-k`` selects by
case, protocol or target, ``-m`` by classification (``-m reject``), ``-x``
stops at the first failure, pytest-xdist spreads the items, ``--junitxml``
writes them.

An item runs every check that applies to its cell (`checks.check_case`): it
fails when any check fails, crashes or times out, showing the expected and
actual text and where they part; it is skipped, with the reason, when no
check could be judged (the target does not do that protocol); otherwise it
passes, each check's outcome (and a ``defined`` cell's choice) recorded in
the item's ``user_properties``, which --junitxml writes.  Failures and skips
point at the case's file and line, not at a traceback.

Known deviations are expected failures, as in ``picklespec run``: an item
whose cell the expectations list (the shipped ones, picklespec/known/
baseline.json, or ``--picklespec-baseline FILE``;
``--picklespec-no-expectations`` turns them off) is marked
``xfail(strict=True, raises=KnownDeviation)`` with the listed reasons.  It
is ``xfailed`` when it fails exactly as listed; it *fails* when it fails in
another way (a new failure is never swallowed by an xfail) and, the mark
being strict, when it passes (``XPASS(strict)``: update the expectations;
pytest's ``--runxfail`` judges every item on its own).

``python -m picklespec.runner.plugin_bench`` measures collection against
its goal (under 2 s).
"""

import pytest

DEFAULT_TARGETS = ("reference", "cpython-c", "cpython-py")
NOT_JUDGED = frozenset({"unsupported", "skip"})
# Each item is marked with its case's classification, so -m selects by it.
MARKERS = {
    "dump": "a picklespec dump case",
    "accept": "a picklespec case whose stream must load",
    "reject": "a picklespec case whose stream must be rejected cleanly",
    "implementation_defined": "a picklespec case with more than one allowed outcome",
}


def pytest_addoption(parser):
    group = parser.getgroup("picklespec", "picklespec conformance corpus")
    group.addoption("--picklespec", action="store_true", default=False,
                    help="run the picklespec corpus: one test per case x protocol x target "
                         "(targets: %s unless --picklespec-target is given)" % ", ".join(DEFAULT_TARGETS))
    group.addoption("--picklespec-target", action="append", default=[], metavar="TARGET",
                    help="a target to check (repeatable): reference, cpython-c, cpython-py, "
                         "python:PATH[:c|:py], cmd:COMMAND, pickleparser, all-interpreters")
    group.addoption("--picklespec-case", action="append", default=[], metavar="GLOB",
                    help="only the cases whose id matches GLOB (repeatable)")
    group.addoption("--picklespec-protocol", action="append", type=int, default=[], metavar="N",
                    help="only protocol N (repeatable)")
    group.addoption("--picklespec-corpus", action="append", default=[], metavar="PATH",
                    help="case files or folders to read instead of the installed corpus (repeatable)")
    group.addoption("--picklespec-baseline", default=None, metavar="FILE",
                    help="the expected failures (xfail) from FILE instead of the shipped expectations")
    group.addoption("--picklespec-no-expectations", action="store_true", default=False,
                    help="no expected failures: every cell that does not conform fails")


def pytest_configure(config):
    if config.getoption("picklespec") or config.getoption("picklespec_target"):
        config.pluginmanager.register(CorpusPlugin(config), "picklespec-corpus")
        return
    given = [name for name in ("case", "protocol", "corpus", "baseline", "no_expectations")
             if config.getoption("picklespec_" + name)]
    if given:
        raise pytest.UsageError("--picklespec-%s needs --picklespec or --picklespec-target"
                                % given[0].replace("_", "-"))


class CorpusPlugin:
    """The part that is registered only when the corpus is asked for."""

    def __init__(self, config):
        from . import targets

        self.config = config
        self.opened = []
        self.texts = config.getoption("picklespec_target") or list(DEFAULT_TARGETS)
        try:
            self.specs = targets.parse_targets(self.texts)
        except targets.UsageError as exc:
            raise pytest.UsageError("picklespec: %s" % exc) from None
        for name, what in MARKERS.items():
            config.addinivalue_line("markers", "%s: %s" % (name, what))

    @pytest.hookimpl(tryfirst=True)  # before -k and -m deselect
    def pytest_collection_modifyitems(self, session, config, items):
        # Through genitems, as pytest collects: the items are counted, and an
        # error of the collector is reported (by xdist workers too).
        root = Corpus.from_parent(session, name="picklespec", nodeid="picklespec")
        root.plugin = self
        items.extend(session.genitems(root))

    def pytest_report_header(self, config):
        return "picklespec targets: " + ", ".join(self.texts)

    def pytest_unconfigure(self, config):
        for target in self.opened:
            target.close()

    # -- what the collector asks for ----------------------------------------

    def cases(self):
        from picklespec.cases.corpus import load_corpus

        corpus = load_corpus(self.config.getoption("picklespec_corpus") or None)
        if corpus.problems:
            raise Corpus.CollectError("picklespec: the corpus has problems; fix them first:\n  "
                                      + "\n  ".join(str(p) for p in corpus.problems))
        from picklespec.cases.selection import select

        return select(corpus.cases, globs=self.config.getoption("picklespec_case"))

    def expectations(self):
        """(case, target) -> [(protocol text, check, outcome, reason)] of the
        expected failures, and where they are listed."""
        from . import baseline

        if self.config.getoption("picklespec_no_expectations"):
            return {}, None
        path = self.config.getoption("picklespec_baseline")
        try:
            known = baseline.load(path) if path else baseline.shipped()
        except baseline.BaselineError as exc:
            raise Corpus.CollectError("picklespec: %s" % exc) from None
        index = {}
        for key, outcome in known.expected.items():
            case, proto, check, target = key.split("|")
            index.setdefault((case, target), []).append((proto, check, outcome, known.reasons.get(key)))
        return index, known.path

    def protocols(self, case):
        from .checks import case_protocols

        return case_protocols(case, self.config.getoption("picklespec_protocol") or None)

    def start_targets(self):
        """Start the targets in the background: a Future of the started ones."""
        from concurrent.futures import ThreadPoolExecutor

        from . import targets

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="picklespec-targets")
        try:
            return pool.submit(targets.open_targets, self.specs)
        finally:
            pool.shutdown(wait=False)

    def targets(self, starting):
        """The started targets (closed when pytest ends), once they have said hello."""
        from . import targets

        try:
            self.opened = starting.result()
        except targets.UsageError as exc:
            raise Corpus.CollectError("picklespec: %s" % exc) from None
        except BaseException:  # interrupted while they start
            self.discard(starting)
            raise
        return self.opened

    @staticmethod
    def discard(starting):
        """Close the targets being started once they are, without waiting for them."""
        starting.add_done_callback(_close_started)


def _close_started(future):
    if future.cancelled() or future.exception() is not None:
        return  # none started (open_targets closes those it started before an error)
    for target in future.result():
        target.close()


def item_name(case_id, protocol, target_name):
    if protocol is None:
        return "%s[%s]" % (case_id, target_name)
    return "%s[p%d-%s]" % (case_id, protocol, target_name)


class Corpus(pytest.Collector):
    """The parent of the corpus items: one per case x protocol x target."""

    plugin = None

    def collect(self):
        # The targets start while the corpus and the expectations are read;
        # a broken corpus is still the error reported, and closes them.
        starting = self.plugin.start_targets()
        try:
            cases = self.plugin.cases()
            known, where = self.plugin.expectations()
        except BaseException:
            self.plugin.discard(starting)
            raise
        targets = self.plugin.targets(starting)
        marks = {name: getattr(pytest.mark, name) for name in MARKERS}
        items = []
        for case in cases:
            mark = marks[case.classification.replace("-", "_")]
            for protocol in self.plugin.protocols(case):
                for target in targets:
                    item = CaseItem.from_parent(self, name=item_name(case.id, protocol, target.name),
                                                case=case, protocol=protocol, target=target)
                    item.add_marker(mark)
                    entries = known.get((case.id, target.name))
                    if entries:
                        item.expect(entries, where)
                    items.append(item)
        return items


class CellFailure(Exception):
    """The failing Results of one item."""

    def __init__(self, results):
        super().__init__("%d failing checks" % len(results))
        self.results = results


class KnownDeviation(CellFailure):
    """The failing Results of an item, each exactly as the expectations list it."""


class CaseItem(pytest.Item):
    def __init__(self, *, case, protocol, target, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        self.protocol = protocol
        self.target = target
        self.results = []
        self.expected = {}  # Result.key -> outcome the expectations list

    def expect(self, entries, where):
        """Mark the item xfail(strict) for the expectations' entries of its cell."""
        proto = "p%d" % self.protocol if self.protocol is not None else ""
        reasons = []
        for entry_proto, check, outcome, reason in entries:
            if entry_proto in ("", proto):
                key = "|".join((self.case.id, entry_proto, check, self.target.name))
                self.expected[key] = outcome
                reasons.append("%s: %s" % (check, reason or outcome))
        if reasons:
            self.add_marker(pytest.mark.xfail(
                strict=True, raises=KnownDeviation,
                reason="known deviation (listed in %s): %s" % (where, "; ".join(reasons))))

    def runtest(self):
        from .checks import check_case

        protocols = [self.protocol] if self.protocol is not None else None
        self.results = list(check_case(self.case, self.target, protocols))
        for r in self.results:
            self.user_properties.append((r.check, r.outcome + (" (%s)" % r.chosen if r.chosen else "")))
        failing = [r for r in self.results if r.failing]
        if failing:
            known = all(self.expected.get(r.key) == r.outcome for r in failing)
            raise (KnownDeviation if known else CellFailure)(failing)
        if all(r.outcome in NOT_JUDGED for r in self.results):
            reasons = sorted({"%s: %s" % (r.check, r.message or r.outcome) for r in self.results})
            # Reported at the case's file and line, as a failure is.
            raise pytest.skip.Exception("; ".join(reasons) or "no check applies to %s" % self.name,
                                        _use_item_location=True)

    def repr_failure(self, excinfo, style=None):
        if not isinstance(excinfo.value, CellFailure):
            return super().repr_failure(excinfo, style)
        from .reports import view

        lines = ["%s:%s: %s" % (self.case.file, self.case.line, self.case.title or self.case.id)]
        for r in excinfo.value.results:
            lines.append("")
            lines.append("%s on %s: %s" % (r.check, r.target, r.outcome))
            lines.extend("  " + line for line in view.detail_text(r).splitlines())
        return "\n".join(lines)

    def reportinfo(self):
        return self.case.file, (self.case.line or 1) - 1, self.name
