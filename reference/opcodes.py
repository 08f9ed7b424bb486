"""The opcode table: the single source of truth for the pickle machine.

Theory of operation
-------------------
A pickle is a program for a tiny stack machine.  Each instruction is one opcode
byte, optionally followed by an argument (see `arguments`).  The machine has a
*stack* of Python objects, a *metastack* of saved stacks that MARK pushes and
the opcodes taking a ``stackslice`` pop, and a *memo* (a dict from int keys to
objects) that PUT/BINPUT/LONG_BINPUT/MEMOIZE write and GET/BINGET/LONG_BINGET
read.  Execution stops at STOP, whose operand is the result.

Every opcode of protocols 0 to 5 is one `OpcodeInfo` row below: its name (as
`pickletools` spells it), its code byte, its argument encoding, what it takes
from and leaves on the stack, the protocol that introduced it, and a short
statement of what it means.  Everything else reads this table and nothing
restates it: the unpickler's dispatch (handlers are registered by name and
checked against it), the pickler's emission, the assembler and disassembler,
the coverage report, and the generated opcode reference.  A test checks the
table against the running interpreter's `pickletools.opcodes`.

Protocols: 0 is the original text format; 1 added binary forms (PEP 307
describes 0-2); 2 (Python 2.3, PEP 307) added PROTO, NEWOBJ, extension codes,
the small-tuple opcodes and booleans; 3 (Python 3.0) added bytes; 4 (Python
3.4, PEP 3154) added framing, MEMOIZE, STACK_GLOBAL, NEWOBJ_EX, sets and the
8-byte forms; 5 (Python 3.8, PEP 574) added out-of-band buffers.
"""

from . import arguments as A

__all__ = ["StackObject", "OpcodeInfo", "opcodes", "by_name", "by_code", "HIGHEST_PROTOCOL"]

HIGHEST_PROTOCOL = 5


class StackObject:
    """A kind of stack entry an opcode consumes or produces (pickletools' names)."""

    __slots__ = ("name", "doc")

    def __init__(self, name, doc):
        self.name = name
        self.doc = doc

    def __repr__(self):
        return self.name


int_ = StackObject("int", "an int")
int_or_bool = StackObject("int_or_bool", "an int or a bool")
bool_ = StackObject("bool", "a bool")
float_ = StackObject("float", "a float")
bytes_ = StackObject("bytes", "a bytes object")
bytes_or_str = StackObject("bytes_or_str", "a Python 2 str: bytes, or str after decoding")
bytearray_ = StackObject("bytearray", "a bytearray")
buffer = StackObject("buffer", "an out-of-band buffer (a PickleBuffer or memoryview)")
str_ = StackObject("str", "a str")
none = StackObject("None", "None")
tuple_ = StackObject("tuple", "a tuple")
list_ = StackObject("list", "a list")
dict_ = StackObject("dict", "a dict")
set_ = StackObject("set", "a set")
frozenset_ = StackObject("frozenset", "a frozenset")
any_ = StackObject("any", "any object")
markobject = StackObject("mark", "the mark: where the metastack saved the stack")
stackslice = StackObject("stackslice", "every object pushed since the topmost mark")


class OpcodeInfo:
    """One opcode: identity, argument, stack effect, protocol, meaning.

    `code` is the opcode as a one-character str (as in pickletools), `byte` the
    same as an int.  `arg` is an `ArgumentDescriptor` or None.  `before` and
    `after` list the stack entries consumed and produced, topmost last.
    """

    __slots__ = ("name", "code", "byte", "arg", "before", "after", "proto", "doc")

    def __init__(self, name, code, arg, before, after, proto, doc):
        self.name = name
        self.code = code
        self.byte = ord(code)
        self.arg = arg
        self.before = before
        self.after = after
        self.proto = proto
        self.doc = doc

    def __repr__(self):
        return "<OpcodeInfo %s %r>" % (self.name, self.code)


I = OpcodeInfo  # the rows read better short

opcodes = [
    # -- integers ------------------------------------------------------------
    I("INT", "I", A.decimalnl_short, [], [int_or_bool], 0,
      "Push an int written in decimal text.  The text '00' pushes False and "
      "'01' pushes True (how protocol 0 wrote booleans before NEWTRUE)."),
    I("BININT", "J", A.int4, [], [int_], 1,
      "Push a four-byte signed little-endian int."),
    I("BININT1", "K", A.uint1, [], [int_], 1,
      "Push a one-byte unsigned int (0..255)."),
    I("BININT2", "M", A.uint2, [], [int_], 1,
      "Push a two-byte unsigned little-endian int (0..65535)."),
    I("LONG", "L", A.decimalnl_long, [], [int_], 0,
      "Push an int written in decimal text; a trailing 'L' (Python 2's long "
      "suffix) is allowed and ignored."),
    I("LONG1", "\x8a", A.long1, [], [int_], 2,
      "Push an int in two's-complement little-endian bytes, with a one-byte "
      "length; zero bytes mean 0."),
    I("LONG4", "\x8b", A.long4, [], [int_], 2,
      "Push an int in two's-complement little-endian bytes, with a four-byte "
      "signed length; a negative length is an error."),
    # -- byte strings --------------------------------------------------------
    I("STRING", "S", A.stringnl, [], [bytes_or_str], 0,
      "Push a Python 2 str written as a quoted literal with backslash escapes; "
      "decoded to str with the unpickler's encoding, or kept as bytes when the "
      "encoding is 'bytes'."),
    I("BINSTRING", "T", A.string4, [], [bytes_or_str], 1,
      "Push a Python 2 str with a four-byte signed length; decoded as STRING is."),
    I("SHORT_BINSTRING", "U", A.string1, [], [bytes_or_str], 1,
      "Push a Python 2 str with a one-byte length; decoded as STRING is."),
    I("BINBYTES", "B", A.bytes4, [], [bytes_], 3,
      "Push bytes with a four-byte unsigned length."),
    I("SHORT_BINBYTES", "C", A.bytes1, [], [bytes_], 3,
      "Push bytes with a one-byte length."),
    I("BINBYTES8", "\x8e", A.bytes8, [], [bytes_], 4,
      "Push bytes with an eight-byte length (PEP 3154: payloads of 4 GiB and more)."),
    I("BYTEARRAY8", "\x96", A.bytearray8, [], [bytearray_], 5,
      "Push a bytearray with an eight-byte length (PEP 574: in-band bytearrays)."),
    # -- out-of-band buffers (PEP 574) ---------------------------------------
    I("NEXT_BUFFER", "\x97", None, [], [buffer], 5,
      "Push the next buffer from the iterable given to the unpickler as "
      "`buffers`; an error when there is none or none is left."),
    I("READONLY_BUFFER", "\x98", None, [buffer], [buffer], 5,
      "Replace the buffer on top of the stack with a read-only view of it."),
    # -- None and booleans ---------------------------------------------------
    I("NONE", "N", None, [], [none], 0, "Push None."),
    I("NEWTRUE", "\x88", None, [], [bool_], 2, "Push True."),
    I("NEWFALSE", "\x89", None, [], [bool_], 2, "Push False."),
    # -- text ----------------------------------------------------------------
    I("UNICODE", "V", A.unicodestringnl, [], [str_], 0,
      "Push a str written in the raw-unicode-escape codec, newline-terminated."),
    I("SHORT_BINUNICODE", "\x8c", A.unicodestring1, [], [str_], 4,
      "Push a str of UTF-8 bytes with a one-byte length."),
    I("BINUNICODE", "X", A.unicodestring4, [], [str_], 1,
      "Push a str of UTF-8 bytes with a four-byte unsigned length."),
    I("BINUNICODE8", "\x8d", A.unicodestring8, [], [str_], 4,
      "Push a str of UTF-8 bytes with an eight-byte length."),
    # -- floats --------------------------------------------------------------
    I("FLOAT", "F", A.floatnl, [], [float_], 0,
      "Push a float written as text (repr() form: '1.5', 'inf', 'nan')."),
    I("BINFLOAT", "G", A.float8, [], [float_], 1,
      "Push a float from eight big-endian IEEE 754 bytes."),
    # -- lists ---------------------------------------------------------------
    I("EMPTY_LIST", "]", None, [], [list_], 1, "Push a new empty list."),
    I("APPEND", "a", None, [list_, any_], [list_], 0,
      "Pop an object and append it to the list below it (calling its append())."),
    I("APPENDS", "e", None, [list_, markobject, stackslice], [list_], 1,
      "Pop the stack slice above the topmost mark and the mark, and extend the "
      "list below them with the slice (extend() if it has one, else append() "
      "for each item)."),
    I("LIST", "l", None, [markobject, stackslice], [list_], 0,
      "Pop the stack slice above the topmost mark and the mark, and push a list "
      "of the slice."),
    # -- tuples --------------------------------------------------------------
    I("EMPTY_TUPLE", ")", None, [], [tuple_], 1, "Push the empty tuple."),
    I("TUPLE", "t", None, [markobject, stackslice], [tuple_], 0,
      "Pop the stack slice above the topmost mark and the mark, and push a "
      "tuple of the slice."),
    I("TUPLE1", "\x85", None, [any_], [tuple_], 2,
      "Replace the top object with a 1-tuple of it."),
    I("TUPLE2", "\x86", None, [any_, any_], [tuple_], 2,
      "Replace the top two objects with a 2-tuple of them, in stack order."),
    I("TUPLE3", "\x87", None, [any_, any_, any_], [tuple_], 2,
      "Replace the top three objects with a 3-tuple of them, in stack order."),
    # -- dicts ---------------------------------------------------------------
    I("EMPTY_DICT", "}", None, [], [dict_], 1, "Push a new empty dict."),
    I("DICT", "d", None, [markobject, stackslice], [dict_], 0,
      "Pop the stack slice above the topmost mark and the mark, and push a dict "
      "of its alternating keys and values."),
    I("SETITEM", "s", None, [dict_, any_, any_], [dict_], 0,
      "Pop a value and a key, and set dict[key] = value on the object below them."),
    I("SETITEMS", "u", None, [dict_, markobject, stackslice], [dict_], 1,
      "Pop the stack slice above the topmost mark and the mark, and set its "
      "alternating keys and values on the object below them, in order."),
    # -- sets (PEP 3154) -----------------------------------------------------
    I("EMPTY_SET", "\x8f", None, [], [set_], 4, "Push a new empty set."),
    I("ADDITEMS", "\x90", None, [set_, markobject, stackslice], [set_], 4,
      "Pop the stack slice above the topmost mark and the mark, and add its "
      "items to the set below them."),
    I("FROZENSET", "\x91", None, [markobject, stackslice], [frozenset_], 4,
      "Pop the stack slice above the topmost mark and the mark, and push a "
      "frozenset of the slice."),
    # -- stack manipulation --------------------------------------------------
    I("POP", "0", None, [any_], [], 0,
      "Discard the top object; if the stack above the topmost mark is empty, "
      "discard the mark instead."),
    I("DUP", "2", None, [any_], [any_, any_], 0,
      "Push the top object again (no CPython pickler writes DUP)."),
    I("MARK", "(", None, [], [markobject], 0,
      "Save the current stack on the metastack and start an empty one."),
    I("POP_MARK", "1", None, [markobject, stackslice], [], 1,
      "Discard the stack slice above the topmost mark, and the mark."),
    # -- memo ----------------------------------------------------------------
    I("GET", "g", A.decimalnl_short, [], [any_], 0,
      "Push memo[key], the key written in decimal text; a missing key is an error."),
    I("BINGET", "h", A.uint1, [], [any_], 1, "Push memo[key] for a one-byte key."),
    I("LONG_BINGET", "j", A.uint4, [], [any_], 1,
      "Push memo[key] for a four-byte unsigned key."),
    I("PUT", "p", A.decimalnl_short, [], [], 0,
      "Store the top object (without popping it) as memo[key], the key written "
      "in decimal text."),
    I("BINPUT", "q", A.uint1, [], [], 1,
      "Store the top object (without popping it) as memo[key] for a one-byte key."),
    I("LONG_BINPUT", "r", A.uint4, [], [], 1,
      "Store the top object (without popping it) as memo[key] for a four-byte "
      "unsigned key."),
    I("MEMOIZE", "\x94", None, [any_], [any_], 4,
      "Store the top object (without popping it) as memo[len(memo)] (PEP 3154)."),
    # -- extension registry (copyreg) ----------------------------------------
    I("EXT1", "\x82", A.uint1, [], [any_], 2,
      "Push the object registered with copyreg.add_extension under a one-byte "
      "code; code 0 and unknown codes are errors."),
    I("EXT2", "\x83", A.uint2, [], [any_], 2,
      "Push the object registered under a two-byte code."),
    I("EXT4", "\x84", A.int4, [], [any_], 2,
      "Push the object registered under a four-byte signed code."),
    # -- globals and calls ---------------------------------------------------
    I("GLOBAL", "c", A.stringnl_noescape_pair, [], [any_], 0,
      "Push the object named by a module line and a qualified-name line, found "
      "through find_class().  Dotted names are followed only after a PROTO of 4 "
      "or more; below 4, fix_imports maps Python 2 names."),
    I("STACK_GLOBAL", "\x93", None, [str_, str_], [any_], 4,
      "Pop a qualified name and a module name (both str), and push the object "
      "they name, found through find_class() (PEP 3154)."),
    I("REDUCE", "R", None, [any_, any_], [any_], 0,
      "Pop a tuple of arguments and a callable, and push callable(*arguments)."),
    I("BUILD", "b", None, [any_, any_], [any_], 0,
      "Pop a state and set it on the object below it: call its __setstate__(state) "
      "if it has one; otherwise the state is a dict, or a (dict, slots dict) pair, "
      "whose items are set on the instance __dict__ and as attributes."),
    I("INST", "i", A.stringnl_noescape_pair, [markobject, stackslice], [any_], 0,
      "Find a class by module and name lines, pop the stack slice above the "
      "topmost mark and the mark, and push the class called with the slice as "
      "arguments (Python 2 classic instances)."),
    I("OBJ", "o", None, [markobject, any_, stackslice], [any_], 1,
      "Pop the stack slice above the topmost mark and the mark; its first item "
      "is a class, called with the rest as arguments (the binary INST)."),
    I("NEWOBJ", "\x81", None, [any_, any_], [any_], 2,
      "Pop a tuple of arguments and a class, and push cls.__new__(cls, *args) "
      "(PEP 307)."),
    I("NEWOBJ_EX", "\x92", None, [any_, any_, any_], [any_], 4,
      "Pop a dict of keyword arguments, a tuple of arguments and a class, and "
      "push cls.__new__(cls, *args, **kwargs) (PEP 3154)."),
    # -- machine control -----------------------------------------------------
    I("PROTO", "\x80", A.uint1, [], [], 2,
      "Declare the protocol of the stream; values above 5 are an error (PEP 307)."),
    I("STOP", ".", None, [any_], [], 0,
      "Stop: the top object is the result of unpickling."),
    I("FRAME", "\x95", A.uint8, [], [], 4,
      "Announce that the next `length` bytes form a frame, which a reader may "
      "fetch at once; no opcode may straddle a frame's end (PEP 3154)."),
    # -- persistent ids ------------------------------------------------------
    I("PERSID", "P", A.stringnl_noescape, [], [any_], 0,
      "Push persistent_load(id) for an id written as an ASCII line."),
    I("BINPERSID", "Q", None, [any_], [any_], 1,
      "Pop an id object and push persistent_load(id)."),
]

del I

by_name = {op.name: op for op in opcodes}
by_code = {op.byte: op for op in opcodes}

# Module-level names for each opcode (``opcodes.BININT1``) so code that
# emits or matches opcodes says their names, as pickle.py does with its
# one-byte constants.
globals().update(by_name)
__all__ += list(by_name)

assert len(opcodes) == 68 and len(by_code) == 68
