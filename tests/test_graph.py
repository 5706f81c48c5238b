"""The networkx knowledge graph: nodes, kinds, typed edges with figures, focus subgraphs, name resolution."""

from __future__ import annotations

from collections import Counter, deque

import networkx as nx
import pytest
from rdflib import OWL, RDF, RDFS

from calcgraph import vocab
from calcgraph.errors import UnknownTermError
from calcgraph.graph import EDGE_TYPES, FIGURES, KINDS, RELATIONS, focus_subgraph, knowledge_graph, resolve_node

PSEUDOGOUT = "CALCGRAPH:0001021"
SEPTIC_ARTHRITIS = "CALCGRAPH:0001030"


@pytest.fixture(scope="module")
def G(release_graph) -> nx.MultiDiGraph:
    return knowledge_graph(release_graph)


def _descendants(g, root) -> set:
    out, todo = {root}, [root]
    while todo:
        for child in g.subjects(RDFS.subClassOf, todo.pop()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def test_nodes_are_the_disease_and_finding_classes(G, release_graph):
    expected = _descendants(release_graph, vocab.DISEASE) | _descendants(release_graph, vocab.FINDING)
    assert set(G.nodes) == {vocab.iri_to_curie(str(c)) for c in expected}
    for node, data in G.nodes(data=True):
        assert data["label"] == str(release_graph.value(vocab.CG[node.split(":")[1]], RDFS.label))
        assert data["kind"] in KINDS


def test_kinds_follow_the_hierarchy(G, release_graph):
    cause_root = next(
        c
        for c in release_graph.subjects(RDFS.label, None)
        if str(release_graph.value(c, RDFS.label)) == "underlying condition of calcinosis"
    )
    causes = {vocab.iri_to_curie(str(c)) for c in _descendants(release_graph, cause_root)}
    findings = {vocab.iri_to_curie(str(c)) for c in _descendants(release_graph, vocab.FINDING)}
    for node, kind in G.nodes(data="kind"):
        if node in causes:
            assert kind == "cause", node
        elif node in findings:
            assert kind in {"finding", "finding category"}, node
        else:
            assert kind == "disease", node
    assert G.nodes[PSEUDOGOUT]["kind"] == "disease"
    assert G.nodes[PSEUDOGOUT]["mccarty_type"] == "A"
    assert G.nodes["CALCGRAPH:0000002"]["kind"] == "finding category"
    counts = Counter(k for _, k in G.nodes(data="kind"))
    assert counts["finding category"] >= 8 and counts["cause"] >= 20


def test_all_attributes_are_scalars(G):
    scalars = (str, int, float, bool)
    for _, data in G.nodes(data=True):
        assert all(isinstance(v, scalars) for v in data.values()), data
    for *_, data in G.edges(data=True):
        assert all(isinstance(v, scalars) for v in data.values()), data


def test_one_edge_per_asserted_triple(G, release_graph):
    counts = Counter(t for *_, t in G.edges(data="type"))
    for prop, etype in RELATIONS.items():
        assert counts[etype] == len(set(release_graph.subject_objects(prop))), etype
    assert counts["distinguishes"] == len(set(release_graph.subjects(RDF.type, vocab.DISTINGUISHING_FINDING)))
    nodes = set(G)
    subclass = {
        (vocab.iri_to_curie(str(c)), vocab.iri_to_curie(str(p)))
        for c, p in release_graph.subject_objects(RDFS.subClassOf)
    }
    assert counts["subclass_of"] == len({(c, p) for c, p in subclass if c in nodes and p in nodes})
    assert set(counts) <= set(EDGE_TYPES)
    for u, v, k, t in G.edges(keys=True, data="type"):
        assert k == t or k.startswith(f"{t}:"), (u, v, k)


def test_edges_carry_the_axiom_figures(G, release_graph):
    checked = 0
    for ax in release_graph.subjects(RDF.type, OWL.Axiom):
        sens = release_graph.value(ax, vocab.SENSITIVITY)
        prop = release_graph.value(ax, OWL.annotatedProperty)
        if sens is None or prop not in RELATIONS:
            continue
        s = vocab.iri_to_curie(str(release_graph.value(ax, OWL.annotatedSource)))
        o = vocab.iri_to_curie(str(release_graph.value(ax, OWL.annotatedTarget)))
        data = G.edges[s, o, RELATIONS[prop]]
        assert data["sensitivity"] == pytest.approx(float(sens))
        spec = release_graph.value(ax, vocab.SPECIFICITY)
        if spec is not None:
            assert data["specificity"] == pytest.approx(float(spec))
        sources = {str(x) for x in release_graph.objects(ax, vocab.OIO.hasDbXref)}
        assert set(data["sources"].split("|")) == sources
        checked += 1
    assert checked >= 3
    seed = [d for *_, d in G.edges(data=True) if d.get("seed_only")]
    assert any(d["type"] == "causes" for d in seed)
    for d in seed:
        if d["type"] != "causes":
            # a finding relation only a seed text states (issue 12 seed qualifiers) carries no figure, only the seed
            assert not set(d) & set(FIGURES.values()), d
            assert all(x.startswith("CALCGRAPH:09") for x in d["sources"].split("|")), d


def test_distinguishing_findings_become_edges_with_over(G):
    # "positive synovial fluid Gram stain favours septic arthritis over pseudogout" (CALCGRAPH:0005001)
    data = G.edges["CALCGRAPH:0003103", SEPTIC_ARTHRITIS, "distinguishes:CALCGRAPH:0005001"]
    assert data["over"] == PSEUDOGOUT
    assert "septic arthritis over pseudogout" in data["statement_label"]
    assert data["sources"]


def _bfs(G: nx.MultiDiGraph, start: str, depth: int) -> set[str]:
    """Independent reference: breadth-first search over an explicit undirected adjacency."""
    adj: dict[str, set[str]] = {n: set() for n in G}
    for u, v in G.edges():
        adj[u].add(v)
        adj[v].add(u)
    seen, frontier = {start}, deque([(start, 0)])
    while frontier:
        n, d = frontier.popleft()
        if d < depth:
            for m in adj[n] - seen:
                seen.add(m)
                frontier.append((m, d + 1))
    return seen


@pytest.mark.parametrize("node", [PSEUDOGOUT, SEPTIC_ARTHRITIS, "CALCGRAPH:0001011", "CALCGRAPH:0003101"])
@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_focus_subgraph_holds_exactly_the_nodes_within_depth(G, node, depth):
    H = focus_subgraph(G, node, depth)
    assert set(H) == _bfs(G, node, depth)
    # all edges among those nodes, and only those
    assert H.number_of_edges() == G.subgraph(H.nodes).number_of_edges()


def test_focus_subgraph_with_kinds_walks_only_those_kinds(G):
    H = focus_subgraph(G, PSEUDOGOUT, 2, kinds=["disease"])
    diseases = G.subgraph([n for n, k in G.nodes(data="kind") if k == "disease"])
    assert set(H) == _bfs(nx.MultiDiGraph(diseases), PSEUDOGOUT, 2)
    assert {k for _, k in H.nodes(data="kind")} == {"disease"}
    with pytest.raises(KeyError):
        focus_subgraph(G, "CALCGRAPH:9999999", 1)


def test_resolve_by_label_synonym_curie_and_suggest(G):
    assert resolve_node(G, "Pseudogout") == PSEUDOGOUT
    assert resolve_node(G, "acute CPP crystal arthritis") == PSEUDOGOUT
    assert resolve_node(G, PSEUDOGOUT) == PSEUDOGOUT
    with pytest.raises(UnknownTermError) as err:
        resolve_node(G, "pseudogut")
    assert "pseudogout" in err.value.suggestions
    assert err.value.exit_code == 2
