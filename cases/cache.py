"""The compiled corpus, cached per case file by content hash.

Theory of operation
-------------------
Reading a case file -- parsing its YAML in the object notation, assembling
every stream, checking every field -- costs far more than the checks of a
short run need.  What it produces depends only on the file's bytes, its path
(a case records its file, and its folder is its classification), the code
that compiles cases and the interpreter running it.  So `load_corpus`
(cases/corpus.py) asks `CorpusCache.get` for each file first, and stores what
`read_file` made with `CorpusCache.put` on a miss.

An entry's key is the SHA-256 of, in order: the `salt` -- the cache format,
picklespec's version, the interpreter's version, and the bytes of every
source file that takes part in compiling a case (this package's modules,
tags.yaml, and the modules of picklespec.reference the reader imports) --
the file's absolute path, and the file's content.  Any edit to a case file,
or to the code reading it, is a miss; nothing is ever invalidated by hand.

The entries live in ``$PICKLESPEC_CACHE_DIR`` if set, else
``$XDG_CACHE_HOME/picklespec/corpus`` (``~/.cache/picklespec/corpus``).
``PICKLESPEC_CACHE_DIR=off`` (or ``PICKLESPEC_NO_CACHE=1``) turns the cache
off; so does ``load_corpus(paths, cache=False)``.

Why pickle, and why it is safe here
-----------------------------------
A compiled case is a graph of small objects (`Case`, `Variant`, producer
patterns, model values with their sharing); pickle keeps it whole and loads
it in a fraction of the YAML's time, where a JSON form would need a second
encoder for every one of those types.  The one identity pickle loses (ints
and floats are not memoized) is a dump case's result that is its object
(no `result` field): the entry lists those cases, and it is restored.  Unpickling data someone else wrote
runs their code, so an entry is trusted only when all of these hold, and is
otherwise ignored and rewritten (it is never an error, only a miss):

- the cache folder is a directory (not a symlink) owned by this user and
  writable by nobody else (0700 when created here), and the entry is a
  regular file owned by this user, writable by nobody else;
- the entry begins with the format line and its own key, and the SHA-256 of
  the pickle that follows matches the one it carries (a truncated or
  corrupt entry never reaches the unpickler);
- the unpickler resolves no global but the classes of picklespec's case and
  model modules and a few built-in types (`_ALLOWED`), so even a forged
  entry can build plain data only.

Entries are written to a temporary file in the folder and renamed into
place, readable by this user only.  A folder that cannot be made or written
costs the cache, never the run.  Old entries are not removed (each is a few
kilobytes; the folder may be deleted at any time).
"""

import hashlib
import io
import os
import pickle
import stat
import sys
import tempfile

__all__ = ["CorpusCache", "default_cache", "cache_dir", "salt", "FORMAT"]

FORMAT = b"picklespec-corpus-cache 2"
# The modules whose code decides what a case file compiles to.
_SOURCES = {
    "picklespec.cases": ("cache.py", "corpus.py", "notation.py", "producers.py", "dangerous.py",
                         "tags.yaml"),
    "picklespec.reference": ("asm.py", "model.py", "effects.py", "opcodes.py", "arguments.py",
                             "errors.py"),
}
# Globals an entry may name: (module, name) pairs, or module -> any class in it.
_ALLOWED_MODULES = ("picklespec.cases.corpus", "picklespec.cases.producers",
                    "picklespec.cases.notation", "picklespec.reference.model")
_ALLOWED = {("builtins", name) for name in ("set", "frozenset", "bytearray", "complex",
                                            "slice", "range")} | {("copyreg", "_reconstructor"),
                                                                 ("builtins", "object")}


def cache_dir():
    """The cache folder from the environment, or None when the cache is off."""
    if os.environ.get("PICKLESPEC_NO_CACHE", "") not in ("", "0"):
        return None
    chosen = os.environ.get("PICKLESPEC_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "none", "0") else chosen
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "picklespec", "corpus")


def _version():
    try:
        from importlib import metadata

        return metadata.version("picklespec")
    except Exception:  # running from a source tree that is not installed
        return "unknown"


_SALT = None


def salt():
    """The bytes every key starts from: format, versions, the compiling code."""
    global _SALT
    if _SALT is None:
        from picklespec.reference import model

        folders = {"picklespec.cases": os.path.dirname(os.path.abspath(__file__)),
                   "picklespec.reference": os.path.dirname(os.path.abspath(model.__file__))}
        digest = hashlib.sha256(FORMAT)
        digest.update(("|%s|%s|" % (_version(), sys.version)).encode())
        for package, names in sorted(_SOURCES.items()):
            folder = folders[package]
            for name in names:
                digest.update(name.encode() + b"\0")
                try:
                    with open(os.path.join(folder, name), "rb") as f:
                        digest.update(hashlib.sha256(f.read()).digest())
                except OSError:
                    digest.update(b"missing")
        _SALT = digest.digest()
    return _SALT


class _Restricted(pickle.Unpickler):
    """An unpickler that builds picklespec's case and model classes and plain data only."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED or (module in _ALLOWED_MODULES and "." not in name):
            value = super().find_class(module, name)
            if isinstance(value, type) or (module, name) in _ALLOWED:
                return value
        raise pickle.UnpicklingError("corpus cache: %s.%s is not allowed" % (module, name))


def _private(info):
    """Owned by this user and writable by no one else."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class CorpusCache:
    """Compiled case files under a folder, by key; see the module docstring."""

    def __init__(self, folder):
        self.folder = folder
        self.hits = self.misses = self.writes = 0
        self.rejected = []  # (entry path, why it was not trusted), for tests and `bench`
        self._usable = None

    def key(self, path, content):
        digest = hashlib.sha256(salt())
        digest.update(os.path.abspath(path).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(content)
        return digest.hexdigest()

    def _entry(self, key):
        return os.path.join(self.folder, key[:2], key + ".pickle")

    def _folder_ok(self, folder):
        try:
            info = os.lstat(folder)
        except OSError:
            return False
        return stat.S_ISDIR(info.st_mode) and _private(info)

    def get(self, path, content):
        """(cases, problems) as `read_file` made them, or None on a miss."""
        key = self.key(path, content)
        entry = self._entry(key)
        value = self._read(entry, key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def _read(self, entry, key):
        if not (self._folder_ok(self.folder) and self._folder_ok(os.path.dirname(entry))):
            return None
        try:
            fd = os.open(entry, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not (stat.S_ISREG(info.st_mode) and _private(info)):
                self.rejected.append((entry, "not a private regular file of this user"))
                return None
            with os.fdopen(fd, "rb", closefd=False) as f:
                raw = f.read()
        except OSError:
            return None
        finally:
            os.close(fd)
        header, _, payload = raw.partition(b"\n")
        parts = header.split(b" ")
        if len(parts) != 4 or b" ".join(parts[:2]) != FORMAT or parts[2] != key.encode() \
                or hashlib.sha256(payload).hexdigest().encode() != parts[3]:
            self.rejected.append((entry, "corrupt or foreign entry"))
            return None
        try:
            value = _Restricted(io.BytesIO(payload)).load()
        except Exception as exc:  # a forged entry: whatever the unpickler refused
            self.rejected.append((entry, "cannot load: %s" % exc))
            return None
        if not (isinstance(value, tuple) and len(value) == 3):
            self.rejected.append((entry, "not a (cases, problems, shared) triple"))
            return None
        cases, problems, shared = value
        try:
            for index in shared:
                case = cases[index][0]
                case.result = case.object
        except (TypeError, IndexError, AttributeError):
            self.rejected.append((entry, "its shared results do not fit its cases"))
            return None
        return cases, problems

    def put(self, path, content, cases, problems):
        """Store what read_file made; False (and the cache unused) when it cannot."""
        if self._usable is False:
            return False
        key = self.key(path, content)
        entry = self._entry(key)
        # A dump case without a result loads back to its object: the same
        # Python object, which pickle does not keep for ints and floats.
        shared = [i for i, (case, _) in enumerate(cases)
                  if case.result is case.object and case.object is not None]
        try:
            payload = pickle.dumps((cases, problems, shared), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # a value the notation made that pickle cannot keep
            return False
        try:
            for folder in (self.folder, os.path.dirname(entry)):
                os.makedirs(folder, mode=0o700, exist_ok=True)
                if not self._folder_ok(folder):
                    self._usable = False
                    return False
            fd, temporary = tempfile.mkstemp(dir=os.path.dirname(entry), suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(b"%s %s %s\n" % (FORMAT, key.encode(),
                                             hashlib.sha256(payload).hexdigest().encode()))
                    f.write(payload)
                os.replace(temporary, entry)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            self._usable = False
            return False
        self.writes += 1
        return True


def default_cache():
    """The cache the environment asks for, or None when it is off."""
    folder = cache_dir()
    return CorpusCache(folder) if folder else None
