"""Target profiles: what a target says it does, read and checked from its hello.

Theory of operation
-------------------
A target introduces itself with a hello (runner/PROTOCOL.md, "The target
profile").  Besides its name, the hello is a *profile*: the check kinds it
answers (``checks``), the protocols it reads and writes, the opcodes it
implements, the representation model its loaded objects are compared under
(``model``, a list of projections, runner/projections.py), the exception
types that are its clean rejections, and for a producer that is not CPython
the CPythons that must read its dumps (``readable_by``).

`read_profile` turns a hello into a `Profile` or raises `ProfileError` with
every problem found, each naming the field (``hello lacks 'checks'``); the
runner reports it as a usage error, before anything runs.  A profile under
which no cell could be judged -- no protocol for a check it declares, an
empty opcode list -- is such an error too.

Two questions are asked of a profile for every cell:

- `Profile.undeclared(data)`: the opcodes a stream uses that the target did
  not declare; a cell with any is ``unsupported`` (coverage, never a
  failure).  Which opcodes a stream uses is read without executing it
  (`reference.asm.read_instructions`); bytes that are no opcode (an unknown
  opcode byte, a truncated argument) name no opcode, so a stream made to be
  refused for them stays judged.
- `Profile.is_clean(answer)`: whether a rejected answer is one of the
  target's clean rejections.  The runner decides, from the answer's
  ``exception`` and ``exception_bases`` against ``clean_exceptions``; an
  adapter's own ``clean`` field is not read.

A parser that checks only some faults of form names them (``parse_faults``);
a malformed stream with another fault is ``unsupported`` for it.

A loader with a safety policy declares it, so that what it refuses by
policy is told apart from what it cannot read: ``allowed_globals`` (the
only globals it imports; a stream that needs another is ``unsupported``,
as for an undeclared opcode) or, for a policy that is no list,
``policy_exceptions`` (what it raises to refuse by policy; a stream that
imports a global and is so refused is ``unsupported``, while one that
imports no global and is refused fails).  runner/judges/load.py applies
both.
"""

import dataclasses
import functools

from picklespec.reference import asm
from picklespec.reference.opcodes import opcodes as OPCODE_TABLE

from .projections import PROJECTIONS

__all__ = ["Profile", "ProfileError", "read_profile", "CHECK_KINDS", "stream_opcodes"]

CHECK_KINDS = ("load", "dump", "parse", "scan", "transform")
# The check kinds that read streams (they need load_protocols and opcodes).
READING = frozenset({"load", "parse", "scan", "transform"})
OPCODE_NAMES = frozenset(op.name for op in OPCODE_TABLE)
SCAN_REPORTS = ("all", "unsafe")
# The faults of form a parser may check (runner/judges/parse.py, `fault_of`).
PARSE_FAULTS = frozenset({"truncated", "unknown-opcode", "bad-argument", "stack", "memo", "protocol"})
PROTOCOLS = range(6)


class ProfileError(ValueError):
    """A hello whose profile cannot be used; the message lists every problem."""


@dataclasses.dataclass(frozen=True)
class Profile:
    checks: frozenset
    load_protocols: frozenset
    dump_protocols: frozenset
    opcodes: frozenset = None  # None: all
    model: tuple = ()
    clean_exceptions: frozenset = frozenset()
    readable_by: tuple = ()  # "3.8", "3.13", ...
    scan_reports: str = "all"
    parse_faults: frozenset = None  # None: every fault of form (runner/judges/parse.py)
    allowed_globals: frozenset = None  # None: any global; else "module:name" strings
    policy_exceptions: frozenset = frozenset()

    def undeclared(self, data):
        """The opcode names data (bytes, or their hex) uses that this profile
        does not declare, sorted."""
        if self.opcodes is None or data is None:
            return ()
        used = _hex_stream_opcodes(data) if isinstance(data, str) else stream_opcodes(bytes(data))
        return tuple(sorted(used - self.opcodes)) if not used <= self.opcodes else ()

    def is_clean(self, answer):
        """Whether a rejected answer is one of the clean rejections this profile names."""
        names = [answer.get("exception")] + list(answer.get("exception_bases") or ())
        return any(isinstance(n, str) and n in self.clean_exceptions for n in names)


@functools.lru_cache(maxsize=16384)
def stream_opcodes(data):
    """The names of the opcodes a stream holds (RAW bytes name none)."""
    return frozenset(ins.op.name for ins in asm.read_instructions(data) if ins.op is not None)


@functools.lru_cache(maxsize=16384)
def _hex_stream_opcodes(text):
    """stream_opcodes of a stream given as hex, as the checks hold it: every
    consumer of a run is asked about the same streams."""
    return stream_opcodes(bytes.fromhex(text))


def _protocols(hello, field, problems):
    value = hello.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or any(
            isinstance(p, bool) or not isinstance(p, int) or p not in PROTOCOLS for p in value):
        problems.append("hello '%s' must be a list of protocols 0-5, got %r" % (field, value))
        return frozenset()
    return frozenset(value)


def _names(hello, field, problems, known=None, required=False):
    value = hello.get(field)
    if value is None:
        if required:
            problems.append("hello lacks '%s'" % field)
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append("hello '%s' must be a list of names, got %r" % (field, value))
        return None
    if known is not None:
        unknown = [v for v in value if v not in known]
        if unknown:
            problems.append("hello '%s' has unknown %s (known: %s)" % (
                field, ", ".join(repr(v) for v in unknown), ", ".join(sorted(known))))
    return value


def read_profile(hello):
    """The Profile a hello declares; ProfileError listing what is missing or wrong."""
    problems = []
    for field in ("name", "implementation", "version", "kind"):
        if not isinstance(hello.get(field), str) or not hello.get(field):
            problems.append("hello lacks '%s'" % field if field not in hello else
                            "hello '%s' must be a non-empty string" % field)
    checks = _names(hello, "checks", problems, CHECK_KINDS, required=True)
    checks = frozenset(checks or ())
    if "checks" in hello and isinstance(hello["checks"], list) and not hello["checks"]:
        problems.append("hello 'checks' is empty: name at least one of %s" % ", ".join(CHECK_KINDS))
    load_protocols = _protocols(hello, "load_protocols", problems)
    dump_protocols = _protocols(hello, "dump_protocols", problems)
    reading = checks & READING
    if reading:
        if load_protocols is None:
            problems.append("hello lacks 'load_protocols' (required with %s)" % ", ".join(sorted(reading)))
        elif not load_protocols:
            problems.append("hello 'load_protocols' is empty, so every %s cell would be unsupported"
                            % "/".join(sorted(reading)))
    if "dump" in checks:
        if dump_protocols is None:
            problems.append("hello lacks 'dump_protocols' (required with dump)")
        elif not dump_protocols:
            problems.append("hello 'dump_protocols' is empty, so every dump cell would be unsupported")
    opcodes = hello.get("opcodes")
    if opcodes is None:
        if reading:
            problems.append("hello lacks 'opcodes' (\"all\" or a list of opcode names)")
    elif opcodes == "all":
        opcodes = None
    else:
        named = _names(hello, "opcodes", problems, OPCODE_NAMES)
        if named is not None and not named and reading:
            problems.append("hello 'opcodes' is empty, so every cell would be unsupported")
        opcodes = frozenset(named or ())
        if opcodes >= OPCODE_NAMES:
            opcodes = None  # every opcode: no stream needs reading for this
    model = _names(hello, "model", problems, PROJECTIONS, required=True)
    clean = _names(hello, "clean_exceptions", problems, required=bool(checks & {"load", "parse"}))
    readable_by = _names(hello, "readable_by", problems)
    for version in readable_by or ():
        parts = version.split(".")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            problems.append("hello 'readable_by' names %r: write CPython versions as X.Y" % version)
    if readable_by is not None and "dump" not in checks:
        problems.append("hello 'readable_by' applies to dumps, and 'checks' has no dump")
    scan_reports = hello.get("scan_reports", "all")
    if scan_reports not in SCAN_REPORTS:
        problems.append("hello 'scan_reports' must be one of %s, got %r" % (", ".join(SCAN_REPORTS),
                                                                              scan_reports))
    parse_faults = _names(hello, "parse_faults", problems, PARSE_FAULTS)
    if parse_faults is not None and "parse" not in checks:
        problems.append("hello 'parse_faults' applies to parse, and 'checks' has no parse")
    allowed = _names(hello, "allowed_globals", problems)
    for text in allowed or ():
        if text.count(":") != 1 or not all(text.split(":")):
            problems.append("hello 'allowed_globals' names %r: write each as MODULE:NAME" % text)
    policy = _names(hello, "policy_exceptions", problems)
    if (allowed is not None or policy is not None) and "load" not in checks:
        problems.append("hello 'allowed_globals' and 'policy_exceptions' apply to loads, "
                        "and 'checks' has no load")
    if problems:
        raise ProfileError("; ".join(problems))
    return Profile(checks=checks, load_protocols=load_protocols or frozenset(),
                   dump_protocols=dump_protocols or frozenset(), opcodes=opcodes,
                   model=tuple(model or ()), clean_exceptions=frozenset(clean or ()),
                   readable_by=tuple(readable_by or ()), scan_reports=scan_reports,
                   parse_faults=frozenset(parse_faults) if parse_faults is not None else None,
                   allowed_globals=frozenset(allowed) if allowed is not None else None,
                   policy_exceptions=frozenset(policy or ()))
