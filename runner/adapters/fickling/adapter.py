"""fickling: ``fickling.loads`` (its safety analysis, then pickle.loads) as load;
its own parser and symbolic interpreter (``Pickled.load`` then
``Interpreter.to_ast``) as parse."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import kit  # noqa: E402

# fickling's interpreter has no FLOAT and none of protocol 5's opcodes.
OPCODES = kit.opcodes_up_to(4, without=["FLOAT"])


def make(variant):
    import fickling
    from fickling.fickle import Interpreter, Pickled

    version = kit.version_of("fickling")
    hello = {"name": "fickling-" + variant, "implementation": "fickling", "version": version,
             "kind": variant, "library": "fickling %s on Python %d.%d" % ((version,) + sys.version_info[:2]),
             "load_protocols": [0, 1, 2, 3, 4, 5]}
    if variant == "loads":
        # What it refuses as unsafe is UnsafeFileError (its policy: a global
        # outside the standard library, or one it rates unsafe, is refused);
        # what passes is read by pickle.loads.
        hello.update(opcodes="all", load_options=["encoding", "errors", "fix_imports", "buffers"],
                     policy_exceptions=["UnsafeFileError"],
                     clean_exceptions=["UnsafeFileError", "PickleDecodeError", "UnpicklingError",
                                       "EOFError", "ValueError", "MemoryError", "ImportError",
                                       "AttributeError"])
        return kit.Adapter(hello, load=lambda data, options: fickling.loads(data, **kit.load_kwargs(options)))

    def parse(data):
        Interpreter(Pickled.load(data)).to_ast()

    hello.update(opcodes=OPCODES, clean_exceptions=["PickleDecodeError", "ResourceExhaustionError"])
    return kit.Adapter(hello, parse=parse)


kit.main(make)
