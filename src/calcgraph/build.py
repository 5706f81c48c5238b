"""Load the edit file, check it, and write the release files.

The edit file ``ontology/calcgraph-edit.ttl`` is the single source of truth. :func:`build` parses it, runs QC
(:mod:`calcgraph.qc`) and only then writes ``calcgraph.owl`` (RDF/XML, for Protégé and owlready2) and
``calcgraph.ttl`` as one unit: a source with a syntax or QC error writes nothing, and the two files are replaced
together or not at all (:func:`write_release`: a journal of both complete temp files, rolled forward by the next run if
a crash fell between the two renames).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import OWL, BNode, Graph, Literal, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Node

from calcgraph.errors import OntologyQCError, OntologySourceError
from calcgraph.io import sweep_stale_temps
from calcgraph.paths import RELEASE_JOURNAL
from calcgraph.qc import Problem, check_source_blocks, report
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
    rdflib_term_log = logging.getLogger("rdflib.term")
    level = rdflib_term_log.level
    rdflib_term_log.setLevel(logging.CRITICAL)  # ill-typed literals are reported below, with their line
    try:
        g.parse(data=text, format="turtle", publicID=RELATIVE_BASE)
    except BadSyntax as exc:
        at = getattr(exc, "_i", None)
        argstr = getattr(exc, "_str", None)
        if isinstance(at, int) and isinstance(argstr, str | bytes):
            text_at = argstr if isinstance(argstr, str) else argstr.decode("utf-8", "replace")
            if isinstance(argstr, bytes):
                at = len(argstr[:at].decode("utf-8", "replace"))
            line = text_at[: _error_start(text_at, at)].count("\n") + 1
        else:
            line = int(getattr(exc, "lines", 0)) + 1
        why = getattr(exc, "_why", None) or str(exc).splitlines()[0]
        raise OntologySourceError(str(path), line, f"Turtle syntax error: {why}") from exc
    except Exception as exc:  # rdflib raises assorted errors on truncated input
        line = text.count("\n") + 1
        raise OntologySourceError(str(path), line, f"Turtle syntax error near the end of the file ({exc!r})") from exc
    finally:
        rdflib_term_log.setLevel(level)
    check_terms(g, text, str(path))
    return g


# What rdflib may leave after its error position on the same line: the end of the previous statement
# (a closing quote or bracket and its '.', ';' or ','), so the offending token starts on a later line.
_STATEMENT_TAIL = re.compile(r"[\"'>\])]*\s*[.;,]?[ \t\r]*(?=\n|$)")


def _error_start(text: str, at: int) -> int:
    """The position of the token a Turtle syntax error is about, from rdflib's error position ``at``.

    rdflib sometimes points at the tail of the previous statement (its closing quote and '.') instead of the
    offending token on the next line; a syntax error then has to name the token's line, not the previous one."""
    tail = _STATEMENT_TAIL.match(text, at)
    if tail is not None:
        at = tail.end()
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return min(at, len(text))


# Relative IRIs are resolved against this base, so that they can be found and refused (never a machine's path).
RELATIVE_BASE = "https://relative-iri.invalid/"
# Characters XML 1.0 (so RDF/XML) cannot hold: C0 controls other than tab, newline, carriage return; U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def check_terms(g: Graph, text: str, path: str) -> None:
    """Refuse terms that parse but must not reach a release: a relative IRI (resolved against the build machine's
    path otherwise), a literal whose lexical form does not fit its datatype (``"abc"^^xsd:integer``), and a character
    XML cannot hold (NUL, vertical tab …). Raises :class:`OntologySourceError` naming the first one's line."""
    problems: list[tuple[int, str]] = []
    seen: set[object] = set()
    for triple in g:
        for node in triple:
            if node in seen:
                continue
            seen.add(node)
            if isinstance(node, URIRef) and str(node).startswith(RELATIVE_BASE):
                rel = str(node)[len(RELATIVE_BASE) :]
                line = _line_of(text, f"<{rel}>") or _line_of(text, rel) or 0
                problems.append((line, f"relative IRI <{rel}>: write a full IRI or a CURIE with a declared prefix"))
            elif isinstance(node, Literal):
                lexical = str(node)
                bad = _NOT_XML.search(lexical)
                if bad:
                    esc = _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04X}", lexical)
                    tries = (lexical, esc, _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", lexical))
                    found = next((ln for t in tries if (ln := _line_of(text, t))), None)
                    line = found or _line_of(text, lexical[: bad.start()] or lexical) or 0
                    problems.append((line, f"literal with the control character U+{ord(bad.group()):04X}"))
                elif node.datatype is not None and node.ill_typed:
                    dt = str(node.datatype).rsplit("#", 1)[-1]
                    line = _line_of(text, f'"{lexical}"^^') or _line_of(text, f'"{lexical}"') or 0
                    problems.append((line, f"ill-typed literal {lexical[:60]!r}: not a valid {dt}"))
    if problems:
        line, problem = min(problems)
        more = f" (and {len(problems) - 1} more such term(s))" if len(problems) > 1 else ""
        raise OntologySourceError(path, line or None, problem + more)


def load_sources(path: Path) -> Graph:
    """The edit file with the relation tables beside it (``templates/relations-*.tsv``) merged in and the imports
    declared (:func:`add_imports`): the release graph."""
    g = parse_source(path)
    return add_imports(merge_tables(g, table_paths(Path(path))))


def check(path: Path) -> Graph:
    """Parse the sources, merge the tables and QC the result; raise :class:`OntologyQCError` listing every problem."""
    g = load_sources(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    problems = sorted(set(report(g)) | set(check_source_blocks(text)))
    if problems:
        lines = statement_lines(Path(path))
        shown = []
        for p in problems:
            line = problem_line(p, text, lines)
            more = label_lines(p, text) if p.rule == "duplicate-label" else []
            also = f" (written at lines {', '.join(map(str, more))})" if len(more) > 1 else ""
            shown.append(f"{path}:{line}: {p}{also}" if line else str(p))
        raise OntologyQCError(str(path), shown)
    return g


def _line_of_token(text: str, token: str, *, last: bool = False) -> int | None:
    """The line of ``token`` standing alone (not inside a longer name), case-insensitively; its first or last."""
    pattern = r"(?<![\w:/#])" + re.escape(token) + r"(?![\w])"
    hits = [m.start() for m in re.finditer(pattern, text, flags=re.IGNORECASE)]
    if not hits:
        return None
    at = hits[-1] if last else hits[0]
    return text.count("\n", 0, at) + 1


def label_lines(p: Problem, text: str) -> list[int]:
    """The lines where the label of a ``duplicate-label`` problem is written (any case)."""
    label = p.message.removeprefix("share the label ")
    try:
        value = ast.literal_eval(label)
    except (ValueError, SyntaxError):
        return []
    pattern = r"rdfs:label\s+(?:" + "|".join(re.escape(q) for q in (f'"{value}"', f"'{value}'")) + ")"
    return [text.count("\n", 0, m.start()) + 1 for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def problem_line(p: Problem, text: str, lines: dict[str, int]) -> int | None:
    """The line of the statement a QC problem is about: where the undeclared term is used, where the bad IRI or
    the duplicated label is written (its last occurrence: the later copy), else where the subject's statements
    start. None when the edit file does not hold it (a relation table, the merged imports)."""
    if p.rule in {"dangling-reference", "relation-target"}:
        local = p.entity.split(":", 1)[1] if ":" in p.entity else p.entity
        found = _line_of_token(text, p.entity) or _line_of(text, f"/CALCGRAPH_{local}>")
        if found:
            return found
    elif p.rule == "invalid-iri":
        with contextlib.suppress(ValueError, SyntaxError):
            iri = ast.literal_eval(p.entity)
            found = _line_of(text, f"<{iri}>") or _line_of(text, str(iri))
            if found:
                return found
    elif p.rule == "duplicate-label":
        found_all = label_lines(p, text)
        if found_all:
            return found_all[0]
    elif p.rule in {"multiple-labels", "multiple-definitions", "source-iri-reused"}:
        # a second statement block of the same subject (written later) is the usual culprit
        starts = [m.start() for m in re.finditer(r"^" + re.escape(p.entity) + r"\s", text, flags=re.MULTILINE)]
        if len(starts) > 1:
            return text.count("\n", 0, starts[-1]) + 1
    found_lines = sorted(lines[e] for e in p.entity.split(", ") if e in lines)
    return found_lines[0] if found_lines else None


_STATEMENT = re.compile(r"^([^\s#@][^\s]*)\s")


def statement_lines(path: Path) -> dict[str, int]:
    """The line where each subject's first statement starts in the edit file (subjects written at column 0)."""
    found: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return found
    for n, line in enumerate(text.splitlines(), 1):
        m = _STATEMENT.match(line)
        if m:
            found.setdefault(m.group(1), n)
    return found


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
    """Check ``source`` and write ``out_dir/calcgraph.owl`` and ``out_dir/calcgraph.ttl`` (both or neither).

    Release files that already hold exactly the source's triples are left untouched, so that rebuilding an unchanged
    source does not rewrite them (rdflib names blank nodes afresh on every serialisation).
    """
    g = check(source)
    owl, ttl = Path(out_dir) / "calcgraph.owl", Path(out_dir) / "calcgraph.ttl"
    recover_release(Path(out_dir))
    if not _stale(g, out_dir):
        return BuildResult(owl, ttl, len(g), written=False)
    try:
        owl_bytes, ttl_bytes = serialize_release(g)
    except Exception as exc:  # a term that parses but cannot be written (rdflib is lenient on input)
        raise OntologySourceError(str(source), None, f"cannot be serialised: {exc}") from exc
    write_release(Path(out_dir), {owl.name: owl_bytes, ttl.name: ttl_bytes})
    return BuildResult(owl, ttl, len(g), written=True)


JOURNAL = RELEASE_JOURNAL


def _tmp_name(name: str) -> str:
    return f".{name}.release-tmp"


@contextlib.contextmanager
def _release_lock(out_dir: Path) -> Iterator[None]:
    import fcntl

    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".calcgraph-release.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync_dir(d: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_release(out_dir: Path, files: dict[str, bytes]) -> None:
    """Replace the release files together: write each to a temp file and fsync it, write a journal naming them with
    their SHA-256, rename them over the targets, remove the journal. A crash before the journal leaves the old files;
    after it, :func:`recover_release` (run by the next build or check) completes the renames."""
    with _release_lock(out_dir):
        _recover(out_dir)
        entries = []
        try:
            for name, data in sorted(files.items()):
                tmp = out_dir / _tmp_name(name)
                with open(tmp, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                entries.append({"name": name, "sha256": hashlib.sha256(data).hexdigest()})
            journal = out_dir / JOURNAL
            jtmp = out_dir / (JOURNAL + ".tmp")
            with open(jtmp, "w", encoding="utf-8") as fh:
                json.dump(entries, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(jtmp, journal)  # the commit point
            _fsync_dir(out_dir)
        except BaseException:
            for name in files:
                with contextlib.suppress(OSError):
                    (out_dir / _tmp_name(name)).unlink()
            with contextlib.suppress(OSError):
                (out_dir / (JOURNAL + ".tmp")).unlink()
            raise
        _recover(out_dir)


def recover_release(out_dir: Path) -> bool:
    """Complete a release write that a crash interrupted between its renames (or drop an uncommitted one); True if
    there was one."""
    if not (out_dir / JOURNAL).exists() and not any(out_dir.glob(".*.release-tmp")):
        return False
    with _release_lock(out_dir):
        return _recover(out_dir)


def _recover(out_dir: Path) -> bool:
    journal = out_dir / JOURNAL
    found = False
    if journal.exists():
        found = True
        entries = json.loads(journal.read_text(encoding="utf-8"))
        for entry in entries:
            tmp, final = out_dir / _tmp_name(entry["name"]), out_dir / entry["name"]
            if tmp.exists() and hashlib.sha256(tmp.read_bytes()).hexdigest() == entry["sha256"]:
                os.replace(tmp, final)
        _fsync_dir(out_dir)
        journal.unlink()
    for tmp in out_dir.glob(".*.release-tmp"):  # written but never committed: the old files stand
        found = True
        with contextlib.suppress(OSError):
            tmp.unlink()
    with contextlib.suppress(OSError):
        (out_dir / (JOURNAL + ".tmp")).unlink()
    for name in ("calcgraph.owl", "calcgraph.ttl"):
        sweep_stale_temps(out_dir / name)  # temp files of older, killed runs
    return found


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
    recover_release(Path(out_dir))
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
