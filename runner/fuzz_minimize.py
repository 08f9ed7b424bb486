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
an opcode removable.  Every test is counted against a budget, so a
disagreement that only a long input shows still ends in bounded time; the
best input found so far is the answer.
"""

from picklespec.reference.asm import read_instructions

__all__ = ["ddmin", "minimize", "shrink_json", "Budget"]


class Budget(Exception):
    """The tests allowed for one minimization are spent."""


class _Counted:
    def __init__(self, test, budget):
        self.test = test
        self.left = budget
        self.seen = {}

    def __call__(self, data):
        if data in self.seen:
            return self.seen[data]
        if self.left <= 0:
            raise Budget()
        self.left -= 1
        verdict = self.seen[data] = bool(self.test(data))
        return verdict


def ddmin(units, test):
    """A 1-minimal sublist of `units` (a list of bytes) for which test holds.

    test(sublist) must hold for `units` on entry.  Raises Budget from the test
    to stop early; the caller keeps the best it saw.
    """
    n = 2
    while len(units) >= 2:
        size = max(1, len(units) // n)
        chunks = [units[i:i + size] for i in range(0, len(units), size)]
        reduced = False
        for i, chunk in enumerate(chunks):  # a chunk alone
            if test(chunk):
                units, n, reduced = chunk, 2, True
                break
        if not reduced:
            for i in range(len(chunks)):  # everything but a chunk
                rest = [u for j, c in enumerate(chunks) if j != i for u in c]
                if test(rest):
                    units, n, reduced = rest, max(n - 1, 2), True
                    break
        if not reduced:
            if n >= len(units):
                break
            n = min(len(units), n * 2)
    return units


def minimize(data, test, budget=3000):
    """The smallest input found that still passes `test`, and the tests used.

    `test(data)` must hold for the given data.
    """
    counted = _Counted(test, budget)
    best = [bytes(data)]

    def keep(units):
        joined = b"".join(units)
        if counted(joined):
            if len(joined) < len(best[0]):
                best[0] = joined
            return True
        return False

    try:
        for unit in ("instructions", "bytes", "instructions"):
            current = best[0]
            if unit == "instructions":
                units = [ins.raw for ins in read_instructions(current)]
            else:
                units = [current[i:i + 1] for i in range(len(current))]
            if len(units) > 1:
                ddmin(units, keep)
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
