"""The object notation: YAML text to model values, and model values to YAML.

Theory of operation
-------------------
Case files are YAML read with the YAML 1.2 *core* schema (`null`, `true`,
`12`, `0x1F`, `0o17`, `1.5`, `.inf`, `.nan`; everything else is a string, so
`yes`, `on`, `010` and `1_000` mean what YAML 1.2 says and not what YAML 1.1
did), plus the local tags of cases/README.md (`!tuple`, `!bytes`, `!global`,
`!object`, ...).  Loading gives the values of `picklespec.reference.model`:
plain Python data and Global / Object / PersistentId / Buffer nodes.

Sharing and cycles are YAML anchors and aliases, turned into Python identity.
Every constructor of a mutable value is a generator, as PyYAML's own are: it
yields the empty value first, so an alias met while its contents are built
(a list that holds itself) finds it, and fills it in later.  Immutable
values (tuple, frozenset) are built at once from members that may still be
filling in; a cycle through them passes through a mutable value anyway.

Errors in the notation (a malformed `!global`, an unknown tag, a duplicate
mapping key) do not stop the load: each is recorded with its line and
column, and the value becomes an `Invalid`, so a checker reports every
problem of a file at once.  `load_yaml` is the strict form that raises the
first.  The `SourceMap` of a load tells the line of every mapping key, its
value and every sequence item, so errors about a value can name its line.

`dump_object` writes a model value back in the notation (anchors for
sharing, `!str`/`!bytes` repeat forms for long runs); loading its output
gives an equal graph.

A str is an object as a list is: one str object held twice is one YAML
node, an anchor and its aliases (``[&s abcd, *s]``), and two equal strs
written apart are two objects (``[abcd, abcd]``); bytes alike.  Streams
depend on it -- a pickler memoizes by identity, so it writes the first once
and GETs it, the second twice -- so loading keeps it (PyYAML gives an alias
the very object of its anchor) and `dump_object` writes it (`shared_strs`),
except where the object is one whatever is written
(`model.identity_matters`: the empty str and bytes, one-character strs up
to U+00FF) and for the attribute names of a state, which
BUILD interns.  Tagged JSON carries the same identity to workers.
"""

import codecs
import math
import re

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from picklespec.reference.model import VIAS, Buffer, Global, Object, PersistentId, shared

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # PyYAML without libyaml: the pure-Python parser
    from yaml.parser import Parser as _ParserBase
    from yaml.composer import Composer
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _ParserBase, Composer):
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _ParserBase.__init__(self)
            Composer.__init__(self)


__all__ = ["load_yaml", "load_document", "dump_object", "shared_strs", "NotationError", "Invalid",
           "SourceMap", "Document", "TAGS"]

# The local tags, each with the YAML node kinds it takes.
TAGS = {
    "!float": "scalar", "!tuple": "sequence", "!set": "sequence",
    "!frozenset": "sequence", "!dict": "sequence or mapping",
    "!bytes": "scalar or mapping", "!bytearray": "scalar or mapping",
    "!str": "scalar or mapping", "!complex": "sequence", "!global": "scalar",
    "!object": "mapping", "!persistent": "scalar, sequence or mapping",
    "!buffer": "mapping", "!list": "mapping", "!range": "scalar",
}
_CORE = "tag:yaml.org,2002:"
OBJECT_FIELDS = ("callable", "args", "kwargs", "via", "state", "listitems",
                 "dictitems", "setitems")


class NotationError(ValueError):
    """YAML that is not well formed, or not of the notation, at a line and column."""

    def __init__(self, message, filename=None, line=None, column=None):
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.mapping = self.key = None  # for a duplicate key: where, and which
        where = "%s:" % (filename or "<yaml>")
        if line is not None:
            where += "%d:" % line
            if column is not None:
                where += "%d:" % column
        super().__init__("%s %s" % (where, message))


class Invalid:
    """What a node that is not of the notation becomes (its error is recorded)."""

    __slots__ = ("message", "line")

    def __init__(self, message, line):
        self.message = message
        self.line = line

    def __repr__(self):
        return "Invalid(%r, line %d)" % (self.message, self.line)


class _Failed(Exception):
    """Raised inside a constructor; becomes a recorded error and an Invalid."""


# -- the YAML 1.2 core schema -------------------------------------------------

_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT = re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT = re.compile(r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z")
_NULL = re.compile(r"(?:~|null|Null|NULL|)\Z")


class CoreResolver(yaml.resolver.BaseResolver):
    """Implicit tags of plain scalars as the YAML 1.2 core schema gives them."""


for _tag, _regexp, _first in [
    ("bool", _BOOL, "tTfF"),
    ("int", _INT, "-+0123456789"),
    ("float", _FLOAT, "-+0123456789."),
    ("null", _NULL, ["~", "n", "N", ""]),
]:
    CoreResolver.add_implicit_resolver(_CORE + _tag, _regexp, list(_first))


def _core_int(text):
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _core_float(text):
    lower = text.lower()
    if lower.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    if lower == ".nan":
        return math.nan
    return float(text)


# -- where things are --------------------------------------------------------


class SourceMap:
    """Lines of the values of one YAML document.

    Values are keyed by identity, so the map keeps the containers it
    describes alive.  Lines are 1-based.
    """

    def __init__(self):
        self._keep = []
        self._lines = {}  # id(container) -> line of its node
        self._keys = {}  # id(mapping) -> {key: (key line, value line, value style)}
        self._items = {}  # id(list) -> [line of each item]

    def _note(self, value, line):
        self._keep.append(value)
        self._lines[id(value)] = line

    def line(self, value, default=None):
        """The line where a mapping, sequence or notation node starts."""
        return self._lines.get(id(value), default)

    def key_line(self, mapping, key, default=None):
        """The line of a key of a mapping."""
        info = self._keys.get(id(mapping), {}).get(key)
        return info[0] if info else default

    def value_line(self, mapping, key, default=None):
        """The line where the value of a key starts."""
        info = self._keys.get(id(mapping), {}).get(key)
        return info[1] if info else default

    def text_line(self, mapping, key, number):
        """The file line of line `number` (1-based) of a scalar value's text.

        A block scalar (``|``) starts on the line after its indicator; any
        other scalar starts on its own line.
        """
        info = self._keys.get(id(mapping), {}).get(key)
        if info is None:
            return None
        _, line, style = info
        if style in ("|", ">"):
            return line + number
        return line + number - 1

    def item_line(self, sequence, index, default=None):
        lines = self._items.get(id(sequence))
        if lines is None or index >= len(lines):
            return default
        return lines[index]


class Document:
    """A loaded YAML document: its data, where its values are, what was wrong."""

    def __init__(self, data, source, errors):
        self.data = data
        self.source = source
        self.errors = errors  # NotationErrors, in line order


# -- construction ------------------------------------------------------------


def _line(node):
    return node.start_mark.line + 1


def _filling(method):
    """A generator constructor whose deferred part records its failure.

    PyYAML runs what follows the first yield after the whole document is
    composed; a failure there is recorded against the node, like any other.
    """
    def constructor(self, node):
        steps = method(self, node)
        yield next(steps)
        try:
            for _ in steps:
                pass
        except _Failed as exc:
            self.fail(node, str(exc))
    constructor.__name__ = method.__name__
    return constructor


class _Constructor(yaml.constructor.BaseConstructor):
    """Model values for the nodes of a document, with a SourceMap of it."""

    def __init__(self):
        yaml.constructor.BaseConstructor.__init__(self)
        self.source = SourceMap()
        self.errors = []
        self.filename = None

    # Errors are recorded and the node becomes an Invalid, so one load
    # reports every problem of the file.
    def fail(self, node, message):
        self.errors.append(NotationError(message, self.filename, _line(node),
                                         node.start_mark.column + 1))
        return Invalid(message, _line(node))

    def construct_object(self, node, deep=False):
        try:
            return yaml.constructor.BaseConstructor.construct_object(self, node, deep)
        except _Failed as exc:
            value = self.fail(node, str(exc))
            self.constructed_objects[node] = value
            self.recursive_objects.pop(node, None)
            return value
        except yaml.constructor.ConstructorError as exc:
            value = self.fail(node, exc.problem or str(exc))
            self.constructed_objects[node] = value
            self.recursive_objects.pop(node, None)
            return value

    # -- what the constructors share --

    def scalar_text(self, node, tag):
        if not isinstance(node, ScalarNode):
            raise _Failed("%s takes a %s, not a %s" % (tag, TAGS[tag], _kind(node)))
        return node.value

    def items(self, node, tag):
        if not isinstance(node, SequenceNode):
            raise _Failed("%s takes a %s, not a %s" % (tag, TAGS[tag], _kind(node)))
        return [self.construct_object(child) for child in node.value]

    def fields(self, node, tag, allowed, required=()):
        """{name: value node} of a mapping node with string keys from `allowed`."""
        if not isinstance(node, MappingNode):
            raise _Failed("%s takes a %s, not a %s" % (tag, TAGS[tag], _kind(node)))
        out = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key not in allowed:
                raise _Failed("%s has no field %r (fields: %s)" % (tag, key, ", ".join(allowed)))
            if key in out:
                raise _Failed("%s: duplicate field %r" % (tag, key))
            out[key] = value_node
        for key in required:
            if key not in out:
                raise _Failed("%s needs the field %r" % (tag, key))
        return out

    def pair(self, node):
        if not isinstance(node, SequenceNode) or len(node.value) != 2:
            raise _Failed("!object: each dictitems pair is [key, value]")
        return (self.construct_object(node.value[0]), self.construct_object(node.value[1]))

    def count(self, node, tag):
        value = self.construct_object(node)
        if type(value) is not int or value < 0:
            raise _Failed("%s: times must be an int >= 0, got %r" % (tag, value))
        return value

    def located(self, node, value):
        self.source._note(value, _line(node))
        return value

    # -- YAML's own kinds --

    def construct_core_scalar(self, node):
        text = node.value
        tag = node.tag[len(_CORE):]
        if tag == "str":
            return text
        if tag == "null":
            if not _NULL.match(text):
                raise _Failed("!!null takes null, not %r" % text)
            return None
        if tag == "bool":
            if not _BOOL.match(text):
                raise _Failed("!!bool takes true or false, not %r" % text)
            return text.lower() == "true"
        if tag == "int":
            if not _INT.match(text):
                raise _Failed("!!int takes a YAML 1.2 int, not %r" % text)
            try:
                return _core_int(text)
            except ValueError as exc:
                raise _Failed("!!int: %s" % exc)
        if tag == "float":
            if not (_FLOAT.match(text) or _INT.match(text)):
                raise _Failed("!!float takes a YAML 1.2 float, not %r" % text)
            return _core_float(text) if _FLOAT.match(text) else float(_core_int(text))
        raise _Failed("unknown tag !!%s" % tag)

    @_filling
    def construct_map(self, node):
        result = {}
        self.located(node, result)
        yield result
        self.fill_mapping(node, result)

    def fill_mapping(self, node, result):
        keys = self.source._keys.setdefault(id(result), {})
        seen = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node)
            value = self.construct_object(value_node)
            if isinstance(key, Invalid):
                continue
            try:
                duplicate = key in seen
            except TypeError:
                self.fail(key_node, "a mapping key must be hashable, not %s" % type(key).__name__)
                continue
            if duplicate:
                self.fail(key_node, "duplicate key %s (first at line %d)"
                          % (_show(key), seen[key]))
                # Said of the mapping it is in, so a checker names the field.
                self.errors[-1].mapping, self.errors[-1].key = result, key
                continue
            seen[key] = _line(key_node)
            result[key] = value
            style = value_node.style if isinstance(value_node, ScalarNode) else None
            keys[key] = (_line(key_node), _line(value_node), style)

    @_filling
    def construct_seq(self, node):
        result = []
        self.located(node, result)
        yield result
        self.source._items[id(result)] = [_line(child) for child in node.value]
        result.extend(self.construct_object(child) for child in node.value)

    def construct_undefined(self, node):
        raise _Failed("unknown tag %s (tags: %s)" % (node.tag, ", ".join(TAGS)))

    # -- the notation's tags --

    def construct_float(self, node):
        text = self.scalar_text(node, "!float").strip()
        try:
            if re.match(r"[-+]?0[xX]", text):
                return float.fromhex(text)
            if _FLOAT.match(text):
                return _core_float(text)
            return float(text)
        except ValueError:
            raise _Failed("!float: not a float: %r" % text)

    def construct_tuple(self, node):
        return tuple(self.items(node, "!tuple"))

    @_filling
    def construct_set(self, node):
        result = set()
        self.located(node, result)
        yield result
        for child, value in zip(node.value, self.items(node, "!set")):
            self.add_member(child, result, value, "!set")

    def construct_frozenset(self, node):
        members = set()
        for child, value in zip(node.value, self.items(node, "!frozenset")):
            self.add_member(child, members, value, "!frozenset")
        return frozenset(members)

    def add_member(self, node, result, value, tag):
        if isinstance(value, Invalid):
            return
        try:
            if value in result:
                self.fail(node, "%s: duplicate member %s" % (tag, _show(value)))
                return
            result.add(value)
        except TypeError:
            self.fail(node, "%s members must be hashable, not %s" % (tag, type(value).__name__))

    @_filling
    def construct_dict(self, node):
        result = {}
        self.located(node, result)
        yield result
        if isinstance(node, MappingNode):
            self.fill_mapping(node, result)
            return
        if not isinstance(node, SequenceNode):
            raise _Failed("!dict takes a sequence of [key, value] pairs or a mapping")
        seen = {}
        for pair in node.value:
            if not isinstance(pair, SequenceNode) or len(pair.value) != 2:
                self.fail(pair, "!dict: each item must be a [key, value] pair")
                continue
            key = self.construct_object(pair.value[0])
            value = self.construct_object(pair.value[1])
            try:
                if key in seen:
                    self.fail(pair, "!dict: duplicate key %s (first at line %d)"
                              % (_show(key), seen[key]))
                    continue
                seen[key] = _line(pair)
                result[key] = value
            except TypeError:
                self.fail(pair, "!dict keys must be hashable, not %s" % type(key).__name__)

    def bytes_payload(self, node, tag):
        if isinstance(node, MappingNode):
            fields = self.fields(node, tag, ("repeat", "times"), ("repeat", "times"))
            unit = _bytes_literal(self.scalar_text(fields["repeat"], tag), tag)
            return unit * self.count(fields["times"], tag)
        return _bytes_literal(self.scalar_text(node, tag), tag)

    def construct_bytes(self, node):
        return self.bytes_payload(node, "!bytes")

    def construct_bytearray(self, node):
        return self.located(node, bytearray(self.bytes_payload(node, "!bytearray")))

    def construct_str(self, node):
        if isinstance(node, ScalarNode):
            return node.value
        fields = self.fields(node, "!str", ("repeat", "times", "escaped"))
        if "escaped" in fields:
            if set(fields) != {"escaped"}:
                raise _Failed("!str: 'escaped' stands alone")
            return _escaped_str(self.scalar_text(fields["escaped"], "!str"))
        if set(fields) != {"repeat", "times"}:
            raise _Failed("!str takes {repeat: TEXT, times: N} or {escaped: TEXT}")
        unit = self.construct_object(fields["repeat"])
        if not isinstance(unit, str):
            raise _Failed("!str: repeat must be a str")
        return unit * self.count(fields["times"], "!str")

    def construct_complex(self, node):
        parts = self.items(node, "!complex")
        if len(parts) != 2 or not all(type(p) in (int, float) for p in parts):
            raise _Failed("!complex takes [real, imag], two numbers")
        return complex(float(parts[0]), float(parts[1]))

    def construct_global(self, node):
        text = self.scalar_text(node, "!global").strip()
        module, colon, name = text.partition(":")
        if not colon or not module or not name or ":" in name or re.search(r"\s", text):
            raise _Failed("!global takes module:qualname, not %r" % text)
        return Global(module, name)

    def construct_persistent(self, node):
        if isinstance(node, ScalarNode):
            return PersistentId(self.implicit_scalar(node))
        if isinstance(node, SequenceNode):
            return PersistentId(self.items(node, "!persistent"))
        fields = self.fields(node, "!persistent", ("pid",), ("pid",))
        return PersistentId(self.construct_object(fields["pid"]))

    def implicit_scalar(self, node):
        """A tagged scalar's value as it would be untagged: `12` an int, `'12'` a str."""
        if node.style:  # quoted or block: libyaml says '' for plain, PyYAML None
            return node.value
        tag = self.resolve(ScalarNode, node.value, (True, False))
        return self.construct_core_scalar(ScalarNode(tag, node.value, node.start_mark,
                                                     node.end_mark))

    def construct_range(self, node):
        text = self.scalar_text(node, "!range").strip()
        if not re.match(r"[0-9]+\Z", text):
            raise _Failed("!range takes a count, not %r" % text)
        return self.located(node, list(range(int(text))))

    @_filling
    def construct_list(self, node):
        result = []
        self.located(node, result)
        yield result
        fields = self.fields(node, "!list", ("repeat", "times"), ("repeat", "times"))
        item = self.construct_object(fields["repeat"])
        result.extend([item] * self.count(fields["times"], "!list"))

    @_filling
    def construct_buffer(self, node):
        result = Buffer()
        self.located(node, result)
        yield result
        fields = self.fields(node, "!buffer", ("data", "readonly", "index"))
        if "data" in fields:
            data = self.construct_object(fields["data"])
            if not isinstance(data, (bytes, bytearray)):
                raise _Failed("!buffer: data must be !bytes")
            result.data = bytes(data)
        if "readonly" in fields:
            readonly = self.construct_object(fields["readonly"])
            if type(readonly) is not bool:
                raise _Failed("!buffer: readonly must be true or false")
            result.readonly = readonly
        if "index" in fields:
            result.index = self.count(fields["index"], "!buffer")

    @_filling
    def construct_object_node(self, node):
        result = Object(None)
        self.located(node, result)
        yield result
        fields = self.fields(node, "!object", OBJECT_FIELDS, ("callable",))
        pairs = fields.get("dictitems")
        if isinstance(pairs, SequenceNode) and pairs.tag == _CORE + "seq":
            # [[key, value], ...]: pairs in stream order, a key may repeat.
            del fields["dictitems"]
            result.dictitems = [self.pair(pair) for pair in pairs.value]
        value = {name: self.construct_object(child) for name, child in fields.items()}
        via = value.get("via", "reduce")
        if via not in VIAS:
            raise _Failed("!object: via must be one of %s, not %r" % (", ".join(VIAS), via))
        result.via = via
        result.callable = value["callable"]
        result.args = value.get("args", ())
        if not isinstance(result.args, (tuple, Invalid)):
            raise _Failed("!object: args must be a !tuple")
        if "kwargs" in value:
            if not isinstance(value["kwargs"], (dict, Invalid)):
                raise _Failed("!object: kwargs must be a mapping")
            result.kwargs = value["kwargs"]
        if "state" in value:
            result.state, result.has_state = value["state"], True
        for name in ("listitems", "setitems"):
            if name in value:
                if not isinstance(value[name], (list, Invalid)):
                    raise _Failed("!object: %s must be a sequence" % name)
                setattr(result, name, value[name])
        if "dictitems" in value:
            items = value["dictitems"]
            if not isinstance(items, (dict, Invalid)):
                raise _Failed("!object: dictitems must be a mapping, !dict pairs or "
                              "a list of [key, value] pairs")
            # The pairs are taken when the mapping is complete: it may still
            # be filling in (a value that refers back to this object).
            self.state_generators.append(_take_items(result, items))


def _take_items(result, items):
    result.dictitems = list(items.items()) if isinstance(items, dict) else []
    yield


def _kind(node):
    return {ScalarNode: "scalar", SequenceNode: "sequence", MappingNode: "mapping"}[type(node)]


def _show(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _bytes_literal(text, tag):
    """Bytes from the text of a Python bytes literal without b and quotes."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise _Failed("%s: a bytes literal is ASCII; write other bytes as \\xNN" % tag)
    try:
        return codecs.escape_decode(raw)[0]
    except ValueError as exc:
        raise _Failed("%s: %s" % (tag, exc))


def _escaped_str(text):
    """A str from Python escapes (\\udc80 gives a lone surrogate)."""
    try:
        return text.encode("ascii", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError as exc:
        raise _Failed("!str escaped: %s" % exc.reason)


_Constructor.add_constructor(None, _Constructor.construct_undefined)
for _tag in ("str", "null", "bool", "int", "float"):
    _Constructor.add_constructor(_CORE + _tag, _Constructor.construct_core_scalar)
_Constructor.add_constructor(_CORE + "map", _Constructor.construct_map)
_Constructor.add_constructor(_CORE + "seq", _Constructor.construct_seq)
for _tag, _method in [
    ("!float", "construct_float"), ("!tuple", "construct_tuple"),
    ("!set", "construct_set"), ("!frozenset", "construct_frozenset"),
    ("!dict", "construct_dict"), ("!bytes", "construct_bytes"),
    ("!bytearray", "construct_bytearray"), ("!str", "construct_str"),
    ("!complex", "construct_complex"), ("!global", "construct_global"),
    ("!object", "construct_object_node"), ("!persistent", "construct_persistent"),
    ("!buffer", "construct_buffer"), ("!list", "construct_list"),
    ("!range", "construct_range"),
]:
    _Constructor.add_constructor(_tag, getattr(_Constructor, _method))
assert set(TAGS) == {t for t in _Constructor.yaml_constructors if t and t.startswith("!")}


class _Loader(_Parser, _Constructor, CoreResolver):
    def __init__(self, stream):
        _Parser.__init__(self, stream)
        _Constructor.__init__(self)
        CoreResolver.__init__(self)


def load_document(text, filename=None):
    """Load one YAML document in the notation: a Document (data, source, errors).

    A YAML syntax error raises NotationError naming the line and column;
    notation errors are collected in `errors`, their values `Invalid`.
    """
    loader = _Loader(text)
    loader.filename = filename
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or str(exc)
        if exc.context:
            message = "%s %s" % (exc.context, message)
        raise NotationError(message, filename, mark.line + 1 if mark else None,
                            mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise NotationError(str(exc), filename) from None
    finally:
        loader.dispose()
    errors = sorted(loader.errors, key=lambda e: (e.line or 0, e.column or 0))
    return Document(data, loader.source, errors)


def load_yaml(text, filename=None):
    """The data of a YAML document in the notation; raises the first NotationError."""
    document = load_document(text, filename)
    if document.errors:
        raise document.errors[0]
    return document.data


# -- dumping -----------------------------------------------------------------

_SHAREABLE = (list, tuple, dict, set, frozenset, bytearray, Object, Buffer, PersistentId)
_MIN_REPEAT = 64  # shorter runs are written out


def _period(value, limit=16):
    """The shortest unit `value` repeats, when long enough to be worth it."""
    if len(value) < _MIN_REPEAT:
        return None
    for size in range(1, limit + 1):
        if len(value) % size == 0 and value[:size] * (len(value) // size) == value:
            return size
    return None


def shared_strs(root):
    """Ids of the str and bytes objects a model value holds more than once.

    The pickler memoizes a str by identity, so one str object held twice
    is written once and fetched with GET after, and two equal strs are
    written twice: the notation writes the first as an anchor and its
    alias (``[&s abcd, *s]``), the second as two scalars; bytes alike.
    Which ones count is `model.shared`'s rule: not the strs and bytes the
    interpreter makes one object anyway (`model.identity_matters`), nor the
    keys of an `Object`'s state (attribute names, which BUILD interns).
    """
    return {key for key, value in shared(root).items() if type(value) in (str, bytes)}


class _Nodes:
    """YAML nodes for a model value; a shared value is one node (an alias)."""

    def __init__(self, resolver, strs=frozenset()):
        self.memo = {}
        self.resolver = resolver
        self.strs = strs  # ids of the str and bytes objects held more than once

    def scalar(self, tag, text, style=None):
        return ScalarNode(tag, text, style=style)

    def plain(self, value):
        """The node of an untagged YAML scalar, or None for other values."""
        if value is None:
            return self.scalar(_CORE + "null", "null")
        if value is True or value is False:
            return self.scalar(_CORE + "bool", "true" if value else "false")
        if type(value) is int:
            return self.scalar(_CORE + "int", str(value))
        if type(value) is float:
            return self.scalar(_CORE + "float", _float_text(value))
        if type(value) is str and not _has_surrogate(value) and _period(value) is None:
            return self.scalar(_CORE + "str", value)
        return None

    def node(self, value):
        key = id(value)
        if key in self.memo:
            return self.memo[key]
        node = self.plain(value)
        if node is None and type(value) is str:
            node = self.long_str(value)
        if node is not None:
            if key in self.strs:  # one str object held twice: an anchor and its aliases
                self.memo[key] = node
            return node
        kind = type(value)
        if kind is bytes:  # one bytes object held twice: an anchor and its aliases
            return self.bytes_node("!bytes", value, key if key in self.strs else None)
        if kind is complex:
            return self.flow("!complex", [self.plain(value.real), self.plain(value.imag)])
        if kind is Global:
            return self.scalar("!global", "%s:%s" % (value.module, value.name))
        if not isinstance(value, _SHAREABLE):
            raise ValueError("not a model value: %s" % kind.__name__)
        return getattr(self, "make_" + kind.__name__.lower())(value, key)

    def remember(self, key, node):
        if key is not None:
            self.memo[key] = node
        return node

    def flow(self, tag, children):
        return SequenceNode(tag, children, flow_style=True)

    def sequence(self, tag, key, items):
        node = self.remember(key, SequenceNode(tag, []))
        node.value.extend(self.node(item) for item in items)
        node.flow_style = all(isinstance(n, ScalarNode) for n in node.value)
        return node

    def mapping(self, tag, key, pairs):
        node = self.remember(key, MappingNode(tag, []))
        node.value.extend((self.field(k), self.field(v)) for k, v in pairs)
        node.flow_style = all(isinstance(k, ScalarNode) and isinstance(v, ScalarNode)
                              for k, v in node.value)
        return node

    def long_str(self, value):
        if _has_surrogate(value):
            return self.mapping("!str", None, [("escaped", _literal_body(value))])
        size = _period(value)
        return self.mapping("!str", None, [("repeat", value[:size]),
                                               ("times", len(value) // size)])

    def bytes_node(self, tag, value, key=None):
        size = _period(value)
        if size is None:
            node = self.scalar(tag, _literal_body(bytes(value)), style="'")
            return node if key is None else self.remember(key, node)
        return self.mapping(tag, key, [
            ("repeat", _BytesText(bytes(value[:size]))), ("times", len(value) // size)])

    def make_list(self, value, key):
        if len(value) >= 8:
            if value == list(range(len(value))) and all(type(v) is int for v in value):
                return self.remember(key, self.scalar("!range", str(len(value))))
            first = value[0]
            if all(v is first for v in value):
                return self.mapping("!list", key, [("repeat", first), ("times", len(value))])
        return self.sequence(_CORE + "seq", key, value)

    def make_tuple(self, value, key):
        return self.sequence("!tuple", key, value)

    def make_set(self, value, key):
        return self.sequence("!set", key, _stable(value))

    def make_frozenset(self, value, key):
        return self.sequence("!frozenset", key, _stable(value))

    def make_dict(self, value, key):
        return self.mapping(_CORE + "map", key, list(value.items()))

    def make_bytearray(self, value, key):
        return self.bytes_node("!bytearray", value, key)

    def make_persistentid(self, value, key):
        # A quoted scalar is a str id, a plain one reads as YAML reads it.
        if type(value.pid) is str and _period(value.pid) is None:
            return self.scalar("!persistent", value.pid, style="'")
        return self.mapping("!persistent", key, [("pid", value.pid)])

    def make_buffer(self, value, key):
        pairs = []
        if value.data is not None:
            pairs.append(("data", value.data))
        pairs.append(("readonly", value.readonly))
        if value.index is not None:
            pairs.append(("index", value.index))
        return self.mapping("!buffer", key, pairs)

    def make_object(self, value, key):
        pairs = [("callable", value.callable)]
        if value.args != ():
            pairs.append(("args", value.args))
        if value.kwargs is not None:
            pairs.append(("kwargs", value.kwargs))
        if value.via != "reduce":
            pairs.append(("via", value.via))
        if value.has_state:
            pairs.append(("state", value.state))
        if value.listitems:
            pairs.append(("listitems", value.listitems))
        if value.dictitems:
            pairs.append(("dictitems", _DictItems(value.dictitems)))
        if value.setitems:
            pairs.append(("setitems", value.setitems))
        return self.mapping("!object", key, pairs)

    def field(self, item):
        if isinstance(item, _DictItems):
            keys = [k for k, _ in item.pairs]
            try:
                distinct = len(set(keys)) == len(keys)
            except TypeError:
                distinct = False
            if distinct:
                return self.mapping(_CORE + "map", None, item.pairs)
            return SequenceNode(_CORE + "seq", [self.flow(_CORE + "seq", [self.node(k), self.node(v)])
                                                for k, v in item.pairs], flow_style=False)
        if isinstance(item, _BytesText):
            return self.scalar(_CORE + "str", _literal_body(item.raw), style="'")
        return self.node(item)


class _DictItems:
    __slots__ = ("pairs",)

    def __init__(self, pairs):
        self.pairs = pairs


class _BytesText:
    __slots__ = ("raw",)

    def __init__(self, raw):
        self.raw = raw


def _has_surrogate(text):
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _literal_body(value):
    """The inside of a Python bytes or str literal for value (repr without quotes)."""
    text = repr(value)
    return text[2:-1] if isinstance(value, bytes) else text[1:-1]


def _float_text(value):
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def _stable(items):
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


class _Dumper(yaml.emitter.Emitter, yaml.serializer.Serializer, CoreResolver):
    def __init__(self, stream, **kwargs):
        yaml.emitter.Emitter.__init__(self, stream, allow_unicode=True, width=1 << 30,
                                      indent=2)
        yaml.serializer.Serializer.__init__(self)
        CoreResolver.__init__(self)

    def choose_scalar_style(self):
        # PyYAML quotes every tagged scalar; the notation's tags read better
        # plain (`!global builtins:len`, `!range 5`) wherever YAML allows it.
        event = self.event
        if event.tag and event.tag.startswith("!") and not event.tag.startswith("!!") \
                and not event.style:
            if self.analysis is None:
                self.analysis = self.analyze_scalar(event.value)
            analysis = self.analysis
            if not analysis.empty and not analysis.multiline and (
                    analysis.allow_flow_plain if self.flow_level else analysis.allow_block_plain):
                return ""
        return yaml.emitter.Emitter.choose_scalar_style(self)


def dump_object(value):
    """YAML text in the notation for a model value (loads back to an equal graph)."""
    node = _Nodes(CoreResolver(), shared_strs(value)).node(value)
    text = yaml.serialize(node, Dumper=_Dumper)
    # A lone scalar document may end with an explicit end marker; keep the value.
    if text.endswith("\n...\n"):
        text = text[: -len("...\n")]
    return text
