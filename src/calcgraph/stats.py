"""How much of the finding-disease knowledge carries a published figure (issue 11).

Every *is typical of* / *is diagnostic of* / *argues against* assertion has an ``owl:Axiom`` with its figures
(sensitivity, specificity, LRs, frequency or an HPO frequency class), its sources (``oboInOwl:hasDbXref``) and, for
rows of the relation tables, a status (``sourced``, ``no published figure``, ``unreviewed``). A relation counts as
**sourced** when it carries a figure and a primary source (PMID, DOI, PMCID or ISBN) and its status is ``sourced``
(or, for an axiom without a status, when it has both).

:func:`figure_stats` counts them overall, by relation kind, by disease family (the disease's ancestor two levels
below *disease or disorder*, e.g. *calcinosis cutis*, *crystal arthropathy*) and by source kind;
:func:`non_primary_figures` lists the figures whose only sources are seeds, pages or other non-primary references.

>>> from rdflib import Graph
>>> g = Graph().parse(format="turtle", data='''
... @prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... @prefix oio: <http://www.geneontology.org/formats/oboInOwl#> .
... cg:0000020 rdfs:label "is typical of" . cg:0000001 rdfs:label "disease or disorder" .
... cg:0001001 rdfs:subClassOf cg:0000001 ; rdfs:label "calcinosis" .
... cg:0001002 rdfs:subClassOf cg:0001001 ; rdfs:label "calcinosis cutis" .
... cg:0001009 rdfs:subClassOf cg:0001002 ; rdfs:label "calciphylaxis" .
... cg:0003001 cg:0000020 cg:0001009 . cg:0003002 cg:0000020 cg:0001009 .
... [] a owl:Axiom ; owl:annotatedSource cg:0003001 ; owl:annotatedProperty cg:0000020 ;
...    owl:annotatedTarget cg:0001009 ; cg:0000018 0.52 ; cg:0000042 "sourced" ; oio:hasDbXref "PMID:26908770" .
... [] a owl:Axiom ; owl:annotatedSource cg:0003002 ; owl:annotatedProperty cg:0000020 ;
...    owl:annotatedTarget cg:0001009 ; cg:0000042 "no published figure" .
... ''')
>>> s = figure_stats(g)
>>> s.sourced, s.total, round(s.share, 2)
(1, 2, 0.5)
>>> s.by_family["calcinosis cutis"]
[1, 2]
>>> s.by_source_kind["PMID"], s.by_source_kind["none"]
(1, 1)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from calcgraph.tables import FIGURE_STATUS, FIGURES, FREQUENCY_CLASS, RELATIONS
from calcgraph.vocab import OIO, iri_to_curie

#: Prefixes of the primary sources a figure may cite.
PRIMARY_PREFIXES = ("PMID:", "DOI:", "PMCID:", "ISBN:")
#: Share of relations with a sourced figure that issue 11 asks for.
TARGET_SHARE = 0.90

ROOT = URIRef("https://w3id.org/calcgraph/CALCGRAPH_0000001")
_RELATION_NAMES = {iri: name for name, iri in RELATIONS.items()}


def is_primary(xref: str) -> bool:
    """True for a PMID, DOI, PMCID or ISBN reference.

    >>> is_primary("PMID:26908770"), is_primary("DOI:10.1056/NEJMra1505292"), is_primary("https://hpo.jax.org")
    (True, True, False)
    """
    return xref.startswith(PRIMARY_PREFIXES)


def source_kind(xref: str) -> str:
    """``PMID``, ``DOI``, ``PMCID``, ``ISBN`` or ``other``."""
    for p in PRIMARY_PREFIXES:
        if xref.startswith(p):
            return p[:-1]
    return "other"


@dataclass(frozen=True)
class Relation:
    """One finding-disease assertion with what its axiom carries."""

    finding: str
    relation: str
    disease: str
    family: str
    status: str
    has_figure: bool
    frequency_class: bool
    sources: tuple[str, ...]

    @property
    def primary(self) -> tuple[str, ...]:
        return tuple(x for x in self.sources if is_primary(x))

    @property
    def sourced(self) -> bool:
        if self.status in ("no published figure", "unreviewed"):
            return False
        return self.has_figure and bool(self.primary)


@dataclass
class FigureStats:
    """Counts of relations with a sourced figure; each ``by_*`` value is ``[sourced, total]``."""

    relations: list[Relation] = field(default_factory=list)
    by_relation: dict[str, list[int]] = field(default_factory=dict)
    by_family: dict[str, list[int]] = field(default_factory=dict)
    by_status: Counter[str] = field(default_factory=Counter)
    #: sourced relations by their first primary source's kind (PMID/DOI/PMCID/ISBN), plus ``frequency class`` for
    #: sourced figures that are HPO frequency classes, and ``none`` for relations without a sourced figure.
    by_source_kind: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return len(self.relations)

    @property
    def sourced(self) -> int:
        return sum(r.sourced for r in self.relations)

    @property
    def share(self) -> float:
        return self.sourced / self.total if self.total else 0.0


def _label(g: Graph, node: URIRef) -> str:
    label = g.value(node, RDFS.label)
    return str(label) if label is not None else (iri_to_curie(str(node)) or str(node))


def disease_family(g: Graph, disease: URIRef) -> str:
    """The ancestor two levels below *disease or disorder* (one level when the hierarchy is shallower)."""
    path: list[URIRef] = []
    node: URIRef | None = disease
    seen: set[URIRef] = set()
    while node is not None and node != ROOT and node not in seen:
        seen.add(node)
        path.append(node)
        parents = sorted(p for p in g.objects(node, RDFS.subClassOf) if isinstance(p, URIRef))
        node = parents[0] if parents else None
    if not path:
        return _label(g, disease)
    return _label(g, path[-2] if len(path) >= 3 else path[-1])


def relations(g: Graph) -> list[Relation]:
    """Every finding-disease assertion of ``g`` with its axiom's figures, status and sources."""
    axioms: dict[tuple[URIRef, URIRef, URIRef], list[URIRef]] = {}
    for ax in g.subjects(RDF.type, OWL.Axiom):
        prop = g.value(ax, OWL.annotatedProperty)
        if prop in _RELATION_NAMES:
            key = (g.value(ax, OWL.annotatedSource), prop, g.value(ax, OWL.annotatedTarget))
            axioms.setdefault(key, []).append(ax)  # type: ignore[arg-type]
    out = []
    for iri, name in _RELATION_NAMES.items():
        for f, d in g.subject_objects(iri):
            if not (isinstance(f, URIRef) and isinstance(d, URIRef)):
                continue
            axs = axioms.get((f, iri, d), [])
            figures = any(g.value(a, p) is not None for a in axs for p in FIGURES.values())
            fclass = any(g.value(a, FREQUENCY_CLASS) is not None for a in axs)
            statuses = [str(g.value(a, FIGURE_STATUS)) for a in axs if g.value(a, FIGURE_STATUS) is not None]
            xrefs = {str(x) for a in axs for x in g.objects(a, OIO.hasDbXref) if isinstance(x, Literal)}
            sources = tuple(sorted(xrefs))
            out.append(
                Relation(
                    finding=_label(g, f),
                    relation=name,
                    disease=_label(g, d),
                    family=disease_family(g, d),
                    status=statuses[0] if statuses else "",
                    has_figure=figures or fclass,
                    frequency_class=fclass and not figures,
                    sources=sources,
                )
            )
    return sorted(out, key=lambda r: (r.family, r.disease, r.relation, r.finding))


def figure_stats(g: Graph) -> FigureStats:
    """Count the relations of ``g`` with a sourced figure."""
    s = FigureStats(relations=relations(g))
    for r in s.relations:
        for table, key in ((s.by_relation, r.relation), (s.by_family, r.family)):
            cell = table.setdefault(key, [0, 0])
            cell[0] += r.sourced
            cell[1] += 1
        s.by_status[r.status or "(no status)"] += 1
        if not r.sourced:
            s.by_source_kind["none"] += 1
        elif r.frequency_class:
            s.by_source_kind["frequency class"] += 1
        else:
            s.by_source_kind[source_kind(r.primary[0])] += 1
    return s


def non_primary_figures(g: Graph) -> list[Relation]:
    """Relations that carry a figure but no PMID/DOI/PMCID/ISBN source (seed, page or nothing)."""
    return [r for r in relations(g) if r.has_figure and not r.primary]


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f} %)" if b else "0/0"


def format_stats(s: FigureStats, non_primary: Iterable[Relation] = ()) -> str:
    """The report ``calcgraph stats`` prints."""
    lines = [
        f"finding-disease relations with a sourced figure: {_pct(s.sourced, s.total)} (target {TARGET_SHARE:.0%})",
        "",
        "by relation kind:",
        *(f"  {k:<22} {_pct(*v)}" for k, v in sorted(s.by_relation.items())),
        "by disease family:",
        *(f"  {k:<34} {_pct(*v)}" for k, v in sorted(s.by_family.items())),
        "by source kind (sourced relations by their primary source; none = no sourced figure):",
        *(f"  {k:<22} {v}" for k, v in sorted(s.by_source_kind.items())),
        "by status:",
        *(f"  {k:<22} {v}" for k, v in sorted(s.by_status.items())),
    ]
    bad = list(non_primary)
    lines.append(f"figures without a PMID/DOI/PMCID/ISBN source: {len(bad)}")
    lines.extend(f"  {r.finding} {r.relation} {r.disease}: {', '.join(r.sources) or 'no source'}" for r in bad)
    return "\n".join(lines)


def qc_summary(g: Graph) -> str:
    """The lines ``calcgraph qc`` adds after its problems: the sourced share and every figure without a primary
    source (reported, not fatal: the relation tables are being sourced; ``calcgraph stats --check`` is strict)."""
    s, bad = figure_stats(g), non_primary_figures(g)
    lines = [
        f"sourced figures: {_pct(s.sourced, s.total)} of finding-disease relations (target {TARGET_SHARE:.0%}; "
        "`calcgraph stats` for the breakdown)"
    ]
    lines.append(f"figures without a PMID/DOI/PMCID/ISBN source: {len(bad)}")
    lines.extend(f"  {r.finding} {r.relation} {r.disease}: {', '.join(r.sources) or 'no source'}" for r in bad)
    return "\n".join(lines)
