"""Choosing cases: the one place `picklespec run`, `picklespec cases list`
and the pytest plugin decide which cases a command takes.

Theory of operation
-------------------
A case is chosen by three independent filters, all of which must hold:

- ``globs``: its id (or one of its aliases) matches one of the shell
  patterns (``--case 'frame-*'``);
- ``kinds``: its classification is one of them (``dump``, ``accept``,
  ``reject``, ``implementation-defined``);
- ``expression``: a keyword expression as pytest's ``-k`` takes one, over
  the case's *keywords*: its id, aliases, title, tags, the names of the
  opcodes its streams use, its classification and its file (as
  ``reject/frame.yaml``).  A word matches a case when it is a substring of
  one of its keywords, ignoring case, and words combine with ``and``,
  ``or``, ``not`` and parentheses: ``-k "frame and not reject"``.

`parse(text)` reads an expression into a `Expression` whose
``matches(words)`` judges a set of keywords; a malformed one raises
`SelectionError` naming the column (``-k "frame and": column 10: expected a
word or "(", found the end``).  `keywords(case)` reads the opcodes from the
streams only when an expression asks (disassembly costs a little).
"""

import fnmatch
import os
import re

__all__ = ["KINDS", "SelectionError", "Expression", "parse", "keywords", "select"]

KINDS = ("dump", "accept", "reject", "implementation-defined")


class SelectionError(ValueError):
    """A selection that cannot be understood; the message says where and why."""


# -- the expression ------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<paren>[()])|(?P<word>[^\s()]+))")
_OPERATORS = {"and", "or", "not"}


class Expression:
    """A parsed ``-k`` expression: a tree of ("word", w), ("not", e),
    ("and", a, b), ("or", a, b)."""

    def __init__(self, text, tree):
        self.text = text
        self.tree = tree

    def matches(self, words):
        """Whether the keywords (lower-case strings) satisfy the expression."""
        return _evaluate(self.tree, words)

    def __repr__(self):
        return "Expression(%r)" % self.text


def _evaluate(node, words):
    kind = node[0]
    if kind == "word":
        return any(node[1] in word for word in words)
    if kind == "not":
        return not _evaluate(node[1], words)
    if kind == "and":
        return _evaluate(node[1], words) and _evaluate(node[2], words)
    return _evaluate(node[1], words) or _evaluate(node[2], words)


def _tokens(text):
    """(kind, value, column) for each token, then ("end", None, column)."""
    pos = 0
    out = []
    while True:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        column = m.start(m.lastgroup) + 1
        value = m.group(m.lastgroup)
        if m.lastgroup == "word" and value in _OPERATORS:
            out.append((value, value, column))
        else:
            out.append((m.lastgroup if m.lastgroup == "word" else value, value, column))
        pos = m.end()
    out.append(("end", None, len(text.rstrip()) + 1))
    return out


class _Parser:
    """Recursive descent: or_expr := and_expr ('or' and_expr)*;
    and_expr := not_expr ('and' not_expr)*; not_expr := 'not' not_expr | atom;
    atom := WORD | '(' or_expr ')'."""

    def __init__(self, text):
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self):
        return self.tokens[self.index]

    def take(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, expected):
        kind, value, column = self.peek()
        found = "the end" if kind == "end" else repr(value)
        raise SelectionError("-k %r: column %d: expected %s, found %s" % (self.text, column, expected, found))

    def expression(self):
        node = self.or_expr()
        if self.peek()[0] != "end":
            self.fail('"and", "or" or the end')
        return node

    def or_expr(self):
        node = self.and_expr()
        while self.peek()[0] == "or":
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.not_expr()
        while self.peek()[0] == "and":
            self.take()
            node = ("and", node, self.not_expr())
        return node

    def not_expr(self):
        if self.peek()[0] == "not":
            self.take()
            return ("not", self.not_expr())
        return self.atom()

    def atom(self):
        kind, value, _ = self.peek()
        if kind == "word":
            self.take()
            return ("word", value.lower())
        if kind == "(":
            self.take()
            node = self.or_expr()
            if self.peek()[0] != ")":
                self.fail('")"')
            self.take()
            return node
        self.fail('a word, "not" or "("')


def parse(text):
    """The Expression in text; SelectionError if it is not one."""
    if not text or not text.strip():
        raise SelectionError("-k '': an empty expression selects nothing; give a word")
    return Expression(text, _Parser(text).expression())


# -- what a case is called -------------------------------------------------------


def case_file(case):
    """The case's file as the corpus names it: its folder and name (reject/frame.yaml)."""
    path = str(case.file)
    return "/".join(path.replace(os.sep, "/").split("/")[-2:])


def stream_opcodes(case):
    """The names of the opcodes the case's streams use (read up to the first
    fault: what follows a broken argument is not an opcode)."""
    from picklespec.reference.errors import UnpicklingError
    from picklespec.reference.opcodes import by_code

    streams = {case.data} if case.data is not None else set()
    for variants in case.streams.values():
        streams.update(v.stream for v in variants if v.stream is not None)
    names = set()
    for data in streams:
        pos = 0
        while pos < len(data):
            op = by_code.get(data[pos])
            if op is None:
                break
            names.add(op.name)
            if op.arg is None:
                pos += 1
                continue
            try:
                pos = op.arg.span(data, pos + 1)
            except UnpicklingError:
                break
    return names


class _Keywords:
    """A case's keywords, lower case; the opcodes of its streams are read
    only when the other words did not decide a match."""

    def __init__(self, case, opcodes=True):
        words = {case.id, case.classification, case_file(case)}
        words.update(case.aliases or ())
        words.update(case.tags or ())
        if case.title:
            words.add(case.title)
        self.words = [w.lower() for w in words if w]
        self.case = case
        self.opcodes = None if opcodes else []

    def __iter__(self):
        yield from self.words
        if self.opcodes is None:
            self.opcodes = sorted(name.lower() for name in stream_opcodes(self.case))
        yield from self.opcodes


def keywords(case, opcodes=True):
    """The lower-case words -k is matched against (see the module's docstring)."""
    return set(_Keywords(case, opcodes))


def select(cases, globs=(), expression=None, kinds=()):
    """The cases that pass every filter given, in their order.

    `expression` is a `-k` text or an Expression; a bad kind or expression
    raises SelectionError."""
    for kind in kinds or ():
        if kind not in KINDS:
            raise SelectionError("--kind %r: not a kind of case (%s)" % (kind, ", ".join(KINDS)))
    if isinstance(expression, str):
        expression = parse(expression)
    out = []
    for case in cases:
        if kinds and case.classification not in kinds:
            continue
        if globs and not any(fnmatch.fnmatchcase(name, g) for g in globs
                             for name in [case.id] + list(case.aliases or ())):
            continue
        if expression is not None and not expression.matches(_Keywords(case)):
            continue
        out.append(case)
    return out
