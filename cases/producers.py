"""Producer names and patterns: which pickler wrote an expected stream.

Theory of operation
-------------------
A *producer* is one pickler of one interpreter: ``cpython-3.13-c`` is the C
accelerator (`_pickle`) of CPython 3.13, ``cpython-2.7-py`` the pure-Python
`pickle.py` of 2.7.  A runner's worker answers its producer name in `hello`.

A *pattern* names a set of producers, written ``IMPL-VERSIONS-KINDS``
(``cpython-3.8..3.13-c+py``: both picklers of every CPython from 3.8 to
3.13), or several such terms separated by commas when no single range says
it (``cpython-3.8..3.12-c+py, cpython-3.13-c``).  `Pattern.matches` tests a
producer name; `Pattern.points` and `from_points` turn a pattern into the
producers it names and back, which is how `regen` merges the producers that
write identical bytes into the fewest terms.

What a producer writes is what its pickler writes with a ``persistent_id``
hook installed (one naming only ``!persistent`` values), as the worker's
``dump`` always runs it: CPython 2.7's cPickle memoizes differently with a
hook (``set()`` at protocol 0 is ``((lp2\ntRp3`` with one, ``((ltRp2``
without), so ``cpython-2.7-c`` means cPickle with a hook
(cases/README.md, "Producers").

Versions are ordered ``2.7 < 3.0 < 3.1 < ...``: a range from 2.7 to 3.13
includes every 3.x in between, and the version after 2.7 is 3.0.
"""

import re

__all__ = ["Pattern", "Term", "parse_pattern", "parse_producer", "from_points",
           "IMPLEMENTATIONS", "KINDS"]

IMPLEMENTATIONS = ("cpython", "pypy")
KINDS = ("c", "py")
_LAST_MINOR = {2: 7}  # the last minor version of a major line that has a successor

_TERM = re.compile(
    r"(?P<impl>[a-z]+)-(?P<lo>\d+\.\d+)(?:\.\.(?P<hi>\d+\.\d+))?-(?P<kinds>[a-z+]+)\Z")


def _version(text):
    major, minor = text.split(".")
    return (int(major), int(minor))


def _show(version):
    return "%d.%d" % version


def next_version(version):
    major, minor = version
    if _LAST_MINOR.get(major) == minor:
        return (major + 1, 0)
    return (major, minor + 1)


class Term:
    """One ``IMPL-LO..HI-KINDS`` term: an implementation, a version range, kinds."""

    __slots__ = ("impl", "lo", "hi", "kinds")

    def __init__(self, impl, lo, hi, kinds):
        self.impl = impl
        self.lo = lo
        self.hi = hi
        self.kinds = tuple(k for k in KINDS if k in kinds)

    def matches(self, impl, version, kind):
        return impl == self.impl and self.lo <= version <= self.hi and kind in self.kinds

    def versions(self):
        version = self.lo
        while version <= self.hi:
            yield version
            version = next_version(version)

    def __str__(self):
        versions = _show(self.lo) if self.lo == self.hi else "%s..%s" % (_show(self.lo), _show(self.hi))
        return "%s-%s-%s" % (self.impl, versions, "+".join(self.kinds))

    def __eq__(self, other):
        return isinstance(other, Term) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


class Pattern:
    """A set of producers: the union of its terms."""

    __slots__ = ("terms",)

    def __init__(self, terms):
        self.terms = tuple(terms)

    def matches(self, producer_name):
        """Whether a producer name (``cpython-3.13-c``) is one this pattern names."""
        try:
            impl, version, kind = parse_producer(producer_name)
        except ValueError:
            return False
        return any(term.matches(impl, version, kind) for term in self.terms)

    def points(self):
        """The producers named, as (impl, (major, minor), kind) triples."""
        return {(term.impl, version, kind)
                for term in self.terms for version in term.versions() for kind in term.kinds}

    def newest(self):
        """The sort key of the newest producer named (C before pure Python)."""
        return max((impl == "cpython", version, kind == "c")
                   for impl, version, kind in self.points())

    def __str__(self):
        return ", ".join(str(term) for term in self.terms)

    def __repr__(self):
        return "Pattern(%r)" % str(self)

    def __eq__(self, other):
        return isinstance(other, Pattern) and self.points() == other.points()

    def __hash__(self):
        return hash(frozenset(self.points()))


def _parse_term(text):
    m = _TERM.match(text)
    if not m:
        raise ValueError("producer %r is not IMPL-VERSIONS-KINDS "
                         "(like cpython-3.13-c or cpython-3.8..3.13-c+py)" % text)
    impl = m.group("impl")
    if impl not in IMPLEMENTATIONS:
        raise ValueError("producer %r: implementation must be one of %s"
                         % (text, ", ".join(IMPLEMENTATIONS)))
    lo = _version(m.group("lo"))
    hi = _version(m.group("hi")) if m.group("hi") else lo
    if hi < lo:
        raise ValueError("producer %r: the range runs backwards" % text)
    kinds = m.group("kinds").split("+")
    if any(k not in KINDS for k in kinds) or len(set(kinds)) != len(kinds):
        raise ValueError("producer %r: kinds must be c, py or c+py" % text)
    return Term(impl, lo, hi, kinds)


def parse_pattern(text):
    """The Pattern a producer field holds; ValueError saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a producer pattern must be a non-empty string, not %r" % (text,))
    return Pattern([_parse_term(part.strip()) for part in text.split(",")])


_PRODUCERS = {}  # name -> parse_producer's answer: a run asks for the same few names


def parse_producer(name):
    """(impl, (major, minor), kind) of one producer name such as cpython-3.13-c."""
    found = _PRODUCERS.get(name)
    if found is None:
        term = _parse_term(name)
        if term.lo != term.hi or len(term.kinds) != 1:
            raise ValueError("producer name %r must name one version and one kind" % name)
        found = _PRODUCERS[name] = (term.impl, term.lo, term.kinds[0])
    return found


def from_points(points):
    """The Pattern with the fewest terms for a set of (impl, version, kind) points.

    Consecutive versions that have the same kinds form one term, so the
    producers of identical bytes read as ranges (``cpython-3.8..3.13-c+py``).
    """
    terms = []
    for impl in sorted({p[0] for p in points}):
        kinds_at = {}
        for p_impl, version, kind in points:
            if p_impl == impl:
                kinds_at.setdefault(version, set()).add(kind)
        run = None  # [lo, hi, kinds]
        for version in sorted(kinds_at):
            kinds = kinds_at[version]
            if run and run[2] == kinds and next_version(run[1]) == version:
                run[1] = version
                continue
            if run:
                terms.append(Term(impl, *run))
            run = [version, version, kinds]
        if run:
            terms.append(Term(impl, *run))
    return Pattern(terms)
