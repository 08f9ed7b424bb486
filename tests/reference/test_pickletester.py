"""CPython's own pickle tests, run against the reference.

The running interpreter's `test.pickletester` -- imported from its standard
library, never copied here -- holds the abstract test classes that
`Lib/test/test_pickle.py` runs against `_pickle` and `pickle.py`.  This
module runs the same classes against the reference, exactly as test_pickle
runs them against the C implementation: the reference's Pickler/Unpickler on
their own, each against CPython's C counterpart, and the module-level
functions.  The reference is held to the C implementation's error classes
(`bad_stack_errors` and `truncated_errors` are UnpicklingError alone: a stack
fault is never an IndexError here).

The tests the reference fails on purpose are listed, each with the reason and
the tracker issue, in `picklespec.reference.deviations`; they are run as strict xfails, so a deviation that stops
deviating fails the run until it is taken off the list.
"""

import collections
import io
import pickle
import sys
import unittest

import pytest

from picklespec.reference import deviations
from picklespec.reference import pickler as reference_pickler
from picklespec.reference import unpickler as reference_unpickler

try:
    from test import pickletester as PT
except ImportError as exc:  # a Python built without its test package
    pytest.skip("this interpreter ships no test.pickletester (%s)" % exc, allow_module_level=True)

import _pickle

RefPickler = reference_pickler.Pickler
RefUnpickler = reference_unpickler.Unpickler


def _abstract(name):
    """The abstract class NAME of this interpreter's pickletester, or a stand-in
    base that makes the concrete class below collect nothing where this
    version has no such class (AbstractPicklingErrorTests is 3.13+)."""
    return getattr(PT, name, None)


def _concrete(name, abstract, attrs):
    base = _abstract(abstract)
    if base is None:
        return None
    return type(name, (base, unittest.TestCase), dict(attrs, __module__=__name__))


def _dumps_with(pickler_class):
    def dumps(self, arg, proto=None, **kwargs):
        f = io.BytesIO()
        pickler_class(f, proto, **kwargs).dump(arg)
        return f.getvalue()
    return dumps


def _loads_with(unpickler_class):
    def loads(self, buf, **kwds):
        return unpickler_class(io.BytesIO(buf), **kwds).load()
    return loads


STRICT = {"bad_stack_errors": (pickle.UnpicklingError,),
          "truncated_errors": (pickle.UnpicklingError,)}

CLASSES = [
    _concrete("RefPickleModuleTests", "AbstractPickleModuleTests", {
        "dump": staticmethod(reference_pickler.dump),
        "dumps": staticmethod(reference_pickler.dumps),
        "load": staticmethod(reference_unpickler.load),
        "loads": staticmethod(reference_unpickler.loads),
        "Pickler": RefPickler,
        "Unpickler": RefUnpickler,
    }),
    _concrete("RefUnpicklerTests", "AbstractUnpickleTests", dict(
        STRICT, unpickler=RefUnpickler, loads=_loads_with(RefUnpickler))),
    _concrete("RefPicklingErrorTests", "AbstractPicklingErrorTests", {
        "pickler": RefPickler, "dumps": _dumps_with(RefPickler)}),
    _concrete("RefPicklerTests", "AbstractPickleTests", {
        "pickler": RefPickler, "unpickler": RefUnpickler,
        "dumps": _dumps_with(RefPickler), "loads": _loads_with(RefUnpickler)}),
    # Each direction against CPython's C implementation, as test_pickle crosses
    # _pickle with pickle.py.
    _concrete("RefDumpCLoadTests", "AbstractPickleTests", {
        "pickler": RefPickler, "unpickler": _pickle.Unpickler,
        "dumps": _dumps_with(RefPickler), "loads": _loads_with(_pickle.Unpickler)}),
    _concrete("CDumpRefLoadTests", "AbstractPickleTests", {
        "pickler": _pickle.Pickler, "unpickler": RefUnpickler,
        "dumps": _dumps_with(_pickle.Pickler), "loads": _loads_with(RefUnpickler)}),
    _concrete("RefPicklerUnpicklerObjectTests", "AbstractPicklerUnpicklerObjectTests", {
        "pickler_class": RefPickler, "unpickler_class": RefUnpickler}),
    _concrete("RefDispatchTableTests", "AbstractDispatchTableTests", {
        "pickler_class": RefPickler,
        "get_dispatch_table": lambda self: pickle.dispatch_table.copy()}),
    _concrete("RefChainDispatchTableTests", "AbstractDispatchTableTests", {
        "pickler_class": RefPickler,
        "get_dispatch_table": lambda self: collections.ChainMap({}, pickle.dispatch_table)}),
]

if _abstract("AbstractCustomPicklerClass") is not None:
    class _CustomRefPickler(RefPickler, PT.AbstractCustomPicklerClass):
        pass

    CLASSES.append(_concrete("RefPicklerHookTests", "AbstractHookTests",
                             {"pickler_class": _CustomRefPickler}))


def _persistent_mixin():
    """test_pickle's PersistentPicklerUnpicklerMixin, over the reference."""
    class Mixin:
        def dumps(self, arg, proto=None):
            test = self

            class PersPickler(RefPickler):
                def persistent_id(subself, obj):
                    return test.persistent_id(obj)
            f = io.BytesIO()
            PersPickler(f, proto).dump(arg)
            return f.getvalue()

        def loads(self, buf, **kwds):
            test = self

            class PersUnpickler(RefUnpickler):
                def persistent_load(subself, obj):
                    return test.persistent_load(obj)
            return PersUnpickler(io.BytesIO(buf), **kwds).load()
    return Mixin


for _name, _abstract_name, _extra in [
        ("RefPersPicklerTests", "AbstractPersistentPicklerTests", {}),
        ("RefIdPersPicklerTests", "AbstractIdentityPersistentPicklerTests",
         {"persistent_load_error": pickle.UnpicklingError})]:
    _base = _abstract(_abstract_name)
    if _base is not None:
        CLASSES.append(type(_name, (_base, _persistent_mixin(), unittest.TestCase),
                            dict(_extra, pickler=RefPickler, unpickler=RefUnpickler,
                                 __module__=__name__)))

for _cls in CLASSES:
    if _cls is None:
        continue
    globals()[_cls.__name__] = _cls
    for _test, _why in deviations.for_version(sys.version_info[:2], _cls.__name__).items():
        if hasattr(_cls, _test):
            setattr(_cls, _test, pytest.mark.xfail(reason=_why, strict=True)(getattr(_cls, _test)))
del _cls, _base
