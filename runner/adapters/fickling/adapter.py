"""fickling: ``fickling.loads`` (its safety analysis, then pickle.loads) as load;
its own parser and symbolic interpreter (``Pickled.load`` then
``Interpreter.to_ast``) as parse."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import kit  # noqa: E402

# fickling's interpreter has no FLOAT and none of protocol 5's opcodes, and
# its PERSID has no run() ("TODO: Add support for Pickle opcode PERSID").
OPCODES = kit.opcodes_up_to(4, without=["FLOAT", "PERSID"])


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
        # Its analysis runs the same interpreter first, so loads lacks its opcodes too
        # (NotImplementedError "TODO: Add support for Opcode FLOAT").
        hello.update(opcodes=OPCODES, load_options=["encoding", "errors", "fix_imports", "buffers"],
                     policy_exceptions=["UnsafeFileError"],
                     clean_exceptions=["UnsafeFileError", "PickleDecodeError", "UnpicklingError",
                                       "EOFError", "ValueError", "MemoryError", "ImportError",
                                       "AttributeError"])
        return kit.Adapter(hello, load=lambda data, options: fickling.loads(data, **kit.load_kwargs(options)))

    def parse(data):
        Interpreter(Pickled.load(data)).to_ast()

    # Its interpreter is made to go on through a malformed stack, to analyse
    # what an attack leaves ("returning empty AST to continue analysis"): it
    # checks the opcodes and their arguments, not the stack and the memo.
    hello.update(opcodes=OPCODES, clean_exceptions=["PickleDecodeError", "ResourceExhaustionError"],
                 parse_faults=["truncated", "unknown-opcode", "bad-argument"])
    return kit.Adapter(hello, parse=parse)


kit.main(make)
