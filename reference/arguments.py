"""Argument encodings: how the bytes after an opcode are laid out.

Theory of operation
-------------------
An opcode is one byte; what follows it, if anything, is its *argument*, in one
of the 24 encodings below (their names are `pickletools`' verbatim).  Each
encoding is one `ArgumentDescriptor` that works in both directions:

- ``read(data, pos) -> (value, end)`` decodes the argument that starts at
  ``data[pos]`` (data is bytes or bytearray) and says where it ends.  The unpickler and the disassembler use
  it.  It raises `TruncatedError` when the input ends first (a length that
  claims more than the input holds fails here, before anything is allocated)
  and `BadArgumentError` when the bytes are there but not of the encoding's
  form.
- ``write(value) -> bytes`` is the exact inverse for every value `read` can
  return in canonical form; the pickler and the assembler use it.
- ``span(data, pos) -> end`` finds the end without judging the contents, so a
  disassembler can show an argument that `read` refuses.

The *text* encodings (those ending in ``nl``) keep their value as the text of the
line, not as the number or name it spells: CPython's two unpicklers disagree on
how to read that text (octal ``I010``, ``I+1``, NUL bytes; see the field notes
and gh-126992, gh-135241, gh-126996), so interpreting it belongs to the opcode
that consumes it, in the unpickler, where each choice is explained.  A text
value is a `str` decoded as latin-1, which maps every byte to one character and
back, so ``write(read(x)) == x`` holds for any line.
"""

import struct

from .errors import BadArgumentError, BadTextError, TruncatedError

# Argument sizes that are not a fixed number of bytes (pickletools' constants).
UP_TO_NEWLINE = -1
TAKEN_FROM_ARGUMENT1 = -2  # a 1-byte unsigned length, then that many bytes
TAKEN_FROM_ARGUMENT4 = -3  # a 4-byte signed little-endian length
TAKEN_FROM_ARGUMENT4U = -4  # a 4-byte unsigned little-endian length
TAKEN_FROM_ARGUMENT8U = -5  # an 8-byte unsigned little-endian length

_uint1 = struct.Struct("<B")
_uint2 = struct.Struct("<H")
_int4 = struct.Struct("<i")
_uint4 = struct.Struct("<I")
_uint8 = struct.Struct("<Q")
_float8 = struct.Struct(">d")


class ArgumentDescriptor:
    """One argument encoding: its name, its size rule, and its two directions."""

    __slots__ = ("name", "n", "read", "write", "span", "doc")

    def __init__(self, name, n, read, write, span, doc):
        self.name = name
        self.n = n
        self.read = read
        self.write = write
        self.span = span
        self.doc = doc

    def __repr__(self):
        return "<ArgumentDescriptor %s>" % self.name


def _need(data, pos, n, what):
    """Fail before slicing when fewer than n bytes remain."""
    if pos + n > len(data):
        have = max(len(data) - pos, 0)
        raise TruncatedError(
            "%s needs %d byte%s but only %d remain"
            % (what, n, "" if n == 1 else "s", have)
        )


# -- fixed-size integers -----------------------------------------------------


def _fixed(name, st, signed_doc):
    size = st.size

    # read() runs once per opcode in the unpickler's loop: the checks are
    # inline (_need only reports), and a byte is read as its own value.
    if st is _uint1:
        def read(data, pos):
            if pos >= len(data):
                _need(data, pos, 1, name)
            return data[pos], pos + 1
    else:
        def read(data, pos):
            if pos + size > len(data):
                _need(data, pos, size, name)
            return st.unpack_from(data, pos)[0], pos + size

    def write(value):
        try:
            return st.pack(value)
        except struct.error:
            raise ValueError("%s cannot hold %r" % (name, value)) from None

    def span(data, pos):
        _need(data, pos, size, name)
        return pos + size

    return ArgumentDescriptor(name, size, read, write, span, signed_doc)


uint1 = _fixed("uint1", _uint1, "One-byte unsigned integer.")
uint2 = _fixed("uint2", _uint2, "Two-byte unsigned integer, little-endian.")
int4 = _fixed("int4", _int4, "Four-byte signed integer, little-endian, two's complement.")
uint4 = _fixed("uint4", _uint4, "Four-byte unsigned integer, little-endian.")
uint8 = _fixed("uint8", _uint8, "Eight-byte unsigned integer, little-endian.")


# -- newline-terminated text ---------------------------------------------------


def _line_end(data, pos, what):
    end = data.find(b"\n", pos)
    if end < 0:
        raise TruncatedError("%s: no newline before the end of the input" % what)
    return end


def _text(name, doc):
    def read(data, pos):
        end = data.find(b"\n", pos)
        if end < 0:
            _line_end(data, pos, name)
        return data[pos:end].decode("latin-1"), end + 1

    def write(value):
        if "\n" in value:
            raise ValueError("%s cannot contain a newline" % name)
        return value.encode("latin-1") + b"\n"

    def span(data, pos):
        return _line_end(data, pos, name) + 1

    return ArgumentDescriptor(name, UP_TO_NEWLINE, read, write, span, doc)


def _text_pair(name, doc):
    """Two lines; the value joins them with one space, as pickletools does."""

    def read(data, pos):
        mid = _line_end(data, pos, name + " (first line)")
        end = _line_end(data, mid + 1, name + " (second line)")
        first = bytes(data[pos:mid]).decode("latin-1")
        second = bytes(data[mid + 1 : end]).decode("latin-1")
        if " " in first:
            # Written back, the space would move the split; refuse rather
            # than give a value that does not round-trip.
            raise BadArgumentError("%s: a space in the first line" % name)
        return first + " " + second, end + 1

    def write(value):
        first, sep, second = value.partition(" ")
        if not sep or "\n" in value:
            raise ValueError("%s needs 'first second' without newlines" % name)
        return first.encode("latin-1") + b"\n" + second.encode("latin-1") + b"\n"

    def span(data, pos):
        mid = _line_end(data, pos, name + " (first line)")
        return _line_end(data, mid + 1, name + " (second line)") + 1

    return ArgumentDescriptor(name, UP_TO_NEWLINE, read, write, span, doc)


decimalnl_short = _text(
    "decimalnl_short",
    "A decimal integer as text, newline-terminated; '00' and '01' spell False and True (INT).",
)
decimalnl_long = _text(
    "decimalnl_long",
    "A decimal integer as text with an optional trailing 'L', newline-terminated.",
)
floatnl = _text("floatnl", "A float as text, as repr() writes it, newline-terminated.")
stringnl = _text(
    "stringnl",
    "A Python 2 string literal with its quotes and backslash escapes, newline-terminated.",
)
stringnl_noescape = _text(
    "stringnl_noescape", "A line of text with no escapes, newline-terminated."
)
stringnl_noescape_pair = _text_pair(
    "stringnl_noescape_pair",
    "Two newline-terminated lines without escapes: a module name and a qualified name.",
)
unicodestringnl = _text(
    "unicodestringnl",
    "Text in the raw-unicode-escape codec, newline-terminated.",
)


# -- counted byte strings ----------------------------------------------------


def _counted(name, length, convert, encode, doc, signed=False):
    """A length in `length` (a struct), then that many bytes."""
    lsize = length.size
    n = {1: TAKEN_FROM_ARGUMENT1, 4: TAKEN_FROM_ARGUMENT4U, 8: TAKEN_FROM_ARGUMENT8U}[lsize]
    if signed:
        n = TAKEN_FROM_ARGUMENT4

    def bounds(data, pos):
        _need(data, pos, lsize, name + " length")
        size = length.unpack_from(data, pos)[0]
        if size < 0:
            raise BadArgumentError("%s: negative length %d" % (name, size))
        start = pos + lsize
        _need(data, start, size, name)
        return start, start + size

    # read() is bounds() inline (it runs once per opcode in the unpickler),
    # with a one-byte length read as its own value.
    if lsize == 1:
        def read(data, pos):
            if pos >= len(data):
                _need(data, pos, 1, name + " length")
            end = pos + 1 + data[pos]
            if end > len(data):
                bounds(data, pos)
            return convert(data[pos + 1:end]), end
    else:
        def read(data, pos):
            start = pos + lsize
            if start > len(data):
                _need(data, pos, lsize, name + " length")
            size = length.unpack_from(data, pos)[0]
            end = start + size
            if size < 0 or end > len(data):
                bounds(data, pos)
            return convert(data[start:end]), end

    def write(value):
        raw = encode(value)
        try:
            return length.pack(len(raw)) + raw
        except struct.error:
            raise ValueError("%s cannot hold %d bytes" % (name, len(raw))) from None

    def span(data, pos):
        return bounds(data, pos)[1]

    return ArgumentDescriptor(name, n, read, write, span, doc)


def _utf8(raw):
    # CPython writes lone surrogates with 'surrogatepass' and reads them back the
    # same way, so a str that Python can hold round-trips.
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise BadTextError("invalid UTF-8: %s" % exc.reason, exc.encoding, exc.object,
                           exc.start, exc.end, exc.reason) from None


def _encode_utf8(value):
    return value.encode("utf-8", "surrogatepass")


string1 = _counted("string1", _uint1, bytes, bytes,
                   "A one-byte length, then that many bytes (a Python 2 str).")
string4 = _counted("string4", _int4, bytes, bytes,
                   "A four-byte signed length, then that many bytes (a Python 2 str).",
                   signed=True)
bytes1 = _counted("bytes1", _uint1, bytes, bytes, "A one-byte length, then that many bytes.")
bytes4 = _counted("bytes4", _uint4, bytes, bytes, "A four-byte length, then that many bytes.")
bytes8 = _counted("bytes8", _uint8, bytes, bytes, "An eight-byte length, then that many bytes.")
bytearray8 = _counted("bytearray8", _uint8, bytearray, bytes,
                      "An eight-byte length, then that many bytes of a bytearray.")
unicodestring1 = _counted("unicodestring1", _uint1, _utf8, _encode_utf8,
                          "A one-byte length, then that many bytes of UTF-8.")
unicodestring4 = _counted("unicodestring4", _uint4, _utf8, _encode_utf8,
                          "A four-byte length, then that many bytes of UTF-8.")
unicodestring8 = _counted("unicodestring8", _uint8, _utf8, _encode_utf8,
                          "An eight-byte length, then that many bytes of UTF-8.")


# -- binary numbers ------------------------------------------------------------


def _read_float8(data, pos):
    _need(data, pos, 8, "float8")
    return _float8.unpack_from(data, pos)[0], pos + 8


def _span8(data, pos):
    _need(data, pos, 8, "float8")
    return pos + 8


float8 = ArgumentDescriptor(
    "float8", 8, _read_float8, _float8.pack, _span8,
    "An IEEE 754 double, big-endian (the one big-endian encoding in pickle).",
)


def encode_long(value):
    """The shortest two's-complement little-endian bytes for an int; b'' for 0.

    This is `pickle.encode_long`, which LONG1 and LONG4 use.
    """
    if value == 0:
        return b""
    nbytes = (value.bit_length() >> 3) + 1
    result = value.to_bytes(nbytes, "little", signed=True)
    if value < 0 and nbytes > 1 and result[-1] == 0xFF and (result[-2] & 0x80):
        result = result[:-1]
    return result


def _decode_long(raw):
    return int.from_bytes(raw, "little", signed=True)


long1 = _counted("long1", _uint1, _decode_long, encode_long,
                 "A one-byte length, then a little-endian two's-complement integer.")
long4 = _counted("long4", _int4, _decode_long, encode_long,
                 "A four-byte signed length, then a little-endian two's-complement integer.",
                 signed=True)


ALL = [
    uint1, uint2, int4, uint4, uint8,
    decimalnl_short, decimalnl_long, floatnl, stringnl, stringnl_noescape,
    stringnl_noescape_pair, unicodestringnl,
    string1, string4, bytes1, bytes4, bytes8, bytearray8,
    unicodestring1, unicodestring4, unicodestring8,
    float8, long1, long4,
]
