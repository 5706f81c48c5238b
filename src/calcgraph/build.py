"""Load the edit file, check it, and write the release files.

The edit file ``ontology/calcgraph-edit.ttl`` is the single source of truth. :func:`build` parses it, runs QC
(:mod:`calcgraph.qc`) and only then writes ``calcgraph.owl`` (RDF/XML, for Protégé and owlready2) and
``calcgraph.ttl``, each atomically: a source with a syntax or QC error writes nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rdflib import OWL, BNode, Graph
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Node

from calcgraph.errors import OntologyQCError, OntologySourceError
from calcgraph.io import atomic_write_bytes
from calcgraph.qc import report
from calcgraph.tables import merge_tables, table_paths
from calcgraph.vocab import ONTOLOGY_IRI


def parse_source(path: Path) -> Graph:
    """Parse a Turtle ontology source; a syntax error raises :class:`OntologySourceError` with file and line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OntologySourceError(str(path), None, f"cannot read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise OntologySourceError(str(path), line, "not valid UTF-8 text") from exc
    g = Graph()
    try:
        g.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as exc:
        line = int(getattr(exc, "lines", 0)) + 1
        why = getattr(exc, "_why", None) or str(exc).splitlines()[0]
        raise OntologySourceError(str(path), line, f"Turtle syntax error: {why}") from exc
    except Exception as exc:  # rdflib raises assorted errors on truncated input
        line = text.count("\n") + 1
        raise OntologySourceError(str(path), line, f"Turtle syntax error near the end of the file ({exc!r})") from exc
    return g


def load_sources(path: Path) -> Graph:
    """The edit file with the relation tables beside it (``templates/relations-*.tsv``) merged in and the imports
    declared (:func:`add_imports`): the release graph."""
    g = parse_source(path)
    return add_imports(merge_tables(g, table_paths(Path(path))))


def check(path: Path) -> Graph:
    """Parse the sources, merge the tables and QC the result; raise :class:`OntologyQCError` listing every problem."""
    g = load_sources(path)
    problems = report(g)
    if problems:
        raise OntologyQCError(str(path), [str(p) for p in problems])
    return g


def add_imports(g: Graph) -> Graph:
    """Declare the release's imports: the HPO import module (``ontology/imports/hp_import.owl``, mapped to the local
    file by ``ontology/catalog-v001.xml``)."""
    from calcgraph.hpo import HP_IMPORT_IRI

    g.add((ONTOLOGY_IRI, OWL.imports, HP_IMPORT_IRI))
    return g


def _round_trips(g: Graph, data: bytes, fmt: str) -> bool:
    back = Graph().parse(data=data, format=fmt)
    return len(back) == len(g) and graph_fingerprint(back) == graph_fingerprint(g)


def serialize_release(g: Graph) -> tuple[bytes, bytes]:
    """The release files' bytes: RDF/XML and Turtle, each verified to read back to exactly ``g``.

    The plain RDF/XML writer is used: rdflib's abbreviated ("pretty") writer silently drops triples on blank nodes that
    are both list cells and annotated, which OWL class expressions produce. A serialisation that loses a triple is an
    error, never a release.
    """
    owl = g.serialize(format="xml", encoding="utf-8")
    if not _round_trips(g, owl, "xml"):
        raise ValueError("the RDF/XML serialisation does not read back to the same triples")
    ttl = g.serialize(format="turtle", encoding="utf-8")
    if not _round_trips(g, ttl, "turtle"):
        raise ValueError("the Turtle serialisation does not read back to the same triples")
    return owl, ttl


@dataclass(frozen=True)
class BuildResult:
    owl: Path
    ttl: Path
    triples: int
    written: bool


def build(source: Path, out_dir: Path) -> BuildResult:
    """Check ``source`` and write ``out_dir/calcgraph.owl`` and ``out_dir/calcgraph.ttl`` (atomically).

    Release files that already hold exactly the source's triples are left untouched, so that rebuilding an unchanged
    source does not rewrite them (rdflib names blank nodes afresh on every serialisation).
    """
    g = check(source)
    owl, ttl = Path(out_dir) / "calcgraph.owl", Path(out_dir) / "calcgraph.ttl"
    if not _stale(g, out_dir):
        return BuildResult(owl, ttl, len(g), written=False)
    try:
        owl_bytes, ttl_bytes = serialize_release(g)
    except (ValueError, TypeError) as exc:  # a term that parses but cannot be written (rdflib is lenient on input)
        raise OntologySourceError(str(source), None, f"cannot be serialised: {exc}") from exc
    atomic_write_bytes(owl, owl_bytes)
    atomic_write_bytes(ttl, ttl_bytes)
    return BuildResult(owl, ttl, len(g), written=True)


def graph_fingerprint(g: Graph) -> Counter[tuple[str, str, str]]:
    """The graph's triples with every blank node named by a hash of what it points to.

    Two graphs with equal fingerprints are isomorphic as far as calcgraph's blank nodes go (OWL axiom
    annotations, restrictions and lists, which form trees); it is much faster than a general isomorphism test.
    """
    memo: dict[BNode, str] = {}

    def name(node: Node, depth: int = 0) -> str:
        if not isinstance(node, BNode):
            return node.n3()
        if node not in memo:
            if depth > 100:
                raise ValueError("blank-node cycle")
            parts = sorted(f"{p.n3()} {name(o, depth + 1)}" for p, o in g.predicate_objects(node))
            memo[node] = "_:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
        return memo[node]

    return Counter((name(s), p.n3(), name(o)) for s, p, o in g)


def _stale(g: Graph, out_dir: Path) -> list[Path]:
    stale = []
    fingerprint = None
    for name, fmt in (("calcgraph.owl", "xml"), ("calcgraph.ttl", "turtle")):
        path = Path(out_dir) / name
        if not path.exists():
            stale.append(path)
            continue
        try:
            release = Graph().parse(path, format=fmt)
        except Exception:  # an unreadable release file is stale, never an error
            stale.append(path)
            continue
        fingerprint = fingerprint or graph_fingerprint(g)
        if len(release) != len(g) or graph_fingerprint(release) != fingerprint:
            stale.append(path)
    return stale


def stale_release_files(source: Path, out_dir: Path) -> list[Path]:
    """Release files that are missing or do not hold exactly the source's triples."""
    return _stale(load_sources(source), out_dir)
