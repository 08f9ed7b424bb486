"""The standard library's pickletools: ``dis`` and ``genops`` as parsers
(dis also checks the stack, the memo and the marks; genops only decodes
opcodes and their arguments), ``optimize`` as a transform."""
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import kit  # noqa: E402


def make(variant):
    import pickle
    import pickletools

    python = "%d.%d.%d" % sys.version_info[:3]
    hello = {"name": "pickletools-" + variant, "implementation": "pickletools", "version": python,
             "kind": variant, "library": "pickletools.%s of Python %s" % (variant, python),
             "load_protocols": list(range(pickle.HIGHEST_PROTOCOL + 1)), "opcodes": "all",
             # its documented error for a bad stream; anything else escaping is not clean
             "clean_exceptions": ["ValueError"]}
    if variant == "dis":
        # dis reads any PROTO number (it is not tied to one pickle version)
        hello["parse_faults"] = ["truncated", "unknown-opcode", "bad-argument", "stack", "memo"]
        # indentlevel=0: the listing is thrown away, and indenting it one
        # step per open MARK is quadratic in a stream of nested MARKs
        return kit.Adapter(hello, parse=lambda data: pickletools.dis(data, out=io.StringIO(),
                                                                     indentlevel=0))
    if variant == "genops":
        # genops keeps no stack and no memo
        hello["parse_faults"] = ["truncated", "unknown-opcode", "bad-argument"]
        return kit.Adapter(hello, parse=lambda data: list(pickletools.genops(data)))
    return kit.Adapter(hello, transform=pickletools.optimize)


kit.main(make)
