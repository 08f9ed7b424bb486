"""Baselines: new failures and unexpected passes fail a run; updates are cell by cell."""

import json

import pytest

from picklespec.runner import baseline
from picklespec.runner.results import Result, Run

T = "pickleparser-0.2.1"


def run_of(*cells, complete=True):
    """A Run from (case, protocol, check, outcome) cells of target T."""
    return Run(targets={T: {}}, complete=complete,
               results=[Result(case, check, T, protocol, outcome) for case, protocol, check, outcome in cells])


REVIEWED = run_of(("a", 0, "load", "pass"), ("b", 0, "load", "fail"), ("c", 2, "load", "crash"),
                  ("d", None, "reject", "timeout"), ("e", 5, "dump-bytes", "unsupported"),
                  ("f", 4, "defined", "defined"))


@pytest.fixture
def reviewed(tmp_path):
    path = str(tmp_path / "pickleparser.json")
    baseline.write(REVIEWED, path)
    return path


def test_write_records_only_failing_cells(reviewed):
    with open(reviewed, encoding="utf-8") as f:
        text = f.read()
    assert json.loads(text) == {
        "format": "picklespec-baseline/1",
        "targets": [T],
        "expected": {"b|p0|load|" + T: {"outcome": "fail", "reason": "load -: fail"},
                     "c|p2|load|" + T: {"outcome": "crash", "reason": "load -: crash"},
                     "d||reject|" + T: {"outcome": "timeout", "reason": "reject -: timeout"}},
    }
    # one cell per line, sorted: a review is a plain diff
    assert '\n  "b|p0|load|pickleparser-0.2.1": {"outcome": "fail", "reason": "load -: fail"},\n' in text


def test_an_entry_without_a_reason_is_refused(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"format": "picklespec-baseline/1", "expected": {
        "a|p0|load|t": {"outcome": "fail"}}}))
    with pytest.raises(baseline.BaselineError, match="needs a \"reason\""):
        baseline.load(str(path))


def test_the_reviewed_run_matches(reviewed):
    comparison = baseline.compare(REVIEWED, baseline.load(reviewed))
    assert comparison.ok
    assert [r.case for r in comparison.expected_failures] == ["b", "c", "d"]
    assert comparison.new_failures == comparison.unexpected_passes == comparison.not_run == []


# (cell now, what the comparison finds)
CHANGES = [
    (("a", 0, "load", "fail"), "new"),  # conformed, now fails
    (("b", 0, "load", "crash"), "new"),  # failed, now crashes: a different failure
    (("b", 0, "load", "pass"), "unexpected"),  # fixed: the baseline must be updated
    (("d", None, "reject", "defined"), "unexpected"),
    (("c", 2, "load", "unsupported"), None),  # not judged: proves nothing
    (("c", 2, "load", "skip"), None),
    (("g", 1, "load", "timeout"), "new"),  # a new cell that fails
    (("g", 1, "load", "pass"), None),
]


@pytest.mark.parametrize("cell, found", CHANGES)
def test_changes(reviewed, cell, found):
    cells = [c for c in [("a", 0, "load", "pass"), ("b", 0, "load", "fail"), ("c", 2, "load", "crash"),
                         ("d", None, "reject", "timeout")] if c[:3] != cell[:3]] + [cell]
    comparison = baseline.compare(run_of(*cells), baseline.load(reviewed))
    new = [r.case for r in comparison.new_failures]
    unexpected = [r.case for r in comparison.unexpected_passes]
    assert (new, unexpected) == {"new": ([cell[0]], []), "unexpected": ([], [cell[0]]), None: ([], [])}[found]
    assert comparison.ok == (found is None)
    if found:
        assert any(cell[0] in line for line in comparison.summary())
        assert "--update-baseline" in comparison.summary()[-1]


def test_no_baseline_means_every_failure_is_new():
    comparison = baseline.compare(REVIEWED, None)
    assert [r.case for r in comparison.new_failures] == ["b", "c", "d"]
    assert not comparison.ok


def test_a_narrowed_run_leaves_the_rest_alone(reviewed):
    narrowed = run_of(("b", 0, "load", "pass"), ("h", 3, "load", "fail"))
    comparison = baseline.compare(narrowed, baseline.load(reviewed))
    assert comparison.not_run == ["c|p2|load|" + T, "d||reject|" + T]
    assert [r.case for r in comparison.unexpected_passes] == ["b"]
    assert [r.case for r in comparison.new_failures] == ["h"]
    updated = baseline.write(narrowed, reviewed)
    assert baseline.load(reviewed).expected == updated.expected == {
        "c|p2|load|" + T: "crash", "d||reject|" + T: "timeout", "h|p3|load|" + T: "fail"}
    assert baseline.compare(narrowed, baseline.load(reviewed)).ok


def test_an_update_keeps_other_targets(reviewed):
    other = Run(targets={"cpython-3.13-py": {}},
                results=[Result("x", "dump-bytes", "cpython-3.13-py", 0, "fail"),
                         Result("x", "cross", "cpython-3.13-c+py -> cpython-2.7-c", 0, "fail")])
    baseline.write(other, reviewed)
    loaded = baseline.load(reviewed)
    assert loaded.targets == ["cpython-2.7-c", "cpython-3.13-py", T]
    assert len(loaded.expected) == 5


@pytest.mark.parametrize("content, message", [
    (None, "cannot read the baseline"),
    ("{not json", "not a JSON baseline"),
    ('{"format": "picklespec-run/1"}', "not a picklespec baseline"),
    ('{"format": "picklespec-baseline/1", "expected": []}', "must map cell keys"),
    ('{"format": "picklespec-baseline/1", "expected": {"a|p0|load|t": "pass"}}', "not a failing outcome"),
    ('{"format": "picklespec-baseline/1", "expected": {"a|load": "fail"}}', "not a cell key"),
])
def test_a_bad_baseline_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(baseline.BaselineError) as info:
        baseline.load(str(path))
    assert str(info.value).startswith(str(path) + ": ")
    assert message in str(info.value)


# -- the shipped expectations -------------------------------------------------------


def test_the_shipped_expectations_are_package_data_readable_from_anywhere(tmp_path, monkeypatch):
    import os

    from picklespec import known

    monkeypatch.chdir(tmp_path)
    shipped = baseline.shipped()
    assert shipped.shipped and os.path.isabs(shipped.path)
    assert shipped.path == baseline.shipped_path() == known.path("baseline.json")
    # the published run's own file, read as it is in the repository
    with open(shipped.path, encoding="utf-8") as f:
        assert len(json.load(f)["expected"]) == len(shipped.expected) > 1000
    for name in ("findings.md", "summary.md"):
        assert os.path.exists(known.path(name))


def test_against_the_shipped_expectations_an_unexpected_pass_is_reported_not_failed(reviewed):
    fixed = run_of(("a", 0, "load", "pass"), ("b", 0, "load", "pass"), ("c", 2, "load", "crash"),
                   ("d", None, "reject", "timeout"))
    own = baseline.load(reviewed)
    assert not baseline.compare(fixed, own).ok  # one's own baseline must be updated
    own.shipped = True  # a later patch release may fix what the published run recorded
    comparison = baseline.compare(fixed, own)
    assert comparison.ok
    lines = comparison.verdict([T])
    assert lines[0] == "%s: 2 known deviations, 0 new, 1 fixed" % T
    assert lines[1] == "fixed since the published run (not a failure): b|p0|load|%s: pass (known: fail)" % T
    assert lines[-1] == "2 known deviations of %s (listed in %s), 0 new, 1 fixed" % (T, reviewed)


def test_the_verdict_counts_per_target_and_lists_new_failures(reviewed):
    known = baseline.load(reviewed)
    known.shipped = True
    now = run_of(("b", 0, "load", "fail"), ("c", 2, "load", "fail"), ("g", 1, "load", "timeout"))
    now.results[2].message = "no answer within 10 s"
    now.targets["reference"] = {}
    comparison = baseline.compare(now, known)
    assert not comparison.ok
    lines = comparison.verdict(now.targets)
    assert lines[:2] == ["%s: 1 known deviation, 2 new" % T, "reference: 0 known deviations, 0 new"]
    assert "new failure: c|p2|load|%s: fail (known: crash)" % T in lines
    assert "new failure: g|p1|load|%s: timeout: no answer within 10 s" % T in lines
    assert lines[-1] == "1 known deviation of %s (listed in %s), 2 new" % (T, reviewed)


def test_only_the_run_targets_entries_can_be_not_run(reviewed):
    other = Run(targets={"other": {}}, results=[Result("a", "load", "other", 0, "pass")])
    assert baseline.compare(other, baseline.load(reviewed)).not_run == []
