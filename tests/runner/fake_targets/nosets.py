"""Two targets that differ on one opcode, for the fuzzer's tests.

``nosets.py plain`` is the pure-Python unpickler behind picklespec's own
worker; ``nosets.py nosets`` is the same but refuses EMPTY_SET (an
UnpicklingError), so the two disagree exactly when an EMPTY_SET is executed
and the plain one goes on to load the stream.  Every rejection is reported
clean, so how cleanly pickle.py fails elsewhere is no difference between them.
The smallest stream on which they disagree is EMPTY_SET STOP, b'\\x8f.'.
"""

import pickle
import sys

from picklespec.runner import worker


class NoSets(pickle._Unpickler):
    dispatch = dict(pickle._Unpickler.dispatch)

    def load_empty_set(self):
        raise pickle.UnpicklingError("this unpickler has no sets")

    dispatch[pickle.EMPTY_SET[0]] = load_empty_set


def main(variant):
    unpickler = NoSets if variant == "nosets" else pickle._Unpickler
    worker.implementation = lambda kind: (pickle._Pickler, unpickler, "fake " + variant)
    worker._clean_rejections = lambda: (Exception,)
    real_hello = worker.hello

    def hello(kind, request):
        answer = real_hello(kind)
        answer.update(name="fake-" + variant, producer=None, implementation="fake")
        return answer

    worker.HANDLERS["hello"] = hello
    return worker.main(["worker.py", "py"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
