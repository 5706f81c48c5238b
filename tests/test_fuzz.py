"""Generated junk thrown at the case parsers and the ontology build: only documented errors, no file changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph

from calcgraph import paths
from calcgraph.build import build
from calcgraph.cases import FindingIndex, iter_jsonl_cases, load_case_file, parse_case_dict
from calcgraph.errors import CaseError, OntologyQCError, OntologySourceError, UnknownTermError

CASE_ERRORS = (CaseError, UnknownTermError)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
case_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "age": json_values,
        "sex": json_values,
        "present": st.lists(st.text(max_size=30) | json_values, max_size=4),
        "absent": st.lists(st.text(max_size=30) | json_values, max_size=4),
        "phenotypicFeatures": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "type": json_values | st.fixed_dictionaries({"id": st.text(max_size=15)}),
                    "excluded": json_values,
                },
            ),
            max_size=3,
        )
        | json_values,
        "subject": json_values,
    },
)


@pytest.fixture(scope="module")
def index(edit_graph: Graph) -> FindingIndex:
    return FindingIndex.from_graph(edit_graph)


@given(data=case_like | json_values)
def test_case_dict_junk_gives_documented_errors(index: FindingIndex, data: object) -> None:
    try:
        case = parse_case_dict(data, index, "fuzz.yaml")
    except CASE_ERRORS as exc:
        assert str(exc).startswith("fuzz.yaml")
    else:
        assert isinstance(case.id, str) and case.id.strip()
        assert not set(case.present) & set(case.absent)


@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode), suffix=st.sampled_from([".yaml", ".json"]))
def test_case_file_junk_gives_documented_errors(tmp_path: Path, index: FindingIndex, raw: bytes, suffix: str) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(raw)
    try:
        load_case_file(path, index)
    except CASE_ERRORS as exc:
        assert str(path) in str(exc)
    assert path.read_bytes() == raw


@given(lines=st.lists(st.text(max_size=60) | case_like.map(json.dumps) | case_like.map(yaml.safe_dump), max_size=6))
def test_jsonl_junk_never_stops_the_stream(tmp_path: Path, index: FindingIndex, lines: list[str]) -> None:
    path = tmp_path / "junk.jsonl"
    path.write_text("\n".join(line.replace("\n", " ") for line in lines), encoding="utf-8")
    for n, item in iter_jsonl_cases(path, index):
        assert n >= 1
        assert not isinstance(item, Exception) or isinstance(item, CASE_ERRORS)


EDIT_TEXT_LENGTH = len(paths.edit_file().read_text(encoding="utf-8"))


@settings(max_examples=25)
@given(
    start=st.integers(0, EDIT_TEXT_LENGTH - 1),
    length=st.integers(0, 40),
    junk=st.text(alphabet=st.sampled_from(list('{}[]<>";.,:@_ \n\\#a1')), max_size=12),
)
def test_build_junk_source_writes_nothing(
    tmp_path_factory: pytest.TempPathFactory, start: int, length: int, junk: str
) -> None:
    tmp = tmp_path_factory.mktemp("fuzzbuild")
    out = tmp / "release"
    out.mkdir()
    for name in ("calcgraph.owl", "calcgraph.ttl"):
        shutil.copy(paths.ontology_dir() / name, out / name)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    text = paths.edit_file().read_text(encoding="utf-8")
    src = tmp / "mutated.ttl"
    src.write_text(text[:start] + junk + text[start + length :], encoding="utf-8")
    try:
        build(src, out)
    except OntologySourceError as exc:
        assert exc.path == str(src) and (exc.line is None or exc.line >= 1)
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    except OntologyQCError:
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
