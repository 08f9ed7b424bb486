"""Projections: loaded objects compared as a target's representation model allows.

Theory of operation
-------------------
An implementation outside Python cannot always build what Python builds: a
JavaScript unpickler has no tuple, one number type, and no bytearray.  Its
profile names, in ``model``, the projections its results are compared under
(runner/PROTOCOL.md, "The target profile").  Each is a rewrite of tagged JSON
(cases/README.md) applied to both sides -- the expected object and the
target's answer -- before they are compared as graphs:

``no-tuple``
    tuples load as lists: every ``tuple`` becomes a ``list``.  An empty
    tuple shared in CPython's graph is not compared as shared: CPython has
    one ``()``, whatever the stream builds.
``sets-as-lists``
    set and frozenset load as lists: where the expected value is a set or a
    frozenset and the answer holds a list, both become lists in one
    canonical order (a set has no order to keep).
``no-frozenset``
    frozenset loads as set: every ``frozenset`` becomes a ``set``.
``double-numbers``
    ints and floats are one number type, an IEEE double, with ints a double
    cannot hold kept exact (a BigInt): every int a double holds exactly
    becomes that float, on both sides; an int no double holds stays an int,
    so an implementation that rounds it fails.
``str-keys``
    dict keys load as strings: a key that is an int, float, bool or None
    becomes the str JSON would write for it (``1``, ``1.5``, ``true``,
    ``null``).
``str-attributes``
    an object's attributes are named by strings: the keys of an ``object``'s
    ``state`` dict (and of the two dicts of a ``(dict, slots)`` state) become
    strings as under ``str-keys``; the object's other dicts keep theirs.
    For a language whose objects are string-keyed maps (JavaScript), BUILD
    with a state dict whose key is not a str gives that.
``py2-str-as-bytes``
    Python 2 str (STRING, BINSTRING, SHORT_BINSTRING) loads as bytes: str and
    bytes compare as one (bytes become their latin-1 text), as
    `python2_view` does.
``no-bytearray``
    bytearray loads as bytes: every ``bytearray`` becomes ``bytes``.
``unresolved-globals``
    globals are not imported: a global loads as a stand-in naming it as the
    stream writes it (no fix_imports mapping), and what the stream calls or
    instantiates as an object recording the call.  The answer is then
    compared with picklespec's symbolic reading of the same stream
    (`reference.loads_symbolic`, which imports and calls nothing: globals as
    ``global``, calls as ``object``), under the other projections; a value
    the stream builds without globals is still compared with the case's.
    An object INST or OBJ built and one NEWOBJ built are one there
    (`constructed`): stand-ins are all built with one constructor.

`compare` compares first as given, and only when that fails under the
declared projections; it returns the projections the match needed (the
fewest, found by leaving each out in turn), which reports show as "equal
under projection X".  A projection is a statement about the implementation's
data model, never about the pickle machine: a target that declares
``no-tuple`` still fails a cell where it loses sharing, a cycle, or a value.

`python2_view` is the view used wherever Python 2 is at one end (checks of a
Python 2 target, a Python 2 producer's stream): str and bytes as one, and
globals by their Python 3 names.
"""

import copy
import functools
import json

from picklespec.reference import model

__all__ = ["PROJECTIONS", "compare", "project", "python2_view", "viewed", "symbolic"]

PROJECTIONS = {
    "no-tuple": "tuples load as lists",
    "sets-as-lists": "set and frozenset load as lists",
    "no-frozenset": "frozenset loads as set",
    "double-numbers": "ints and floats are IEEE doubles; ints beyond a double kept exact",
    "str-keys": "dict keys load as strings",
    "str-attributes": "an object's attribute names (its state's keys) load as strings",
    "py2-str-as-bytes": "Python 2 str loads as bytes (str and bytes compare as one)",
    "no-bytearray": "bytearray loads as bytes",
    "unresolved-globals": "globals are stand-ins and calls are recorded, not made",
}
REWRITES = frozenset(PROJECTIONS) - {"unresolved-globals"}


def _nodes(document):
    """Every dict node of a tagged-JSON document (explicit stack: documents nest deep)."""
    work = [document]
    while work:
        node = work.pop()
        if isinstance(node, list):
            work.extend(node)
        elif isinstance(node, dict):
            yield node
            work.extend(v for v in node.values() if isinstance(v, (list, dict)))


def _key_text(key):
    kind, value = key.get("type"), key.get("value")
    if kind == "int":
        return value
    if kind == "float":
        return value
    if kind == "bool":
        return value  # "true" / "false", as JSON writes them
    if kind == "none":
        return "null"
    return None


def _double(node):
    try:
        value = int(node["value"])
        as_float = float(value)
    except (KeyError, ValueError, OverflowError):
        return
    if int(as_float) == value:
        node.clear()
        node.update(model.to_json(as_float))


def _unshare_empty_tuples(document):
    """Each empty tuple its own value: CPython's () is one object, so a graph
    loaded by CPython shares it wherever the stream builds an empty tuple,
    which says nothing about the stream; as lists under no-tuple, that
    sharing would be compared."""
    empty = set()
    for node in _nodes(document):
        if node.get("type") == "tuple" and not node.get("items") and "id" in node:
            empty.add(node.pop("id"))
    if empty:
        for node in _nodes(document):
            if node.get("type") == "ref" and node.get("id") in empty:
                node.clear()
                node.update({"type": "tuple", "items": []})


def _rewrite(document, names):
    """Apply the projections that rewrite one side alone, in place."""
    if "no-tuple" in names:
        _unshare_empty_tuples(document)
    for node in list(_nodes(document)):
        kind = node.get("type")
        if kind == "tuple" and "no-tuple" in names:
            node["type"] = "list"
        elif kind == "frozenset" and "no-frozenset" in names:
            node["type"] = "set"
        elif kind == "int" and "double-numbers" in names:
            _double(node)
        elif kind == "bytearray" and "no-bytearray" in names:
            node["type"] = "bytes"
        elif kind == "dict" and "str-keys" in names:
            _str_keys(node)
        elif kind == "object" and "str-attributes" in names:
            for state in _state_dicts(node.get("state")):
                _str_keys(state)
    if "py2-str-as-bytes" in names:
        for node in _nodes(document):
            if node.get("type") == "bytes":
                _to_text(node)


def _str_keys(node):
    """A dict node's int, float, bool and None keys as the strings JSON writes."""
    for pair in node.get("items") or ():
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], dict):
            text = _key_text(pair[0])
            if text is not None:
                pair[0] = {"type": "str", "value": text}


def _state_dicts(state):
    """The dicts an object's state names attributes with: the state, or the two of (dict, slots)."""
    if not isinstance(state, dict):
        return []
    if state.get("type") == "dict":
        return [state]
    if state.get("type") in ("tuple", "list") and len(state.get("items") or ()) == 2:
        return [item for item in state["items"] if isinstance(item, dict) and item.get("type") == "dict"]
    return []


def _to_text(node):
    try:
        node["type"], node["value"] = "str", bytes.fromhex(node["value"]).decode("latin-1")
    except (KeyError, ValueError, TypeError):
        pass


def _canonical(item):
    return json.dumps(item, sort_keys=True)


def _sets_as_lists(expected, actual):
    """Where expected has a set and actual a list, both become lists in one order."""
    work = [(expected, actual)]
    while work:
        e, a = work.pop()
        if isinstance(e, list) and isinstance(a, list):
            work.extend(zip(e, a))
            continue
        if not (isinstance(e, dict) and isinstance(a, dict)):
            continue
        if e.get("type") in ("set", "frozenset") and a.get("type") == "list":
            e["type"] = "list"
            e["items"] = sorted(e.get("items") or [], key=_canonical)
            a["items"] = sorted(a.get("items") or [], key=_canonical)
        if e.get("type") == a.get("type"):
            work.extend((e[k], a[k]) for k in e if k in a and isinstance(e[k], (list, dict)))


def project(expected_json, actual_json, names):
    """Copies of both documents with the projections `names` applied."""
    expected, actual = copy.deepcopy(expected_json), copy.deepcopy(actual_json)
    names = frozenset(names)
    _rewrite(expected, names)
    _rewrite(actual, names)
    if "sets-as-lists" in names:
        _sets_as_lists(expected, actual)
    return expected, actual


def _equal_under(expected_json, actual_json, names):
    expected, actual = project(expected_json, actual_json, names)
    if expected == actual:
        return True
    try:
        return model.equal(model.from_json(actual), model.from_json(expected))
    except (model.ModelError, RecursionError):
        return False


def compare(expected_json, actual_json, names):
    """The projections (a tuple, the fewest) under which the two documents are
    equal, () when they are equal as given, or None when they differ under
    every projection named."""
    names = tuple(n for n in names if n in REWRITES)
    if _equal_under(expected_json, actual_json, ()):
        return ()
    if not names or not _equal_under(expected_json, actual_json, names):
        return None
    needed = list(names)
    for name in names:
        fewer = [n for n in needed if n != name]
        if fewer and _equal_under(expected_json, actual_json, fewer):
            needed = fewer
    return tuple(needed)


def python2_view(document):
    """Tagged JSON as it compares when Python 2 is at one end: str and bytes
    are one (bytes become their latin-1 text), and globals have Python 3's
    names (_compat_pickle's mapping, what Python 3's fix_imports applies).

    Python 2's str is both: attribute names, codec names and text read from
    STRING are str there, and a Python 3 reader must guess.  Python 2
    describes what it loaded with its own names (``__builtin__:len``,
    ``copy_reg:_reconstructor``).  Neither difference says anything about
    the pickle machinery, so neither is held against a Python 2 target.
    """
    from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

    document = json.loads(json.dumps(document))  # a copy to change
    for node in _nodes(document):
        kind = node.get("type")
        if kind == "bytes":
            _to_text(node)
        elif kind == "global":
            module, name = node.get("module"), node.get("name")
            if (module, name) in NAME_MAPPING:
                node["module"], node["name"] = NAME_MAPPING[module, name]
            elif module in IMPORT_MAPPING:
                node["module"] = IMPORT_MAPPING[module]
    return document


def viewed(document):
    """(model, tagged JSON) of python2_view(document)."""
    shown = python2_view(document)
    return model.from_json(shown), shown


@functools.lru_cache(maxsize=4096)
def _symbolic_text(data, encoding, buffers=None):
    from picklespec.reference import loads_symbolic

    if buffers is not None:  # each load its own copies (a bytearray is mutable)
        buffers = [bytearray(b) if isinstance(b, bytearray) else b for b in buffers]
    try:
        return json.dumps(model.to_json(loads_symbolic(data, fix_imports=False, encoding=encoding,
                                                       buffers=buffers)))
    except Exception:  # a stream the symbolic reading refuses has no such expectation
        return None


class _Bytearray(bytearray):
    """A bytearray buffer as a key of the symbolic reading's cache (by value)."""

    def __hash__(self):
        return hash(bytes(self))


def constructed(document):
    """document with every object INST or OBJ built marked as NEWOBJ's, in
    place: a library of stand-ins builds all three with one constructor
    (JavaScript's ``new``), so ``unresolved-globals`` does not tell them
    apart; REDUCE's calls stay apart."""
    for node in _nodes(document):
        if node.get("type") == "object" and node.get("via") in ("inst", "obj"):
            node["via"] = "newobj"
    return document


def symbolic(data, options=None):
    """The tagged JSON of the symbolic reading of a stream (None when there is none):
    what an implementation that resolves no global builds, under ``unresolved-globals``."""
    options = options or {}
    if data is None or set(options) - {"encoding", "errors", "fix_imports", "buffers"}:
        return None  # sequences: not something the symbolic reading takes
    buffers = options.get("buffers")
    if buffers is not None:
        if not all(type(b) in (bytes, bytearray) for b in buffers):
            return None
        buffers = tuple(bytes(b) if type(b) is bytes else _Bytearray(b) for b in buffers)
    if isinstance(data, str):
        data = bytes.fromhex(data)
    text = _symbolic_text(bytes(data), options.get("encoding", "ASCII"), buffers)
    return json.loads(text) if text is not None else None
