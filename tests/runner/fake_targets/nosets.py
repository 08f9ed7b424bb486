"""Two targets that differ on one opcode, for the fuzzer's tests.

``nosets.py plain`` is the pure-Python unpickler behind picklespec's own
worker; ``nosets.py nosets`` is the same but refuses EMPTY_SET (an
UnpicklingError), so the two disagree exactly when an EMPTY_SET is executed
and the plain one goes on to load the stream.  Every rejection is reported
clean, so how cleanly pickle.py fails elsewhere is no difference between them,
and every persistent id loads as 0.
The smallest stream on which they disagree is EMPTY_SET STOP, b'\\x8f.'.
``nosets.py nomemo`` loads as ``plain`` does but dumps without a memo
(pickle.py's fast mode), so its dumps differ where ``plain`` memoizes.
"""

import pickle
import sys

from picklespec.runner import worker


class NoSets(pickle._Unpickler):
    dispatch = dict(pickle._Unpickler.dispatch)

    def load_empty_set(self):
        raise pickle.UnpicklingError("this unpickler has no sets")

    dispatch[pickle.EMPTY_SET[0]] = load_empty_set


class NoMemo(pickle._Pickler):
    """A pickler in fast mode: no memo, so nothing shared is written once."""

    def __init__(self, *args, **kwargs):
        pickle._Pickler.__init__(self, *args, **kwargs)
        self.fast = True


def main(variant):
    unpickler = NoSets if variant == "nosets" else pickle._Unpickler
    pickler = NoMemo if variant == "nomemo" else pickle._Pickler
    worker.implementation = lambda kind: (pickler, unpickler, "fake " + variant)
    worker._clean_rejections = lambda: (Exception,)
    # any persistent id loads as 0, so no result is undescribable (a class as
    # an id would be, and that would be a second difference between the two)
    worker._persistent_load = lambda pid: 0
    real_hello = worker.hello

    def hello(kind, request):
        answer = real_hello(kind)
        answer.update(name="fake-" + variant, producer=None, implementation="fake")
        return answer

    worker.HANDLERS["hello"] = hello
    return worker.main(["worker.py", "py"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
