"""The published sample of third-party failures: drawn reproducibly from the
published baseline, every drawn cell with a verdict, sample.md in step."""

import os

import pytest

from picklespec.runner import sample
from picklespec.runner.baseline import Baseline, load

KNOWN = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "reports", "known")
BASELINE = os.path.join(KNOWN, "baseline.json")
REVIEW = os.path.join(KNOWN, "sample-review.yaml")
SAMPLE = os.path.join(KNOWN, "sample.md")


def test_sample_md_is_the_draw_of_the_published_baseline_with_its_verdicts():
    text = sample.render(load(BASELINE), sample.read_review(REVIEW))
    with open(SAMPLE, encoding="utf-8") as f:
        assert f.read() == text, ("reports/known/sample.md is stale: python -m "
                                  "picklespec.runner.sample reports/known/baseline.json --write "
                                  "reports/known/sample.md")


def test_every_drawn_cell_has_a_verdict():
    rows = sample.rows(load(BASELINE), sample.read_review(REVIEW))
    assert len(rows) == sample.SIZE
    missing = [key for _, key, _, verdict, _ in rows if verdict is None]
    assert not missing, "no verdict in sample-review.yaml for: %s" % ", ".join(missing)


def test_the_command_exits_1_when_a_drawn_cell_has_no_verdict(tmp_path, capsys):
    review = tmp_path / "review.yaml"
    review.write_text("cells: {}\n")
    assert sample.main([BASELINE, "--review", str(review)]) == 1
    assert "without a verdict" in capsys.readouterr().out
    assert sample.main([BASELINE, "--review", REVIEW]) == 0


KEYS = ["a|p1|load|pickleparser", "b||reject|cpython-3.11-py", "c|p2|cross|dill -> cpython-3.8-c",
        "d|p2|cross|cpython-3.6..3.13-c+py, pypy-3.9-py -> cpython-2.7-c",
        "e|p2|cross|zodbpickle-c+zodbpickle-py -> pypy-3.9-py", "f||reject|reference",
        "g||scan|modelscan"]


def test_the_population_is_the_cells_a_third_party_target_is_in():
    baseline = Baseline({key: "fail" for key in KEYS}, reasons={key: "why" for key in KEYS})
    assert sorted(sample.population(baseline)) == [KEYS[0], KEYS[2], KEYS[4], KEYS[6]]


def test_the_draw_depends_on_neither_order_nor_the_rest_of_the_population():
    keys = ["case-%d|p%d|load|jpickle" % (n, n % 6) for n in range(500)]
    drawn = sample.draw(keys)
    assert len(drawn) == 50 and len(set(drawn)) == 50
    assert sample.draw(list(reversed(keys))) == drawn
    # a cell leaving the population leaves the others drawn; the next in rank comes in
    smaller = [k for k in keys if k != drawn[0]]
    assert sample.draw(smaller)[:49] == drawn[1:]
    assert sample.draw(keys, seed=2027) != drawn


@pytest.mark.parametrize("text, said", [
    ("cells: [1]\n", "a mapping 'cells'"),
    ("cells:\n  'not a key': {verdict: real, reason: x}\n", "not a cell key"),
    ("cells:\n  'a|p1|load|jpickle': {verdict: maybe, reason: x}\n", "'maybe' is not one of"),
    ("cells:\n  'a|p1|load|jpickle': {verdict: real, reason: ''}\n", "needs a one-line reason"),
    ("cells:\n  'a|p1|load|jpickle': real\n", "expected {verdict"),
    ("cells: [\n", "not YAML"),
])
def test_a_malformed_review_is_a_located_error(tmp_path, text, said, capsys):
    review = tmp_path / "review.yaml"
    review.write_text(text)
    with pytest.raises(sample.ReviewError) as info:
        sample.read_review(str(review))
    assert said in str(info.value) and str(review) in str(info.value)
    assert sample.main([BASELINE, "--review", str(review)]) == 2
    assert said in capsys.readouterr().err

