"""A reject case's recorded `exception`: what every CPython raises conforms,
another clean type is a difference, and only Python targets are compared."""

import types

import pytest

from picklespec.runner.judges import load as load_judges
from picklespec.runner.profile import read_profile


def target(kind, clean=("UnpicklingError", "ValueError")):
    hello = {"ok": True, "name": "t", "implementation": "x", "version": "1", "kind": kind,
             "checks": ["load"], "load_protocols": [0, 1, 2, 3, 4, 5], "opcodes": "all",
             "model": [], "clean_exceptions": list(clean)}
    return types.SimpleNamespace(name="t", hello=hello, profile=read_profile(hello))


def judge(kind, exception, bases=(), recorded="TypeError"):
    prep = types.SimpleNamespace(case=types.SimpleNamespace(exception=recorded, id="c"))
    answer = {"ok": False, "kind": "rejected", "exception": exception,
              "exception_bases": list(bases), "message": "%s: no" % exception}
    return load_judges._judge_reject(prep, target(kind), answer,
                                     dict(case="c", target="t", protocol=None))


@pytest.mark.parametrize("kind", ["c", "py", "reference"])
def test_the_type_every_cpython_raises_conforms(kind):
    # TypeError is not among the profile's clean exceptions: the case's record decides.
    assert judge(kind, "TypeError").outcome == "pass"
    assert judge(kind, "MyError", bases=["TypeError", "Exception"]).outcome == "pass"


def test_another_clean_type_is_a_difference_and_an_unclean_one_stays_unclean():
    assert judge("c", "ValueError").outcome == "difference"
    assert "CPython 3.6-3.13 raise TypeError" in judge("c", "ValueError").message
    assert judge("c", "KeyError").outcome == "unclean"


def test_without_a_record_or_for_other_languages_the_profile_decides():
    assert judge("c", "ValueError", recorded=None).outcome == "pass"
    assert judge("c", "TypeError", recorded=None).outcome == "unclean"
    assert judge("js", "TypeError").outcome == "unclean"
    assert judge("js", "ValueError").outcome == "pass"
