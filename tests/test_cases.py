"""Case parsing: case files, phenopackets, JSON Lines; bad input names the file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph

from calcgraph.cases import FindingIndex, iter_jsonl_cases, load_case_file, parse_case_dict
from calcgraph.errors import CaseError, UnknownTermError


@pytest.fixture(scope="module")
def index(edit_graph: Graph) -> FindingIndex:
    return FindingIndex.from_graph(edit_graph)


def labels(index: FindingIndex, iris: tuple[str, ...]) -> list[str]:
    return [index.label(i) for i in iris]


def test_yaml_case_by_label_synonym_curie_and_hpo(tmp_path: Path, index: FindingIndex) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "id: knee-1\nage: 78\nsex: female\n"
        "present: [Calcium pyrophosphate crystals in synovial fluid, raised ESR, HP:0001945]\n"
        "absent: [positive synovial fluid gram stain]\n",
        encoding="utf-8",
    )
    case = load_case_file(path, index)
    assert case.id == "knee-1"
    assert labels(index, case.present) == [
        "calcium pyrophosphate crystals in synovial fluid",
        "elevated erythrocyte sedimentation rate",
        "fever",
        "age over 60 years",
    ]
    assert labels(index, case.absent) == ["positive synovial fluid Gram stain", "male sex"]


def test_phenopacket(tmp_path: Path, index: FindingIndex) -> None:
    packet = {
        "id": "case-1",
        "subject": {"id": "p1", "sex": "MALE", "timeAtLastEncounter": {"age": {"iso8601duration": "P45Y6M"}}},
        "phenotypicFeatures": [
            {"type": {"id": "HP:0000934", "label": "Chondrocalcinosis"}},
            {"type": {"id": "HP:6000583", "label": "Positive synovial fluid gram stain"}, "excluded": True},
            {"type": {"id": "CALCGRAPH:0000000", "label": "double contour sign on ultrasound"}},
        ],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    case = load_case_file(path, index)
    assert case.age == pytest.approx(45.5)
    assert labels(index, case.present) == [
        "chondrocalcinosis on imaging",
        "double contour sign on ultrasound",
        "male sex",
    ]
    assert labels(index, case.absent) == ["positive synovial fluid Gram stain", "age over 60 years"]


def test_unknown_finding_suggests_close_labels(index: FindingIndex) -> None:
    with pytest.raises(UnknownTermError) as info:
        parse_case_dict({"id": "x", "present": ["hypercalcemiaa"]}, index, "x.yaml")
    assert info.value.exit_code == 2
    assert "hypercalcaemia" in info.value.suggestions
    assert "x.yaml: field 'present'" in str(info.value)


def test_names_resolved_again_give_the_same_findings_and_unknown_ones_fail_each_time(index: FindingIndex) -> None:
    doc = {"id": "x", "present": ["fever", "HP:0001945"], "absent": ["male sex"]}
    first, again = parse_case_dict(doc, index, "a"), parse_case_dict(doc, index, "b")
    assert (first.present, first.absent) == (again.present, again.absent)
    other = FindingIndex(dict(index.keys), dict(index.labels), index.hpo)  # a new index starts afresh
    assert parse_case_dict(doc, other, "c").present == first.present
    for where in ("d", "e"):
        with pytest.raises(UnknownTermError, match=f"{where}: field 'present'"):
            parse_case_dict({"id": "x", "present": ["fever", "hypercalcemiaa"]}, index, where)
    with pytest.raises(CaseError, match="list of finding names"):
        parse_case_dict({"id": "x", "present": ["fever", 3]}, index, "f")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"present": []}, "'id'"),
        ({"id": "x", "age": "old"}, "'age'"),
        ({"id": "x", "age": -3}, "'age'"),
        ({"id": "x", "sex": "M"}, "'sex'"),
        ({"id": "x", "present": "fever"}, "'present'"),
        ({"id": "x", "presnt": ["fever"]}, "'presnt'"),
        ({"id": "x", "present": ["fever"], "absent": ["fever"]}, "both present and absent"),
        ({"id": "x", "phenotypicFeatures": [{"type": "HP:1"}]}, "phenotypicFeatures[0]"),
        ({"id": "x", "phenotypicFeatures": [], "subject": {"sex": "M"}}, "subject.sex"),
        (
            {
                "id": "x",
                "phenotypicFeatures": [],
                "subject": {"timeAtLastEncounter": {"age": {"iso8601duration": "78"}}},
            },
            "iso8601duration",
        ),
    ],
)
def test_malformed_case_names_the_field(index: FindingIndex, data: dict, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(CaseError) as info:
        parse_case_dict(data, index, "case.yaml")
    assert field in str(info.value)
    assert str(info.value).startswith("case.yaml")


def test_invalid_yaml_and_json_name_file_and_line(tmp_path: Path, index: FindingIndex) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("id: x\npresent: [fever\nabsent: []\n", encoding="utf-8")
    with pytest.raises(CaseError, match=r"bad\.yaml:\d+:\d+: invalid YAML"):
        load_case_file(bad_yaml, index)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"id": "x",\n "present": [}\n', encoding="utf-8")
    with pytest.raises(CaseError, match=r"bad\.json:2:\d+: invalid JSON"):
        load_case_file(bad_json, index)
    with pytest.raises(CaseError, match="no such file"):
        load_case_file(tmp_path / "missing.yaml", index)


def test_jsonl_bad_lines_are_reported_and_skipped(tmp_path: Path, index: FindingIndex) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(
        '{"id": "a", "present": ["fever"]}\n'
        "{not json\n"
        "\n"
        '{"id": "b", "present": ["no such finding"]}\n'
        '{"id": "c", "absent": ["fever"]}\n',
        encoding="utf-8",
    )
    got = list(iter_jsonl_cases(path, index))
    assert [n for n, _ in got] == [1, 2, 4, 5]
    assert [type(x).__name__ for _, x in got] == ["Case", "CaseError", "UnknownTermError", "Case"]
    assert str(got[1][1]).startswith(f"{path}:2:")
