"""The graph that SPARQL reads: the release ontology plus its OWL 2 RL entailments.

The entailments are computed by `reasonable <https://pypi.org/project/reasonable/>`_, a Rust OWL 2 RL
forward-chaining reasoner. OWL 2 RL is what the competency queries need: ``differential of`` and ``can coexist
with`` are symmetric, ``is diagnostic of`` is a sub-property of ``is typical of``, and ``rdfs:subClassOf`` is
transitive; the reasoner writes each consequence as a plain triple, so a query sees it without property paths.

* :func:`entailed_triples` -- the triples the reasoner adds to a graph (plain API, for comparison with a DL
  reasoner's entailments).
* :func:`materialised_graph` -- asserted + entailed triples of the release file, cached on disk under
  ``ontology/.cache/`` (or ``$CALCGRAPH_CACHE_DIR``), keyed by the SHA-256 of the release file, written atomically.

Two details of the reasoner's output are normalised: it returns every plain literal typed ``xsd:string`` (the same
RDF 1.1 term, but rdflib compares them as different), which is mapped back to the plain form the source uses; and
it types every blank node (``_:axiom rdf:type owl:Thing``), which :func:`entailed_triples` leaves out by default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from rdflib import BNode, Graph, Literal
from rdflib.namespace import XSD
from rdflib.term import Node

from calcgraph import paths
from calcgraph.errors import OntologySourceError
from calcgraph.io import atomic_write_bytes, atomic_write_text

#: Bump when the materialisation changes, so that old cache files are not reused.
MATERIALISE_VERSION = "1"

Triple = tuple[Node, Node, Node]


def reasoner_name() -> str:
    """Name and version of the OWL 2 RL reasoner in use."""
    import reasonable

    return f"reasonable {getattr(reasonable, '__version__', '?')}"


def _plain(term: Node) -> Node:
    if isinstance(term, Literal) and term.datatype == XSD.string and term.language is None:
        return Literal(str(term))
    return term


def _normalise(triple: Iterable[Node]) -> Triple:
    s, p, o = triple
    return (s, p, _plain(o))


def _run_reasoner(graph: Graph) -> set[Triple]:
    import reasonable

    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(graph)
    return {_normalise(t) for t in reasoner.reason()}


def entailed_triples(graph: Graph | None = None, path: Path | None = None, *, named_only: bool = True) -> set[Triple]:
    """The OWL 2 RL consequences of ``graph`` (or of the Turtle file ``path``, default the release file) that it does
    not assert.

    With ``named_only`` (the default), triples that mention a blank node are left out: they are the reasoner's
    typing of axiom-annotation and restriction nodes (``_:b rdf:type owl:Thing``), never a statement about a class.
    Trivial RL consequences the reasoner writes are kept; these include ``C rdfs:subClassOf C`` for some classes only
    (52 of the release's), so the subclass closure is transitive but not reflexive and no query relies on it.
    """
    if graph is None:
        graph = _load(Path(path) if path is not None else paths.release_ttl())
    asserted = {_normalise(t) for t in graph}
    new = _run_reasoner(graph) - asserted
    if named_only:
        new = {t for t in new if not any(isinstance(x, BNode) for x in t)}
    return new


def _load(path: Path) -> Graph:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OntologySourceError(
            str(path), None, f"cannot read: {exc.strerror or exc}", hint="run `calcgraph build` first"
        ) from exc
    g = Graph()
    try:
        g.parse(data=data, format="xml" if path.suffix in {".owl", ".rdf", ".xml"} else "turtle")
    except Exception as exc:  # rdflib raises assorted parser errors
        raise OntologySourceError(str(path), None, f"cannot parse: {exc}") from exc
    return g


def cache_dir() -> Path:
    """Where generated files are cached: :func:`calcgraph.cache.cache_dir` (``$CALCGRAPH_CACHE_DIR``,
    ``ontology/.cache``, or the user's cache directory when the ontology directory is read-only)."""
    from calcgraph import cache

    return cache.cache_dir()


def cache_key(path: Path) -> str:
    """SHA-256 of the release file, the reasoner version and :data:`MATERIALISE_VERSION` (first 20 hex digits)."""
    h = hashlib.sha256()
    h.update(Path(path).read_bytes())
    h.update(f"\0{reasoner_name()}\0{MATERIALISE_VERSION}".encode())
    return h.hexdigest()[:20]


def materialised_ntriples(path: Path | None = None, *, use_cache: bool = True) -> bytes:
    """The materialised graph (asserted + entailed, blank nodes of the source kept) as N-Triples bytes."""
    path = Path(path) if path is not None else paths.release_ttl()
    try:
        key = cache_key(path)
    except OSError as exc:
        raise OntologySourceError(
            str(path), None, f"cannot read: {exc.strerror or exc}", hint="run `calcgraph build` first"
        ) from exc
    cached = cache_dir() / f"materialised-{key}.nt"
    if use_cache and cached.is_file():
        return cached.read_bytes()
    graph = _load(path)
    full = Graph()
    for t in graph:
        full.add(_normalise(t))
    for t in _run_reasoner(graph):
        full.add(t)
    data = full.serialize(format="nt", encoding="utf-8")
    if use_cache:
        try:
            gitignore = cached.parent / ".gitignore"
            if not gitignore.exists():
                atomic_write_text(gitignore, "# calcgraph's cache of generated files\n*\n")
            atomic_write_bytes(cached, data)
        except OSError:
            pass  # an unwritable cache only costs time
    return data


def materialised_graph(path: Path | None = None, *, use_cache: bool = True) -> Graph:
    """The release ontology (default ``paths.release_ttl()``) plus its OWL 2 RL entailments, as an rdflib Graph.

    >>> from calcgraph.vocab import DIFFERENTIAL_OF
    >>> g = materialised_graph()
    >>> all((b, DIFFERENTIAL_OF, a) in g for a, b in g.subject_objects(DIFFERENTIAL_OF))
    True
    """
    g = Graph()
    g.parse(data=materialised_ntriples(path, use_cache=use_cache), format="nt")
    return g
