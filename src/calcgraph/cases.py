"""Patient cases: parse case files (YAML/JSON) and GA4GH phenopackets into :class:`Case` records.

A case names findings by label or exact synonym (case-insensitive), by ``CALCGRAPH:`` CURIE or by HPO CURIE; the
:class:`FindingIndex`, built from the ontology, resolves each name to the finding's IRI. Parsing is strict: an
unknown key, a wrong type or an unknown finding is an error naming the file and the field.

>>> from rdflib import Graph
>>> g = Graph().parse(data='''
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... @prefix oio: <http://www.geneontology.org/formats/oboInOwl#> .
... @prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
... cg:0003101 rdfs:subClassOf cg:0000002 ; rdfs:label "fever" ; oio:hasDbXref "HP:0001945" .
... cg:0003102 rdfs:subClassOf cg:0000002 ; rdfs:label "hyperuricaemia" ; oio:hasExactSynonym "hyperuricemia" .
... ''', format="turtle")
>>> index = FindingIndex.from_graph(g)
>>> case = parse_case_dict({"id": "c1", "present": ["HP:0001945"], "absent": ["Hyperuricemia"]}, index, "c1.yaml")
>>> [index.label(i) for i in case.present], [index.label(i) for i in case.absent]
(['fever'], ['hyperuricaemia'])
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from calcgraph.errors import CaseError, UnknownTermError
from calcgraph.vocab import FINDING, OIO, curie_to_iri, iri_to_curie

CASE_KEYS = {"id", "age", "sex", "present", "absent", "note"}
SEXES = {"male", "female", "other", "unknown"}
#: Demographic findings derived from a case's ``age`` and ``sex`` (labels of finding classes in the ontology).
AGE_FINDING = ("age over 60 years", 60.0)
MALE_FINDING = "male sex"


@dataclass(frozen=True)
class FindingIndex:
    """Resolves the names a user may give a finding (label, synonym, CURIE, HPO CURIE) to its IRI."""

    keys: Mapping[str, str]
    labels: Mapping[str, str]

    @classmethod
    def from_graph(cls, g: Graph) -> FindingIndex:
        findings = {str(s) for s in g.transitive_subjects(RDFS.subClassOf, FINDING)} - {str(FINDING)}
        keys: dict[str, str] = {}
        labels: dict[str, str] = {}
        ambiguous: set[str] = set()

        def put(key: str, iri: str) -> None:
            k = key.casefold().strip()
            if k in keys and keys[k] != iri:
                ambiguous.add(k)
            keys[k] = iri

        for iri in sorted(findings):
            s = URIRef(iri)
            label = g.value(s, RDFS.label)
            if label is None:
                continue
            labels[iri] = str(label)
            put(str(label), iri)
            for syn in g.objects(s, OIO.hasExactSynonym):
                put(str(syn), iri)
            curie = iri_to_curie(iri)
            if curie:
                put(curie, iri)
            for x in g.objects(s, OIO.hasDbXref):
                if str(x).startswith("HP:"):
                    put(str(x), iri)
        for k in ambiguous:  # a name shared by two findings resolves to neither
            del keys[k]
        return cls(keys, labels)

    def label(self, iri: str) -> str:
        return self.labels.get(iri, iri)

    def resolve(self, name: str, where: str | None = None) -> str:
        """The IRI of the finding called ``name``; :class:`UnknownTermError` with suggestions otherwise."""
        key = name.casefold().strip()
        if key in self.keys:
            return self.keys[key]
        iri = curie_to_iri(name.strip())
        if iri and iri in self.labels:
            return iri
        choices = sorted(set(self.labels.values()))
        close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
        if not close:
            close = [c for c in choices if key and key in c.casefold()][:3]
        raise UnknownTermError(name, "finding", close, where=where)


@dataclass(frozen=True)
class Case:
    """A patient case: findings recorded present and findings looked for and excluded (IRIs)."""

    id: str
    present: tuple[str, ...]
    absent: tuple[str, ...]
    age: float | None = None
    sex: str | None = None
    source: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _names(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise CaseError(where, "must be a list of finding names (labels, synonyms or CURIEs)")
    return value


def _demographics(index: FindingIndex, age: float | None, sex: str | None) -> tuple[list[str], list[str]]:
    present: list[str] = []
    absent: list[str] = []
    age_key, threshold = AGE_FINDING
    if age is not None and age_key in index.keys:
        (present if age > threshold else absent).append(index.keys[age_key])
    if sex in ("male", "female") and MALE_FINDING in index.keys:
        (present if sex == "male" else absent).append(index.keys[MALE_FINDING])
    return present, absent


def _finish(
    case_id: str,
    present: Iterable[str],
    absent: Iterable[str],
    age: float | None,
    sex: str | None,
    index: FindingIndex,
    where: str,
) -> Case:
    p_demo, a_demo = _demographics(index, age, sex)
    pres = list(dict.fromkeys([*present, *(x for x in p_demo if x not in absent)]))
    abse = list(dict.fromkeys([*absent, *(x for x in a_demo if x not in pres)]))
    both = sorted(set(pres) & set(abse))
    if both:
        raise CaseError(where, "finding(s) both present and absent: " + ", ".join(index.label(i) for i in both))
    return Case(case_id, tuple(pres), tuple(abse), age, sex, where)


def parse_case_dict(data: Any, index: FindingIndex, where: str) -> Case:
    """A case from a mapping: either the calcgraph case shape or a GA4GH phenopacket (has ``phenotypicFeatures``)."""
    if not isinstance(data, dict):
        raise CaseError(where, "a case must be a mapping (YAML/JSON object)")
    if "phenotypicFeatures" in data:
        return parse_phenopacket(data, index, where)
    unknown = sorted(set(data) - CASE_KEYS)
    if unknown:
        raise CaseError(
            where,
            f"unknown field(s) {', '.join(map(repr, unknown))}",
            hint="a case has: " + ", ".join(sorted(CASE_KEYS)),
        )
    case_id = data.get("id")
    if not isinstance(case_id, str | int) or isinstance(case_id, bool) or not str(case_id).strip():
        raise CaseError(f"{where}: field 'id'", "missing or not a string")
    age = data.get("age")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int | float) or not 0 <= age <= 130):
        raise CaseError(f"{where}: field 'age'", f"{age!r} is not an age in years (0-130)")
    sex = data.get("sex")
    if sex is not None:
        if not isinstance(sex, str) or sex.lower() not in SEXES:
            raise CaseError(f"{where}: field 'sex'", f"{sex!r} is not one of {', '.join(sorted(SEXES))}")
        sex = sex.lower()
    present = [
        index.resolve(n, f"{where}: field 'present'") for n in _names(data.get("present"), f"{where}: field 'present'")
    ]
    absent = [
        index.resolve(n, f"{where}: field 'absent'") for n in _names(data.get("absent"), f"{where}: field 'absent'")
    ]
    return _finish(str(case_id), present, absent, None if age is None else float(age), sex, index, where)


_ISO_AGE = re.compile(r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?$")


def _iso_age(value: Any, where: str) -> float:
    m = _ISO_AGE.match(value) if isinstance(value, str) else None
    if not m or not any(m.groups()):
        raise CaseError(where, f"{value!r} is not an ISO 8601 duration such as 'P78Y'")
    y, mo, w, d = (float(x) if x else 0.0 for x in m.groups())
    return y + mo / 12 + w / 52.1775 + d / 365.25


def parse_phenopacket(data: Mapping[str, Any], index: FindingIndex, where: str) -> Case:
    """A case from a GA4GH Phenopacket v2 (JSON form): ``phenotypicFeatures[].type.id`` and ``excluded``."""
    case_id = data.get("id")
    if not isinstance(case_id, str) or not case_id.strip():
        raise CaseError(f"{where}: field 'id'", "a phenopacket needs a non-empty string id")
    feats = data.get("phenotypicFeatures")
    if not isinstance(feats, list):
        raise CaseError(f"{where}: field 'phenotypicFeatures'", "must be a list")
    present: list[str] = []
    absent: list[str] = []
    for i, feat in enumerate(feats):
        fw = f"{where}: phenotypicFeatures[{i}]"
        ftype = feat.get("type") if isinstance(feat, dict) else None
        if not isinstance(ftype, dict) or not isinstance(ftype.get("id"), str):
            raise CaseError(fw, "needs 'type': {'id': CURIE, 'label': ...}")
        excluded = feat.get("excluded", False)
        if not isinstance(excluded, bool):
            raise CaseError(f"{fw}.excluded", "must be true or false")
        try:
            iri = index.resolve(ftype["id"], f"{fw}.type.id")
        except UnknownTermError:
            label = ftype.get("label")
            if not isinstance(label, str):
                raise
            iri = index.resolve(label, f"{fw}.type.label")
        (absent if excluded else present).append(iri)
    subject = data.get("subject") or {}
    if not isinstance(subject, dict):
        raise CaseError(f"{where}: field 'subject'", "must be an object")
    age = None
    t = subject.get("timeAtLastEncounter")
    if isinstance(t, dict) and isinstance(t.get("age"), dict):
        age = _iso_age(t["age"].get("iso8601duration"), f"{where}: subject.timeAtLastEncounter.age.iso8601duration")
    sex = subject.get("sex")
    sex_map = {"MALE": "male", "FEMALE": "female", "OTHER_SEX": "other", "UNKNOWN_SEX": "unknown"}
    if sex is not None and sex not in sex_map:
        raise CaseError(f"{where}: subject.sex", f"{sex!r} is not one of {', '.join(sex_map)}")
    return _finish(case_id, present, absent, age, sex_map.get(sex) if sex else None, index, where)


def load_case_file(path: Path, index: FindingIndex) -> Case:
    """Read a case from a YAML or JSON file (calcgraph shape or phenopacket)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CaseError(str(path), "no such file") from exc
    except UnicodeDecodeError as exc:
        raise CaseError(str(path), "not UTF-8 text") from exc
    except OSError as exc:
        raise CaseError(str(path), f"cannot read: {exc.strerror}") from exc
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaseError(f"{path}:{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}") from exc
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            raise CaseError(where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    return parse_case_dict(data, index, str(path))


def parse_jsonl_line(line: str, index: FindingIndex, where: str) -> Case | CaseError | UnknownTermError:
    """One JSON Lines record as a case, or the error that names ``where`` (``FILE:LINE``) and what is wrong."""
    try:
        return parse_case_dict(json.loads(line), index, where)
    except json.JSONDecodeError as exc:
        return CaseError(where, f"invalid JSON: {exc.msg} (column {exc.colno})")
    except (CaseError, UnknownTermError) as exc:
        return exc


def iter_jsonl_cases(path: Path, index: FindingIndex) -> Iterable[tuple[int, Case | CaseError | UnknownTermError]]:
    """Yield ``(line_number, case or error)`` per non-blank line of a JSON Lines file; a bad line never stops it."""
    with Path(path).open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            yield n, parse_jsonl_line(line, index, f"{path}:{n}")
