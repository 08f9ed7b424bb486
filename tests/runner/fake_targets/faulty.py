"""A target that misbehaves on request, for the fault-isolation tests.

It speaks runner/PROTOCOL.md and loads nothing: a load answers the int 1,
unless the stream holds one of these words, when it does what the word says:

- ``crash``: writes a last word on stderr and exits with status 3;
- ``abort``: kills itself with SIGABRT;
- ``hang``: never answers;
- ``garbage``: writes a line that is not JSON;
- ``badjson``: writes a line that looks like an answer but is not JSON;
- ``wrongid``: answers with an id that was not asked;
- ``memory``: allocates (and touches) 4 GiB, beyond the runner's limit;
- ``slow``: sleeps 0.2 seconds first.

Options: ``--no-pipeline`` leaves pipeline out of the hello; ``--hello-fails``
answers the hello with ok false; ``--die-at-start`` exits at once;
``--pid-file PATH`` starts a child that sleeps for an hour (as an adapter's
helper process would) and appends both process ids to PATH.
"""

import json
import os
import signal
import subprocess
import sys
import time


def main(argv):
    if "--die-at-start" in argv:
        sys.stderr.write("faulty: refusing to start\n")
        return 4
    if "--pid-file" in argv:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        with open(argv[argv.index("--pid-file") + 1], "a") as f:
            f.write("%d\n%d\n" % (os.getpid(), child.pid))
    out = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        answer = answer_to(request, argv)
        if answer is None:
            continue
        answer["id"] = -1 if answer.pop("id_override", False) else request.get("id")
        out.write(json.dumps(answer) + "\n")
        out.flush()
    return 0


def answer_to(request, argv):
    op = request.get("op")
    if op == "hello":
        if "--hello-fails" in argv:
            return {"ok": False, "kind": "unsupported", "message": "faulty: the hello fails on purpose"}
        hello = {"ok": True, "name": "faulty", "implementation": "faulty", "version": "1",
                 "kind": "fake", "producer": None, "dump_protocols": [],
                 "load_protocols": [0, 1, 2, 3, 4, 5], "load_options": [],
                 "checks": ["load"], "opcodes": "all", "model": [],
                 "clean_exceptions": ["UnpicklingError"]}
        if "--no-pipeline" not in argv:
            hello["pipeline"] = True
        return hello
    if op != "load":
        return {"ok": False, "kind": "unsupported", "message": "faulty only loads"}
    data = bytes.fromhex(request["data"])
    if b"crash" in data:
        sys.stderr.write("faulty: crashing on purpose\n")
        sys.stderr.flush()
        os._exit(3)
    if b"abort" in data:
        os.kill(os.getpid(), signal.SIGABRT)
    if b"hang" in data:
        time.sleep(3600)
    if b"garbage" in data:
        sys.stdout.write("this is not JSON\n")
        sys.stdout.flush()
        return None
    if b"badjson" in data:
        sys.stdout.write('{"id": %d, "ok": tru}\n' % request.get("id"))
        sys.stdout.flush()
        return None
    if b"wrongid" in data:
        return {"ok": True, "object": {"type": "int", "value": "1"}, "id_override": True}
    if b"memory" in data:
        hog = bytearray(4 << 30)
        hog[::4096] = b"x" * len(hog[::4096])
    if b"slow" in data:
        time.sleep(0.2)
    return {"ok": True, "object": {"type": "int", "value": "1"}}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
