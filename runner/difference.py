"""Where two texts part: the one first-difference function every check and
report uses.

Expected and actual are compared as texts -- a disassembly (reference/asm.py),
a normalised stream (reference/normalize.py) or an object in the case
notation -- line by line; the first line that differs, or where one ends
first, is said in one line.
"""

__all__ = ["first_difference"]


def first_difference(expected_text, actual_text):
    """Where two texts (disassemblies, object notation) part, as one line; "" if equal."""
    expected = expected_text.splitlines()
    actual = actual_text.splitlines()
    for number, (want, got) in enumerate(zip(expected, actual), 1):
        if want != got:
            return "line %d: expected %r, got %r" % (number, want.strip(), got.strip())
    if len(expected) > len(actual):
        return "line %d: expected %r, got the end" % (len(actual) + 1, expected[len(actual)].strip())
    if len(actual) > len(expected):
        return "line %d: expected the end, got %r" % (len(expected) + 1, actual[len(expected)].strip())
    return ""
