"""Minimizing a disagreement: delta debugging over instructions, then bytes.

Theory of operation
-------------------
A disagreement found by ``picklespec fuzz`` is an input on which targets
answer differently.  `minimize` looks for a smaller input on which they
disagree *in the same way* -- the caller's `test(data) -> bool` says so --
in two passes of Zeller and Hildebrandt's ddmin ("Simplifying and Isolating
Failure-Inducing Input", 2002):

1. over the instructions of the stream, as the disassembler reads them
   (reference/asm.py: an unknown byte or an argument cut short makes the
   rest one unit), so whole opcodes and their arguments go at once;
2. over the bytes of what is left, which shortens arguments, cuts lengths
   and finds the one byte that matters.

Then the instruction pass runs once more, since the byte pass may have made
an opcode removable.  An input of many instructions (a mutant of a long
corpus stream) first loses its long irrelevant runs by bisection (`chop`):
delta debugging alone would take them out a chunk at a time, a test each,
and spend its budget before it got near the few instructions that matter.  Every test is counted against a budget, so a
disagreement that only a long input shows still ends in bounded time; the
best input found so far is the answer.

A FRAME announces how many bytes follow it, so taking out what lies inside
a frame would make it lie about its length, and the disagreement found
would then be about that lie.  Each pass therefore keeps every FRAME whole
and rewrites its length from where the frame ended in the input it started
from: the frame still ends at the same place among the units that are
kept -- between the same two instructions, the same number of bytes into
an argument when the frame ended inside one (and that argument is kept),
or as many bytes past the end of the stream as it did.  A frame that told
the truth still does; one that lied still lies in the same way.

Targets behind a process boundary answer a batch of inputs about as fast
as one, so a test may be given as `test_many(candidates) -> [bool, ...]`:
delta debugging then asks for `window` candidates at a time, and takes the
first that holds, just as when it asks them one by one.
"""

from bisect import bisect_right

from picklespec.reference.asm import read_instructions

__all__ = ["ddmin", "chop", "minimize", "shrink_json", "Budget", "frame_ends", "join_units"]

FRAME = 0x95  # the FRAME opcode, whose 8-byte argument is a length
CHOP_ABOVE = 64  # instructions from which long runs are first taken out by bisection


class Budget(Exception):
    """The tests allowed for one minimization are spent."""


class _Counted:
    """A test counted against a budget, each distinct input tested once."""

    def __init__(self, test, budget, test_many=None):
        self.test = test
        self.test_many = test_many
        self.left = budget
        self.seen = {}

    def __call__(self, data):
        return self.many([data])[0]

    def many(self, datas):
        """Verdicts for datas; None for those the budget did not reach."""
        fresh = []
        for data in datas:
            if data not in self.seen and data not in fresh:
                fresh.append(data)
        fresh = fresh[:max(self.left, 0)]
        if fresh:
            self.left -= len(fresh)
            verdicts = self.test_many(fresh) if self.test_many else [self.test(d) for d in fresh]
            for data, verdict in zip(fresh, verdicts):
                self.seen[data] = bool(verdict)
        return [self.seen.get(data) for data in datas]


def _first(count, candidate, test_many, window):
    """The first i < count whose candidate(i) holds (asking `window` at a
    time; each candidate made only when asked), or None.

    test_many answers None for a candidate it could not test: the budget is
    spent, unless a candidate before it already held."""
    for start in range(0, count, window):
        asked = [candidate(i) for i in range(start, min(start + window, count))]
        for j, verdict in enumerate(test_many(asked)):
            if verdict is None:
                raise Budget()
            if verdict:
                return start + j
    return None


def ddmin(units, test, window=1, test_many=None):
    """A 1-minimal sublist of `units` for which test holds.

    test(sublist) must hold for `units` on entry; test_many(sublists) may
    stand for it, asked `window` sublists at a time.  Raises Budget from the
    test to stop early; the caller keeps the best it saw.
    """
    if test_many is None:
        def test_many(candidates):
            return [test(c) for c in candidates]
    n = 2
    while len(units) >= 2:
        size = max(1, len(units) // n)
        chunks = [units[i:i + size] for i in range(0, len(units), size)]
        found = _first(len(chunks), chunks.__getitem__, test_many, window)  # a chunk alone
        if found is not None:
            units, n = chunks[found], 2
            continue

        def rest(i, chunks=chunks, size=size):
            return units[:i * size] + units[(i + 1) * size:]
        found = _first(len(chunks), rest, test_many, window) if len(chunks) > 2 else None
        if found is not None:  # everything but a chunk
            units, n = rest(found), max(n - 1, 2)
            continue
        if n >= len(units):
            break
        n = min(len(units), n * 2)
    return units


def chop(units, test_many, window=1, starts=16):
    """Long runs of units taken out by bisection, before delta debugging.

    From each of `starts` evenly spaced units, the longest run starting there
    whose removal still holds is found by bisecting on its end (asking
    `window` - 1 evenly spaced ends at a time): a few tests per start, where
    delta debugging takes one test per chunk to remove a run of a long input
    piece by piece.  The predicate need not be monotonic: every run taken out
    was tested.
    """
    i = 0
    step = max(1, len(units) // starts)
    while i < len(units):
        lo, hi = i, len(units) + 1  # taking out units[i:lo] holds; units[i:hi] is not known to
        while hi - lo > 1:
            if window > 1:
                gap = max(1, (hi - lo) // window)
                points = list(range(lo + gap, hi, gap))[:window - 1]
            else:
                points = [(lo + hi) // 2]
            verdicts = test_many([units[:i] + units[j:] for j in points])
            if any(v is None for v in verdicts):
                raise Budget()
            held = [j for j, v in zip(points, verdicts) if v]
            if held:
                lo = held[-1]
                later = [j for j in points if j > lo]
                hi = later[0] if later else hi
            else:
                hi = points[0]
        if lo > i:
            units = units[:i] + units[lo:]
        i += step
    return units


def _is_frame(raw):
    return len(raw) == 9 and raw[0] == FRAME


def units_of(data, unit):
    """What a pass takes out of data: its instructions, or its bytes with each
    FRAME instruction whole (its length is rewritten, never cut)."""
    instructions = [ins.raw for ins in read_instructions(data)]
    if unit == "instructions":
        return instructions
    out = []
    for raw in instructions:
        if _is_frame(raw):
            out.append(raw)
        else:
            out.extend(raw[i:i + 1] for i in range(len(raw)))
    return out


def frame_ends(units):
    """{i: (k, d)} for each FRAME among units: the frame at unit i ends d bytes
    into unit k (k == len(units): d bytes past the end of the stream)."""
    starts = [0]
    for raw in units:
        starts.append(starts[-1] + len(raw))
    ends = {}
    for i, raw in enumerate(units):
        if _is_frame(raw):
            end = starts[i] + 9 + int.from_bytes(raw[1:], "little")
            k = min(bisect_right(starts, end) - 1, len(units))
            ends[i] = (k, end - starts[k])
    return ends


def join_units(units, kept, ends):
    """The stream of the units numbered `kept` (ascending), each FRAME's length
    rewritten so that it ends where it ended among units (`frame_ends`)."""
    if not ends:
        return b"".join(units[i] for i in kept)
    present = set(kept)
    out = []
    for i in kept:
        raw = units[i]
        if i in ends:
            k, d = ends[i]
            inside = sum(len(units[j]) for j in kept if i < j < k)
            if k in present or k == len(units):
                inside += d
            raw = raw[:1] + inside.to_bytes(8, "little")
        out.append(raw)
    return b"".join(out)


def minimize(data, test, budget=3000, test_many=None, window=1):
    """The smallest input found that still passes `test`, and the tests used.

    `test(data)` must hold for the given data.  With `test_many`, the
    candidates are asked for `window` at a time (see ddmin).
    """
    counted = _Counted(test, budget, test_many)
    best = [bytes(data)]

    def streams_hold(streams):
        verdicts = counted.many(streams)
        for stream, verdict in zip(streams, verdicts):
            if verdict and len(stream) < len(best[0]):
                best[0] = stream
        return verdicts

    try:
        for unit in ("instructions", "bytes", "instructions"):
            units = units_of(best[0], unit)
            if len(units) < 2:
                continue
            ends = frame_ends(units)

            def hold(candidates, units=units, ends=ends):
                return streams_hold([join_units(units, kept, ends) for kept in candidates])
            kept = list(range(len(units)))
            if unit == "instructions" and len(units) > CHOP_ABOVE:
                kept = chop(kept, hold, window)
            ddmin(kept, None, window, hold)
    except Budget:
        pass
    return best[0], budget - counted.left


def _smaller(doc):
    """Candidates one step smaller than a tagged-JSON value: an item taken out of
    a container, a container replaced by one of its items, a scalar emptied."""
    import copy

    def walk(node, path):
        if isinstance(node, dict):
            items = node.get("items")
            if isinstance(items, list):
                for i in range(len(items)):
                    yield path + ("items",), ("drop", i)
                for i in range(len(items)):
                    yield path, ("hoist", i)
                for i, item in enumerate(items):
                    yield from walk(item, path + ("items", i))
            if node.get("type") == "object" and isinstance(node.get("args"), dict):
                for i in range(len(node["args"].get("items") or ())):
                    yield path, ("hoist-arg", i)
            for key in ("args", "state"):
                if isinstance(node.get(key), dict):
                    yield from walk(node[key], path + (key,))
            if node.get("type") in ("str", "bytes", "bytearray") and node.get("value"):
                yield path, ("empty", None)
            if node.get("type") == "int" and node.get("value") not in ("0",):
                yield path, ("zero", None)
        elif isinstance(node, list):  # dict items are [key, value] pairs
            for i, item in enumerate(node):
                yield from walk(item, path + (i,))

    for path, (what, i) in list(walk(doc, ())):
        new = copy.deepcopy(doc)
        parent, node = None, new
        for step in path:
            parent, node = node, node[step]
        if what == "drop":
            del node[i]
        elif what == "hoist":
            item = node["items"][i]
            if isinstance(item, list):  # a dict's [key, value]
                item = item[1]
            if not path:
                new = item
            else:
                parent[path[-1]] = item
        elif what == "hoist-arg":
            item = node["args"]["items"][i]
            if not path:
                new = item
            else:
                parent[path[-1]] = item
        elif what == "empty":
            node["value"] = ""
        else:
            node["value"] = "0"
        yield new


def shrink_json(doc, test, budget=300):
    """A smaller tagged-JSON value for which test still holds (greedy, bounded).

    Candidates that are not well formed any more (a ref whose target went)
    fail the test like any other, so they are never kept.
    """
    import json

    seen = set()
    left = budget
    progress = True
    while progress and left > 0:
        progress = False
        for candidate in _smaller(doc):
            text = json.dumps(candidate, sort_keys=True)
            if text in seen:
                continue
            seen.add(text)
            left -= 1
            if test(candidate):
                doc, progress = candidate, True
                break
            if left <= 0:
                break
    return doc
