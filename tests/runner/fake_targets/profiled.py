"""Small targets with known answers, for the profile and check-kind tests.

Each speaks runner/PROTOCOL.md and does one thing, named by its first
argument; what it answers is decided here, from pickletools and pickle
themselves, so a test knows every answer in advance:

- ``parser``: parse with pickletools.dis (refuses with ValueError);
- ``parser-accepts-all``: says every stream is well formed (a liar);
- ``scanner``: the GLOBAL / STACK_GLOBAL / INST names pickletools.genops
  shows (STACK_GLOBAL's from the two strings before it), calls null;
- ``scanner-blind``: finds nothing;
- ``scanner-paranoid``: finds ``os:system`` in everything (false alarms);
- ``scanner-unsafe``: reports only unsafe globals (``scan_reports: "unsafe"``):
  what the ``scanner`` finds in module ``os``;
- ``scanner-unsafe-blind``: says ``scan_reports: "unsafe"`` and finds nothing;
- ``optimizer``: pickletools.optimize;
- ``transform-constant``: answers the stream of the int 1 for every input (a liar);
- ``producer``: pickle.dumps of the case object (ints, str, lists only);
- ``producer-text``: protocol 0 text opcodes (INT) under a PROTO 2 header:
  neither identical nor equivalent, but readable;
- ``producer-wrong``: writes the int 2 for everything;
- ``tuples-as-lists``: loads with pickle, then answers every tuple as a list;
- ``unclean``: refuses every stream with the exception ``Oops`` (and claims,
  wrongly, ``"clean": true``);
- ``few-opcodes``: loads with pickle, declaring only PROTO, BININT1 and STOP;
- ``crash`` / ``hang``: exits / never answers on the first non-hello request
  (a loader; with ``--as-parser`` a parser);
- ``policy``: a loader that refuses every stream with ``Unsafe``, declared
  in ``policy_exceptions``;
- ``allowlist``: loads with pickle, declaring ``allowed_globals`` the
  globals given after ``--allow``;
- ``genops``: parse with pickletools.genops, declaring ``parse_faults``
  without ``stack`` and ``memo``;
- ``scanner-refuses``: a scanner of unsafe globals that refuses every stream;
- ``no-checks``: a hello without the profile fields;
- ``no-protocols``: declares load with no protocol.

The hello is the profile each needs; ``--readable-by X.Y`` adds readable_by.
"""

import io
import json
import os
import pickle
import pickletools
import sys
import time

MODE = sys.argv[1]
PARSE = {"parser", "parser-accepts-all", "genops"}
SCAN = {"scanner", "scanner-blind", "scanner-paranoid", "scanner-unsafe", "scanner-unsafe-blind",
        "scanner-refuses"}
TRANSFORM = {"optimizer", "transform-constant"}
PRODUCE = {"producer", "producer-text", "producer-wrong"}


def hello():
    answer = {"ok": True, "name": "fake-" + MODE, "implementation": "fake", "version": "1.0",
              "kind": MODE, "producer": None, "load_options": [], "pipeline": True,
              "model": [], "opcodes": "all", "clean_exceptions": ["ValueError", "UnpicklingError"],
              "load_protocols": [0, 1, 2, 3, 4, 5], "dump_protocols": []}
    if MODE in PARSE:
        answer["checks"] = ["parse"]
    elif MODE in SCAN:
        answer["checks"] = ["scan"]
        if MODE.startswith("scanner-unsafe"):
            answer["scan_reports"] = "unsafe"
    elif MODE in TRANSFORM:
        answer["checks"] = ["transform"]
    elif MODE in PRODUCE:
        answer.update(checks=["dump"], dump_protocols=[2], load_protocols=[])
        del answer["opcodes"]
    else:
        answer["checks"] = ["load"]
    if "--as-parser" in sys.argv:
        answer["checks"] = ["parse"]
    if MODE == "tuples-as-lists":
        answer["model"] = ["no-tuple"] if "--no-tuple" in sys.argv else []
    if MODE == "scanner-refuses":
        answer["scan_reports"] = "unsafe"
    if MODE == "policy":
        answer["policy_exceptions"] = ["Unsafe"]
        answer["clean_exceptions"].append("Unsafe")
    if MODE == "allowlist":
        answer["allowed_globals"] = sys.argv[sys.argv.index("--allow") + 1:]
    if MODE == "genops":
        answer["parse_faults"] = ["truncated", "unknown-opcode", "bad-argument"]
    if MODE == "few-opcodes":
        answer["opcodes"] = ["PROTO", "BININT1", "STOP"]
    if MODE == "no-checks":
        answer = {"ok": True, "name": "fake-no-checks", "implementation": "fake", "version": "1",
                  "kind": "x", "load_protocols": [0, 1, 2]}
    if MODE == "no-protocols":
        answer["load_protocols"] = []
    if "--readable-by" in sys.argv:
        answer["readable_by"] = [sys.argv[sys.argv.index("--readable-by") + 1]]
    return answer


def _globals(data):
    finds, strings = [], []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST"):
            finds.append(arg.replace(" ", ":", 1))
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            finds.append("%s:%s" % (strings[-2], strings[-1]))
        if isinstance(arg, str):
            strings.append(arg)
    return finds


def _lists(value):
    if isinstance(value, tuple):
        return [_lists(v) for v in value]
    if isinstance(value, list):
        return [_lists(v) for v in value]
    return value


def _tagged(value):
    if isinstance(value, bool) or value is None:
        raise ValueError("not needed here")
    if isinstance(value, int):
        return {"type": "int", "value": str(value)}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, list):
        return {"type": "list", "items": [_tagged(v) for v in value]}
    if isinstance(value, tuple):
        return {"type": "tuple", "items": [_tagged(v) for v in value]}
    raise ValueError("no tagged form here for %r" % type(value).__name__)


def _untagged(doc):
    kind = doc["type"]
    if kind == "int":
        return int(doc["value"])
    if kind == "str":
        return doc["value"]
    if kind in ("list", "tuple"):
        items = [_untagged(d) for d in doc["items"]]
        return items if kind == "list" else tuple(items)
    raise ValueError("no %s here" % kind)


def _text_opcodes(value):
    if isinstance(value, int):
        return b"I%d\n" % value
    if isinstance(value, list):
        return b"(l" + b"".join(_text_opcodes(v) + b"a" for v in value)
    raise ValueError("only ints and lists")


def answer_to(request):
    op = request.get("op")
    if op == "hello":
        return hello()
    if MODE == "crash":
        os._exit(3)
    if MODE == "hang":
        time.sleep(3600)
    data = bytes.fromhex(request.get("data", ""))
    try:
        if op == "parse" and MODE in PARSE:
            if MODE == "parser":
                pickletools.dis(data, out=io.StringIO())
            elif MODE == "genops":
                list(pickletools.genops(data))
            return {"ok": True}
        if op == "scan" and MODE == "scanner-refuses":
            raise ValueError("refused")
        if op == "scan" and MODE in SCAN:
            finds = {"scanner": _globals, "scanner-blind": lambda d: [],
                     "scanner-paranoid": lambda d: ["os:system"],
                     "scanner-unsafe": lambda d: [g for g in _globals(d) if g.startswith("os:")],
                     "scanner-unsafe-blind": lambda d: []}[MODE](data)
            return {"ok": True, "finds": finds, "calls": None}
        if op == "transform" and MODE in TRANSFORM:
            out = pickletools.optimize(data) if MODE == "optimizer" else pickle.dumps(1, 2)
            return {"ok": True, "data": out.hex()}
        if op == "dump" and MODE in PRODUCE:
            value = _untagged(request["object"])
            if MODE == "producer":
                out = pickle.dumps(value, request["protocol"])
            elif MODE == "producer-text":
                out = b"\x80\x02" + _text_opcodes(value) + b"."
            else:
                out = pickle.dumps(2, 2)
            return {"ok": True, "data": out.hex()}
        if op == "load" and MODE not in PARSE | SCAN | TRANSFORM | PRODUCE:
            if MODE == "policy":
                return {"ok": False, "kind": "rejected", "exception": "Unsafe", "message": "Unsafe: no"}
            if MODE == "unclean":
                return {"ok": False, "kind": "rejected", "exception": "Oops", "message": "Oops: no",
                        "clean": True}
            value = pickle.loads(data)
            return {"ok": True, "object": _tagged(_lists(value) if MODE == "tuples-as-lists" else value)}
    except Exception as exc:
        return {"ok": False, "kind": "rejected", "exception": type(exc).__name__,
                "exception_bases": [c.__name__ for c in type(exc).__mro__[1:]],
                "message": "%s: %s" % (type(exc).__name__, exc)}
    return {"ok": False, "kind": "unsupported", "message": "fake-%s does not %s" % (MODE, op)}


def main():
    for line in sys.stdin:
        request = json.loads(line)
        answer = answer_to(request)
        answer["id"] = request.get("id")
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
