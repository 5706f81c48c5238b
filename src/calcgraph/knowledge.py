"""Diagnostic knowledge read from the ontology with SPARQL: the input of :mod:`calcgraph.diagnose`.

Nothing here is a medical fact: every disease, finding, relation, figure and source comes from the ontology's triples
and axiom annotations (``docs/diagnosis.md``). Adding a finding-disease axiom to the ontology changes the knowledge
base, and so the rankings, without a code change.

**Inheritance.** Relations are asserted on the most specific disease the literature names. A disease inherits the
evidence of its superclasses (``rdfs:subClassOf``, transitively): a finding typical of *calcium pyrophosphate
deposition disease* is typical of *pseudogout*, because every patient with pseudogout has CPPD. For a (finding,
disease) pair the effective evidence is chosen among the axioms on the disease and on its ancestors:

1. an ``argues against`` asserted on the disease itself wins (the more specific statement overrides the inherited one);
2. otherwise the strongest positive axiom (own or inherited): ``is diagnostic of`` before ``is typical of``, then an
   axiom with figures (sensitivity, specificity, LR, frequency) before one without, then the nearest ancestor, then
   the ancestor whose IRI sorts first (so that the choice never depends on set order);
3. otherwise the nearest inherited ``argues against``.

Evidence never flows upwards (a finding typical of pseudogout says nothing about CPPD as a whole). ``can coexist
with`` is symmetric and inherited downwards on both sides (a subtype of a disease coexists with what the disease
coexists with). Candidates are the diseases with at least one effective ``is typical of``/``is diagnostic of``
finding.

>>> from rdflib import Graph
>>> g = Graph().parse(data='''
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... @prefix owl: <http://www.w3.org/2002/07/owl#> .
... @prefix oio: <http://www.geneontology.org/formats/oboInOwl#> .
... @prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
... cg:0001020 rdfs:subClassOf cg:0000001 ; rdfs:label "CPPD" .
... cg:0001021 rdfs:subClassOf cg:0001020 ; rdfs:label "pseudogout" .
... cg:0003101 rdfs:subClassOf cg:0000002 ; rdfs:label "CPP crystals" ; cg:0000021 cg:0001020 .
... [] a owl:Axiom ; owl:annotatedSource cg:0003101 ; owl:annotatedProperty cg:0000021 ;
...    owl:annotatedTarget cg:0001020 ; cg:0000014 0.95 ; cg:0000015 0.86 ; oio:hasDbXref "PMID:21216817" .
... ''', format="turtle")
>>> kb = knowledge_base(g)
>>> [kb.label(d) for d in kb.candidates]
['CPPD', 'pseudogout']
>>> ev = kb.effective[(curie_to_iri("CALCGRAPH:0003101"), curie_to_iri("CALCGRAPH:0001021"))]
>>> ev.relation, ev.sensitivity, kb.label(ev.disease), ev.sources
('diagnostic', 0.95, 'CPPD', ('PMID:21216817',))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from calcgraph import paths
from calcgraph.errors import OntologySourceError
from calcgraph.iris import CALCGRAPH_PREFIX, curie_to_iri, iri_to_curie

if TYPE_CHECKING:  # a graph may be given, but the diagnose path never imports rdflib (nor pyoxigraph: the
    # compiled model holds what it needs)
    import pyoxigraph as ox
    from rdflib import Graph

__all__ = ["Evidence", "KnowledgeBase", "curie_to_iri", "knowledge_base", "load_knowledge"]

#: Relation names used throughout the diagnosis code, with the ontology property each comes from.
RELATION_PROPERTIES: Mapping[str, str] = MappingProxyType(
    {
        "diagnostic": CALCGRAPH_PREFIX + "0000021",
        "typical": CALCGRAPH_PREFIX + "0000020",
        "against": CALCGRAPH_PREFIX + "0000022",
    }
)
RELATION_LABELS: Mapping[str, str] = MappingProxyType(
    {"diagnostic": "is diagnostic of", "typical": "is typical of", "against": "argues against"}
)
_RELATION_OF = {v: k for k, v in RELATION_PROPERTIES.items()}

#: HPO frequency classes that make a finding impossible to miss (obligate) or impossible to have (excluded).
OBLIGATE = "HP:0040280"
EXCLUDED = "HP:0040285"
#: HPO frequency terms (HP:0040279 subclasses) with their label and the range of proportions HPO defines for each.
FREQUENCY_CLASSES: Mapping[str, tuple[str, float, float]] = {
    "HP:0040280": ("obligate", 1.0, 1.0),
    "HP:0040281": ("very frequent", 0.8, 0.99),
    "HP:0040282": ("frequent", 0.3, 0.79),
    "HP:0040283": ("occasional", 0.05, 0.29),
    "HP:0040284": ("very rare", 0.01, 0.04),
    "HP:0040285": ("excluded", 0.0, 0.0),
}

_PREFIXES = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX oio: <http://www.geneontology.org/formats/oboInOwl#>
PREFIX cg: <{CALCGRAPH_PREFIX}>
"""

_Q_DISEASES = (
    _PREFIXES
    + """
SELECT ?d ?label ?parent WHERE {
  ?d rdfs:subClassOf+ cg:0000001 .
  OPTIONAL { ?d rdfs:label ?label }
  OPTIONAL { ?d rdfs:subClassOf ?parent . FILTER(isIRI(?parent)) }
}"""
)

_Q_FINDINGS = (
    _PREFIXES
    + """
SELECT ?f ?label WHERE { ?f rdfs:subClassOf+ cg:0000002 . ?f rdfs:label ?label }"""
)

_Q_FINDING_PARENTS = (
    _PREFIXES
    + """
SELECT ?f ?p WHERE { ?f rdfs:subClassOf ?p . ?f rdfs:subClassOf+ cg:0000002 . ?p rdfs:subClassOf+ cg:0000002 }"""
)

_Q_RELATIONS = (
    _PREFIXES
    + """
SELECT ?f ?p ?d ?sens ?spec ?lrp ?lrn ?freq ?fc ?n (GROUP_CONCAT(DISTINCT STR(?x); separator="|") AS ?sources) WHERE {
  VALUES ?p { cg:0000020 cg:0000021 cg:0000022 }
  ?f ?p ?d .
  OPTIONAL {
    ?a owl:annotatedSource ?f ; owl:annotatedProperty ?p ; owl:annotatedTarget ?d .
    OPTIONAL { ?a cg:0000014 ?sens } OPTIONAL { ?a cg:0000015 ?spec }
    OPTIONAL { ?a cg:0000016 ?lrp } OPTIONAL { ?a cg:0000017 ?lrn }
    OPTIONAL { ?a cg:0000018 ?freq } OPTIONAL { ?a cg:0000040 ?fc } OPTIONAL { ?a oio:hasDbXref ?x }
    OPTIONAL { ?a cg:0000043 ?n }
  }
} GROUP BY ?f ?p ?d ?sens ?spec ?lrp ?lrn ?freq ?fc ?n"""
)

_Q_COEXIST = _PREFIXES + "SELECT ?a ?b WHERE { ?a cg:0000026 ?b }"
_Q_CAUSES = (
    _PREFIXES
    + """
SELECT ?a ?b ?freq (GROUP_CONCAT(DISTINCT STR(?x); separator="|") AS ?sources) WHERE {
  ?a cg:0000023 ?b .
  OPTIONAL {
    ?ax owl:annotatedSource ?a ; owl:annotatedProperty cg:0000023 ; owl:annotatedTarget ?b ; cg:0000018 ?freq .
    OPTIONAL { ?ax oio:hasDbXref ?x }
  }
} GROUP BY ?a ?b ?freq"""
)


@dataclass(frozen=True)
class CauseFigure:
    """The sourced frequency of a 'can cause' axiom: the proportion of patients with the cause C who develop the
    calcinosis S (e.g. calcinosis in juvenile dermatomyositis, about one third), with its sources."""

    cause: str
    """The disease the axiom is asserted on (C itself or an ancestor of the candidate cause)."""
    frequency: float
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    """One asserted finding-disease axiom with its figures (``None`` where the ontology gives none) and sources."""

    finding: str
    disease: str
    relation: str  # "diagnostic" | "typical" | "against"
    sensitivity: float | None = None
    specificity: float | None = None
    lr_positive: float | None = None
    lr_negative: float | None = None
    frequency: float | None = None
    sources: tuple[str, ...] = ()
    frequency_class: str | None = None
    """HPO frequency term (``HP:0040280`` obligate ... ``HP:0040285`` excluded) where the source gives only words."""
    n: int | None = None
    """How many patients the source's figure was counted in (the table's ``n``), where it says."""

    @property
    def has_figures(self) -> bool:
        return any(
            x is not None
            for x in (
                self.sensitivity,
                self.specificity,
                self.lr_positive,
                self.lr_negative,
                self.frequency,
                self.frequency_class,
            )
        )

    @property
    def obligate(self) -> bool:
        """HPO frequency class *obligate* (HP:0040280): every patient with the disease has the finding."""
        return self.frequency_class == OBLIGATE

    @property
    def excluded(self) -> bool:
        """HPO frequency class *excluded* (HP:0040285): no patient with the disease has the finding."""
        return self.frequency_class == EXCLUDED

    @property
    def positive(self) -> bool:
        return self.relation in ("diagnostic", "typical")


@dataclass(frozen=True)
class KnowledgeBase:
    """Immutable diagnostic knowledge: candidates, findings, asserted and effective (inherited) evidence."""

    labels: Mapping[str, str]
    """IRI -> rdfs:label for every disease and finding."""
    parents: Mapping[str, frozenset[str]]
    """Disease IRI -> its direct superclasses (diseases only)."""
    ancestors: Mapping[str, frozenset[str]]
    """Disease IRI -> all its superclasses (not itself)."""
    findings: tuple[str, ...]
    """Every finding class (sorted IRIs)."""
    candidates: tuple[str, ...]
    """Diseases with at least one effective typical/diagnostic finding (sorted IRIs)."""
    asserted: tuple[Evidence, ...]
    effective: Mapping[tuple[str, str], Evidence]
    """(finding IRI, candidate IRI) -> the evidence that applies, possibly inherited (``Evidence.disease`` says from
    where)."""
    coexist: frozenset[tuple[str, str]]
    """Ordered pairs of candidates that can coexist (symmetric, inherited downwards)."""
    source: str = ""
    causes: frozenset[tuple[str, str]] = frozenset()
    """Ordered pairs (C, S) of candidates where C 'can cause' S (inherited downwards on both sides: a subtype of C
    causes what C causes, and a subtype of S is caused by what causes S)."""
    cause_figures: Mapping[tuple[str, str], CauseFigure] = field(default_factory=lambda: MappingProxyType({}))
    """(C, S) -> the sourced frequency of S in C, for the pairs of ``causes`` whose 'can cause' axiom on S itself
    (asserted on C or, nearest first, on an ancestor of C) carries a frequency. A subtype of S inherits none: how
    often C causes the subtype is not how often it causes S."""

    finding_ancestors: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Finding IRI -> its superclass findings (not itself, not the root *finding*), nearest first, then by IRI: a
    patient with the finding has each of them (*known dermatomyositis* is a *known connective tissue disease*)."""

    def label(self, iri: str) -> str:
        return self.labels.get(iri, iri)

    def curie(self, iri: str) -> str:
        return iri_to_curie(iri) or iri

    def can_coexist(self, a: str, b: str) -> bool:
        return (a, b) in self.coexist


def _float(term: ox.Literal | None) -> float | None:
    if term is None:
        return None
    try:
        return float(term.value)
    except ValueError:
        return None


def _store_from(source: Graph | Path | str | None) -> tuple[ox.Store, str]:
    import pyoxigraph as ox

    store = ox.Store()
    if source is not None and not isinstance(source, str | Path):  # an rdflib graph
        from rdflib import Graph

        if not isinstance(source, Graph):
            raise TypeError(f"not a graph, path or file name: {type(source).__name__}")
        store.load(source.serialize(format="nt").encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
        return store, "<rdflib graph>"
    path = Path(source) if source is not None else paths.release_ttl()
    fmt = ox.RdfFormat.RDF_XML if path.suffix.lower() in (".owl", ".rdf", ".xml") else ox.RdfFormat.TURTLE
    try:
        store.load(path=str(path), format=fmt)
    except FileNotFoundError as exc:
        raise OntologySourceError(str(path), None, "no such file", hint="run `calcgraph build` first") from exc
    except SyntaxError as exc:
        raise OntologySourceError(str(path), None, f"cannot parse: {exc}") from exc
    except OSError as exc:
        raise OntologySourceError(str(path), None, f"cannot read: {exc}") from exc
    return store, str(path)


def _closure(parents: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    memo: dict[str, frozenset[str]] = {}

    def up(node: str, seen: frozenset[str]) -> frozenset[str]:
        if node in memo:
            return memo[node]
        out: set[str] = set()
        for p in parents.get(node, ()):
            if p in seen:  # a cycle in rdfs:subClassOf: stop rather than recurse forever
                continue
            out.add(p)
            out |= up(p, seen | {p})
        memo[node] = frozenset(out)
        return memo[node]

    return {n: up(n, frozenset({n})) for n in parents}


def _distance(parents: Mapping[str, frozenset[str]], start: str) -> dict[str, int]:
    dist = {start: 0}
    frontier = [start]
    while frontier:
        nxt = []
        for n in frontier:
            for p in parents.get(n, ()):
                if p not in dist:
                    dist[p] = dist[n] + 1
                    nxt.append(p)
        frontier = nxt
    return dist


def _choose(own: list[Evidence], inherited: list[tuple[int, Evidence]]) -> Evidence | None:
    """The effective evidence for one (finding, disease) pair (rules in the module docstring)."""
    own_against = [e for e in own if e.relation == "against"]
    if own_against:
        return max(own_against, key=lambda e: (e.has_figures, e.sources))
    positives = [(0, e) for e in own if e.positive] + [(d, e) for d, e in inherited if e.positive]
    if positives:
        return max(positives, key=lambda de: (de[1].relation == "diagnostic", de[1].has_figures, -de[0]))[1]
    against = [(d, e) for d, e in inherited if e.relation == "against"]
    if against:
        return min(against, key=lambda de: (de[0], not de[1].has_figures))[1]
    return None


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The solutions of one of this module's SELECT queries."""
    import pyoxigraph as ox

    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)  # the _Q_* queries are all SELECT queries
    return solutions


def _build(store: ox.Store, source: str) -> KnowledgeBase:
    import pyoxigraph as ox

    labels: dict[str, str] = {}
    parents: dict[str, set[str]] = defaultdict(set)
    rows = list(_select(store, _Q_DISEASES))
    diseases = {r["d"].value for r in rows if isinstance(r["d"], ox.NamedNode)}
    for r in rows:
        d = r["d"].value
        if r["label"] is not None:
            labels.setdefault(d, r["label"].value)
        parents.setdefault(d, set())
        if r["parent"] is not None and r["parent"].value in diseases:
            parents[d].add(r["parent"].value)
    findings = set()
    for r in _select(store, _Q_FINDINGS):
        findings.add(r["f"].value)
        labels.setdefault(r["f"].value, r["label"].value)
    frozen_parents = {d: frozenset(ps) for d, ps in parents.items()}
    ancestors = _closure(frozen_parents)
    finding_parents: dict[str, set[str]] = defaultdict(set)
    for r in _select(store, _Q_FINDING_PARENTS):
        if r["f"].value in findings and r["p"].value in findings and r["p"].value != r["f"].value:
            finding_parents[r["f"].value].add(r["p"].value)
    frozen_finding_parents = {f: frozenset(ps) for f, ps in finding_parents.items()}
    finding_ancestors: dict[str, tuple[str, ...]] = {}
    for f in sorted(frozen_finding_parents):
        dist = _distance(frozen_finding_parents, f)
        finding_ancestors[f] = tuple(a for _, a in sorted((k, a) for a, k in dist.items() if a != f))

    asserted: list[Evidence] = []
    for r in _select(store, _Q_RELATIONS):
        f, d = r["f"].value, r["d"].value
        if f not in findings or d not in diseases:
            continue  # a relation on something that is not a finding/disease class is not diagnostic knowledge
        asserted.append(
            Evidence(
                finding=f,
                disease=d,
                relation=_RELATION_OF[r["p"].value],
                sensitivity=_float(r["sens"]),
                specificity=_float(r["spec"]),
                lr_positive=_float(r["lrp"]),
                lr_negative=_float(r["lrn"]),
                frequency=_float(r["freq"]),
                sources=tuple(sorted(s for s in (r["sources"].value if r["sources"] else "").split("|") if s)),
                frequency_class=iri_to_curie(r["fc"].value) if isinstance(r["fc"], ox.NamedNode) else None,
                n=int(r["n"].value) if r["n"] is not None else None,
            )
        )
    asserted.sort(key=lambda e: (e.disease, e.finding, e.relation, e.sources))
    by_disease: dict[str, dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    for e in asserted:
        by_disease[e.disease][e.finding].append(e)

    effective: dict[tuple[str, str], Evidence] = {}
    for d in sorted(diseases):
        dist = _distance(frozen_parents, d)
        finding_ids = set(by_disease[d]) | {f for a in ancestors.get(d, ()) for f in by_disease.get(a, {})}
        for f in finding_ids:
            own = by_disease[d].get(f, [])
            inherited = [
                (dist.get(a, 99), e) for a in sorted(ancestors.get(d, ())) for e in by_disease.get(a, {}).get(f, [])
            ]
            chosen = _choose(own, inherited)
            if chosen is not None:
                effective[(f, d)] = chosen
    candidates = sorted({d for (_, d), e in effective.items() if e.positive})
    cand_set = set(candidates)
    effective = {k: v for k, v in effective.items() if k[1] in cand_set}

    asserted_pairs = set()
    for r in _select(store, _Q_COEXIST):
        a, b = r["a"].value, r["b"].value
        asserted_pairs |= {(a, b), (b, a)}
    coexist = {
        (x, y)
        for x in candidates
        for y in candidates
        if x != y
        and any((a, b) in asserted_pairs for a in {x, *ancestors.get(x, ())} for b in {y, *ancestors.get(y, ())})
    }
    cause_rows = list(_select(store, _Q_CAUSES))
    cause_pairs = {(r["a"].value, r["b"].value) for r in cause_rows}
    asserted_figures: dict[tuple[str, str], CauseFigure] = {}
    for r in cause_rows:
        if r["freq"] is None:
            continue
        sources = tuple(sorted(x for x in r["sources"].value.split("|") if x)) if r["sources"] is not None else ()
        asserted_figures[(r["a"].value, r["b"].value)] = CauseFigure(r["a"].value, float(r["freq"].value), sources)
    causes = {
        (x, y)
        for x in candidates
        for y in candidates
        if x != y
        and any((a, b) in cause_pairs for a in {x, *ancestors.get(x, ())} for b in {y, *ancestors.get(y, ())})
    }
    cause_figures: dict[tuple[str, str], CauseFigure] = {}
    for x, y in sorted(causes):
        dist = _distance(frozen_parents, x)
        figured = sorted((dist[a], a) for a in dist if (a, y) in asserted_figures)
        if figured:
            cause_figures[(x, y)] = asserted_figures[(figured[0][1], y)]
    return KnowledgeBase(
        labels=MappingProxyType(labels),
        parents=MappingProxyType(frozen_parents),
        ancestors=MappingProxyType(ancestors),
        findings=tuple(sorted(findings)),
        candidates=tuple(candidates),
        asserted=tuple(asserted),
        effective=MappingProxyType(effective),
        coexist=frozenset(coexist),
        source=source,
        causes=frozenset(causes),
        cause_figures=MappingProxyType(cause_figures),
        finding_ancestors=MappingProxyType(finding_ancestors),
    )


def knowledge_base(source: Graph | Path | str | None = None) -> KnowledgeBase:
    """Read the knowledge base from an rdflib graph, an ontology file (Turtle or RDF/XML) or the release Turtle."""
    store, where = _store_from(source)
    return _build(store, where)


def load_knowledge(path: Path | str | None = None) -> KnowledgeBase:
    """The knowledge base of an ontology file (default: the release ``ontology/calcgraph.ttl``)."""
    return knowledge_base(Path(path) if path is not None else None)
