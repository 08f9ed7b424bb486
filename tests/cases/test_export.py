"""The plain-file export of the corpus (picklespec.cases.export).

The published copy (cases/export/) must be what the corpus exports today;
every stream of every case is in it with the bytes the case file says; every
.json and the manifest are valid against the JSON Schemas in cases/, and the
schemas refuse what is not tagged JSON.
"""

import json
import os
import pathlib
import sys

import pytest

from picklespec.cases import export
from picklespec.cases.cli import main as cases_main
from picklespec.cases.corpus import CORPUS_DIR, load_corpus
from picklespec.reference import model, opcodes

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra: "
                                                       "pip install -e '.[test]'")
from referencing import Registry  # noqa: E402  (comes with jsonschema)
from referencing.jsonschema import DRAFT202012  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "cases" / "export"
REGENERATE = "picklespec cases export cases/export"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def files(corpus):
    return export.export_files(corpus)


@pytest.fixture(scope="module")
def validators():
    schemas = {}
    for name in export.SCHEMAS:
        with open(os.path.join(CORPUS_DIR, name), encoding="utf-8") as f:
            schemas[name] = json.load(f)
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    registry = Registry().with_resources(
        (schema["$id"], DRAFT202012.create_resource(schema)) for schema in schemas.values())
    return {name: jsonschema.Draft202012Validator(schema, registry=registry)
            for name, schema in schemas.items()}


def test_published_export_is_current(files):
    if not PUBLISHED.is_dir():
        pytest.skip("no published export at %s (a source checkout has one)" % PUBLISHED)
    published = export.read_export(str(PUBLISHED))
    missing = sorted(set(files) - set(published))
    extra = sorted(set(published) - set(files))
    changed = sorted(name for name in set(files) & set(published) if files[name] != published[name])
    problems = ["%d missing (%s)" % (len(missing), ", ".join(missing[:3])) if missing else "",
                "%d left over (%s)" % (len(extra), ", ".join(extra[:3])) if extra else "",
                "%d changed (%s)" % (len(changed), ", ".join(changed[:3])) if changed else ""]
    problems = [p for p in problems if p]
    assert not problems, "cases/export is stale: %s; regenerate it with: %s" % (
        "; ".join(problems), REGENERATE)


def test_every_case_protocol_and_variant_is_exported(corpus, files):
    count = 0
    for case in corpus.cases:
        folder = case.classification
        if folder != "dump":
            assert files["%s/%s.pkl" % (folder, case.id)] == case.data
            document = json.loads(files["%s/%s.json" % (folder, case.id)])
            assert document["id"] == case.id and document["protocol"] == case.protocol
            count += 1
            continue
        for protocol, variants in case.streams.items():
            for index, variant in enumerate(variants):
                name = export.stream_name(case, protocol, variant)
                document = json.loads(files["dump/%s.json" % name])
                assert document["producer"] == variant.producer_text
                assert document["canonical"] is (index == 0)
                assert variant.producer.matches(document["producers"][0])
                pkl = "dump/%s.pkl" % name
                if variant.fails:
                    assert document["expect"] == {"outcome": "unpicklable"}
                    assert pkl not in files and document["pkl"] is None
                elif not variant.loads:
                    assert document["expect"] == {"outcome": "no-load"}
                    assert pkl not in files and bytes.fromhex(document["data"]) == variant.stream
                else:
                    assert files[pkl] == variant.stream
                    assert model.equal(model.from_json(document["expect"]["result"]),
                                       case.result_for(variant))
                count += 1
    manifest = json.loads(files["manifest.json"])
    assert manifest["counts"]["streams"] == count
    assert sum(len(entry["streams"]) for entry in manifest["cases"]) == count
    assert len(manifest["cases"]) == len(corpus.cases)
    streams = sum(1 for name in files if name.endswith(".json") and not name.startswith("schema/")
                  and "/" in name)
    assert streams == count  # one .json per stream, nothing else in the folders


def test_expected_values_round_trip(corpus, files):
    case = corpus.by_id("recursion-object-pair")
    for name, data in files.items():
        if name.startswith("dump/recursion-object-pair.p2.") and name.endswith(".json"):
            document = json.loads(data)
            value = model.from_json(document["expect"]["result"])
            assert model.equal(value, case.result)
            break
    else:
        pytest.fail("recursion-object-pair has no protocol 2 stream in the export")


def test_file_names_are_case_protocol_and_first_producer(corpus):
    case = corpus.by_id("int-bin1-max")
    names = [export.stream_name(case, p, v) for p in sorted(case.streams) for v in case.streams[p]]
    assert names[0] == "int-bin1-max.p0.cpython-2.7-c"
    assert len(set(names)) == len(names)
    # sorted by name, the streams come protocol by protocol
    assert [n.split(".")[1] for n in sorted(names)] == sorted(n.split(".")[1] for n in names)
    accept = corpus.select("accept")[0]
    assert export.stream_name(accept) == accept.id


def test_load_options_are_tagged_json(corpus, files):
    with_buffers = [c for c in corpus.cases if c.classification == "accept"
                    and c.load_options.get("buffers")]
    assert with_buffers
    case = with_buffers[0]
    document = json.loads(files["accept/%s.json" % case.id])
    buffers = model.from_json(document["load_options"]["buffers"])
    assert buffers == case.load_options["buffers"]
    sequences = [c for c in corpus.cases if c.options.get("sequence") is True]
    assert sequences
    manifest = {e["id"]: e for e in json.loads(files["manifest.json"])["cases"]}
    assert manifest[sequences[0].id]["load_options"]["sequence"] == {"type": "bool", "value": "true"}


def test_manifest_says_where_each_case_is(corpus, files):
    manifest = {e["id"]: e for e in json.loads(files["manifest.json"])["cases"]}
    case = corpus.by_id("int-bin1-max")
    entry = manifest["int-bin1-max"]
    assert entry["source"] == {"file": "cases/dump/int.yaml", "line": case.line}
    assert set(entry["opcodes"]) >= {"INT", "LONG", "BININT1", "PROTO", "STOP"}
    table = [op.name for op in opcodes.opcodes]
    assert entry["opcodes"] == sorted(entry["opcodes"], key=table.index)
    path = REPO / entry["source"]["file"]
    if path.is_file():
        line = path.read_text(encoding="utf-8").splitlines()[entry["source"]["line"] - 1]
        assert "int-bin1-max" in line
    rows = files["manifest.tsv"].decode("utf-8").splitlines()
    assert rows[0].split("\t")[:3] == ["id", "kind", "protocol"]
    assert len(rows) - 1 == json.loads(files["manifest.json"])["counts"]["streams"]


@pytest.fixture(scope="module")
def deep_enough():
    # The deepest expected value (memo-nesting-100) nests 200 JSON levels;
    # jsonschema recurses about a dozen frames a level.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10000))
    yield
    sys.setrecursionlimit(limit)


def _distinct_values(document, seen):
    """The document with each tagged value already checked replaced by None,
    and the new values, to be checked once each (the tagged-JSON schema is the
    same at every depth, so a value checks the same wherever it occurs)."""
    fresh = []

    def once(value):
        key = json.dumps(value, sort_keys=True)
        if key not in seen:
            seen.add(key)
            fresh.append(value)
        return {"type": "none"}

    document = dict(document)
    expect = dict(document["expect"])
    if "result" in expect:
        expect["result"] = once(expect["result"])
    if "outcomes" in expect:
        expect["outcomes"] = [dict(o, result=once(o["result"])) if "result" in o else o
                              for o in expect["outcomes"]]
    document["expect"] = expect
    for field in ("load_options", "dump_options"):
        if field in document:
            document[field] = {k: once(v) for k, v in document[field].items()}
    return document, fresh


def _stream_documents(files):
    for name, data in sorted(files.items()):
        if name.endswith(".json") and "/" in name and not name.startswith("schema/"):
            yield name, json.loads(data)


def _first_error(validator, document):
    if validator.is_valid(document):  # the fast path; errors only to say what is wrong
        return None
    error = next(iter(validator.iter_errors(document)))
    return "%s at %s" % (error.message[:200], list(error.absolute_path))


def test_every_exported_json_is_valid(files, validators, deep_enough):
    """Each stream's .json against the case schema, and every tagged value in
    it against the tagged-JSON schema; a value met before is checked once."""
    case_schema = validators["export-case.schema.json"]
    seen = set()
    values = []
    checked = 0
    for name, document in _stream_documents(files):
        document, fresh = _distinct_values(document, seen)
        values.extend((name, value) for value in fresh)
        error = _first_error(case_schema, document)
        assert error is None, "%s: %s" % (name, error)
        checked += 1
    assert checked == json.loads(files["manifest.json"])["counts"]["streams"]
    for name, value in values:
        error = _first_error(validators["tagged-json.schema.json"], value)
        assert error is None, "%s: %s" % (name, error)


def test_manifest_is_valid(files, validators):
    error = _first_error(validators["export-manifest.schema.json"],
                         json.loads(files["manifest.json"]))
    assert error is None, "manifest.json: %s" % error


def test_the_export_carries_its_schemas(files):
    for name, inside in export.SCHEMAS.items():
        with open(os.path.join(CORPUS_DIR, name), "rb") as f:
            assert files[inside] == f.read()


GOOD = [
    None, True, -12, 2 ** 100, 1.5, float("nan"), -0.0, complex(1, -2), "a\udc80", b"\x00\xff",
    bytearray(b"ab"), [1], (1, [2]), {1, 2}, frozenset([3]), {"k": [1]},
    model.Global("builtins", "len"), model.PersistentId(("a", 1)),
    model.Buffer(data=b"x", readonly=True),
    model.Object(model.Global("m", "C"), args=(1,), via="newobj", state={"a": 1},
                 listitems=[1], dictitems=[("k", 2)], setitems=[3]),
]


@pytest.mark.parametrize("value", GOOD, ids=lambda v: type(v).__name__)
def test_tagged_json_of_model_values_is_valid(value, validators):
    assert validators["tagged-json.schema.json"].is_valid(model.to_json(value))


def test_shared_and_cyclic_values_are_valid(validators):
    inner = [1]
    text, raw = "".join(["ab", "cd"]), b"".join([b"ab", b"cd"])
    outer = [inner, inner, text, text, raw, raw]
    outer.append(outer)
    document = model.to_json(outer)
    items = document["items"]
    for at in (2, 4):  # the str and the bytes held twice: an id, then a ref
        assert items[at + 1] == {"type": "ref", "id": items[at]["id"]}
    assert "ref" in json.dumps(document)
    assert validators["tagged-json.schema.json"].is_valid(document)


BAD = [
    {"type": "int", "value": 12},  # a JSON number
    {"type": "int", "value": "1.5"},
    {"type": "float", "value": "1,5"},
    {"type": "bytes", "value": "ABCD"},  # uppercase hex
    {"type": "bytes", "value": "abc"},  # odd length
    {"type": "bool", "value": "yes"},
    {"type": "list"},
    {"type": "list", "items": [1]},
    {"type": "dict", "items": [[{"type": "none"}]]},
    {"type": "tuple", "items": [], "extra": "x"},
    {"type": "global", "module": "m"},
    {"type": "object", "via": "call", "callable": {"type": "none"}, "args": {"type": "tuple", "items": []}},
    {"type": "ref"},
    {"type": "int", "value": "1", "id": "1"},  # numbers are never memoized: no ids
    {"type": "unknown"},
    {"value": "1"},
]


@pytest.mark.parametrize("document", BAD, ids=lambda d: json.dumps(d)[:40])
def test_schema_refuses_what_is_not_tagged_json(document, validators):
    assert not validators["tagged-json.schema.json"].is_valid(document)


def test_case_schema_refuses_a_reject_with_a_result(files, validators):
    name = next(n for n in sorted(files) if n.startswith("reject/") and n.endswith(".json"))
    document = json.loads(files[name])
    assert validators["export-case.schema.json"].is_valid(document)
    document["expect"] = {"outcome": "result", "result": {"type": "none"}}
    assert not validators["export-case.schema.json"].is_valid(document)
    document = json.loads(files[name])
    document["pkl"] = None
    assert not validators["export-case.schema.json"].is_valid(document)


def test_export_command_writes_the_export(tmp_path, files, capsys):
    assert cases_main(["export", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "%d streams" % json.loads(files["manifest.json"])["counts"]["streams"] in out
    assert export.read_export(str(tmp_path)) == files


def test_writing_removes_what_an_earlier_export_left_and_keeps_the_rest(tmp_path):
    (tmp_path / "accept").mkdir()
    stale = tmp_path / "accept" / "gone.json"
    stale.write_text("{}")
    same = tmp_path / "accept" / "same.pkl"
    same.write_bytes(b"N.")
    keep = tmp_path / "README.txt"
    keep.write_text("not the export's")
    before = same.stat().st_mtime_ns
    files = {"accept/same.pkl": b"N.", "reject/new.pkl": b"", "manifest.json": b"{}\n"}
    export.write_export(str(tmp_path), files)
    assert not stale.exists() and keep.read_text() == "not the export's"
    assert same.stat().st_mtime_ns == before  # unchanged files are not rewritten
    assert export.read_export(str(tmp_path)) == files


def test_export_into_a_file_is_a_clear_error(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert cases_main(["export", str(target)]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err


def test_schemas_name_what_the_code_names(validators):
    """The closed lists the schemas repeat are the corpus's and the model's."""
    from picklespec.cases import corpus as corpus_module

    case = validators["export-case.schema.json"].schema["$defs"]
    assert case["failure"]["enum"] == list(corpus_module.FAILURES)
    assert set(case["options"]["propertyNames"]["enum"]) == \
        set(corpus_module.LOAD_OPTIONS) | set(corpus_module.DUMP_OPTIONS)
    tagged = validators["tagged-json.schema.json"].schema["$defs"]
    assert set(tagged["object"]["properties"]["via"]["enum"]) == set(model.VIAS)
    kinds = set(tagged["value"]["properties"]["type"]["enum"])
    assert kinds == {"none", "bool", "int", "float", "complex", "str", "bytes", "bytearray",
                     "list", "tuple", "set", "frozenset", "dict", "global", "object",
                     "persistent", "buffer", "ref"}
    assert {json.loads(json.dumps(model.to_json(v)))["type"] for v in GOOD} | {"ref"} == kinds
