"""runner/catalog.py: adapter manifests, named targets, `picklespec adapters`."""

import json
import os
import sys

import pytest

from picklespec.runner import catalog
from picklespec.runner.cli import main as cli
from picklespec.runner.targets import UsageError, parse_target

EXPECTED_TARGETS = {
    "zodbpickle-c", "zodbpickle-py", "zodbpickle-noload", "fickling-loads", "fickling-parse",
    "torch-weights-only", "pickle5-3.6-c", "pickle5-3.6-py", "pickle5-3.7-c", "pickle5-3.7-py",
    "pickletools-dis", "pickletools-genops", "pickletools-optimize", "cloudpickle", "dill",
    "picklescan", "modelscan", "jpickle", "unpickle", "pickleparser"}


def test_every_manifest_reads_and_names_its_targets_once():
    found = catalog.manifests()
    assert set(catalog.named_targets()) == EXPECTED_TARGETS
    for manifest in found.values():
        assert os.path.isfile(os.path.join(manifest.folder, manifest.command[0])), manifest.path
        if manifest.runtime == "node":
            assert os.path.isfile(os.path.join(manifest.folder, "package-lock.json")), manifest.path
        for requirement in manifest.install:  # pinned, so a target means one version
            assert "==" in requirement or "@" in requirement.lstrip("@"), (manifest.path, requirement)


def test_a_target_not_installed_says_the_one_command(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(UsageError, match=r"zodbpickle-c: zodbpickle 4\.5 \(PyPI\) is not installed; "
                                         r"run: picklespec adapters install zodbpickle"):
        parse_target("zodbpickle-c")


def test_unknown_target_names_the_adapter_listing():
    with pytest.raises(UsageError, match=r"unknown target 'zodbpickle'.*picklespec adapters list"):
        parse_target("zodbpickle")


def test_node_target_without_node_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="jpickle: needs Node.js, and node is not on PATH"):
        parse_target("jpickle")


def _fake_adapters(tmp_path, monkeypatch, manifest):
    folder = tmp_path / "adapters" / "demo"
    folder.mkdir(parents=True)
    (folder / "adapter.json").write_text(json.dumps(manifest) if isinstance(manifest, dict) else manifest)
    (folder / "adapter.py").write_text("")
    monkeypatch.setattr(catalog, "ADAPTERS", str(tmp_path / "adapters"))
    return folder


def test_broken_manifests_are_located(tmp_path, monkeypatch):
    folder = _fake_adapters(tmp_path, monkeypatch, "{not json")
    with pytest.raises(catalog.ManifestError, match=r"demo/adapter\.json: cannot read it"):
        catalog.manifests()
    (folder / "adapter.json").write_text(json.dumps({
        "library": "x", "runtime": "python", "python": ["3.11"], "install": [], "command": ["adapter.py"]}))
    with pytest.raises(catalog.ManifestError, match=r"demo/adapter\.json: the field 'targets' is missing"):
        catalog.manifests()
    (folder / "adapter.json").write_text(json.dumps({
        "library": "x", "runtime": "ruby", "install": [], "command": ["adapter.py"], "targets": {"x": {}}}))
    with pytest.raises(catalog.ManifestError, match=r"runtime must be one of python, node, not 'ruby'"):
        catalog.manifests()
    assert cli(["adapters", "list"]) == 2


def test_a_standard_library_adapter_runs_on_the_found_interpreter(tmp_path, monkeypatch):
    version = "%d.%d" % sys.version_info[:2]
    _fake_adapters(tmp_path, monkeypatch, {
        "library": "demo", "runtime": "python", "python": [version], "install": [],
        "command": ["adapter.py"], "targets": {"demo-a": {"args": ["a"]}}})
    spec = catalog.find_target("demo-a")
    assert spec.argv[1:] == ("-E", "-s", "-B", str(tmp_path / "adapters" / "demo" / "adapter.py"), "a")
    assert os.path.realpath(spec.argv[0]) == os.path.realpath(sys.executable) or spec.argv[0].endswith(version)
    assert catalog.install(catalog.manifests()["demo"]) == []  # nothing to install


def test_a_wanted_interpreter_that_is_missing(tmp_path, monkeypatch):
    _fake_adapters(tmp_path, monkeypatch, {
        "library": "demo", "runtime": "python", "python": ["1.5"], "install": ["demo==1"],
        "command": ["adapter.py"], "targets": {"demo-a": {}}})
    problems = catalog.install(catalog.manifests()["demo"])
    assert problems == ["demo: target demo-a needs CPython 1.5, and none was found (see picklespec targets)"]
    assert cli(["adapters", "install", "demo"]) == 1


def test_adapters_command(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cli(["adapters", "list"]) == 0
    out = capsys.readouterr().out
    assert "zodbpickle-noload" in out and "run: picklespec adapters install zodbpickle" in out
    assert cli(["adapters", "install", "no-such-adapter"]) == 2
    assert "no adapter or target 'no-such-adapter'" in capsys.readouterr().err
    assert cli(["adapters", "install"]) == 2


def test_pickletools_needs_no_install_and_runs_by_name():
    try:
        spec = parse_target("pickletools-dis")[0]
    except UsageError as exc:  # no CPython 3.10-3.13 found
        pytest.skip(str(exc))
    assert spec.argv[-2:] == (os.path.join(catalog.ADAPTERS, "pickletools", "adapter.py"), "dis")
