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

__all__ = ["ddmin", "minimize", "Budget"]


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
