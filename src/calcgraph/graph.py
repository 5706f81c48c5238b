"""The calcgraph knowledge graph as a networkx ``MultiDiGraph`` (obonet style: no file handling in the builder).

:func:`knowledge_graph` turns the ontology (an rdflib graph) into a graph whose nodes are the calcgraph classes,
keyed by CURIE, and whose edges are the class hierarchy and the diagnostic relations, with their figures and sources.
Every node and edge attribute is a scalar (``str``, ``float``, ``int`` or ``bool``; several values are joined with
``|``), so the graph survives GraphML, GEXF, JSON and DOT unchanged. :func:`load_knowledge_graph` reads the release
ontology.

>>> from rdflib import Graph
>>> g = Graph().parse(data='''
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... @prefix owl: <http://www.w3.org/2002/07/owl#> .
... @prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
... cg:0000001 a owl:Class ; rdfs:label "disease or disorder" .
... cg:0000002 a owl:Class ; rdfs:label "clinical finding" .
... cg:0003900 a owl:Class ; rdfs:subClassOf cg:0000002 ; rdfs:label "laboratory finding" .
... cg:0001021 a owl:Class ; rdfs:subClassOf cg:0000001 ; rdfs:label "pseudogout" .
... cg:0003101 a owl:Class ; rdfs:subClassOf cg:0003900 ; rdfs:label "CPP crystals" ; cg:0000020 cg:0001021 .
... ''', format="turtle")
>>> G = knowledge_graph(g)
>>> G.nodes["CALCGRAPH:0003101"]["kind"], G.nodes["CALCGRAPH:0003900"]["kind"], G.nodes["CALCGRAPH:0001021"]["kind"]
('finding', 'finding category', 'disease')
>>> sorted(k for _, _, k in G.out_edges("CALCGRAPH:0003101", keys=True))
['subclass_of', 'typical_finding']
>>> sorted(focus_subgraph(G, "CALCGRAPH:0001021", 1))
['CALCGRAPH:0000001', 'CALCGRAPH:0001021', 'CALCGRAPH:0003101']
"""

from __future__ import annotations

import difflib
from collections import defaultdict, deque
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import networkx as nx
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.term import Identifier, Node

from calcgraph import vocab
from calcgraph.errors import OntologySourceError, UnknownTermError

#: Node kinds, in the order legends list them.
KINDS = ("disease", "cause", "finding", "finding category")

#: ``rdfs:label`` of the root of the causes branch (its IRI is not a fixed model IRI, so it is found by its label).
CAUSE_ROOT_LABEL = "underlying condition of calcinosis"

#: Ontology property -> edge type. Every asserted triple becomes one edge, in the asserted direction.
RELATIONS: dict[URIRef, str] = {
    vocab.IS_TYPICAL_OF: "typical_finding",
    vocab.IS_DIAGNOSTIC_OF: "diagnostic_finding",
    vocab.ARGUES_AGAINST: "argues_against",
    vocab.CAN_CAUSE: "causes",
    vocab.PREDISPOSES_TO: "predisposes_to",
    vocab.DIFFERENTIAL_OF: "differential_of",
    vocab.CAN_COEXIST_WITH: "can_coexist_with",
}

#: All edge types, ``subclass_of`` first and ``distinguishes`` (from the n-ary statements) last.
EDGE_TYPES = ("subclass_of", *RELATIONS.values(), "distinguishes")

#: Axiom annotation property -> edge attribute (figures, as floats).
FIGURES: dict[URIRef, str] = {
    vocab.SENSITIVITY: "sensitivity",
    vocab.SPECIFICITY: "specificity",
    vocab.LR_POSITIVE: "lr_positive",
    vocab.LR_NEGATIVE: "lr_negative",
    vocab.FREQUENCY: "frequency",
}

SEP = "|"


def curie(iri: Node | str) -> str:
    """The CURIE of an IRI with a known prefix, else the IRI itself."""
    return vocab.iri_to_curie(str(iri)) or str(iri)


def _join(values: Iterable[object]) -> str:
    return SEP.join(sorted({str(v) for v in values}))


def _scalar(value: object) -> str | float | int | bool:
    if isinstance(value, Literal):
        value = value.toPython()
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _closure(parents: dict[URIRef, set[URIRef]], node: URIRef) -> set[URIRef]:
    """``node`` and all its ancestors along ``rdfs:subClassOf``."""
    seen = {node}
    todo = [node]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _axioms(g: Graph) -> dict[tuple[Node, Node, Node], Node]:
    """(source, property, target) -> the owl:Axiom node (usually a blank node) that annotates that assertion."""
    out = {}
    for ax in g.subjects(RDF.type, OWL.Axiom):
        s, p, o = (g.value(ax, q) for q in (OWL.annotatedSource, OWL.annotatedProperty, OWL.annotatedTarget))
        if s is not None and p is not None and o is not None:
            out[(s, p, o)] = ax
    return out


def _evidence(g: Graph, subject: Node | None) -> dict[str, object]:
    """Figures, sources, seed-only flag and comment carried by an axiom or an n-ary statement."""
    attrs: dict[str, object] = {"seed_only": False}
    if subject is None:
        return attrs
    for prop, name in FIGURES.items():
        value = g.value(subject, prop)
        if value is not None:
            attrs[name] = float(_scalar(value))
    sources = list(g.objects(subject, vocab.OIO.hasDbXref))
    if sources:
        attrs["sources"] = _join(sources)
    seed = g.value(subject, vocab.SEED_ONLY)
    attrs["seed_only"] = bool(isinstance(seed, Literal) and seed.toPython() is True)
    comment = g.value(subject, RDFS.comment)
    if comment is not None:
        attrs["comment"] = str(comment)
    return attrs


def knowledge_graph(g: Graph) -> nx.MultiDiGraph:
    """Build the knowledge graph of an ontology graph (the release or the edit file, parsed by rdflib).

    Nodes: every class under 'disease or disorder' or 'clinical finding' (and those roots), keyed by CURIE, with
    ``label``, ``kind`` (see :data:`KINDS`), ``iri``, ``definition``, ``synonyms``, ``xrefs``, ``hpo``, ``exact_match``,
    ``close_match``, ``mccarty_type`` and ``eular_name`` where the class has them. Edges: keyed by their ``type``
    (see :data:`EDGE_TYPES`); ``distinguishes`` edges run from the finding to the favoured disease, with ``over`` the
    disfavoured disease and key ``distinguishes:<statement CURIE>``.
    """
    parents: dict[URIRef, set[URIRef]] = defaultdict(set)
    for child, parent in g.subject_objects(RDFS.subClassOf):
        if isinstance(child, URIRef) and isinstance(parent, URIRef):
            parents[child].add(parent)
    classes = {c for c in g.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    classes |= set(parents) | {p for ps in parents.values() for p in ps}
    cause_roots = {c for c in classes if str(g.value(c, RDFS.label) or "") == CAUSE_ROOT_LABEL}

    G = nx.MultiDiGraph(name="calcgraph")
    iri_of: dict[str, URIRef] = {}
    for cls in sorted(classes):
        ancestors = _closure(parents, cls)
        if vocab.FINDING in ancestors:
            is_category = cls == vocab.FINDING or (
                vocab.FINDING in parents.get(cls, ()) and any(cls in ps for ps in parents.values())
            )
            kind = "finding category" if is_category else "finding"
        elif ancestors & cause_roots:
            kind = "cause"
        elif vocab.DISEASE in ancestors:
            kind = "disease"
        else:
            continue  # model classes ('distinguishing finding', 'bibliographic source') are not part of the graph
        node = curie(cls)
        iri_of[node] = cls
        attrs: dict[str, object] = {"label": str(g.value(cls, RDFS.label) or node), "kind": kind, "iri": str(cls)}
        definition = g.value(cls, vocab.IAO_DEFINITION)
        if definition is not None:
            attrs["definition"] = str(definition)
        xrefs = [str(x) for x in g.objects(cls, vocab.OIO.hasDbXref)]
        exact = [curie(x) for x in g.objects(cls, SKOS.exactMatch)]
        close = [curie(x) for x in g.objects(cls, SKOS.closeMatch)]
        multi = {
            "synonyms": [str(s) for s in g.objects(cls, vocab.OIO.hasExactSynonym)],
            "xrefs": xrefs,
            "hpo": [x for x in [*xrefs, *exact] if x.startswith("HP:")],
            "exact_match": exact,
            "close_match": close,
        }
        attrs.update({k: _join(v) for k, v in multi.items() if v})
        for prop, name in ((vocab.MCCARTY_TYPE, "mccarty_type"), (vocab.EULAR_NAME, "eular_name")):
            value = g.value(cls, prop)
            if value is not None:
                attrs[name] = str(value)
        G.add_node(node, **attrs)

    node_of: dict[Node, str] = {iri: node for node, iri in iri_of.items()}
    for node, cls in iri_of.items():
        for parent in sorted(parents.get(cls, ())):
            if parent in node_of:
                G.add_edge(node, node_of[parent], key="subclass_of", type="subclass_of")

    axioms = _axioms(g)
    for prop, etype in RELATIONS.items():
        for s, o in sorted(g.subject_objects(prop)):
            if s in node_of and o in node_of:
                attrs = _evidence(g, axioms.get((s, prop, o)))
                G.add_edge(node_of[s], node_of[o], key=etype, type=etype, **attrs)

    # (every subject of a parsed RDF graph is an Identifier: a URIRef or a BNode)
    stmts = [s for s in g.subjects(RDF.type, vocab.DISTINGUISHING_FINDING) if isinstance(s, Identifier)]
    for stmt in sorted(stmts):
        finding, favours, disfavours = (
            g.value(stmt, p) for p in (vocab.CONCERNS_FINDING, vocab.FAVOURS, vocab.DISFAVOURS)
        )
        if finding is None or favours is None or disfavours is None:
            continue
        if finding not in node_of or favours not in node_of or disfavours not in node_of:
            continue
        attrs = _evidence(g, stmt)
        attrs.update(over=node_of[disfavours], statement=curie(stmt))
        label = g.value(stmt, RDFS.label)
        if label is not None:
            attrs["statement_label"] = str(label)
        G.add_edge(
            node_of[finding], node_of[favours], key=f"distinguishes:{curie(stmt)}", type="distinguishes", **attrs
        )
    return G


def load_knowledge_graph(path: Path | str | None = None) -> nx.MultiDiGraph:
    """Read an ontology file (default: the release Turtle, ``paths.release_ttl()``) and build its knowledge graph."""
    from calcgraph import paths

    path = Path(path) if path is not None else paths.release_ttl()
    if not path.exists():
        raise OntologySourceError(str(path), None, "file not found", hint="run `calcgraph build` first")
    fmt = {".owl": "xml", ".rdf": "xml", ".ttl": "turtle", ".nt": "nt"}.get(path.suffix.lower(), "turtle")
    try:
        g = Graph().parse(path, format=fmt)
    except Exception as exc:  # rdflib raises many types; report the file and the problem
        raise OntologySourceError(str(path), getattr(exc, "lineno", None), f"cannot parse: {exc}") from exc
    return knowledge_graph(g)


def resolve_node(G: nx.MultiDiGraph, name: str, kinds: Iterable[str] | None = None) -> str:
    """Find a node by CURIE, IRI, label or exact synonym (case-insensitive); else :class:`UnknownTermError`.

    >>> G = nx.MultiDiGraph()
    >>> G.add_node("CALCGRAPH:0001021", label="pseudogout", synonyms="acute CPP crystal arthritis", kind="disease")
    >>> resolve_node(G, "Acute CPP crystal arthritis"), resolve_node(G, "CALCGRAPH:0001021")
    ('CALCGRAPH:0001021', 'CALCGRAPH:0001021')
    >>> resolve_node(G, "pseudogut")
    Traceback (most recent call last):
    ...
    calcgraph.errors.UnknownTermError: unknown class 'pseudogut'
    """
    allowed = set(kinds) if kinds else None
    names: dict[str, str] = {}
    for node, data in G.nodes(data=True):
        if allowed and data.get("kind") not in allowed:
            continue
        names.setdefault(node.casefold(), node)
        names.setdefault(str(data.get("iri", "")).casefold(), node)
        for syn in filter(None, str(data.get("synonyms", "")).split(SEP)):
            names.setdefault(syn.casefold(), node)
        names[str(data.get("label", node)).casefold()] = node  # labels win over synonyms
    key = name.strip().casefold()
    if key in names:
        return names[key]
    labels = {str(G.nodes[n].get("label", n)) for n in set(names.values())}
    suggestions = difflib.get_close_matches(name.strip(), sorted(labels), n=5, cutoff=0.5)
    if not suggestions:
        folded = {lab.casefold(): lab for lab in labels}
        suggestions = [folded[k] for k in difflib.get_close_matches(key, sorted(folded), n=5, cutoff=0.5)]
    kind = "/".join(sorted(allowed)) if allowed else "class"
    raise UnknownTermError(name, kind, suggestions)


def filter_kinds(G: nx.MultiDiGraph, kinds: Iterable[str] | None, keep: Iterable[str] = ()) -> nx.MultiDiGraph:
    """The subgraph induced by the nodes of the given kinds (plus ``keep``); a copy; the whole graph if no kinds."""
    if not kinds:
        return G.copy()
    wanted = set(kinds)
    nodes = {n for n, k in G.nodes(data="kind") if k in wanted} | set(keep)
    return G.subgraph(nodes).copy()


def focus_subgraph(
    G: nx.MultiDiGraph,
    node: str,
    depth: int,
    kinds: Iterable[str] | None = None,
    edge_types: Iterable[str] | None = None,
) -> nx.MultiDiGraph:
    """The neighbourhood of ``node``: all nodes within ``depth`` hops (edge direction ignored) and all edges among them.

    ``kinds`` restricts the graph to nodes of those kinds (the focus node is always kept) *before* the walk, so every
    node of the result is connected to the focus through nodes of those kinds; ``edge_types`` likewise restricts the
    edges walked (and kept). The result is a copy.
    """
    if node not in G:
        raise KeyError(node)
    if depth < 0:
        raise ValueError(f"depth must be >= 0, not {depth}")
    H = filter_kinds(G, kinds, keep=[node])
    if edge_types is not None:
        wanted = set(edge_types)
        H.remove_edges_from([(u, v, k) for u, v, k, t in H.edges(keys=True, data="type") if t not in wanted])
    dist = {node: 0}
    queue = deque([node])
    while queue:
        current = queue.popleft()
        if dist[current] == depth:
            continue
        for nb in (*H.successors(current), *H.predecessors(current)):
            if nb not in dist:
                dist[nb] = dist[current] + 1
                queue.append(nb)
    return H.subgraph(dist).copy()
