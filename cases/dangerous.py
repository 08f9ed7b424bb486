"""The globals no check may ever resolve for real: the one list.

Cases of the scanner-bypass families name real dangerous callables
(``os.system``, ``builtins.eval``, ...), because a scanner is judged on
whether it reports them.  No check executes them: a case whose stream
resolves one carries the tag ``dangerous`` and the load option
``allow_globals`` listing none of them, so every reader that honours the
option refuses the global before importing anything, and a reader that does
not declare the option is never sent the stream (cases/README.md,
"Dangerous cases").  The case linter (`picklespec.cases.corpus`) enforces
that with this list, and runner/worker.py refuses these names in every load
that is not a recording, as a second lock.

A global is dangerous when its module is one of `MODULES` (any name in it:
``os.system``, ``subprocess.Popen``), when it is one of `NAMES`, or when a
dotted name walks through one of `ATTRIBUTES` (``getattr.__self__.eval``).
`EXECUTORS` are the ones that run code or commands given as arguments; a
dangerous case calls them, and anything computed at load time, with no
arguments, so that even a reader that ignored the option would only raise
TypeError.

This file is imported by the worker under every interpreter (CPython 2.7,
3.6+, PyPy): it is written in the subset of Python they share.
"""

# Not listed: Python 2's input(), which evaluates what it reads, since
# Python 3 pickles builtins.input below protocol 3 as __builtin__.input
# (dump/global.yaml's global-builtin-input): resolving it runs nothing, and
# a check never calls what a dump case names.
MODULES = frozenset([
    "os", "posix", "nt", "subprocess", "runpy", "importlib", "pty", "shutil", "socket",
    "ctypes", "commands", "popen2", "webbrowser", "code", "codeop", "pdb", "multiprocessing",
    "asyncio", "_posixsubprocess", "_winapi", "marshal",
])

NAMES = frozenset([
    "builtins:eval", "builtins:exec", "builtins:compile", "builtins:__import__",
    "builtins:open", "builtins:breakpoint",
    "__builtin__:eval", "__builtin__:execfile", "__builtin__:compile",
    "__builtin__:__import__", "__builtin__:open", "__builtin__:file",
    "sys:modules", "sys:settrace", "sys:setprofile",
    "pickle:loads", "pickle:load", "pickle:_loads", "pickle:_load", "_pickle:loads",
    "_pickle:load", "cPickle:loads", "cPickle:load",
])

# Attributes that lead from a harmless global to a dangerous one along a
# dotted path (PROTO 4 names: builtins getattr.__self__.eval).
ATTRIBUTES = frozenset([
    "system", "popen", "Popen", "eval", "exec", "compile", "__import__", "__builtins__",
    "__globals__", "__self__", "__subclasses__", "modules", "_run_code", "import_module",
])

EXECUTORS = frozenset([
    "os:system", "posix:system", "nt:system", "os:popen", "os:execv", "os:execvp",
    "os:spawnv", "os:spawnlp", "posix:execv", "subprocess:Popen", "subprocess:run",
    "subprocess:call", "subprocess:check_call", "subprocess:check_output",
    "subprocess:getoutput", "builtins:eval", "builtins:exec", "builtins:compile",
    "__builtin__:eval", "__builtin__:execfile", "__builtin__:compile",
    "runpy:_run_code", "runpy:run_path", "runpy:run_module", "pty:spawn",
    "commands:getoutput", "code:InteractiveInterpreter.runsource",
])


# Plain data types that live in a dangerous module: their constructors run
# nothing (os.stat_result is a structseq; dump/methods.yaml pickles one).
HARMLESS = frozenset(["os:stat_result", "posix:stat_result", "os:terminal_size",
                      "posix:terminal_size"])


def is_dangerous(module, name):
    """Whether find_class(module, name) would reach a dangerous global."""
    if "%s:%s" % (module, name) in HARMLESS:
        return False
    top = module.split(".", 1)[0]
    path = name.split(".")
    return (top in MODULES or ("%s:%s" % (module, path[0])) in NAMES
            or any(part in ATTRIBUTES for part in path[1:]))


def is_executor(module, name):
    """Whether the global runs code or commands it is given."""
    return "%s:%s" % (module, name) in EXECUTORS
