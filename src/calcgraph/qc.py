"""Quality control of the ontology graph, in the spirit of ``robot report``.

Pure functions over an rdflib graph: each rule returns :class:`Problem` records; :func:`report` runs them all.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TypeGuard

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from calcgraph.vocab import (
    CALCGRAPH_PREFIX,
    IAO_DEFINITION,
    OIO,
    SOURCE,
    iri_to_curie,
)

#: Accepted shapes of cross-reference CURIEs (and source URLs).
XREF_PATTERNS: dict[str, re.Pattern[str]] = {
    "CALCGRAPH": re.compile(r"^CALCGRAPH:\d{7}$"),
    "HP": re.compile(r"^HP:\d{7}$"),
    "MONDO": re.compile(r"^MONDO:\d{7}$"),
    "DOID": re.compile(r"^DOID:\d{1,7}$"),
    "ORPHA": re.compile(r"^ORPHA:\d{1,7}$"),
    "OMIM": re.compile(r"^OMIM:\d{6}$"),
    "ICD10WHO": re.compile(r"^ICD10WHO:[A-Z]\d{2}(\.\d{1,2})?$"),
    "ICD10CM": re.compile(r"^ICD10CM:[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$"),
    "ICD11": re.compile(r"^ICD11:\d{5,12}$"),
    "SCTID": re.compile(r"^SCTID:\d{6,18}$"),
    "PMID": re.compile(r"^PMID:\d{1,9}$"),
    "PMCID": re.compile(r"^PMCID:PMC\d{3,9}$"),
    "DOI": re.compile(r"^DOI:10\.\d{4,9}/\S+$"),
    "http": re.compile(r"^http://\S+$"),
    "https": re.compile(r"^https://\S+$"),
}


def xref_is_wellformed(xref: str) -> bool:
    """True when ``xref`` is a CURIE of a known prefix with a valid local part, or a URL.

    >>> xref_is_wellformed("MONDO:0001314"), xref_is_wellformed("MONDO:1314"), xref_is_wellformed("FOO:1")
    (True, False, False)
    >>> xref_is_wellformed("ICD10WHO:M11.2"), xref_is_wellformed("PMCID:PMC4694041")
    (True, True)
    """
    prefix = xref.split(":", 1)[0]
    pattern = XREF_PATTERNS.get(prefix)
    return bool(pattern and pattern.match(xref))


@dataclass(frozen=True, order=True)
class Problem:
    """One QC finding: the rule that fired, the entity (CURIE) and what is wrong."""

    rule: str
    entity: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.entity}: {self.message}"


def _name(node: object) -> str:
    return iri_to_curie(str(node)) or str(node)


def _own(node: object) -> TypeGuard[URIRef]:
    return isinstance(node, URIRef) and str(node).startswith(CALCGRAPH_PREFIX)


def declared_entities(g: Graph) -> set[URIRef]:
    """calcgraph IRIs declared with an rdf:type."""
    return {s for s in g.subjects(RDF.type, None) if _own(s)}


def _labelled_kinds(g: Graph) -> set[URIRef]:
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.AnnotationProperty, OWL.DatatypeProperty, OWL.NamedIndividual}
    return {s for k in kinds for s in g.subjects(RDF.type, k) if _own(s)}


def check_header(g: Graph) -> list[Problem]:
    onts = list(g.subjects(RDF.type, OWL.Ontology))
    if len(onts) != 1:
        return [Problem("ontology-header", "ontology", f"expected one owl:Ontology, found {len(onts)}")]
    ont = onts[0]
    out = []
    for prop, what in [
        (OWL.versionIRI, "versionIRI"),
        (DCTERMS.title, "title"),
        (DCTERMS.description, "description"),
        (DCTERMS.license, "licence"),
    ]:
        if g.value(ont, prop) is None:
            out.append(Problem("ontology-header", str(ont), f"missing {what}"))
    version = g.value(ont, OWL.versionIRI)
    if version is not None and not re.search(r"/\d{4}-\d{2}-\d{2}/", str(version)):
        out.append(Problem("ontology-header", str(ont), f"versionIRI {version} carries no release date"))
    return out


def check_labels(g: Graph) -> list[Problem]:
    """One label per entity: every declared entity has one, and no ``CALCGRAPH:`` IRI (declared or not) has two."""
    kinds = _labelled_kinds(g)
    out = []
    for s in sorted(kinds | {s for s in g.subjects(RDFS.label, None) if _own(s)}):
        labels = sorted({o for o in g.objects(s, RDFS.label)}, key=str)
        if not labels and s in kinds:
            out.append(Problem("missing-label", _name(s), "no rdfs:label"))
        elif len(labels) > 1:
            values = ", ".join(repr(str(lab)) for lab in labels)
            out.append(Problem("multiple-labels", _name(s), f"{len(labels)} rdfs:label values: {values}"))
        for lab in labels:
            if str(lab) != str(lab).strip() or "  " in str(lab):
                out.append(Problem("label-whitespace", _name(s), f"label {str(lab)!r} has stray whitespace"))
    return out


def check_source_records(g: Graph) -> list[Problem]:
    """One bibliographic source per IRI: a source individual with two citations, or an IRI that is both a source and
    a class or property, is two records that were given the same ``CALCGRAPH:09xxxxx`` identifier."""
    out = []
    other_kinds = (OWL.Class, OWL.ObjectProperty, OWL.AnnotationProperty, OWL.DatatypeProperty)
    for s in sorted(x for x in g.subjects(RDF.type, SOURCE) if _own(x)):
        citations = sorted({str(c) for c in g.objects(s, DCTERMS.bibliographicCitation)})
        if len(citations) > 1:
            shown = "; ".join(repr(c[:60] + ("..." if len(c) > 60 else "")) for c in citations)
            out.append(
                Problem(
                    "source-iri-reused",
                    _name(s),
                    f"one IRI carries {len(citations)} bibliographic citations ({shown}): give each source its own IRI",
                )
            )
        clash = [_name(k) for k in other_kinds if (s, RDF.type, k) in g]
        if clash:
            out.append(
                Problem("source-iri-reused", _name(s), f"a bibliographic source also declared as {', '.join(clash)}")
            )
    return out


#: A statement block of a source individual in the edit file (``CALCGRAPH:09xxxxx`` at the start of a line).
_SOURCE_BLOCK = re.compile(r"^(CALCGRAPH:09\d{5})\s", re.MULTILINE)


def check_source_blocks(text: str) -> list[Problem]:
    """Source individuals written in more than one statement block of the edit file (Turtle text): two records given
    the same hand-picked identifier, caught even when their labels and citations agree.

    >>> text = 'CALCGRAPH:0900700 a owl:NamedIndividual .\\n\\nCALCGRAPH:0900700 rdfs:label "x" .\\n'
    >>> [str(p) for p in check_source_blocks(text)]
    ['[source-iri-reused] CALCGRAPH:0900700: written in 2 statement blocks (lines 1, 3): give each source its own IRI']
    """
    lines: dict[str, list[int]] = defaultdict(list)
    for m in _SOURCE_BLOCK.finditer(text):
        lines[m[1]].append(text.count("\n", 0, m.start()) + 1)
    return [
        Problem(
            "source-iri-reused",
            curie,
            f"written in {len(at)} statement blocks (lines {', '.join(map(str, at))}): give each source its own IRI",
        )
        for curie, at in sorted(lines.items())
        if len(at) > 1
    ]


def duplicate_publications(g: Graph) -> dict[str, list[str]]:
    """Publication CURIEs (PMID, DOI, PMCID, ISBN) registered under more than one source individual -> their CURIEs.

    Not a QC failure (a page and the article it shows may be registered apart), but worth merging.
    """
    owners: dict[str, set[str]] = defaultdict(set)
    for s in g.subjects(RDF.type, SOURCE):
        for x in g.objects(s, OIO.hasDbXref):
            if str(x).split(":", 1)[0] in {"PMID", "DOI", "PMCID", "ISBN"}:
                owners[str(x)].add(_name(s))
    return {x: sorted(o) for x, o in sorted(owners.items()) if len(o) > 1}


def check_duplicate_labels(g: Graph) -> list[Problem]:
    by_label: dict[str, set[URIRef]] = defaultdict(set)
    for s in _labelled_kinds(g):
        for lab in g.objects(s, RDFS.label):
            by_label[str(lab).casefold()].add(s)
    out = [
        Problem("duplicate-label", ", ".join(sorted(_name(s) for s in ents)), f"share the label {lab!r}")
        for lab, ents in sorted(by_label.items())
        if len(ents) > 1
    ]
    for subj, syn in g.subject_objects(OIO.hasExactSynonym):
        owners = by_label.get(str(syn).casefold(), set()) - {subj}
        for other in sorted(owners):
            out.append(
                Problem(
                    "synonym-is-other-label",
                    _name(subj),
                    f"exact synonym {str(syn)!r} is the label of {_name(other)}",
                )
            )
    return out


def _definition_axioms(g: Graph) -> dict[tuple[object, str], list[object]]:
    found: dict[tuple[object, str], list[object]] = defaultdict(list)
    for ax in g.subjects(OWL.annotatedProperty, IAO_DEFINITION):
        src, tgt = g.value(ax, OWL.annotatedSource), g.value(ax, OWL.annotatedTarget)
        found[(src, str(tgt))].extend(g.objects(ax, OIO.hasDbXref))
    return found


def check_definitions(g: Graph) -> list[Problem]:
    out = []
    axioms = _definition_axioms(g)
    entities = {s for s in g.subjects(RDF.type, OWL.Class) if _own(s)}
    entities |= {s for k in (OWL.ObjectProperty, OWL.AnnotationProperty) for s in g.subjects(RDF.type, k) if _own(s)}
    for s in sorted(entities):
        defs = list(g.objects(s, IAO_DEFINITION))
        if not defs:
            out.append(Problem("missing-definition", _name(s), "no IAO:0000115 definition"))
            continue
        if len(defs) > 1:
            out.append(Problem("multiple-definitions", _name(s), f"{len(defs)} definitions"))
        if (s, RDF.type, OWL.Class) in g and not any(axioms.get((s, str(d))) for d in defs):
            out.append(
                Problem(
                    "definition-without-source",
                    _name(s),
                    "definition has no oboInOwl:hasDbXref axiom annotation naming its source",
                )
            )
    return out


def registered_sources(g: Graph) -> set[str]:
    """CURIEs/URLs of the declared bibliographic sources."""
    return {str(x) for s in g.subjects(RDF.type, SOURCE) for x in g.objects(s, OIO.hasDbXref)}


def check_xrefs(g: Graph) -> list[Problem]:
    out = []
    sources = registered_sources(g)
    for s, x in g.subject_objects(OIO.hasDbXref):
        if not isinstance(x, Literal) or not xref_is_wellformed(str(x)):
            where = _name(g.value(s, OWL.annotatedSource)) if isinstance(s, BNode) else _name(s)
            out.append(
                Problem("malformed-xref", where, f"cross-reference {str(x)!r} is not a well-formed CURIE or URL")
            )
        is_source_ref = isinstance(s, BNode) or ((s, RDF.type, SOURCE) not in g and (s, RDF.type, OWL.Class) not in g)
        if is_source_ref and str(x) not in sources:
            where = _name(g.value(s, OWL.annotatedSource)) if isinstance(s, BNode) else _name(s)
            out.append(
                Problem("unregistered-source", where, f"source {str(x)!r} is not declared as a bibliographic source")
            )
    return out


def check_dangling(g: Graph) -> list[Problem]:
    declared = declared_entities(g)
    out = []
    seen: set[tuple[str, str]] = set()
    for s, p, o in g:
        if p == RDF.type:
            continue
        for node in (s, p, o):
            if _own(node) and node not in declared and (str(node), "x") not in seen:
                seen.add((str(node), "x"))
                out.append(Problem("dangling-reference", _name(node), "used but never declared"))
    return out


def check_punned_relations(g: Graph) -> list[Problem]:
    """Relations between classes (punned individuals) must link declared classes."""
    out = []
    props = {p for p in g.subjects(RDF.type, OWL.ObjectProperty) if _own(p)}
    for p in props:
        for s, o in g.subject_objects(p):
            for node in (s, o):
                if (
                    _own(node)
                    and (node, RDF.type, OWL.Class) not in g
                    and (node, RDF.type, OWL.NamedIndividual) not in g
                ):
                    out.append(Problem("relation-target", _name(node), f"related by {_name(p)} but not a class"))
    return out


_BAD_IRI_CHARS = re.compile(r'[<>"{}|\\^`\s]')


def check_iris(g: Graph) -> list[Problem]:
    """IRIs must not contain characters RDF forbids (they would break the RDF/XML and Turtle release files)."""
    bad = {str(n) for t in g for n in t if isinstance(n, URIRef) and _BAD_IRI_CHARS.search(str(n))}
    return [Problem("invalid-iri", repr(iri), "contains a character not allowed in an IRI") for iri in sorted(bad)]


RULES = (
    check_iris,
    check_header,
    check_labels,
    check_source_records,
    check_duplicate_labels,
    check_definitions,
    check_xrefs,
    check_dangling,
    check_punned_relations,
)


def report(g: Graph) -> list[Problem]:
    """All QC problems of ``g``, sorted; an empty list means the ontology passes."""
    problems: list[Problem] = []
    for rule in RULES:
        problems.extend(rule(g))
    return sorted(set(problems))
