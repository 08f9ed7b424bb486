"""A random sample of the published third-party failures, with a verdict each.

    python -m picklespec.runner.sample reports/known/baseline.json
    python -m picklespec.runner.sample reports/known/baseline.json --write reports/known/sample.md

Theory of operation
-------------------
A failing cell about someone else's library must be a real divergence,
not an artefact of picklespec's judging (a profile, a projection, an
adapter).  The published run is checked by sampling: 50 of its failing
third-party cells, each read as the library's maintainer would, with a
verdict.

*The population* is every cell of the published baseline (its failing
cells) that involves a third-party target: its target, or for a cross
cell (``PRODUCERS -> CONSUMER``) any producer or the consumer, is
neither the reference nor an interpreter's own pickle (``cpython-*``,
``pypy-*``).

*The draw* ranks each cell by the SHA-256 of ``SEED:KEY`` and takes the 50
lowest: a uniform random sample without replacement, the same whatever
order the baseline lists its cells in, and stable when the population
changes -- a republished run keeps every drawn cell that still fails, and
a cell that left is replaced by the next in rank.  So a verdict recorded
for a cell stays valid, and recording the verdicts of the next cells in
rank prepares for a republish.

*The verdicts* live in ``reports/known/sample-review.yaml``, one per cell
key: ``real`` or ``artefact``, and the one-line reason a maintainer would
accept.  The command lists the draw with its verdicts and exits 1 when a
drawn cell has none (or the review file is malformed, said with its
place); ``--write`` renders the list as sample.md, a file a test keeps in
step with the baseline and the review file.
"""

import argparse
import hashlib
import os
import re
import sys

from .baseline import BaselineError, load

__all__ = ["SEED", "SIZE", "ReviewError", "draw", "population", "read_review", "render", "main"]

SEED = 2026
SIZE = 50
VERDICTS = ("real", "artefact")
DEFAULT_REVIEW = "sample-review.yaml"  # next to the baseline
_OWN = re.compile(r"(?:reference|(?:cpython|pypy)-[0-9.]+(?:\.\.[0-9.]+)?-(?:c\+py|c|py))\Z")


class ReviewError(ValueError):
    """A review file that is not a mapping of cell keys to verdicts."""


def _sides(target):
    """The target names of a cell's target: a cross cell's producers and its consumer."""
    producers, arrow, consumer = target.rpartition(" -> ")
    names = [consumer]
    if arrow:
        for group in producers.split(", "):
            names.extend(group.split("+") if not _OWN.match(group) else [group])
    return names


def third_party(key):
    """Whether a cell involves a target that is not the reference or an interpreter's pickle."""
    return any(not _OWN.match(name) for name in _sides(key.rsplit("|", 1)[-1]))


def population(baseline):
    """The baseline's failing third-party cells: {key: (outcome, reason)}."""
    return {key: (outcome, baseline.reasons.get(key, outcome))
            for key, outcome in baseline.expected.items() if third_party(key)}


def rank(key, seed=SEED):
    return hashlib.sha256(("%s:%s" % (seed, key)).encode("utf-8")).hexdigest()


def draw(keys, size=SIZE, seed=SEED):
    """The `size` keys of lowest rank, in rank order."""
    return sorted(keys, key=lambda k: rank(k, seed))[:size]


def read_review(path):
    """{key: (verdict, reason)} from the review file; ReviewError, located, if malformed."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise ReviewError("%s: cannot read the review: %s" % (path, exc.strerror)) from None
    except yaml.YAMLError as exc:
        raise ReviewError("%s: not YAML: %s" % (path, exc)) from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, dict):
        raise ReviewError("%s: expected a mapping 'cells' of cell keys to verdicts" % path)
    out = {}
    for key, entry in cells.items():
        where = "%s: %s" % (path, key)
        if not isinstance(key, str) or key.count("|") != 3:
            raise ReviewError("%s: not a cell key (CASE|pN|CHECK|TARGET)" % where)
        if not isinstance(entry, dict) or set(entry) != {"verdict", "reason"}:
            raise ReviewError("%s: expected {verdict: real|artefact, reason: TEXT}" % where)
        if entry["verdict"] not in VERDICTS:
            raise ReviewError("%s: verdict %r is not one of %s" % (where, entry["verdict"],
                                                                  ", ".join(VERDICTS)))
        if not isinstance(entry["reason"], str) or not entry["reason"].strip():
            raise ReviewError("%s: a verdict needs a one-line reason" % where)
        out[key] = (entry["verdict"], " ".join(entry["reason"].split()))
    return out


def rows(baseline, review, size=SIZE, seed=SEED):
    """(number, key, outcome, verdict or None, reason or None) for each drawn cell."""
    cells = population(baseline)
    out = []
    for n, key in enumerate(draw(cells, size, seed), 1):
        verdict, reason = review.get(key, (None, None))
        out.append((n, key, cells[key][0], verdict, reason))
    return out


def _cell(text):
    return text.replace("|", "\\|")


def render(baseline, review, size=SIZE, seed=SEED):
    """sample.md: the draw, its verdicts and the count of real divergences."""
    drawn = rows(baseline, review, size, seed)
    cells = population(baseline)
    real = sum(1 for r in drawn if r[3] == "real")
    artefacts = sum(1 for r in drawn if r[3] == "artefact")
    lines = [
        "# A sample of the third-party failures, read as their maintainers would",
        "",
        "**Result: %d of %d sampled cells are real divergences of the library; %d %s an "
        "artefact of picklespec's judging%s.**" % (
            real, len(drawn), artefacts, "is" if artefacts == 1 else "are",
            "" if real + artefacts == len(drawn) else
            "; %d have no verdict yet" % (len(drawn) - real - artefacts)),
        "",
        "The population: the %d failing cells of [baseline.json](baseline.json) (the published "
        "run, %d failing cells in all) that involve a third-party target -- its target, or a "
        "cross cell's producer or consumer, is neither the reference nor an interpreter's own "
        "pickle." % (len(cells), len(baseline.expected)),
        "",
        "The draw: the %d cells of lowest SHA-256 of `%d:KEY` (KEY the cell key "
        "`CASE|pN|CHECK|TARGET`), in that order -- uniform, independent of the order the "
        "baseline lists its cells in, and stable across republished runs: a drawn cell that "
        "still fails stays drawn. Each was read against its case, its stream and the "
        "library's answer (run.json of the same run) and its source; the verdicts and "
        "reasons are [sample-review.yaml](sample-review.yaml). Made with "
        "`python -m picklespec.runner.sample reports/known/baseline.json --write "
        "reports/known/sample.md`." % (size, seed),
        "",
        "\"Inherited\" means the library copies CPython code that fails the same cell for "
        "that CPython in the same run: a failure the library's users meet, whose bug is "
        "CPython's (reported once, there, not to the library).",
        "",
        "| # | case | protocol | check | target | outcome | verdict | reason |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, key, outcome, verdict, reason in drawn:
        case, protocol, check, target = key.split("|")
        lines.append("| %d | `%s` | %s | %s | `%s` | %s | %s | %s |" % (
            n, case, protocol or "-", check, target, outcome,
            "**artefact**" if verdict == "artefact" else (verdict or "**none**"),
            _cell(reason or "not reviewed")))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m picklespec.runner.sample",
        description="Draw the sample of failing third-party cells and show the verdicts.")
    parser.add_argument("baseline", help="the published baseline (reports/known/baseline.json)")
    parser.add_argument("--review", help="the verdicts (default: sample-review.yaml next to "
                                         "the baseline)")
    parser.add_argument("--write", metavar="PATH", help="write the sample as markdown")
    parser.add_argument("--size", type=int, default=SIZE, help="cells to draw (default %(default)s)")
    args = parser.parse_args(argv)
    review_path = args.review or os.path.join(os.path.dirname(args.baseline), DEFAULT_REVIEW)
    try:
        baseline = load(args.baseline)
        review = read_review(review_path) if os.path.exists(review_path) or args.review else {}
    except (BaselineError, ReviewError) as exc:
        sys.stderr.write("picklespec sample: %s\n" % exc)
        return 2
    drawn = rows(baseline, review, args.size)
    for n, key, outcome, verdict, reason in drawn:
        sys.stdout.write("%2d %-8s %-8s %s\n" % (n, verdict or "NONE", outcome, key))
        if reason:
            sys.stdout.write("            %s\n" % reason)
    missing = [r[1] for r in drawn if r[3] is None]
    real = sum(1 for r in drawn if r[3] == "real")
    sys.stdout.write("%d of %d drawn cells real, %d artefacts, %d without a verdict (%s)\n" % (
        real, len(drawn), sum(1 for r in drawn if r[3] == "artefact"), len(missing), review_path))
    if args.write:
        text = render(baseline, review, args.size)
        tmp = args.write + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.write)
        sys.stdout.write("written: %s\n" % args.write)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
