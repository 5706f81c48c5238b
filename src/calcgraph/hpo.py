"""HPO-aware input: the HPO import module and the rules that turn HPO terms into calcgraph findings.

The ontology maps findings to the Human Phenotype Ontology (HPO) with SKOS, honestly (``docs/hpo.md``):

* ``skos:exactMatch`` -- the HPO term is the same concept as the finding;
* ``skos:narrowMatch`` -- the HPO term is narrower: having it implies having the finding;
* ``skos:broadMatch`` -- the HPO term is broader: lacking it implies lacking the finding;
* ``skos:closeMatch`` -- related, neither implies the other.

A phenopacket term ``T`` **present** asserts finding ``F`` when ``T`` is ``F``'s exact or narrow HPO term or a
descendant of one (a more specific observation implies the general one). Of several mapped terms above ``T``, only
the most specific ones count, so a term never asserts both a finding and a broader one. A term ``T`` **excluded**
excludes ``F`` when ``F``'s exact or broad HPO term is ``T`` or a descendant of ``T`` (lacking the general excludes
the specific, never the reverse). Close matches never assert or exclude anything.

The HPO hierarchy comes from the import module ``ontology/imports/hp_import.owl``, which :func:`build_import` writes
at ``calcgraph build`` time from the HPO release shipped in the ``hpo3`` package: every HPO term a finding maps to,
with its descendants and its ancestors (so the module is a whole hierarchy up to the HPO root). Nothing is downloaded.

>>> m = HpoMapping(
...     asserting={"HP:0000934": ("f:chondrocalcinosis",)},
...     excluding={"HP:0000934": ("f:chondrocalcinosis",)},
...     related={},
...     hierarchy=HpoHierarchy({"HP:0005017": ("HP:0000934",), "HP:0000934": ("HP:0000001",)}, {}),
... )
>>> m.present("HP:0005017"), m.excluded("HP:0005017"), m.excluded("HP:0000001")
(('f:chondrocalcinosis',), (), ('f:chondrocalcinosis',))
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calcgraph.errors import OntologyQCError, OntologySourceError
from calcgraph.io import atomic_write_bytes
from calcgraph.iris import FINDING_IRI, OWL_NS, RDFS_NS, SKOS_NS, iri_to_curie

if TYPE_CHECKING:  # rdflib is imported where a graph is read: the diagnose path never needs it
    from rdflib import Graph, URIRef

#: The IRI of the HPO import module (an ontology of its own; ``catalog-v001.xml`` maps it to the local file); as an
#: rdflib term it is ``HP_IMPORT_IRI`` (made on first use, see ``__getattr__``).
HP_IMPORT = "https://w3id.org/calcgraph/imports/hp_import.owl"
HP_PREFIX = "http://purl.obolibrary.org/obo/HP_"
HP_ROOT = "HP:0000001"

_SKOS, _RDFS = SKOS_NS, RDFS_NS
#: SKOS mapping predicates (IRIs), and what each lets a present / an excluded HPO term say about the finding.
ASSERTS = (_SKOS + "exactMatch", _SKOS + "narrowMatch")
EXCLUDES = (_SKOS + "exactMatch", _SKOS + "broadMatch")
RELATED = (_SKOS + "closeMatch", _SKOS + "broadMatch", _SKOS + "narrowMatch", _SKOS + "relatedMatch")
MAPPINGS = tuple(_SKOS + x for x in ("exactMatch", "narrowMatch", "broadMatch", "closeMatch", "relatedMatch"))


def __getattr__(name: str) -> URIRef:
    """``HP_IMPORT_IRI``: the import module's IRI as an rdflib term, made when first asked for."""
    if name == "HP_IMPORT_IRI":
        from rdflib import URIRef

        return URIRef(HP_IMPORT)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def hp_curie(iri: str) -> str | None:
    """``HP:nnnnnnn`` for an HPO IRI; None for anything else.

    >>> hp_curie("http://purl.obolibrary.org/obo/HP_0000934"), hp_curie("https://example.org/x")
    ('HP:0000934', None)
    """
    curie = iri_to_curie(iri)
    return curie if curie and curie.startswith("HP:") else None


def finding_mappings(g: Graph) -> dict[str, list[tuple[str, str]]]:
    """HPO CURIE -> [(finding IRI, SKOS predicate local name)] for every SKOS mapping of a finding in ``g``."""
    from rdflib import URIRef

    subclass_of = URIRef(_RDFS + "subClassOf")
    findings = {str(s) for s in g.transitive_subjects(subclass_of, URIRef(FINDING_IRI))} - {FINDING_IRI}
    out: dict[str, list[tuple[str, str]]] = {}
    for pred in MAPPINGS:
        for s, o in g.subject_objects(URIRef(pred)):
            curie = hp_curie(str(o))
            if curie and str(s) in findings:
                out.setdefault(curie, []).append((str(s), str(pred).rsplit("#", 1)[-1]))
    for rows in out.values():
        rows.sort()
    return out


# ------------------------------------------------------------------------------------------------ the hierarchy


@dataclass(frozen=True)
class HpoHierarchy:
    """The HPO terms of the import module: their direct parents and their labels (CURIEs as keys)."""

    parents: Mapping[str, tuple[str, ...]]
    labels: Mapping[str, str]
    version: str = ""
    _cache: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def __contains__(self, curie: object) -> bool:
        return curie in self.parents

    def ancestors(self, curie: str) -> set[str]:
        """``curie`` and every ancestor of it (reflexive; just ``{curie}`` for a term outside the module)."""
        return _ancestors(self, curie)

    def label(self, curie: str) -> str | None:
        return self.labels.get(curie)


def _ancestors(h: HpoHierarchy, curie: str) -> set[str]:
    if curie in h._cache:
        return set(h._cache[curie])
    seen = {curie}
    stack = [curie]
    while stack:
        for p in h.parents.get(stack.pop(), ()):
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


@functools.lru_cache(maxsize=8)
def load_hierarchy(path: Path) -> HpoHierarchy:
    """Read an HPO import module (RDF/XML, as :func:`build_import` writes it)."""
    import pyoxigraph as ox

    parents: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    version = ""
    try:
        with Path(path).open("rb") as fh:
            quads = list(ox.parse(fh, format=ox.RdfFormat.RDF_XML))
    except FileNotFoundError as exc:
        raise OntologySourceError(str(path), None, "no such file", hint="run `calcgraph build` in a checkout") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise OntologySourceError(str(path), None, f"cannot read the HPO import module: {exc}") from exc
    sub, lab, ver = _RDFS + "subClassOf", _RDFS + "label", OWL_NS + "versionInfo"
    for q in quads:
        s, p, o = q.subject, q.predicate.value, q.object
        if not isinstance(s, ox.NamedNode):
            continue
        if p == ver:
            version = str(getattr(o, "value", o))
            continue
        c = hp_curie(s.value)
        if c is None:
            continue
        parents.setdefault(c, [])
        if p == sub and isinstance(o, ox.NamedNode):
            oc = hp_curie(o.value)
            if oc:
                parents[c].append(oc)
        elif p == lab and isinstance(o, ox.Literal):
            labels[c] = o.value
    return HpoHierarchy({k: tuple(sorted(v)) for k, v in parents.items()}, labels, version)


# ------------------------------------------------------------------------------------------------ the mapping rules


@dataclass(frozen=True)
class HpoMapping:
    """What a present or an excluded HPO term says about the findings (see the module docstring)."""

    asserting: Mapping[str, tuple[str, ...]]
    excluding: Mapping[str, tuple[str, ...]]
    related: Mapping[str, tuple[tuple[str, str], ...]]
    hierarchy: HpoHierarchy | None = None
    hierarchy_path: Path | None = None
    #: finding IRI -> its exactMatch HPO CURIE
    exact_of: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_graph(cls, g: Graph, hierarchy_path: Path | None = None) -> HpoMapping:
        asserting: dict[str, set[str]] = {}
        excluding: dict[str, set[str]] = {}
        related: dict[str, set[tuple[str, str]]] = {}
        exact_of: dict[str, str] = {}
        for curie, rows in finding_mappings(g).items():
            for finding, pred in rows:
                if pred == "exactMatch":
                    exact_of.setdefault(finding, curie)
                if pred in ("exactMatch", "narrowMatch"):
                    asserting.setdefault(curie, set()).add(finding)
                if pred in ("exactMatch", "broadMatch"):
                    excluding.setdefault(curie, set()).add(finding)
                if pred != "exactMatch":
                    related.setdefault(curie, set()).add((finding, pred))
        return cls(
            {k: tuple(sorted(v)) for k, v in asserting.items()},
            {k: tuple(sorted(v)) for k, v in excluding.items()},
            {k: tuple(sorted(v)) for k, v in related.items()},
            None,
            hierarchy_path,
            exact_of,
        )

    def _h(self) -> HpoHierarchy | None:
        if self.hierarchy is not None:
            return self.hierarchy
        if self.hierarchy_path is None or not Path(self.hierarchy_path).exists():
            return None
        return load_hierarchy(Path(self.hierarchy_path))

    def ancestors(self, curie: str) -> set[str]:
        h = self._h()
        return h.ancestors(curie) if h is not None else {curie}

    def present(self, curie: str) -> tuple[str, ...]:
        """The findings a present HPO term asserts (most specific mapped terms at or above it)."""
        # a mapped term is the most specific mapped term above itself
        above = {curie} if curie in self.asserting else self.ancestors(curie) & self.asserting.keys()
        if len(above) > 1:
            above = {m for m in above if not any(m != o and m in self.ancestors(o) for o in above)}
        return tuple(sorted({f for m in above for f in self.asserting[m]}))

    def excluded(self, curie: str) -> tuple[str, ...]:
        """The findings an excluded HPO term excludes (exact or broad terms at or below it)."""
        found = {f for m, fs in self.excluding.items() if curie in self.ancestors(m) for f in fs}
        return tuple(sorted(found))

    def label(self, curie: str) -> str | None:
        h = self._h()
        return h.label(curie) if h is not None else None

    def exact_term(self, finding: str) -> str | None:
        """The HPO CURIE that is an exact match of ``finding`` (an IRI), if any."""
        return self.exact_of.get(finding)

    def related_findings(self, curie: str) -> tuple[tuple[str, str], ...]:
        """(finding IRI, SKOS predicate) of the findings mapped to ``curie`` in a way that does not assert them."""
        return self.related.get(curie, ())


# ------------------------------------------------------------------------------------------------ building the module


_HPO_LOADED = False


def _hpo_ontology() -> Any:
    """The HPO of the ``hpo3`` package (``pyhpo.Ontology``), loaded once (it is compiled into the package)."""
    global _HPO_LOADED
    try:
        from pyhpo import Ontology
    except ImportError as exc:  # pragma: no cover - hpo3 is a dependency
        raise OntologySourceError("hpo3", None, "the HPO package `hpo3` is not installed") from exc
    if not _HPO_LOADED:
        Ontology()
        _HPO_LOADED = True
    return Ontology


def hpo_release() -> tuple[str, str]:
    """(HPO release date, hpo3 package version) of the HPO shipped in the ``hpo3`` package."""
    from importlib.metadata import version

    onto = _hpo_ontology()
    return str(onto.version()), version("hpo3")


def module_terms(curies: Iterable[str], where: str = "ontology") -> dict[str, tuple[str, tuple[str, ...]]]:
    """CURIE -> (label, parent CURIEs) of the mapped terms, their descendants and their ancestors, from ``hpo3``.

    A mapped term that is not in the packaged HPO, or is obsolete there, is a QC error (identifiers are never
    invented)."""
    onto = _hpo_ontology()
    problems = []
    seeds = []
    for c in sorted(set(curies)):
        try:
            term = onto.get_hpo_object(c)
        except (KeyError, ValueError, RuntimeError, NameError):
            problems.append(f"{c}: not in the packaged HPO release")
            continue
        if term.is_obsolete:
            problems.append(f"{c}: obsolete in the packaged HPO release ({term.name})")
            continue
        seeds.append(term)
    if problems:
        raise OntologyQCError(where, problems)
    keep: dict[str, Any] = {}
    stack = list(seeds)
    while stack:  # the mapped terms and their descendants
        t = stack.pop()
        if t.id in keep:
            continue
        keep[t.id] = t
        stack.extend(t.children)
    for t in list(keep.values()):  # and every ancestor, so the module is a whole hierarchy up to the root
        for a in t.all_parents:
            keep.setdefault(a.id, a)
    return {
        c: (t.name, tuple(sorted(p.id for p in t.parents)))
        for c, t in sorted(keep.items())
    }


def import_module_xml(terms: Mapping[str, tuple[str, tuple[str, ...]]], hpo_version: str, package: str) -> bytes:
    """The HPO import module as RDF/XML, written deterministically (sorted terms, fixed layout)."""
    from xml.sax.saxutils import escape, quoteattr

    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<rdf:RDF",
        '    xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"',
        '    xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"',
        '    xmlns:owl="http://www.w3.org/2002/07/owl#"',
        '    xmlns:dcterms="http://purl.org/dc/terms/"',
        f"    xml:base={quoteattr(HP_IMPORT)}>",
        f"  <owl:Ontology rdf:about={quoteattr(HP_IMPORT)}>",
        f"    <rdfs:label>{escape('calcgraph import module of the Human Phenotype Ontology')}</rdfs:label>",
        "    <rdfs:comment>"
        + escape(
            "Generated by `calcgraph build` from the HPO release shipped in the hpo3 package: every HPO term a "
            "calcgraph finding maps to (SKOS), with its descendants and ancestors. Do not edit."
        )
        + "</rdfs:comment>",
        f"    <owl:versionInfo>{escape(f'HPO {hpo_version} (hpo3 {package})')}</owl:versionInfo>",
        f'    <dcterms:source rdf:resource="http://purl.obolibrary.org/obo/hp/releases/{hpo_version}/hp.owl"/>',
        '    <dcterms:license rdf:resource="https://hpo.jax.org/license"/>',
        "  </owl:Ontology>",
        '  <owl:AnnotationProperty rdf:about="http://purl.org/dc/terms/source"/>',
        '  <owl:AnnotationProperty rdf:about="http://purl.org/dc/terms/license"/>',
    ]
    for curie, (label, parents) in terms.items():
        iri = HP_PREFIX + curie.split(":", 1)[1]
        lines.append(f"  <owl:Class rdf:about={quoteattr(iri)}>")
        lines.append(f"    <rdfs:label>{escape(label)}</rdfs:label>")
        for p in parents:
            if p in terms:
                lines.append(f'    <rdfs:subClassOf rdf:resource="{HP_PREFIX}{p.split(":", 1)[1]}"/>')
        lines.append("  </owl:Class>")
    lines.append("</rdf:RDF>")
    return ("\n".join(lines) + "\n").encode("utf-8")


CATALOG = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Maps the ontologies calcgraph imports to the local files, so Protégé and the OWL API load them offline. -->
<catalog prefer="public" xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
    <uri name="https://w3id.org/calcgraph/imports/hp_import.owl" uri="imports/hp_import.owl"/>
    <uri name="https://w3id.org/calcgraph/calcgraph.owl" uri="calcgraph.owl"/>
</catalog>
"""


@dataclass(frozen=True)
class ImportResult:
    path: Path
    terms: int
    mapped: int
    hpo_version: str
    written: bool


def build_import(g: Graph, out_dir: Path, where: str = "ontology") -> ImportResult:
    """Write ``out_dir/imports/hp_import.owl`` and ``out_dir/catalog-v001.xml`` for the findings' HPO mappings in
    ``g`` (files already holding the same bytes are left untouched)."""
    mapped = sorted(finding_mappings(g))
    terms = module_terms(mapped, where)
    version, package = hpo_release()
    data = import_module_xml(terms, version, package)
    path = Path(out_dir) / "imports" / "hp_import.owl"
    written = False
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
        written = True
    catalog = Path(out_dir) / "catalog-v001.xml"
    if not catalog.exists() or catalog.read_text(encoding="utf-8") != CATALOG:
        atomic_write_bytes(catalog, CATALOG.encode("utf-8"))
        written = True
    return ImportResult(path, len(terms), len(mapped), version, written)


def stale_import(g: Graph, out_dir: Path) -> bool:
    """True if ``out_dir/imports/hp_import.owl`` is missing or differs from what :func:`build_import` would write."""
    path = Path(out_dir) / "imports" / "hp_import.owl"
    if not path.exists():
        return True
    version, package = hpo_release()
    return path.read_bytes() != import_module_xml(module_terms(sorted(finding_mappings(g))), version, package)
