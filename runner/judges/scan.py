"""The scan judge: which globals a scanner says a stream would import and call.

``scan``
    on every stream CPython loads -- an accept case's, a dump case's
    canonical one -- the scanner's ``finds`` (and ``calls``, unless it
    answers null) are held to the ground truth: the case's recorded
    ``finds``/``calls`` when the corpus has them, else what this
    interpreter's C unpickler asks ``find_class`` for, recorded with inert
    stand-ins (cases/recording.py, as ``picklespec cases regen`` records
    the corpus).  A global the scanner missed fails the cell,
    and so does a *false alarm*, a global it reports that CPython never
    resolves.  A scanner that reports only what it deems unsafe
    (``scan_reports: "unsafe"``) is held to the globals in `UNSAFE` (and
    to false alarms); the rest it may leave out.  Names compare as the
    stream writes them or as Python 3's fix_imports maps them
    (``__builtin__:eval`` is ``builtins:eval``).  A malformed stream (a
    reject case) is held to what CPython imports before refusing it: a
    scanner may refuse it too, unless CPython imported a global it must
    report first (refusing ``os:system``, then failing, reports nothing of
    the import that ran); so may an implementation-defined one, which some
    CPython refuses; reporting more than CPython imports from it is
    caution, not a false alarm; and it is held only to the globals every
    recorded CPython imports from it (the case's ``finds`` and those of its
    ``scan-variants`` in common).  A global the stream names only by an
    extension code (EXT1, EXT2, EXT4) is the loading process's copyreg
    registry, not the stream's: a scanner is neither held to it nor faulted
    for it.  The Result carries the
    lists (`missed`, `false_alarms`), which the findings report adds up per
    scanner.
"""

from picklespec.cases import recording

from ..results import Result
from .common import Call, failure, is_failure, not_read, what

__all__ = ["check_scan", "ground_truth", "UNSAFE", "is_unsafe"]

# Globals that run code, touch the system or reach arbitrary attributes:
# a scanner that reports only unsafe globals must report these.
UNSAFE_MODULES = frozenset({"os", "posix", "nt", "subprocess", "sys", "runpy", "pty", "socket",
                            "shutil", "webbrowser", "importlib", "ctypes", "code", "codeop",
                            "commands", "popen2", "pickle", "_pickle", "cPickle", "marshal",
                            "multiprocessing", "asyncio"})
# Only what runs code or reaches it by itself: a wrapper such as
# functools.partial, or types.SimpleNamespace, does nothing a scanner must
# flag unless what it is given is itself flagged.
UNSAFE = frozenset({"builtins:eval", "builtins:exec", "builtins:compile", "builtins:open",
                    "builtins:getattr", "builtins:setattr", "builtins:__import__",
                    "builtins:globals", "builtins:locals", "builtins:breakpoint",
                    "builtins:execfile", "builtins:apply", "builtins:file",
                    "operator:attrgetter", "operator:methodcaller",
                    "types:FunctionType", "types:CodeType"})


def _names(text):
    """A "MODULE:NAME" and its fix_imports form."""
    from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

    module, _, name = text.partition(":")
    out = {text}
    if (module, name) in NAME_MAPPING:
        out.add("%s:%s" % NAME_MAPPING[module, name])
    elif module in IMPORT_MAPPING:
        out.add("%s:%s" % (IMPORT_MAPPING[module], name))
    return out


def is_unsafe(text):
    return any(n in UNSAFE or n.partition(":")[0].split(".")[0] in UNSAFE_MODULES for n in _names(text))


def ground_truth(prep, data):
    """(finds, calls) CPython gives a stream, or a str saying why there are none."""
    case = prep.case
    key = bytes(data)
    if key in prep.truth:
        return prep.truth[key]
    if getattr(case, "finds", None) is not None and bytes(data) == (case.data or b""):
        truth = (list(case.finds), list(getattr(case, "calls", None) or []))
        if case.classification in ("reject", "implementation-defined"):
            truth = _shared(truth, getattr(case, "scan_variants", None) or ())
    else:
        options = dict(case.load_options or {})
        # a dump case's sequence is a dump option: its stream holds every pickle
        sequence = options.pop("sequence", None) is True or case.options.get("sequence") is True
        options.pop("allow_globals", None)  # the recorder takes find_class's place
        found = recording.record(bytes(data), sequence=sequence, **options)
        if found.exception is None:
            truth = (found.finds, found.calls)
        else:
            # A load that stops with stand-ins may stop where the real one
            # would not; only a recorded case says what a failing stream
            # resolves (reviewed with every producer by cases regen).
            truth = "CPython's unpickler does not load it with stand-ins: %s: %s" % (
                type(found.exception).__name__, found.exception)
    prep.truth[key] = truth
    return truth


def _shared(truth, variants):
    """What every recorded CPython asks of a malformed stream: the case's own
    (finds, calls) less what some scan variant's unpickler does not ask (2.7
    refuses PROTO 4 before any global; pickle.py stops elsewhere than
    _pickle).  A scanner reading a stream CPythons handle differently is held
    only to the globals all of them import."""
    finds, calls = truth
    for variant in variants:
        finds = [f for f in finds if f in (variant.finds or ())]
        calls = [c for c in calls if c in (variant.calls or ())]
    return finds, calls


def _compare(truth, said, unsafe_only):
    """(missed, false alarms) of a scanner's list against the truth, each sorted."""
    said_names = set()
    for text in said:
        said_names |= _names(text)
    truth_names = set()
    for text in truth:
        truth_names |= _names(text)
    missed = sorted({t for t in truth if not (_names(t) & said_names)
                     and (not unsafe_only or is_unsafe(t))})
    alarms = sorted({s for s in said if not (_names(s) & truth_names)})
    return missed, alarms


def check_scan(prep, target, out, protocol=None, data=None):
    """The scan cell of a load case, or (with protocol and data) of a dump case's stream.

    A stream with no ground truth (not recorded, and not loadable with
    stand-ins) is a skip, never a pass."""
    case = prep.case
    data = case.data if data is None else data
    base = dict(case=case.id, target=target.name, protocol=protocol, check="scan")
    why = not_read(target, data, case.protocol if protocol is None else protocol)
    if why:
        out.append(Result(outcome="unsupported", message=why, **base))
        return
    truth = ground_truth(prep, data)
    if isinstance(truth, str):
        out.append(Result(outcome="skip", message="no ground truth: " + truth, **base))
        return
    answer = yield Call(target, prep.data_text("scan", data))
    # A malformed stream, or one CPythons differ on (implementation-defined),
    # may be refused.
    out.append(_judge(truth, target, answer, base,
                      case.classification in ("reject", "implementation-defined"),
                      _by_extension(data)))


def _listed(value):
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _by_extension(data):
    """The globals a stream names only by an extension code ("module:name"):
    which global a code stands for is the loading process's copyreg
    registry, which no scanner of the stream can know (a process registers
    none by default; picklespec's fixtures register three)."""
    import copyreg

    from picklespec.cases import fixtures  # noqa: F401  (registers the fixtures' three codes)
    from picklespec.reference import asm

    data = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
    names = set()
    for ins in asm.read_instructions(data):
        if ins.op is not None and ins.op.name in ("EXT1", "EXT2", "EXT4") and ins.value in \
                copyreg._inverted_registry:
            names.add("%s:%s" % copyreg._inverted_registry[ins.value])
    return names


def _unknowable(names, by_extension):
    """names less those only an extension code named (plain or as "call X")."""
    return [n for n in names if n.split(" ", 1)[-1] not in by_extension]


def _judge(truth, target, answer, base, malformed=False, by_extension=frozenset()):
    if is_failure(answer):
        return failure({k: v for k, v in base.items() if k != "check"}, "scan", answer)
    word, detail = what(answer, target)
    if word == "unsupported":
        return Result(outcome="unsupported", message=detail, **base)
    if word == "adapter":
        return Result(outcome="protocol-error", message=detail, **base)
    finds, calls = truth
    expected = "finds: %s\ncalls: %s\n" % (", ".join(finds) or "-", ", ".join(calls) or "-")
    unsafe_only = target.profile.scan_reports == "unsafe"
    if word != "ok" and malformed:
        # A malformed stream may be refused, as long as nothing CPython
        # imports before it fails goes unreported.
        missed = _unknowable(_compare(finds, [], unsafe_only)[0], by_extension)
        if not missed:
            return Result(outcome="pass", message="refused a malformed stream: %s" % detail, **base)
        result = Result(outcome="fail", message="refused a malformed stream without reporting %s, "
                        "which CPython imports before refusing it: %s" % (", ".join(missed), detail),
                        expected=expected, **base)
        result.missed = missed
        return result
    if word != "ok":
        result = Result(outcome="fail", message="refused a stream CPython loads: %s" % detail,
                        expected=expected, **base)
        result.missed = sorted(set(finds))
        return result
    said_finds, said_calls = answer.get("finds"), answer.get("calls")
    if not _listed(said_finds) or not (said_calls is None or _listed(said_calls)):
        return Result(outcome="protocol-error", message="a scan answer needs 'finds' (a list of "
                      "\"MODULE:NAME\") and 'calls' (a list or null)", **base)
    missed, alarms = _compare(finds, said_finds, unsafe_only)
    if said_calls is not None:
        missed_calls, call_alarms = _compare(calls, said_calls, unsafe_only)
        missed += ["call " + c for c in missed_calls]
        alarms += ["call " + c for c in call_alarms]
    missed, alarms = _unknowable(missed, by_extension), _unknowable(alarms, by_extension)
    if malformed:
        alarms = []  # more than CPython imports from a stream it refuses is caution
    if not missed and not alarms:
        return Result(outcome="pass", **base)
    parts = []
    if missed:
        parts.append("missed %s" % ", ".join(missed))
    if alarms:
        parts.append("false alarm%s %s" % ("s" if len(alarms) > 1 else "", ", ".join(alarms)))
    actual = "finds: %s\ncalls: %s\n" % (", ".join(said_finds) or "-", "not reported" if said_calls
                                         is None else ", ".join(said_calls) or "-")
    result = Result(outcome="fail", message="; ".join(parts), expected=expected, actual=actual, **base)
    result.missed, result.false_alarms = missed or None, alarms or None
    return result
