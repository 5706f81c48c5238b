"""Cohorts as RDF: ``calcgraph load-cases`` writes cases (and their diagnoses) into a SPARQL store.

Each case of a JSON Lines file becomes an individual of *patient case* (``CALCGRAPH:0000006``) typed, per present
finding F, with the named class ``cohort:withFinding-F`` (equivalent to ``has finding some F``) and, per excluded one,
with ``not cohort:withFinding-F``: the class expressions the reasoners see (``docs/reasoning.md``), the restriction
defined once per load in the load's graph (:func:`finding_class_ntriples`) instead of written out in every case. The
annotations *present finding* / *excluded finding* (``CALCGRAPH:0000032``/``0000033``) are what SPARQL queries use.
With results, the case is also typed with every defined class the fast classifier entails (HermiT's types) and linked
to its ranked differential (``ontology/cohort.ttl``). One load = one named graph; the vocabulary is in
``docs/cohort.md``.

Targets:

* an Oxigraph store directory (:func:`load_into_store`): a new store is bulk-loaded in a temporary directory beside
  it and renamed into place; an existing store gets the load in one transaction. Either way a failure leaves the
  store as it was. The store also receives the materialised ontology (graph :data:`calcgraph.vocab.GRAPH_IRI`) and
  the cohort vocabulary (graph :data:`VOCAB_GRAPH`) when it lacks them, so that query parameters resolve by label.
* any SPARQL 1.1 endpoint (:func:`load_into_endpoint`): SPARQL Update ``INSERT DATA`` or Graph Store Protocol
  ``POST``, in batches; the load goes into a new named graph, dropped again if a batch fails.

>>> case = Case("c1", ("https://w3id.org/calcgraph/CALCGRAPH_0003101",), ())
>>> nt = case_ntriples(case, "https://w3id.org/calcgraph/case/x/1-c1", "c1")
>>> "<https://w3id.org/calcgraph/CALCGRAPH_0000032> <https://w3id.org/calcgraph/CALCGRAPH_0003101>" in nt
True
>>> "<https://w3id.org/calcgraph/cohort#withFinding-CALCGRAPH_0003101> ." in nt
True
"""

from __future__ import annotations

import contextlib
import errno
import gc
import io
import os
import queue
import secrets
import shutil
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import numpy as np

from calcgraph import http, paths, storedir
from calcgraph.batch import DiagnoseJob, Outcome, run_batch
from calcgraph.cases import Case
from calcgraph.errors import CalcgraphError, CohortLoadError
from calcgraph.iris import OWL_NS, RDF_NS
from calcgraph.reason import EXCLUDED_FINDING, HAS_FINDING, PATIENT_CASE, PRESENT_FINDING
from calcgraph.sparqlguard import TOKEN_ENV
from calcgraph.vocab import GRAPH_IRI, curie_to_iri

COHORT = "https://w3id.org/calcgraph/cohort#"
CASE_BASE = "https://w3id.org/calcgraph/case/"
LOAD_BASE = "https://w3id.org/calcgraph/cohort/load/"
#: Named graph of the cohort vocabulary (``ontology/cohort.ttl``) in a store.
VOCAB_GRAPH = "https://w3id.org/calcgraph/cohort"

_RDF, _OWL = RDF_NS, OWL_NS
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DCT = "http://purl.org/dc/terms/"
TYPE = f"<{_RDF}type>"
_CG_BASE = "https://w3id.org/calcgraph/"


def vocab_path() -> Path:
    return paths.ontology_dir() / "cohort.ttl"


def _lit(text: str) -> str:
    esc = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{esc}"'


def _num(value: float | int, dt: str) -> str:
    return f'"{value}"^^<{_XSD}{dt}>'


def new_load_id() -> str:
    """``20260101T120000Z-1a2b3c4d``: the time of the load and a random suffix (unique per load)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(4)


def case_iri(load_id: str, line: int, case_id: str) -> str:
    return f"{CASE_BASE}{load_id}/{line}-{quote(case_id, safe='')}"


def _finding_key(finding: str) -> str:
    """The part of a finding class's IRI after ``withFinding-``: the local name of a calcgraph IRI
    (``CALCGRAPH_0003101``), any other IRI percent-encoded whole."""
    if finding.startswith(_CG_BASE) and "/" not in finding[len(_CG_BASE) :]:
        return quote(finding[len(_CG_BASE) :], safe="")
    return quote(finding, safe="")


def with_finding_class(finding: str) -> str:
    """The IRI of ``cohort:withFinding-F``, the named class equivalent to ``'has finding' some F``."""
    return f"{COHORT}withFinding-{_finding_key(finding)}"


def finding_class_ntriples(findings: Iterable[str]) -> str:
    """The definition of the named class of each finding (sorted; blank nodes ``_:fcN``), OWL 2 DL:
    ``cohort:withFinding-F owl:equivalentClass [ a owl:Restriction ; owl:onProperty 'has finding' ;
    owl:someValuesFrom F ]``. Written into each load's graph, for every finding the cases can name, so that a load's
    graph with the ontology is all a reasoner needs (``docs/cohort.md``)."""
    out = []
    for k, f in enumerate(sorted(set(findings))):
        w, r = f"<{with_finding_class(f)}>", f"_:fc{k}"
        out += [
            f"{w} {TYPE} <{_OWL}Class> .",
            f"{w} <{_OWL}equivalentClass> {r} .",
            f"{r} {TYPE} <{_OWL}Restriction> .",
            f"{r} <{_OWL}onProperty> <{HAS_FINDING}> .",
            f"{r} <{_OWL}someValuesFrom> <{f}> .",
        ]
    return "\n".join(out) + "\n" if out else ""


def case_ntriples(
    case: Case,
    iri: str,
    bnode: str,
    result: dict[str, Any] | None = None,
    classes: list[str] | None = None,
) -> str:
    """The N-Triples of one case (blank node labels start with ``bnode``, unique within a load). Its findings'
    named classes are defined once in the same graph (:func:`finding_class_ntriples`)."""
    c = f"<{iri}>"
    b = "".join(ch if ch.isalnum() else "_" for ch in bnode)
    out = [
        f"{c} {TYPE} <{_OWL}NamedIndividual> .",
        f"{c} {TYPE} <{PATIENT_CASE}> .",
        f"{c} <{_DCT}identifier> {_lit(case.id)} .",
    ]
    for f in case.present:
        out += [
            f"{c} <{PRESENT_FINDING}> <{f}> .",
            f"{c} {TYPE} <{with_finding_class(f)}> .",
        ]
    for k, f in enumerate(case.absent):
        n = f"_:{b}n{k}"
        out += [
            f"{c} <{EXCLUDED_FINDING}> <{f}> .",
            f"{c} {TYPE} {n} .",
            f"{n} {TYPE} <{_OWL}Class> .",
            f"{n} <{_OWL}complementOf> <{with_finding_class(f)}> .",
        ]
    for cls in classes or ():
        out.append(f"{c} {TYPE} <{cls}> .")
    if result is not None:
        for d in result["differential"][:1]:  # the shortcut the cohort queries use
            out.append(f"{c} <{COHORT}topRankedDisease> <{curie_to_iri(d['id']) or d['id']}> .")
        for k, d in enumerate(result["differential"], 1):
            r = f"<{iri}/diagnosis/{k}>"  # by position: equal scores share a rank
            disease = curie_to_iri(d["id"]) or d["id"]
            out += [
                f"{c} <{COHORT}hasRankedDiagnosis> {r} .",
                f"{r} {TYPE} <{COHORT}RankedDiagnosis> .",
                f"{r} <{COHORT}disease> <{disease}> .",
                f"{r} <{COHORT}rank> {_num(d['rank'], 'integer')} .",
                f"{r} <{COHORT}probability> {_num(round(float(d['probability']), 6), 'decimal')} .",
                f"{r} <{COHORT}log10LikelihoodRatio> {_num(round(float(d['score']), 4), 'decimal')} .",
            ]
    return "\n".join(out) + "\n"


class CohortJob(DiagnoseJob):
    """A case (and, with results, its differential and classes) as N-Triples; runs in the batch workers."""

    def __init__(self, load_id: str, *, with_results: bool, top: int = 3, ontology: Path | None = None) -> None:
        super().__init__(ontology, top=top, n_next=0, classes=with_results, reasoner="fast")
        self.load_id, self.with_results = load_id, with_results

    def work(self, case: Any, where: str, line: int) -> str:
        iri = case_iri(self.load_id, line, case.id)
        if not self.with_results:
            return case_ntriples(case, iri, f"l{line}")
        from calcgraph.diagnose import diagnose

        self.ensure()
        assert self._state_fast is not None  # with_results sets classes=True and reasoner="fast", so setup() built it
        result = diagnose(self._state_loaded.model, case.present, case.absent, top=self.top, n_next=0)
        classes = self._state_fast.types(case.present, case.absent, case.id)
        return case_ntriples(case, iri, f"l{line}", result, classes)

    def work_chunk(self, cases: list[tuple[Any, str, int]]) -> list[Outcome]:
        """With results: rank the whole chunk at once (:func:`calcgraph.vectorised.rank_chunk`, the ranking of
        :func:`~calcgraph.diagnose.diagnose`) and store only what is kept -- rank, disease, probability, score of the
        top ``top``; no explanations or next tests are computed. Same triples as :meth:`work` per case (tested)."""
        if not self.with_results or type(self).work is not _COHORT_WORK:
            return super().work_chunk(cases)
        from calcgraph.batch import _message
        from calcgraph.vectorised import rank_chunk, rows_of

        self.ensure()
        assert self._state_fast is not None
        model = self._state_loaded.model
        out: list[Outcome] = []
        ready: list[tuple[int, Any, str, int, list[int], list[int]]] = []
        for case, where, n in cases:
            try:
                pres, abse = rows_of(model, case.present, case.absent)
            except CalcgraphError as exc:
                out.append(Outcome(n, error=f"{where}: {_message(exc)}"))
                continue
            ready.append((len(out), case, where, n, pres, abse))
            out.append(Outcome(n))
        ranked = rank_chunk(model, [r[4] for r in ready], [r[5] for r in ready])
        s, post, order = ranked.s, ranked.post, ranked.order
        top = order[:, : max(0, self.top)]
        tops = top.tolist()
        scores = [[round(x, 4) for x in row] for row in (s[np.arange(len(ready))[:, None], top]).tolist()]
        probs = [[round(x, 6) for x in row] for row in (post[np.arange(len(ready))[:, None], top]).tolist()]
        ranks = ranked.ranks(max(0, self.top))
        for c, (pos, case, where, n, _, _) in enumerate(ready):
            result = {
                "differential": [
                    {"rank": r, "id": model.curies[j], "probability": p, "score": sc}
                    for r, j, p, sc in zip(ranks[c], tops[c], probs[c], scores[c], strict=True)
                ]
            }
            try:
                classes = self._state_fast.types(case.present, case.absent, case.id)
                out[pos] = Outcome(n, value=case_ntriples(case, case_iri(self.load_id, n, case.id), f"l{n}", result,
                                                         classes))  # fmt: skip
            except CalcgraphError as exc:
                out[pos] = Outcome(n, error=f"{where}: {_message(exc)}")
        return out

    def findings(self) -> set[str]:
        """Every finding a case of this job can name (the findings of its finding index)."""
        self.ensure()
        index = self.index()
        return set(index.labels) | set(index.keys.values())


_COHORT_WORK = CohortJob.work


@dataclass
class LoadReport:
    graph: str
    loaded: int = 0
    failed: int = 0
    failed_lines: list[int] = field(default_factory=list)
    target: str = ""


def _load_metadata(report: LoadReport, source: Path, job: CohortJob) -> str:
    """The load's own description and the named classes of the findings its cases are typed with."""
    g = f"<{report.graph}>"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f"{g} {TYPE} <{COHORT}CohortLoad> .",
        f"{g} <{_DCT}source> {_lit(source.name)} .",
        f"{g} <{_DCT}created> {_lit(now)}^^<{_XSD}dateTime> .",
        f"{g} <{COHORT}caseCount> {_num(report.loaded, 'integer')} .",
    ]
    if job.with_results:
        lines.append(f'{g} <{COHORT}classifier> "fast" .')
    return "\n".join(lines) + "\n" + finding_class_ntriples(job.findings())


def _cases(
    source: Path,
    job: CohortJob,
    report: LoadReport,
    workers: int,
    on_outcome: Callable[[Outcome], None] | None,
) -> Iterator[str]:
    for o in run_batch(source, job, workers=workers):
        if on_outcome is not None:
            on_outcome(o)
        if o.error is not None:
            report.failed += 1
            if len(report.failed_lines) < 20:
                report.failed_lines.append(o.line)
            continue
        report.loaded += 1
        yield o.value


def write_ntriples(
    source: Path,
    fh: TextIO,
    job: CohortJob,
    report: LoadReport,
    *,
    workers: int = 1,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> None:
    """Stream the cohort's N-Triples to ``fh`` (cases, then the load's own description)."""
    for text in _cases(source, job, report, workers, on_outcome):
        fh.write(text)
    fh.write(_load_metadata(report, source, job))


def _store_error(path: Path, exc: BaseException) -> CohortLoadError:
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = "is another process (a server) using the store?" if "lock" in msg.lower() else None
    return CohortLoadError(f"{path}: cannot load the Oxigraph store: {msg}", hint=hint)


def _ensure_ontology(store: Any, ox: Any, bulk: bool) -> None:
    from calcgraph.materialise import materialised_ntriples

    load = store.bulk_load if bulk else store.load
    if not store.contains_named_graph(ox.NamedNode(str(GRAPH_IRI))):
        load(materialised_ntriples(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(GRAPH_IRI)))
    if not store.contains_named_graph(ox.NamedNode(VOCAB_GRAPH)):
        load(path=str(vocab_path()), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(VOCAB_GRAPH))


class _StrictFailure(Exception):
    """Raised at the end of the input when ``strict`` and a line failed: the store load is abandoned."""


class _Stream(io.RawIOBase):
    """The cohort's N-Triples as a binary stream, produced by a background thread while Oxigraph loads.

    Oxigraph's loaders release the GIL while they parse and index, so the Python that makes the triples (parsing,
    ranking, classifying; in worker processes with ``workers > 1``) runs alongside the loader instead of before it,
    and no intermediate file is written. At most :data:`STREAM_QUEUE` blocks of about :data:`STREAM_BLOCK` bytes wait
    in memory. An exception in the producer is re-raised to the loader (which abandons the load) and kept in
    :attr:`error`, so the caller can report the original.
    """

    def __init__(self, produce: Callable[[], Iterator[str]]) -> None:
        super().__init__()
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=STREAM_QUEUE)
        self._pending = memoryview(b"")
        self._done = False
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(produce,), name="cohort-ntriples", daemon=True)
        self._thread.start()

    def _put(self, item: bytes | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, produce: Callable[[], Iterator[str]]) -> None:
        try:
            block: list[str] = []
            size = 0
            for text in produce():
                block.append(text)
                size += len(text)
                if size >= STREAM_BLOCK:
                    if not self._put("".join(block).encode("utf-8")):
                        return
                    block, size = [], 0
            if block and not self._put("".join(block).encode("utf-8")):
                return
            self._put(None)
        except BaseException as exc:  # handed to the reading side
            self._put(exc)

    def readable(self) -> bool:
        return True

    def _next_block(self) -> bytes | None:
        """The next block of whole cases from the producer (None at the end); a producer error is raised."""
        if self._pending:
            block, self._pending = bytes(self._pending), memoryview(b"")
            return block
        if self._done:
            return None
        item = self._queue.get()
        if item is None:
            self._done = True
            return None
        if isinstance(item, BaseException):
            self._done = True
            self.error = item
            raise item
        return item

    def chunks(self, size: int) -> Iterator[bytes]:
        """The stream in pieces of at least ``size`` bytes (the last may be smaller), each made of whole cases, so
        that every piece is a complete N-Triples document (the blank nodes of the findings' class definitions, written
        in one block, are never split between two pieces; a separate
        ``bulk_load`` call per piece keeps the loader's memory bounded by ``size``)."""
        parts: list[bytes] = []
        total = 0
        while (block := self._next_block()) is not None:
            parts.append(block)
            total += len(block)
            if total >= size:
                yield b"".join(parts)
                parts, total = [], 0
        if parts:
            yield b"".join(parts)

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            item = self._queue.get()
            if item is None:
                self._done = True
            elif isinstance(item, BaseException):
                self._done = True
                self.error = item
                raise item
            else:
                self._pending = memoryview(item)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        super().close()


#: Bytes per block handed from the producer thread to the loader, and blocks that may wait in memory.
STREAM_BLOCK = 1 << 20
STREAM_QUEUE = 16
#: Bytes of N-Triples per ``bulk_load`` call into a new store (about 150,000 triples). One call over the whole
#: stream lets Oxigraph's bulk loader hold several batches of a million quads in memory at once (1.1 GB at 20,000
#: cases, 1.9 GB at 100,000); pieces of this size keep it near 200 MB at any size, at the same speed (measured at
#: 20,000 cases; docs/cohort.md).
LOAD_CHUNK = 16 << 20


def _ntriples_stream(
    source: Path,
    job: CohortJob,
    report: LoadReport,
    *,
    workers: int,
    strict: bool,
    on_outcome: Callable[[Outcome], None] | None,
) -> _Stream:
    def produce() -> Iterator[str]:
        yield from _cases(source, job, report, workers, on_outcome)
        if strict and report.failed:
            raise _StrictFailure
        yield _load_metadata(report, source, job)

    return _Stream(produce)


def load_into_store(
    source: Path,
    store_dir: Path,
    job: CohortJob,
    *,
    workers: int = 1,
    strict: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> LoadReport:
    """Load ``source`` into the Oxigraph store ``store_dir`` (created if missing) as one named graph, atomically.

    The triples stream straight into Oxigraph (``bulk_load`` for a new store, one transaction for an existing one)
    while they are made; nothing is written to a temporary file. With ``strict``, a bad line abandons the load at
    the end of the input (every bad line is still counted)."""
    import pyoxigraph as ox

    store_dir = Path(store_dir)
    report = LoadReport(graph=LOAD_BASE + job.load_id, target=str(store_dir))
    if store_dir.exists() and not store_dir.is_dir():
        raise CohortLoadError(f"{store_dir}: not a directory (an Oxigraph store is a directory)")
    storedir.check_target(store_dir)  # F5: never turn a user's directory into a store
    fresh = not store_dir.exists() or not any(store_dir.iterdir())
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    storedir.sweep_stale_loads(store_dir)  # what killed loads left beside it
    if not fresh:
        note = storedir.recover_if_unclean(store_dir)
        if note:
            print(f"note: {note}", file=sys.stderr)
    work = storedir.new_loading_dir(store_dir) if fresh else None
    graph = ox.NamedNode(report.graph)
    stream = _ntriples_stream(source, job, report, workers=workers, strict=strict, on_outcome=on_outcome)
    reader = io.BufferedReader(stream, buffer_size=STREAM_BLOCK)
    try:
        try:
            if work is not None:
                tmp_store = work / "store"
                store = ox.Store(str(tmp_store))
                _ensure_ontology(store, ox, bulk=True)
                for piece in stream.chunks(LOAD_CHUNK):
                    store.bulk_load(piece, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
                store.flush()
                # every piece leaves its own files: one compaction makes the cohort queries 2-4x faster
                # (docs/cohort.md)
                store.optimize()
                del store
                gc.collect()
                try:
                    if store_dir.exists():
                        store_dir.rmdir()  # empty
                    os.replace(tmp_store, store_dir)
                except OSError as exc:
                    if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                        raise CohortLoadError(
                            f"{store_dir}: another load created the store while this one ran; nothing of this load "
                            "was written",
                            hint="run the load again to add it to that store",
                        ) from exc
                    raise
            else:
                store = ox.Store(str(store_dir))
                _ensure_ontology(store, ox, bulk=False)
                store.load(reader, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)  # one transaction
                store.flush()
                del store
                gc.collect()
                storedir.drop_flushed_log(store_dir)  # F11: a clean store has no large log
        except (OSError, ValueError, SyntaxError, RuntimeError, _StrictFailure) as exc:
            if isinstance(stream.error, _StrictFailure):
                return report  # nothing loaded; the caller reports the bad lines
            if stream.error is not None:
                raise stream.error from exc  # the producer's own error (a calcgraph error, an interrupt, ...)
            raise _store_error(store_dir, exc) from exc
    finally:
        reader.close()
        gc.collect()
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    return report


# ------------------------------------------------------------------------------------------------ endpoints


def _post(url: str, body: bytes, content_type: str, method: str = "POST", timeout: float = 300.0) -> None:
    headers = {"Content-Type": content_type}
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:  # a `calcgraph serve --writable` server (or any endpoint taking a bearer token)
        headers["Authorization"] = f"Bearer {token}"
    http.request(url, data=body, headers=headers, error=CohortLoadError, method=method, timeout=timeout)


def _gsp_url(url: str, graph: str) -> str:
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{sep}{urllib.parse.urlencode({'graph': graph})}"


class _Sender:
    def __init__(self, url: str, protocol: str, graph: str) -> None:
        if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
            raise CohortLoadError(f"endpoint {url!r} is not an http(s) URL")
        if protocol not in {"update", "gsp"}:
            raise CohortLoadError(f"unknown protocol {protocol!r}: use update or gsp")
        self.url, self.protocol, self.graph = url, protocol, graph

    def send(self, ntriples: str, graph: str | None = None) -> None:
        g = graph or self.graph
        if self.protocol == "gsp":
            _post(_gsp_url(self.url, g), ntriples.encode("utf-8"), "application/n-triples")
        else:
            body = f"INSERT DATA {{ GRAPH <{g}> {{\n{ntriples}}} }}"
            _post(self.url, body.encode("utf-8"), "application/sparql-update")

    def drop(self) -> None:
        with contextlib.suppress(CalcgraphError):
            if self.protocol == "gsp":
                _post(_gsp_url(self.url, self.graph), b"", "application/n-triples", method="DELETE")
            else:
                _post(self.url, f"DROP SILENT GRAPH <{self.graph}>".encode(), "application/sparql-update")


def load_into_endpoint(
    source: Path,
    url: str,
    job: CohortJob,
    *,
    protocol: str = "update",
    batch_cases: int = 1000,
    workers: int = 1,
    strict: bool = False,
    with_ontology: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> LoadReport:
    """Load ``source`` into a SPARQL 1.1 endpoint in batches; on failure the load's graph is dropped again."""
    report = LoadReport(graph=LOAD_BASE + job.load_id, target=url)
    sender = _Sender(url, protocol, report.graph)
    if strict:  # find bad lines before writing anything
        with open(os.devnull, "w", encoding="utf-8") as sink:
            write_ntriples(source, sink, job, report, workers=workers)
        if report.failed:
            return report
        report = LoadReport(graph=report.graph, target=url)
    started = False
    try:
        if with_ontology:
            from calcgraph.materialise import materialised_ntriples

            started = True
            sender.send(materialised_ntriples().decode("utf-8"), str(GRAPH_IRI))
            sender.send(_turtle_as_ntriples(vocab_path()), VOCAB_GRAPH)
        buf: list[str] = []
        for text in _cases(source, job, report, workers, on_outcome):
            buf.append(text)
            if len(buf) >= batch_cases:
                started = True
                sender.send("".join(buf))
                buf = []
        buf.append(_load_metadata(report, source, job))
        started = True
        sender.send("".join(buf))
    except BaseException:
        if started:
            sender.drop()
        raise
    return report


def _turtle_as_ntriples(path: Path) -> str:
    from rdflib import Graph

    return Graph().parse(path, format="turtle").serialize(format="nt")
