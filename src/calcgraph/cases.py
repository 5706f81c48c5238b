"""Patient cases: parse case files (YAML/JSON) and GA4GH phenopackets into :class:`Case` records.

A case names findings by label or exact synonym (case-insensitive), by ``CALCGRAPH:`` CURIE or by HPO CURIE; the
:class:`FindingIndex`, built from the ontology, resolves each name to the finding's IRI. An HPO term is read through
the ontology's SKOS mappings and the HPO hierarchy (:mod:`calcgraph.hpo`): a present term asserts the findings whose
exact or narrow HPO term it is or descends from; an excluded term excludes the findings whose exact or broad HPO term
it is or is an ancestor of. Case files are strict: an unknown key, a wrong type or an unknown finding is an error
naming the file and the field. Phenopackets are parsed and validated with the GA4GH ``phenopackets`` package; their
terms that map to no finding are kept in :attr:`Case.unused` (an error only with ``strict``).

>>> from rdflib import Graph
>>> g = Graph().parse(data='''
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... @prefix oio: <http://www.geneontology.org/formats/oboInOwl#> .
... @prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
... @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
... @prefix obo: <http://purl.obolibrary.org/obo/> .
... cg:0003101 rdfs:subClassOf cg:0000002 ; rdfs:label "fever" ; skos:exactMatch obo:HP_0001945 .
... cg:0003102 rdfs:subClassOf cg:0000002 ; rdfs:label "hyperuricaemia" ; oio:hasExactSynonym "hyperuricemia" .
... ''', format="turtle")
>>> index = FindingIndex.from_graph(g, hp_import=None)
>>> case = parse_case_dict({"id": "c1", "present": ["HP:0001945"], "absent": ["Hyperuricemia"]}, index, "c1.yaml")
>>> [index.label(i) for i in case.present], [index.label(i) for i in case.absent]
(['fever'], ['hyperuricaemia'])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calcgraph.errors import CaseError, UnknownTermError
from calcgraph.hpo import HpoMapping
from calcgraph.iris import curie_to_iri, iri_to_curie

if TYPE_CHECKING:  # rdflib is imported where a graph is read: the diagnose path never needs it
    from rdflib import Graph

CASE_KEYS = {"id", "age", "sex", "present", "absent", "note"}
SEXES = {"male", "female", "other", "unknown"}
#: Demographic findings derived from a case's ``age`` and ``sex`` (labels of finding classes in the ontology).
AGE_FINDING = ("age over 60 years", 60.0)
MALE_FINDING = "male sex"


#: Word pairs of opposite meaning: a suggestion never swaps one for the other ('hypo...' for 'hyper...').
OPPOSITES = (
    ("hypo", "hyper"),
    ("increased", "decreased"),
    ("elevated", "decreased"),
    ("elevated", "low"),
    ("high", "low"),
    ("raised", "low"),
    ("positive", "negative"),
    ("present", "absent"),
    ("normal", "abnormal"),
    ("acute", "chronic"),
    ("painful", "painless"),
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.casefold())


def opposite(a: str, b: str) -> bool:
    """True if ``b`` says the opposite of ``a`` on some axis (hypo/hyper, positive/negative, ...).

    >>> opposite("Hypophosphatemia", "hyperphosphataemia"), opposite("Hypophosphatemia", "hypocalcaemia")
    (True, False)
    >>> opposite("normal calcium", "abnormal calcium"), opposite("painful nodule", "painless nodule")
    (True, True)
    """
    wa, wb = _words(a), _words(b)
    for x, y in OPPOSITES:
        for p, q in ((x, y), (y, x)):
            a_has = any(w == p or (w.startswith(p) and not w.startswith(q)) for w in wa)
            b_has = any(w == q or (w.startswith(q) and not w.startswith(p)) for w in wb)
            a_other = any(w == q or (w.startswith(q) and not w.startswith(p)) for w in wa)
            b_same = any(w == p or (w.startswith(p) and not w.startswith(q)) for w in wb)
            if a_has and b_has and not a_other and not b_same:
                return True
    return False


def _fold_spelling(text: str) -> str:
    """British and American spellings compare equal (haem/hem, oes/es, aemia/emia)."""
    t = text.casefold()
    for uk, us in (("aem", "em"), ("oes", "es"), ("paed", "ped"), ("ise", "ize")):
        t = t.replace(uk, us)
    return t


#: Characters of an unknown name compared with the labels.
SUGGEST_CHARS = 200


def suggest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The closest labels to ``name`` by spelling, leaving out those that mean its opposite.

    Bounded: only the first :data:`SUGGEST_CHARS` characters of ``name`` are compared, so a huge name costs no more
    than a long one (a 50 MB name once took 2 GB in difflib)."""
    import difflib  # only when a name is not found

    name = name[:SUGGEST_CHARS]
    choices = [c for c in sorted(set(choices)) if not opposite(name, c)]
    folded = {_fold_spelling(c): c for c in choices}
    close = [folded[c] for c in difflib.get_close_matches(_fold_spelling(name), list(folded), n=n, cutoff=0.5)]
    if not close:
        key = name.casefold().strip()
        close = [c for c in choices if key and key in c.casefold()][:n]
    return close


@dataclass(frozen=True)
class FindingIndex:
    """Resolves the names a user may give a finding (label, synonym, CURIE, HPO term) to its IRI."""

    keys: Mapping[str, str]
    labels: Mapping[str, str]
    hpo: HpoMapping | None = None

    @classmethod
    def from_graph(cls, g: Graph, hp_import: Path | bool | None = True) -> FindingIndex:
        """The index of the findings in ``g``. HPO terms are read through ``g``'s SKOS mappings and the hierarchy of
        the HPO import module ``hp_import`` (default: the release's, ``ontology/imports/hp_import.owl``; ``None``
        uses no hierarchy: only the mapped terms themselves)."""
        from rdflib import URIRef
        from rdflib.namespace import RDFS

        from calcgraph.vocab import FINDING, OIO

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
        for k in ambiguous:  # a name shared by two findings resolves to neither
            del keys[k]
        if hp_import is True:
            from calcgraph import paths

            hp_import = paths.hp_import()
        hpo = HpoMapping.from_graph(g, hp_import if isinstance(hp_import, Path) else None)
        return cls(keys, labels, hpo)

    def label(self, iri: str) -> str:
        return self.labels.get(iri, iri)

    def resolve(self, name: str, where: str | None = None) -> str:
        """The IRI of the finding called ``name``; :class:`UnknownTermError` with suggestions otherwise.

        An HPO CURIE resolves here only when it asserts exactly one finding; use :meth:`resolve_terms` for the
        HPO rules in full."""
        key = name.casefold().strip()
        if key in self.keys:
            return self.keys[key]
        iri = curie_to_iri(name.strip())
        if iri and iri in self.labels:
            return iri
        if key.startswith("hp:"):
            found = self.resolve_terms(name, where)
            if len(found) == 1:
                return found[0]
        raise UnknownTermError(name, "finding", suggest(name, self.labels.values()), where=where)

    def hpo_findings(self, curie: str, excluded: bool = False) -> tuple[str, ...]:
        """The findings a present (or an excluded) HPO term asserts (excludes); empty if none."""
        if self.hpo is None:
            return ()
        return self.hpo.excluded(curie) if excluded else self.hpo.present(curie)

    def resolve_terms(self, name: str, where: str | None = None, excluded: bool = False) -> tuple[str, ...]:
        """The findings ``name`` stands for: one for a label, synonym or CURIE; for an HPO CURIE, those the HPO
        rules give (none is an error naming the findings it is only related to)."""
        name = name.strip()
        if not name.upper().startswith("HP:"):
            return (self.resolve(name, where),)
        curie = "HP:" + name[3:]
        found = self.hpo_findings(curie, excluded)
        if found:
            return found
        raise self.unmapped_error(curie, where, excluded)

    def unmapped_error(
        self, curie: str, where: str | None, excluded: bool, label: str | None = None
    ) -> UnknownTermError:
        """The error for an HPO term that maps to no finding, with the findings it is only related to as the hint."""
        hpo_label = (self.hpo.label(curie) if self.hpo else None) or label
        shown = f"{curie} ({hpo_label})" if hpo_label else curie
        err = UnknownTermError(shown, "finding", [], where=where)
        related = self.hpo.related_findings(curie) if self.hpo else ()
        if related:
            kinds = {"broadMatch": "broader than", "narrowMatch": "narrower than", "closeMatch": "close to"}
            err.hint = (
                f"{curie} is only "
                + "; ".join(f"{kinds.get(p, 'related to')} {self.label(f)!r}" for f, p in related)
                + f", so it does not {'exclude' if excluded else 'assert'} it: name the finding itself"
            )
        else:
            err.hint = "no calcgraph finding maps to this HPO term or to a more general one (docs/hpo.md)"
        return err


@dataclass(frozen=True)
class UnusedTerm:
    """A term of a phenopacket that maps to no calcgraph finding (kept, reported, never used)."""

    id: str
    label: str
    excluded: bool
    where: str
    related: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "label": self.label, "excluded": self.excluded}
        if self.related:
            d["related_findings"] = list(self.related)
        return d


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
    #: Phenopacket terms that map to no finding (see :class:`UnusedTerm`).
    unused: tuple[UnusedTerm, ...] = ()


def _names(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    try:  # every item text and not blank (str.strip refuses anything that is not text)
        ok = isinstance(value, list) and all(map(str.strip, value))
    except TypeError:
        ok = False
    if not ok:
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
    unused: Iterable[UnusedTerm] = (),
) -> Case:
    p_demo, a_demo = _demographics(index, age, sex)
    present, absent = list(present), list(absent)
    said = {"age": age, "sex": sex}
    for demo, other, verb in ((p_demo, absent, "absent"), (a_demo, present, "present")):
        for x in demo:
            if x in other:
                field = "age" if x == index.keys.get(AGE_FINDING[0]) else "sex"
                raise CaseError(
                    f"{where}: field {field!r}",
                    f"{said[field]!r} contradicts the {verb} finding {index.label(x)!r}",
                    hint=f"the finding follows from {field}: leave it out, or correct {field}",
                )
    pres = list(dict.fromkeys([*present, *p_demo]))
    abse = list(dict.fromkeys([*absent, *a_demo]))
    both = sorted(set(pres) & set(abse))
    if both:
        raise CaseError(where, "finding(s) both present and absent: " + ", ".join(index.label(i) for i in both))
    return Case(case_id, tuple(pres), tuple(abse), age, sex, where, unused=tuple(unused))


#: Names resolved by the last index used (:func:`_memo`): a batch names the same few hundred findings again and again.
_MEMO: dict[str, Any] = {"index": None, "names": {}}
_MEMO_SIZE = 100_000


def _memo(index: FindingIndex) -> dict[tuple[str, bool], tuple[str, ...]]:
    """The names ``index`` has resolved (``(name, excluded)`` -> findings), kept while the same index is used; only
    names that resolved are kept (an unknown name is looked up, and reported, each time)."""
    if _MEMO["index"] is not index:
        _MEMO["index"], _MEMO["names"] = index, {}
    names: dict[tuple[str, bool], tuple[str, ...]] = _MEMO["names"]
    return names


def parse_case_dict(data: Any, index: FindingIndex, where: str, *, strict: bool = False) -> Case:
    """A case from a mapping: either the calcgraph case shape or a GA4GH phenopacket (has ``phenotypicFeatures``)."""
    if not isinstance(data, dict):
        raise CaseError(where, "a case must be a mapping (YAML/JSON object)")
    if "phenotypicFeatures" in data:
        return parse_phenopacket(data, index, where, strict=strict)
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
    found: dict[str, list[str]] = {"present": [], "absent": []}
    memo = _memo(index)
    for key, out in found.items():
        fw = f"{where}: field {key!r}"
        excluded = key == "absent"
        for n in _names(data.get(key), fw):
            got = memo.get((n, excluded))
            if got is None:
                got = index.resolve_terms(n, fw, excluded=excluded)
                if len(memo) < _MEMO_SIZE:
                    memo[n, excluded] = got
            out.extend(got)
    age_years = None if age is None else float(age)
    return _finish(str(case_id), found["present"], found["absent"], age_years, sex, index, where)


_ISO_AGE = re.compile(r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?$")


def _iso_age(value: Any, where: str) -> float:
    m = _ISO_AGE.match(value) if isinstance(value, str) else None
    if not m or not any(m.groups()):
        raise CaseError(where, f"{value!r} is not an ISO 8601 duration such as 'P78Y'")
    y, mo, w, d = (float(x) if x else 0.0 for x in m.groups())
    years = y + mo / 12 + w / 52.1775 + d / 365.25
    if not 0 <= years <= 130:  # 'P999999Y' and a 400-digit year (inf) were once accepted
        raise CaseError(where, f"{value[:40]!r} is not an age in years (0-130)")
    return years


def read_phenopacket(data: Mapping[str, Any], where: str) -> Any:
    """``data`` as a GA4GH Phenopacket v2 message (``phenopackets.schema.v2.Phenopacket``), validated against the
    schema by the official ``phenopackets`` package: an unknown field or a wrong type is a :class:`CaseError`."""
    from google.protobuf.json_format import ParseDict, ParseError
    from phenopackets.schema.v2 import Phenopacket

    try:
        return ParseDict(data, Phenopacket())
    except ParseError as exc:
        msg = str(exc).split("\n", 1)[0]
        hint = None
        if "negated" in msg or ("phenopacketSchemaVersion" in msg and "1." in msg):
            hint = "this looks like a v1 phenopacket: convert it to v2 (phenopacket-tools convert)"
        raise CaseError(where, f"not a valid GA4GH phenopacket v2: {msg}", hint=hint) from exc


#: Phenopacket v2 ``Sex`` enum names -> calcgraph sexes (UNKNOWN_SEX is also what an absent field reads as).
_SEXES = {"UNKNOWN_SEX": None, "FEMALE": "female", "MALE": "male", "OTHER_SEX": "other"}


def parse_phenopacket(data: Mapping[str, Any], index: FindingIndex, where: str, *, strict: bool = False) -> Case:
    """A case from a GA4GH Phenopacket v2 (JSON form): ``phenotypicFeatures[].type`` and ``excluded``.

    Terms are read with the HPO rules (:meth:`FindingIndex.resolve_terms`); a ``CALCGRAPH:`` CURIE or a calcgraph
    label also names a finding. A term that maps to no finding is kept in :attr:`Case.unused`; with ``strict`` it is
    an error (:class:`UnknownTermError`, naming the first such term and how many there are)."""
    pp = read_phenopacket(data, where)
    if not pp.id.strip():
        raise CaseError(f"{where}: field 'id'", "a phenopacket needs a non-empty string id")
    present: list[str] = []
    absent: list[str] = []
    unused: list[UnusedTerm] = []
    first_error: UnknownTermError | None = None
    for i, feat in enumerate(pp.phenotypic_features):
        fw = f"{where}: phenotypicFeatures[{i}]"
        term_id, label, excluded = feat.type.id.strip(), feat.type.label, feat.excluded
        if not term_id:
            raise CaseError(fw, "needs 'type': {'id': CURIE, 'label': ...}")
        try:
            found = index.resolve_terms(term_id, f"{fw}.type.id", excluded=excluded)
        except UnknownTermError as exc:
            found = ()
            if not term_id.upper().startswith("HP:") and label:  # a non-HPO id: its label may name a finding
                try:
                    found = (index.resolve(label, f"{fw}.type.label"),)
                except UnknownTermError:
                    found = ()
            if not found:
                if first_error is None:
                    first_error = exc
                related: tuple[str, ...] = ()
                if index.hpo is not None and term_id.upper().startswith("HP:"):
                    related = tuple(index.label(f) for f, _ in index.hpo.related_findings(term_id))
                unused.append(UnusedTerm(term_id, label, excluded, fw, related))
                continue
        (absent if excluded else present).extend(found)
    if strict and first_error is not None:
        first_error.hint = (
            f"{len(unused)} term(s) of this phenopacket map to no calcgraph finding; without --strict they are "
            "listed as unused_terms and the rest is used. " + (first_error.hint or "")
        ).strip()
        raise first_error
    age = None
    subject = pp.subject
    if subject.HasField("time_at_last_encounter") and subject.time_at_last_encounter.HasField("age"):
        age = _iso_age(
            subject.time_at_last_encounter.age.iso8601duration,
            f"{where}: subject.timeAtLastEncounter.age.iso8601duration",
        )
    from phenopackets.schema.v2 import Sex

    sex = _SEXES.get(Sex.Name(subject.sex))
    both = set(present) & set(absent)
    if both:
        raise CaseError(
            where,
            "finding(s) both present and excluded: " + ", ".join(sorted(index.label(i) for i in both)),
            hint="a present term and an excluded more general term contradict each other",
        )
    return _finish(pp.id, present, absent, age, sex, index, where, unused)


def load_case_file(path: Path, index: FindingIndex, *, strict: bool = False) -> Case:
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
    from calcgraph.safeparse import loads_json, loads_yaml

    data = (loads_json if path.suffix.lower() == ".json" else loads_yaml)(text, str(path))
    return parse_case_dict(data, index, str(path), strict=strict)


def parse_jsonl_line(
    line: str, index: FindingIndex, where: str, *, strict: bool = False
) -> Case | CaseError | UnknownTermError:
    """One JSON Lines record as a case, or the error that names ``where`` (``FILE:LINE``) and what is wrong."""
    from calcgraph.safeparse import MAX_LINE_BYTES, loads_json

    try:
        return parse_case_dict(loads_json(line, where, limit=MAX_LINE_BYTES, record=True), index, where, strict=strict)
    except (CaseError, UnknownTermError) as exc:
        return exc


def iter_jsonl_cases(path: Path, index: FindingIndex) -> Iterable[tuple[int, Case | CaseError | UnknownTermError]]:
    """Yield ``(line_number, case or error)`` per non-blank line of a JSON Lines file; a bad line never stops it."""
    from calcgraph.safeparse import decode_line

    with Path(path).open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                line = decode_line(raw, f"{path}:{n}")
            except CaseError as exc:
                yield n, exc
                continue
            yield n, parse_jsonl_line(line, index, f"{path}:{n}")
