"""The object model: what a pickle means, without running it.

Theory of operation
-------------------
A pickle describes a graph of objects.  Most of them are plain data (None,
bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set,
frozenset) and are represented here by those Python types themselves.  The rest
would need code to exist -- an import, a call, a `__setstate__` -- and are
represented by the four node classes below instead:

- `Global(module, name)`: an object found by name (GLOBAL, STACK_GLOBAL, INST's
  class, an EXT code resolved through copyreg's registry);
- `Object(callable, args, ...)`: the result of a call, with what was done to it
  afterwards -- the pickle reduce protocol of PEP 307 in one node: REDUCE,
  NEWOBJ, NEWOBJ_EX, INST, OBJ, then BUILD (`state`), APPEND/APPENDS
  (`listitems`), SETITEM/SETITEMS (`dictitems`) and ADDITEMS (`setitems`);
- `PersistentId(pid)`: what PERSID/BINPERSID refer to (the object a
  persistent_id hook names);
- `Buffer(...)`: an out-of-band buffer (PEP 574).

Sharing and cycles are Python identity: a list that appears twice is the same
list object twice.

The same model crosses process and language boundaries as *tagged JSON*:
every value is a JSON object with a "type" field, every scalar is a JSON
string (so no JSON number semantics leak, as in toml-test), and a value
that is referred to more than once carries an "id" that `{"type": "ref"}`
nodes point to.  Which values carry one is `identity_matters`: the
containers, and a str or bytes the interpreter does not share by itself,
since a pickler memoizes by identity and writes one str held twice once
(then a GET) but two equal strs twice.  `to_json`/`from_json` convert; `describe` turns real Python
objects (what an unpickler returned) into the model and `materialize` turns
the model into real objects (what a pickler is given).  cases/README.md
documents the format for implementers.

This module runs unchanged on Python 2.7 and 3.x, with no dependencies: the
worker that drives other interpreters imports it from its file.
"""

import math
import sys

from .effects import extend, find_global, set_state, whichmodule

PY2 = sys.version_info[0] == 2

if PY2:  # pragma: no cover - exercised through the 2.7 worker
    text_type = unicode  # noqa: F821
    bytes_type = str
    int_types = (int, long)  # noqa: F821
else:
    text_type = str
    bytes_type = bytes
    int_types = (int,)

__all__ = [
    "Global", "Object", "PersistentId", "Buffer",
    "to_json", "from_json", "describe", "materialize", "equal", "ModelError",
    "VIAS", "identity_matters", "shared",
]

# How an Object came to be, named after the opcode that made it.
VIAS = ("reduce", "newobj", "newobj_ex", "inst", "obj")


class ModelError(ValueError):
    """A value that is not of the model, or tagged JSON that is malformed."""


class Global(object):
    """An object found by module and qualified name (compared by name)."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __eq__(self, other):
        return (isinstance(other, Global) and self.module == other.module
                and self.name == other.name)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((Global, self.module, self.name))

    def __repr__(self):
        return "Global(%r, %r)" % (self.module, self.name)


class Object(object):
    """A call and what was done to its result (compared by identity).

    `via` is one of VIAS.  `args` is a tuple; `kwargs` a dict or None;
    `state` is whatever BUILD was given (None when BUILD never ran: a BUILD
    with state None is recorded as `has_state` True); `listitems` and
    `setitems` are lists, `dictitems` a list of (key, value) pairs.
    """

    __slots__ = ("callable", "args", "kwargs", "via", "state", "has_state",
                 "listitems", "dictitems", "setitems", "__weakref__")

    def __init__(self, callable, args=(), kwargs=None, via="reduce", state=None,
                 has_state=None, listitems=None, dictitems=None, setitems=None):
        if via not in VIAS:
            raise ModelError("unknown via %r" % (via,))
        self.callable = callable
        self.args = args
        self.kwargs = kwargs
        self.via = via
        self.state = state
        self.has_state = (state is not None) if has_state is None else has_state
        self.listitems = [] if listitems is None else listitems
        self.dictitems = [] if dictitems is None else dictitems
        self.setitems = [] if setitems is None else setitems

    def __repr__(self):
        return "Object(%r, %r, via=%r)" % (self.callable, self.args, self.via)


class PersistentId(object):
    """A reference to an object kept outside the pickle (PERSID/BINPERSID)."""

    __slots__ = ("pid",)

    def __init__(self, pid):
        self.pid = pid

    def __eq__(self, other):
        return isinstance(other, PersistentId) and equal(self.pid, other.pid)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        # Consistent with __eq__, which compares pids as graphs: equal pids
        # hash alike even when a pid is a list (unhashable) or holds
        # Objects (which hash by identity).  A constant for those would make
        # a dict of such keys quadratic.
        return structural_hash(self)

    def __repr__(self):
        return "PersistentId(%r)" % (self.pid,)


def structural_hash(value, depth=3):
    """A hash of value that `equal` values share: types and values, sets and
    dict keys in any order, nan equal to nan; containers are looked into
    `depth` levels deep (so cycles end), Objects and Buffers by type only."""
    kind = type(value)
    if kind is float:
        return hash("nan") if value != value else hash(value)
    if kind in (list, tuple):
        if depth == 0:
            return hash((kind.__name__, len(value)))
        return hash((kind.__name__, len(value))
                    + tuple(structural_hash(v, depth - 1) for v in value[:8]))
    if kind in (dict, set, frozenset):
        if depth == 0:
            return hash((kind.__name__, len(value)))
        total = 0
        for v in value:  # order-free: equal sets and dicts iterate differently
            total ^= structural_hash(v, depth - 1)
        return hash((kind.__name__, len(value), total))
    if kind is bytearray:
        return hash((kind.__name__, bytes(value)))
    if kind is PersistentId:
        if depth == 0:
            return hash(kind.__name__)
        return hash((kind.__name__, structural_hash(value.pid, depth - 1)))
    if kind in (Object, Buffer):
        return hash(kind.__name__)
    try:
        return hash((kind.__name__, value))
    except TypeError:
        return hash(kind.__name__)


class Buffer(object):
    """An out-of-band buffer: its position among the buffers given to the
    unpickler (`index`, or None when unknown), its bytes when known (`data`),
    and whether READONLY_BUFFER was applied."""

    __slots__ = ("index", "data", "readonly", "__weakref__")

    def __init__(self, index=None, data=None, readonly=False):
        self.index = index
        self.data = data
        self.readonly = readonly

    def __repr__(self):
        return "Buffer(index=%r, data=%r, readonly=%r)" % (self.index, self.data, self.readonly)


# -- tagged JSON -------------------------------------------------------------

_SEQUENCES = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}
_SHAREABLE = (list, tuple, dict, set, frozenset, bytearray, Object, Buffer)
# Types whose values are never memoized (`identity_matters`), exact.
_NUMBERS = frozenset((type(None), bool, float, complex) + int_types)


def _float_text(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


def _children(value):
    """The values directly inside a model value, for the sharing pass."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield v
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield item
    elif isinstance(value, Object):
        yield value.callable
        yield value.args
        if value.kwargs is not None:
            yield value.kwargs
        if value.has_state:
            yield value.state
        for item in value.listitems:
            yield item
        for k, v in value.dictitems:
            yield k
            yield v
        for item in value.setitems:
            yield item
    elif isinstance(value, PersistentId):
        yield value.pid


def identity_matters(value):
    """Whether a pickler can tell `value` held twice from two equal values.

    It memoizes by identity: one object held twice is written once and
    fetched from the memo after, two equal objects are each written.  So
    identity matters for every container and for a str or bytes, except
    those the interpreter makes one object whatever happens: the empty str
    and bytes, and a str of one character up to U+00FF (CPython, Python 2
    and PyPy keep a single object for each).  A bytes of one byte is not
    one of them: CPython shares it when slicing or decoding escapes makes
    it, but not when binascii.unhexlify does.  Numbers,
    None and bools are never memoized.  The one place that decides which
    values carry an "id" in tagged JSON.
    """
    kind = type(value)
    if kind is text_type:
        return len(value) > 1 or (len(value) == 1 and ord(value) > 0xff)
    if kind is bytes_type:
        return len(value) > 0
    return isinstance(value, _SHAREABLE)


def shared(root):
    """{id: value} of the values reachable more than once from root whose
    identity matters (`identity_matters`).

    The attribute names of an Object's state -- the str keys (Python 2's
    str, there) of a dict state, or of both dicts of a (dict, slot dict)
    state -- are not
    counted: BUILD interns them, so which object each ends up being is the
    interpreter's doing, not the value's.
    """
    seen = set()
    found = {}
    stack = [(root, False)]  # (value, whether it is a state: its str keys are names)
    while stack:
        value, is_state = stack.pop()
        if not identity_matters(value):
            if isinstance(value, PersistentId):
                stack.extend((c, False) for c in _children(value))
            continue
        key = id(value)
        if key in seen:
            found[key] = value
            continue
        seen.add(key)
        if is_state and type(value) is dict:
            for k, v in value.items():
                if type(k) is not str:  # the native str: attribute names (bytes on Python 2)
                    stack.append((k, False))
                stack.append((v, False))
            continue
        if is_state and type(value) is tuple and len(value) == 2:
            stack.extend((part, True) for part in value)
            continue
        children = list(_children(value))
        if isinstance(value, Object) and value.has_state:
            place = 3 if value.kwargs is not None else 2  # after callable, args (kwargs)
            stack.append((children.pop(place), True))
        stack.extend((c, False) for c in children if type(c) not in _NUMBERS)
    return found


def to_json(root):
    """The tagged-JSON form (nested dicts and lists of str) of a model value.

    Works without recursion, so arbitrarily deep structures convert.
    """
    return to_json_and_depth(root)[0]


def to_json_and_depth(root):
    """(to_json(root), json_depth of it), in one walk: what an answer needs."""
    repeated = shared(root)
    ids = {}
    out = {}
    depth = 1
    work = [(root, out, 1)]  # (value, the dict to fill in, its JSON level)
    while work:
        value, node, level = work.pop()
        if level > depth:
            depth = level
        key = id(value)
        if key in ids:
            node.update({"type": "ref", "id": ids[key]})
            continue
        if key in repeated:
            ids[key] = node["id"] = str(len(ids) + 1)
        mark = len(work)
        encoded, reach = _encode_one(value, work, level, repeated)
        node.update(encoded)
        if reach > depth:  # its lists, empty ones included
            depth = reach
        # Depth-first in document order: a value's definition comes before
        # the refs to it, in the order a person reads the JSON.
        work[mark:] = work[mark:][::-1]
    return out, depth


def _encode_one(value, work, level, repeated):
    """Encode one value, its node at JSON level `level`; queue its children
    as (child, slot, level) onto work.  Returns the node and the deepest
    level its own nodes reach: its lists, and the nodes of its children
    (their children's levels are theirs).

    A child that is a leaf (`_LEAVES`) and held once is encoded on the spot,
    not queued: most of a large container is such leaves.
    """
    leaf = _LEAVES.get(type(value))
    if leaf is None and isinstance(value, _LEAF_KINDS):  # a subclass: as its base
        leaf = next(_LEAVES[kind] for kind in _LEAF_KINDS if isinstance(value, kind))
    if leaf is not None:
        return leaf(value), level

    def child(v, below=1):  # a slot `below` levels under this node
        leaf = _LEAVES.get(type(v))
        if leaf is not None and id(v) not in repeated:
            return leaf(v)
        slot = {}
        work.append((v, slot, level + below))
        return slot

    def pairs(items):  # [[key, value], ...]: the slots two lists down
        return [[child(k, 3), child(v, 3)] for k, v in items]

    name = _SEQUENCES.get(type(value))
    if name is not None:
        items = _stable(value) if name in ("set", "frozenset") else value
        return {"type": name, "items": [child(v, 2) for v in items]}, level + (2 if items else 1)
    if type(value) is dict:
        return {"type": "dict", "items": pairs(value.items())}, level + (3 if value else 1)
    if isinstance(value, Global):
        return {"type": "global", "module": value.module, "name": value.name}, level
    if isinstance(value, Object):
        node = {"type": "object", "via": value.via, "callable": child(value.callable),
                "args": child(value.args)}
        if value.kwargs is not None:
            node["kwargs"] = child(value.kwargs)
        if value.has_state:
            node["state"] = child(value.state)
        if value.listitems:
            node["listitems"] = [child(v, 2) for v in value.listitems]
        if value.dictitems:
            node["dictitems"] = pairs(value.dictitems)
        if value.setitems:
            node["setitems"] = [child(v, 2) for v in value.setitems]
        if value.dictitems:
            return node, level + 3
        return node, level + (2 if value.listitems or value.setitems else 1)
    if isinstance(value, PersistentId):
        return {"type": "persistent", "pid": child(value.pid)}, level + 1
    if isinstance(value, Buffer):
        node = {"type": "buffer", "readonly": "true" if value.readonly else "false"}
        if value.index is not None:
            node["index"] = str(value.index)
        if value.data is not None:
            node["data"] = _hex(value.data)
        return node, level
    raise ModelError("not a model value: %s" % type(value).__name__)


# The tagged JSON of a leaf value, by its exact type.  A subclass (an int
# subclass is an Object once described; a model built by hand may still hold
# one) is written as the first of _LEAF_KINDS it is an instance of.
_LEAVES = {
    type(None): lambda v: {"type": "none"},
    bool: lambda v: {"type": "bool", "value": "true" if v else "false"},
    float: lambda v: {"type": "float", "value": _float_text(v)},
    complex: lambda v: {"type": "complex", "real": _float_text(v.real),
                        "imag": _float_text(v.imag)},
    text_type: lambda v: {"type": "str", "value": v},
    bytes_type: lambda v: {"type": "bytes", "value": _hex(v)},
    bytearray: lambda v: {"type": "bytearray", "value": _hex(v)},
}
for _int in int_types:
    _LEAVES[_int] = lambda v: {"type": "int", "value": str(int(v)).rstrip("L")}
_LEAF_KINDS = int_types + (float, text_type, bytes_type, complex, bytearray)

MAX_JSON_DEPTH = 500  # how deep an answer of the adapter protocol may nest


def json_depth(doc):
    """How many levels of JSON objects and arrays doc nests (without recursion)."""
    # Level by level: the depth is the number of levels holding a container.
    depth = 0
    level = [doc]
    while True:
        below = []
        container = False
        for node in level:
            if isinstance(node, dict):
                below.extend(node.values())
                container = True
            elif isinstance(node, list):
                below.extend(node)
                container = True
        if not container:
            return depth
        depth += 1
        level = below


def _hex(raw):
    import binascii
    return binascii.hexlify(bytes_type(raw)).decode("ascii")


def _unhex(text, where):
    import binascii
    try:
        return binascii.unhexlify(text.encode("ascii") if isinstance(text, text_type) else text)
    except (TypeError, ValueError, binascii.Error):
        raise ModelError("%s: not an even-length hex string: %r" % (where, text))


def _stable(items):
    """Set members in a stable order, so the JSON is diff-friendly."""
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


_SCALARS = {"none", "bool", "int", "float", "complex", "str", "bytes", "bytearray"}


def from_json(root):
    """The model value for a tagged-JSON document (the inverse of to_json).

    Raises ModelError, naming the path of the offending node, for anything
    malformed.  Containers fill in after they are created, so deep nesting and
    cycles through mutable containers decode without recursion.
    """
    return _Decoder().run(root)


class _Path(object):
    """Where a node sits in a document ("$.items[3].state"), as a chain of
    steps: made in constant time per node, spelled out only for an error
    message (spelling every path out would cost the square of the depth)."""

    __slots__ = ("parent", "step")

    def __init__(self, parent, step):
        self.parent = parent
        self.step = step

    def __add__(self, step):
        return _Path(self, step)

    def __str__(self):
        steps = []
        node = self
        while node is not None:
            steps.append(node.step)
            node = node.parent
        return "".join(reversed(steps))


class _Decoder(object):
    def __init__(self):
        self.ids = {}  # id -> the value made for it
        self.defs = {}  # id -> (the node that defines it, its path)
        self.making = set()  # ids whose immutable value is being made
        self.later = []  # (fill function) for mutable containers
        self.pending = {}  # id -> (members, path) of a frozenset whose members fill in
        self.frozen_depth = 0  # how many frozensets deep the members being made are

    def index(self, root):
        """Find every defining node first, so a ref may come before its definition."""
        stack = [(root, _Path(None, "$"))]
        while stack:
            node, path = stack.pop()
            if isinstance(node, dict):
                if "id" in node and node.get("type") != "ref":
                    if node["id"] in self.defs:
                        raise ModelError("%s: id %r defined twice" % (path, node["id"]))
                    self.defs[node["id"]] = (node, path)
                stack.extend((v, path + "." + k) for k, v in node.items())
            elif isinstance(node, list):
                stack.extend((v, path + "[%d]" % i) for i, v in enumerate(node))

    def run(self, root):
        self.index(root)
        result = self.value(root, _Path(None, "$"))
        while self.later:
            self.later.pop()()
        return result

    def value(self, node, path):
        if not isinstance(node, dict) or "type" not in node:
            raise ModelError("%s: expected an object with a 'type', got %r" % (path, node))
        kind = node["type"]
        if kind == "ref":
            ref = node.get("id")
            if ref in self.ids:
                return self.ids[ref]
            if ref not in self.defs:
                raise ModelError("%s: ref to unknown id %r" % (path, ref))
            if ref in self.pending:  # a frozenset whose members are filling in
                values, where = self.pending[ref]
                return self.frozen(self.defs[ref][0], values, where)
            if ref in self.making:
                raise ModelError("%s: id %r reaches itself through immutable values only"
                                 % (path, ref))
            self.making.add(ref)
            return self.value(*self.defs[ref])
        if "id" in node and node["id"] in self.ids:
            return self.ids[node["id"]]  # made already, through a ref that came first
        if kind in _SCALARS:
            return self.scalar(kind, node, path)
        maker = getattr(self, "make_" + str(kind), None)
        if maker is None:
            raise ModelError("%s: unknown type %r" % (path, kind))
        return maker(node, path)

    def remember(self, node, value):
        if "id" in node:
            self.ids[node["id"]] = value
        return value

    def field(self, node, name, path, kind=None):
        if name not in node:
            raise ModelError("%s: %s node lacks %r" % (path, node["type"], name))
        value = node[name]
        if kind is not None and not isinstance(value, kind):
            raise ModelError("%s.%s: expected %s" % (path, name, kind.__name__))
        return value

    def scalar(self, kind, node, path):
        if kind == "none":
            return None
        if kind == "complex":
            return complex(self.number(node, "real", path), self.number(node, "imag", path))
        text = self.field(node, "value", path)
        if not isinstance(text, (text_type, str)):
            raise ModelError("%s: scalar value must be a JSON string, got %r" % (path, text))
        if kind == "bool":
            if text not in ("true", "false"):
                raise ModelError("%s: bool must be 'true' or 'false', got %r" % (path, text))
            return text == "true"
        if kind == "int":
            try:
                return int(text)
            except ValueError:
                raise ModelError("%s: not an integer: %r" % (path, text))
        if kind == "float":
            return self.number(node, "value", path)
        if kind == "str":
            return self.remember(node, text_type(text))
        if kind == "bytes":
            return self.remember(node, _unhex(text, path))
        return self.remember(node, bytearray(_unhex(text, path)))

    def number(self, node, name, path):
        text = self.field(node, name, path)
        try:
            return float(text)
        except (TypeError, ValueError):
            raise ModelError("%s.%s: not a float: %r" % (path, name, text))

    def items(self, node, path, name="items"):
        items = self.field(node, name, path, list)
        return [(item, path + (".%s[%d]" % (name, i))) for i, item in enumerate(items)]

    def pairs(self, node, path, name="items"):
        out = []
        for item, where in self.items(node, path, name):
            if not isinstance(item, list) or len(item) != 2:
                raise ModelError("%s: expected a [key, value] pair" % where)
            out.append((item[0], item[1], where))
        return out

    def make_list(self, node, path):
        result = self.remember(node, [])
        items = self.items(node, path)
        self.later.append(lambda: result.extend(self.value(v, p) for v, p in items))
        return result

    def make_dict(self, node, path):
        result = self.remember(node, {})
        pairs = self.pairs(node, path)

        def fill():
            for k, v, where in pairs:
                key = self.value(k, where + "[0]")
                try:
                    result[key] = self.value(v, where + "[1]")
                except TypeError:
                    raise ModelError("%s: unhashable dict key" % where)
        self.later.append(fill)
        return result

    def make_set(self, node, path):
        result = self.remember(node, set())

        def fill():
            for v, where in self.items(node, path):
                try:
                    result.add(self.value(v, where))
                except TypeError:
                    raise ModelError("%s: unhashable set member" % where)
        self.later.append(fill)
        return result

    def immutable(self, node, path, kind):
        values = []
        for v, where in self.items(node, path):
            values.append(self.value(v, where))
        # Members that are still filling in (a list inside the tuple, say) are
        # complete by the time anyone looks at the result.
        try:
            return self.remember(node, kind(values))
        except TypeError:
            raise ModelError("%s: unhashable %s member" % (path, kind.__name__))

    def make_tuple(self, node, path):
        return self.immutable(node, path, tuple)

    def make_frozenset(self, node, path):
        key = node.get("id")
        if self.frozen_depth:
            # a member of a frozenset being made: the outermost one fills
            # everything in once all its members exist, so a filling that
            # reaches it (inner.member.state -> outer) finds it pending
            self.frozen_depth += 1
            try:
                values = [self.value(v, w) for v, w in self.items(node, path)]
            finally:
                self.frozen_depth -= 1
            return self.frozen(node, values, path)
        self_later, self.later = self.later, []
        self.frozen_depth = 1
        try:
            # frozenset members must be complete before hashing; a member
            # whose filling reaches the frozenset itself (an instance whose
            # state holds it) gets it made from the members as they are
            # then, as an unpickler makes it before that member's BUILD.
            values = [self.value(v, w) for v, w in self.items(node, path)]
            self.frozen_depth = 0
            if key is not None:
                self.pending[key] = (values, path)
            while self.later:
                self.later.pop()()
        finally:
            self.frozen_depth = 0
            self.later = self_later + self.later
            self.pending.pop(key, None)
        if key is not None and key in self.ids:
            return self.ids[key]  # made while its members were filling in
        return self.frozen(node, values, path)

    def frozen(self, node, values, path):
        try:
            return self.remember(node, frozenset(values))
        except TypeError:
            raise ModelError("%s: unhashable frozenset member" % path)

    def make_global(self, node, path):
        return Global(text_type(self.field(node, "module", path)),
                      text_type(self.field(node, "name", path)))

    def make_object(self, node, path):
        via = self.field(node, "via", path)
        if via not in VIAS:
            raise ModelError("%s: via must be one of %s, got %r" % (path, ", ".join(VIAS), via))
        func = self.value(self.field(node, "callable", path), path + ".callable")
        args = self.value(self.field(node, "args", path), path + ".args")
        if not isinstance(args, tuple):
            raise ModelError("%s.args: must be a tuple" % path)
        result = self.remember(node, Object(func, args, via=via))

        def fill():
            if "kwargs" in node:
                result.kwargs = self.value(node["kwargs"], path + ".kwargs")
            if "state" in node:
                result.state = self.value(node["state"], path + ".state")
                result.has_state = True
            if "listitems" in node:
                result.listitems = [self.value(v, p) for v, p in self.items(node, path, "listitems")]
            if "dictitems" in node:
                result.dictitems = [(self.value(k, p + "[0]"), self.value(v, p + "[1]"))
                                    for k, v, p in self.pairs(node, path, "dictitems")]
            if "setitems" in node:
                result.setitems = [self.value(v, p) for v, p in self.items(node, path, "setitems")]
        self.later.append(fill)
        return result

    def make_persistent(self, node, path):
        return PersistentId(self.value(self.field(node, "pid", path), path + ".pid"))

    def make_buffer(self, node, path):
        index = node.get("index")
        data = node.get("data")
        readonly = node.get("readonly", "false")
        if readonly not in ("true", "false"):
            raise ModelError("%s.readonly: must be 'true' or 'false'" % path)
        try:
            index = None if index is None else int(index)
        except ValueError:
            raise ModelError("%s.index: not an integer: %r" % (path, index))
        data = None if data is None else _unhex(data, path + ".data")
        return self.remember(node, Buffer(index, data, readonly == "true"))


# -- real objects <-> model ----------------------------------------------------

_PLAIN = (type(None), bool, float, complex, text_type, bytes_type, bytearray) + int_types
_ITSELF = frozenset(_PLAIN) - {bytearray}  # what describe keeps as it is


def describe(root):
    """The model of a real object graph, as an unpickler returned it.

    Plain data maps to itself (copied, so sharing is kept but nothing real is
    held); a subclass of a plain type (an int subclass) is an instance like
    any other.  Classes and functions become Globals, and so does a C method
    bound to a class (``dict.fromkeys``, found by that name); one bound to an
    instance (``[].append``) is what its reduction says.  Any other object becomes the
    Object its ``__reduce_ex__(4)`` describes (``copyreg.__newobj__`` becomes
    via='newobj', ``copyreg.__newobj_ex__`` via='newobj_ex'), so a loaded
    instance compares by class, arguments and state.
    """
    memo = {}
    later = []

    def conv(value):
        key = id(value)
        if key in memo:
            return memo[key]
        kind = type(value)
        # exact types: an int subclass (a bool is in _PLAIN) is an instance
        # like any other, described by its reduction
        if kind in _PLAIN:
            if kind is bytearray:
                memo[key] = bytearray(value)
                return memo[key]
            return value
        # (the members that are plain and immutable are themselves, with no
        # call: most of a large container is such values)
        if kind is list:
            out = memo[key] = []
            later.append(lambda: out.extend(
                v if type(v) in _ITSELF else conv(v) for v in value))
            return out
        if kind is dict:
            out = memo[key] = {}
            later.append(lambda: out.update(
                (k if type(k) in _ITSELF else conv(k), v if type(v) in _ITSELF else conv(v))
                for k, v in value.items()))
            return out
        if kind is set:
            out = memo[key] = set()
            later.append(lambda: out.update(
                v if type(v) in _ITSELF else conv(v) for v in value))
            return out
        if kind is tuple:
            memo[key] = out = tuple(v if type(v) in _ITSELF else conv(v) for v in value)
            return out
        if kind is frozenset:
            memo[key] = out = frozenset(v if type(v) in _ITSELF else conv(v) for v in value)
            return out
        if isinstance(value, Global):
            return value
        if isinstance(value, PersistentId):
            # The pid is what the stream pushed before BINPERSID: real objects
            # (a class, an instance) when an unpickler loaded it.  It is
            # described whole at once, as a PersistentId may be a dict key and
            # hashes by its pid; so a pid shares nothing with the rest.
            memo[key] = out = PersistentId(describe(value.pid))
            return out
        if isinstance(value, Buffer):
            return value
        if isinstance(value, type) or (_is_function(value) and not _bound_to_instance(value)):
            return Global(_module_of(value), _qualname_of(value))
        if _is_picklebuffer(value):
            raw = value.raw()
            memo[key] = out = Buffer(data=bytes(raw), readonly=raw.readonly)
            return out
        if kind is memoryview:  # what a READONLY_BUFFER of an in-band buffer gives
            memo[key] = out = Buffer(data=value.tobytes(), readonly=value.readonly)
            return out
        return conv_object(value, key)

    def conv_object(value, key):
        try:
            reduced = value.__reduce_ex__(4)
        except Exception as exc:
            raise ModelError("cannot describe %s: %s" % (type(value).__name__, exc))
        if isinstance(reduced, (str, text_type)):
            return Global(whichmodule(value, reduced.split(".")), reduced)
        reduced = tuple(reduced) + (None,) * (5 - len(reduced))
        func, args, state, listitems, dictitems = reduced[:5]
        via = "reduce"
        kwargs = None
        name = getattr(func, "__name__", "")
        if name == "__newobj__":
            via, func, args = "newobj", args[0], args[1:]
        elif name == "__newobj_ex__":
            via, func, kwargs = "newobj_ex", args[0], args[2]
            args = args[1]
        if _no_state(state):
            state = None
        out = memo[key] = Object(conv(func), conv(tuple(args)), via=via)

        def fill():
            if kwargs is not None:
                out.kwargs = conv(dict(kwargs))
            if state is not None:
                out.state, out.has_state = conv(state), True
            if listitems is not None:
                out.listitems = [conv(v) for v in listitems]
            if dictitems is not None:
                out.dictitems = [(conv(k), conv(v)) for k, v in dictitems]
        later.append(fill)
        return out

    result = conv(root)
    while later:
        later.pop()()
    return result


def _no_state(state):
    """Whether a reduction's state sets nothing: Python 2 reduces an instance
    with an empty __dict__ to state {} where Python 3 gives None, and BUILD
    with either leaves the object as it was."""
    if isinstance(state, dict):
        return not state
    if isinstance(state, tuple) and len(state) == 2:
        return all(part is None or (isinstance(part, dict) and not part) for part in state)
    return False


def _is_function(value):
    return type(value).__name__ in ("function", "builtin_function_or_method",
                                    "classobj", "method_descriptor")


def _bound_to_instance(value):
    """Whether a C method is bound to an instance (``[].append``, ``'ab'.join``):
    not a global, but what its reduction says (getattr of the instance).  One
    bound to a class (``dict.fromkeys``) is the global its class names."""
    owner = getattr(value, "__self__", None)
    return (owner is not None and type(value).__name__ == "builtin_function_or_method"
            and not isinstance(owner, (type, type(sys))))


def _type_bound(value):
    """The class a C method is bound to (``dict`` for ``dict.fromkeys``), or None."""
    owner = getattr(value, "__self__", None)
    if isinstance(owner, type) and type(value).__name__ == "builtin_function_or_method":
        return owner
    return None


def _is_picklebuffer(value):
    return type(value).__name__ == "PickleBuffer" and hasattr(value, "raw")


def _module_of(value):
    module = getattr(value, "__module__", None)
    if not module and _type_bound(value) is not None:
        module = _type_bound(value).__module__  # a C method of a class has none of its own
    return module or whichmodule(value, _qualname_of(value).split("."))


def _qualname_of(value):
    qualname = getattr(value, "__qualname__", None)
    if qualname:
        return qualname
    owner = _type_bound(value)
    if owner is not None:  # Python 2: no __qualname__
        return _qualname_of(owner) + "." + value.__name__
    return _nested_name(value) or value.__name__


def _nested_name(value):
    """Python 2 has no __qualname__: find a class nested in a class of its
    module by looking (Outer.Inner)."""
    module = sys.modules.get(getattr(value, "__module__", None) or "")
    if module is None or getattr(module, value.__name__, None) is value:
        return None
    for outer_name, outer in sorted(vars(module).items()):
        if isinstance(outer, type) and vars(outer).get(value.__name__) is value:
            return outer_name + "." + value.__name__
    return None


def materialize(root, find=find_global, persistent=None, buffer=None):
    """Real Python objects for a model value (the inverse of describe).

    `find(module, name)` resolves Globals.  `persistent(PersistentId)` and
    `buffer(Buffer)` give the real objects for those nodes; by default the
    nodes stand for themselves (a pickler's persistent_id hook recognises
    them).  Objects are made as the unpickler makes them: the call (or
    ``cls.__new__``), then `set_state` for the state, then the items.
    """
    memo = {}
    later = []  # fills of mutable containers, run last-in first-out
    making = set()  # Objects whose arguments are being made
    filling = {}  # id -> members of a frozenset whose members are filling in

    def complete(value):
        """conv(value), with everything inside it filled in before it is used.

        Jobs pushed while converting sit above `mark`; running them
        last-in first-out finishes the value (and all it holds) first, as an
        unpickler has built a call's arguments before REDUCE calls it.
        """
        mark = len(later)
        result = conv(value)
        while len(later) > mark:
            later.pop()()
        return result

    def conv(value):
        key = id(value)
        if key in memo:
            return memo[key]
        kind = type(value)
        if kind is list:
            out = memo[key] = []
            later.append(lambda: out.extend(conv(v) for v in value))
            return out
        if kind is dict:
            out = memo[key] = {}
            later.append(lambda: out.update((conv(k), conv(v)) for k, v in value.items()))
            return out
        if kind is set:
            out = memo[key] = set()
            later.append(lambda: out.update(conv(v) for v in value))
            return out
        if kind is bytearray:
            memo[key] = out = bytearray(value)
            return out
        if kind is tuple:
            memo[key] = out = tuple(conv(v) for v in value)
            return out
        if kind is frozenset:
            return make_frozenset(value, key)
        if kind is Global:
            return find(value.module, value.name)
        if kind is PersistentId:
            return value if persistent is None else persistent(value)
        if kind is Buffer:
            memo[key] = out = value if buffer is None else buffer(value)
            return out
        if kind is Object:
            return make(value, key)
        return value

    def make_frozenset(value, key):
        """The members made and filled in first (they must be complete before
        hashing); a member whose filling reaches the frozenset (an instance
        whose state holds it) gets it made from the members as they are then,
        as an unpickler makes it before that member's BUILD."""
        if key in filling:
            memo[key] = out = frozenset(filling[key])
            return out
        mark = len(later)
        members = filling[key] = [conv(v) for v in value]
        try:
            while len(later) > mark:
                later.pop()()
        finally:
            del filling[key]
        if key not in memo:
            memo[key] = frozenset(members)
        return memo[key]

    def make(node, key):
        if key in making:
            raise ModelError("an Object among its own arguments: %r" % (node,))
        making.add(key)
        func = complete(node.callable)
        args = complete(node.args)
        if node.via == "newobj":
            out = func.__new__(func, *args)
        elif node.via == "newobj_ex":
            out = func.__new__(func, *args, **complete(node.kwargs or {}))
        else:
            out = func(*args)
        making.discard(key)
        memo[key] = out

        def fill():
            if node.has_state:
                set_state(out, complete(node.state))
            if node.listitems:
                extend(out, [complete(v) for v in node.listitems])
            for k, v in node.dictitems:
                out[complete(k)] = complete(v)
            for v in node.setitems:
                out.add(complete(v))
        later.append(fill)
        return out

    return complete(root)


def equal(a, b):
    """Whether two model values are the same graph: types, values, sharing, cycles.

    Floats compare by value with nan equal to nan and 0.0 apart from -0.0.
    Sharing is compared for mutable values (list, dict, set, bytearray,
    Object, Buffer): if a reaches the same mutable value by two paths, b must
    too.  Sets and dict keys are matched by model equality of their members.
    """
    return _Comparison().same(a, b)


class _Comparison(object):
    def __init__(self, outer=None):
        # id(a) -> id(b) for mutable values already matched.  A trial inside
        # a set or dict starts from the pairs matched so far, so a member that
        # leads back to its own container finds it matched and stops there.
        self.pairs = dict(outer.pairs) if outer else {}
        self.back = dict(outer.back) if outer else {}

    def same(self, a, b):
        work = [(a, b)]
        while work:
            x, y = work.pop()
            result = self.step(x, y, work)
            if not result:
                return False
        return True

    def bind(self, x, y):
        """Pair mutable x with y; False if either is already paired elsewhere."""
        kx, ky = id(x), id(y)
        if kx in self.pairs or ky in self.back:
            return None if self.pairs.get(kx) == ky and self.back.get(ky) == kx else False
        self.pairs[kx] = ky
        self.back[ky] = kx
        return True

    def step(self, x, y, work):
        if type(x) is not type(y):
            if not (isinstance(x, int_types) and isinstance(y, int_types)
                    and type(x) is not bool and type(y) is not bool):
                return False
        if isinstance(x, float):
            return _same_float(x, y)
        if isinstance(x, complex):
            return _same_float(x.real, y.real) and _same_float(x.imag, y.imag)
        if isinstance(x, (type(None), bool, text_type, bytes_type, Global) + int_types):
            return x == y
        if isinstance(x, (list, dict, set, bytearray, Object, Buffer)):
            bound = self.bind(x, y)
            if bound is False:
                return False
            if bound is None:  # this pair was matched already
                return True
        if isinstance(x, bytearray):
            return x == y
        if isinstance(x, (list, tuple)):
            if len(x) != len(y):
                return False
            work.extend(zip(x, y))
            return True
        if isinstance(x, dict):
            return self.unordered(list(x.items()), list(y.items()), work, pairs=True)
        if isinstance(x, (set, frozenset)):
            return self.unordered(list(x), list(y), work)
        if isinstance(x, PersistentId):
            work.append((x.pid, y.pid))
            return True
        if isinstance(x, Buffer):
            return (x.index, x.data, x.readonly) == (y.index, y.data, y.readonly)
        if isinstance(x, Object):
            if x.via != y.via or x.has_state != y.has_state:
                return False
            if len(x.listitems) != len(y.listitems) or len(x.setitems) != len(y.setitems):
                return False
            work.extend([(x.callable, y.callable), (x.args, y.args),
                         (x.kwargs, y.kwargs), (x.state, y.state),
                         (x.listitems, y.listitems)])
            return self.unordered(x.dictitems, y.dictitems, work, pairs=True) and \
                self.unordered(x.setitems, y.setitems, work)
        return False

    def unordered(self, xs, ys, work, pairs=False):
        """Match members of two collections whose order carries no meaning."""
        if len(xs) != len(ys):
            return False
        remaining = list(ys)
        for x in xs:
            for i, y in enumerate(remaining):
                key_x, key_y = (x[0], y[0]) if pairs else (x, y)
                trial = _Comparison(self)
                if trial.same(key_x, key_y):
                    self.pairs, self.back = trial.pairs, trial.back
                    if pairs:
                        work.append((x[1], y[1]))
                    del remaining[i]
                    break
            else:
                return False
        return True


def _same_float(x, y):
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)
