"""The packages' layering: cases (and its regen tool) never import the runner,
and the process package below both imports neither."""

import subprocess
import sys

import pytest


def _imported(module):
    code = ("import sys, %s\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('picklespec.'))))" % module)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


@pytest.mark.parametrize("module", ["picklespec.cases.regen", "picklespec.cases.corpus",
                                    "picklespec.cases.cli"])
def test_cases_do_not_import_the_runner(module):
    assert not [m for m in _imported(module) if m.startswith("picklespec.runner")]


def test_the_process_package_imports_only_the_reference():
    assert {m.split(".")[1] for m in _imported("picklespec.process")} <= {"process", "reference"}


def test_regen_starts_the_worker_the_runner_starts():
    from picklespec.cases.regen import worker_command
    from picklespec.runner.targets import WORKER

    assert worker_command("python3", "c") == ["python3", WORKER, "c"]
