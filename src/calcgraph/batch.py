"""Streaming, parallel batch work over JSON Lines cases: constant memory, results in input order.

:func:`run_batch` reads a JSON Lines file lazily in chunks of non-blank lines, hands each chunk to a :class:`Job`
(in this process, or in ``workers`` worker processes), and yields the per-line outcomes in input order
(:func:`run_blocks`: a chunk's outcomes at once, their values in one buffer). At most ``workers * WINDOW`` chunks
are in flight, so memory does not grow with the file. A bad line is an outcome with an
error message (``FILE:LINE: what is wrong``), never an exception that loses the other lines.

Workers are forked where the platform can (the parent's compiled model and classifier are shared copy-on-write);
elsewhere a job rebuilds its state in each worker from its (picklable) settings.

>>> import json, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "c.jsonl"
>>> _ = p.write_text(json.dumps({"id": "a", "present": ["acute monoarthritis"]}) + "\\n{oops\\n", encoding="utf-8")
>>> [(o.line, o.error is None) for o in run_batch(p, DiagnoseJob(top=1, n_next=0))]
[(1, True), (2, False)]
"""

from __future__ import annotations

import gc
import multiprocessing
import re
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calcgraph.errors import CalcgraphError, CaseError

#: A byte that was not UTF-8, kept by ``surrogateescape`` when the file was read.
_ESCAPED = re.compile("[\udc80-\udcff]")

#: Lines per chunk handed to a worker, and chunks in flight per worker.
CHUNK = 250
WINDOW = 4


@dataclass(frozen=True)
class Outcome:
    """What a job made of one line: ``value`` (job-specific) or ``error`` (one message naming FILE:LINE)."""

    line: int
    value: Any = None
    error: str | None = None


class Job:
    """Work on one parsed case. Subclasses set up their state once per process in :meth:`setup`."""

    def __init__(self) -> None:
        self._ready = False

    def setup(self) -> None:  # pragma: no cover - overridden
        pass

    def ensure(self) -> Job:
        if not self._ready:
            self.setup()
            self._ready = True
        return self

    def index(self) -> Any:
        raise NotImplementedError

    def work(self, case: Any, where: str, line: int) -> Any:
        raise NotImplementedError

    def run_chunk(self, path: str, chunk: list[tuple[int, str]]) -> list[Outcome]:
        """Parse the chunk's lines, then :meth:`work_chunk` on the cases; outcomes in input order."""
        from calcgraph.cases import parse_jsonl_line
        from calcgraph.safeparse import decode_line

        self.ensure()
        index = self.index()
        out: list[Outcome] = []
        cases: list[tuple[int, Any, str, int]] = []  # (position in out, case, where, line)
        for n, line in chunk:
            where = f"{path}:{n}"
            if _ESCAPED.search(line):
                try:
                    line = decode_line(line.encode("utf-8", "surrogateescape"), where)
                except CaseError as exc:
                    out.append(Outcome(n, error=_message(exc)))
                    continue
            item = parse_jsonl_line(line, index, where, strict=getattr(self, "strict", False))
            if isinstance(item, CalcgraphError):
                out.append(Outcome(n, error=_message(item)))
                continue
            cases.append((len(out), item, where, n))
            out.append(Outcome(n))
        for (pos, _, _, _), done in zip(cases, self.work_chunk([c[1:] for c in cases]), strict=True):
            out[pos] = done
        return out

    def work_chunk(self, cases: list[tuple[Any, str, int]]) -> list[Outcome]:
        """:meth:`work` on each ``(case, where, line)``; a job that can do a chunk at once overrides this."""
        out = []
        for case, where, n in cases:
            try:
                out.append(Outcome(n, value=self.work(case, where, n)))
            except CalcgraphError as exc:
                out.append(Outcome(n, error=f"{where}: {_message(exc)}"))
        return out

    def __getstate__(self) -> dict[str, Any]:
        """Settings only: a spawned worker rebuilds the state (a forked one inherits it)."""
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_state_")}
        state["_ready"] = False
        return state


def _message(exc: CalcgraphError) -> str:
    return f"{exc}" + (f" ({exc.hint})" if exc.hint else "")


class DiagnoseJob(Job):
    """``calcgraph diagnose`` on one case; with ``classes``, the defined classes of ``reasoner`` too."""

    def __init__(
        self,
        ontology: Path | None = None,
        *,
        top: int = 10,
        n_next: int = 5,
        classes: bool = False,
        reasoner: str = "fast",
        strict: bool = False,
    ) -> None:
        super().__init__()
        self.ontology, self.top, self.n_next, self.classes, self.reasoner = ontology, top, n_next, classes, reasoner
        self.strict = strict

    def setup(self) -> None:
        from calcgraph.api import load

        if getattr(self, "_state_loaded", None) is None:
            self._state_loaded = load(self.ontology)
        if type(self).work is _DIAGNOSE_WORK:  # the chunk path's pieces, before the workers fork: they share them
            from calcgraph.vectorised import prepare

            prepare(self._state_loaded.model)
        self._state_fast = None
        if self.classes and self.reasoner == "fast":
            from calcgraph.fastclass import fast_classifier

            self._state_fast = fast_classifier(_release_of(self.ontology))

    def index(self) -> Any:
        return self._state_loaded.index

    def diagnose(self, case: Any) -> dict[str, Any]:
        from calcgraph.diagnose import diagnose

        self.ensure()
        loaded = self._state_loaded
        result = diagnose(loaded.model, case.present, case.absent, case_id=case.id, top=self.top, n_next=self.n_next)
        result["unused_terms"] = [u.as_dict() for u in case.unused]
        if self.classes:
            from calcgraph.api import add_classes

            add_classes(result, loaded.model, case, self.classify(case))
        return result

    def classify(self, case: Any) -> list[dict[str, Any]]:
        """The reasoner's (or the fast classifier's) classes of ``case``, in ``diagnose --classes`` form."""
        self.ensure()
        if self._state_fast is not None:
            from calcgraph.agreement import class_items

            return class_items(self._state_fast.classify(case))
        from calcgraph.api import reasoner_classes

        return reasoner_classes(case, self.ontology, self.reasoner)

    def work(self, case: Any, where: str, line: int) -> bytes | str:
        """The case's result as one line of JSON (UTF-8 bytes, no newline)."""
        from calcgraph.vectorised import dumps

        return dumps(self.diagnose(case))

    def work_chunk(self, cases: list[tuple[Any, str, int]]) -> list[Outcome]:
        """The chunk's differentials at once (:func:`calcgraph.vectorised.diagnose_chunk`: the JSON of
        :meth:`diagnose`, computed for the whole chunk), then each case's classes when asked for."""
        if type(self).work is not _DIAGNOSE_WORK:  # work() is overridden (a subclass, a test): per case
            return super().work_chunk(cases)
        from calcgraph.vectorised import diagnose_chunk, dumps, rows_of

        model = self._state_loaded.model
        out: list[Outcome] = []
        ready: list[tuple[int, Any, str, int]] = []
        rows = []
        for case, where, n in cases:
            try:
                rows.append((case.id, *rows_of(model, case.present, case.absent)))
            except CalcgraphError as exc:
                out.append(Outcome(n, error=f"{where}: {_message(exc)}"))
                continue
            ready.append((len(out), case, where, n))
            out.append(Outcome(n))
        # what diagnose() adds after the differential, in its order, written into each case's JSON
        tails = []
        for pos, case, where, n in ready:
            tail = b',"unused_terms":' + (dumps([u.as_dict() for u in case.unused]) if case.unused else b"[]")
            if self.classes:
                from calcgraph.agreement import disagreements

                try:
                    found = self.classify(case)
                    tail += b',"classes":' + dumps(found)
                    tail += b',"class_disagreements":' + dumps(disagreements(model, case.present, case.absent, found))
                except CalcgraphError as exc:
                    out[pos] = Outcome(n, error=f"{where}: {_message(exc)}")
            tails.append(tail)
        done = diagnose_chunk(model, rows, top=self.top, n_next=self.n_next, tails=tails)
        for (pos, _, _, n), data in zip(ready, done, strict=True):
            if out[pos].error is None:
                out[pos] = Outcome(n, value=data)
        return out


_DIAGNOSE_WORK = DiagnoseJob.work


def _release_of(ontology: Path | None) -> Path | None:
    """The RDF/XML release the reasoners and the fast classifier read (the default unless an .owl file is given)."""
    return ontology if ontology is not None and Path(ontology).suffix.lower() == ".owl" else None


# ------------------------------------------------------------------------------------------------ the runner


def read_chunks(path: Path, size: int) -> Iterator[list[tuple[int, str]]]:
    """Non-blank lines of ``path`` with their 1-based numbers, ``size`` at a time.

    Bytes that are not UTF-8 are kept as surrogate escapes, so that the line is reported as not UTF-8 (never
    silently altered) when it is parsed; see :func:`calcgraph.safeparse.decode_line`."""
    chunk: list[tuple[int, str]] = []
    with Path(path).open(encoding="utf-8", errors="surrogateescape") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                chunk.append((n, line))
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


_JOB: Job | None = None


#: Bytes of shared memory per chunk in flight, where a forked worker leaves the chunk's values (:class:`_Slots`).
SLOT_BYTES = 16 * 2**20


class _Slots:
    """An anonymous shared mapping, made before the workers fork, with one slot per chunk in flight: a worker writes
    a chunk's values (``bytes``, about 20 KB a case for ``diagnose``, each followed by a newline) there and sends only
    their sizes through the pipe, instead of pickling them through it (which cost a third more CPU time than the work
    itself); the parent writes them from there (:class:`Block`) without copying them into objects of its own."""

    def __init__(self, n: int, size: int) -> None:
        import mmap

        self.n, self.size = n, size
        self.mem = mmap.mmap(-1, n * size)
        self.view = memoryview(self.mem)

    def close(self) -> None:
        self.view.release()
        self.mem.close()


class Block:
    """A chunk's outcomes in input order: per line its number and its error (``None`` if it has a value).

    When every value is ``bytes`` (as :class:`DiagnoseJob`'s), they are in :attr:`data`, one after the other, each
    followed by a newline (what ``diagnose --batch`` writes), with their lengths (without the newline) in
    :attr:`sizes` (-1 for a line with an error); :attr:`data` may then be a view of a worker's shared memory, valid
    only until the next block is asked for. Otherwise :attr:`done` holds the outcomes themselves."""

    __slots__ = ("data", "done", "errors", "lines", "sizes")

    def __init__(
        self,
        lines: list[int],
        errors: list[str | None],
        sizes: list[int] | None = None,
        data: bytes | memoryview | None = None,
        done: list[Outcome] | None = None,
    ) -> None:
        self.lines, self.errors, self.sizes, self.data, self.done = lines, errors, sizes, data, done

    @classmethod
    def of(cls, done: list[Outcome]) -> Block:
        """The block of a chunk's outcomes: its values joined when they are all ``bytes``."""
        lines = [o.line for o in done]
        errors = [o.error for o in done]
        values = [o.value for o in done if o.error is None]
        if any(type(v) is not bytes for v in values):
            return cls(lines, errors, done=done)
        sizes = [-1 if o.error is not None else len(o.value) for o in done]
        return cls(lines, errors, sizes, b"\n".join([*values, b""]) if values else b"")

    def outcomes(self) -> list[Outcome]:
        """The block's outcomes (their values copied out of :attr:`data`)."""
        if self.done is not None:
            return self.done
        assert self.sizes is not None and self.data is not None
        data = self.data
        out = []
        at = 0
        for n, err, size in zip(self.lines, self.errors, self.sizes, strict=True):
            if err is not None:
                out.append(Outcome(n, error=err))
            else:
                out.append(Outcome(n, value=bytes(data[at : at + size])))
                at += size + 1
        return out


class _InSlot:
    """A chunk's outcomes whose values wait in slot ``slot`` of the :class:`_Slots`, one after the other, each
    followed by a newline (:class:`Block`)."""

    __slots__ = ("errors", "lines", "sizes", "slot", "total")

    def __init__(self, slot: int, lines: list[int], errors: list[str | None], sizes: list[int], total: int) -> None:
        self.slot, self.lines, self.errors, self.sizes, self.total = slot, lines, errors, sizes, total

    def __getstate__(self) -> tuple[Any, ...]:
        return self.slot, self.lines, self.errors, self.sizes, self.total

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.slot, self.lines, self.errors, self.sizes, self.total = state

    def block(self, slots: _Slots) -> Block:
        """The block, its data a view of the slot (which the next chunk may then use)."""
        at = self.slot * slots.size
        return Block(self.lines, self.errors, self.sizes, slots.view[at : at + self.total])


_SLOTS: _Slots | None = None


def _install(job: Job, slots: _Slots | None = None) -> None:
    global _JOB, _SLOTS
    _JOB, _SLOTS = job, slots
    _die_with_parent()


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when its parent dies (a killed ``diagnose --batch`` leaves no orphans)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no prctl: the worker ends when its queue closes
        pass


def _run(path: str, chunk: list[tuple[int, str]], slot: int = -1) -> list[Outcome] | _InSlot:
    """One chunk in a worker; its values left in shared memory (each followed by a newline) when there is a slot for
    it and they are bytes that fit."""
    assert _JOB is not None
    done = _JOB.run_chunk(path, chunk)
    slots = _SLOTS
    if slot < 0 or slots is None:
        return done
    values = [o.value if o.error is None else None for o in done]
    sizes = [-1 if v is None else len(v) if type(v) is bytes else -2 for v in values]
    total = sum(size + 1 for size in sizes if size >= 0)
    if -2 in sizes or total > slots.size:
        return done
    at = slot * slots.size
    view = slots.view
    for v in values:
        if v is not None:
            size = len(v)
            view[at : at + size] = v
            view[at + size] = 10  # b"\n"
            at += size + 1
    return _InSlot(slot, [o.line for o in done], [o.error for o in done], sizes, total)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform != "darwin" else None)


def run_batch(path: Path, job: Job, *, workers: int = 1, chunk: int | None = None) -> Iterator[Outcome]:
    """The outcome of every non-blank line of ``path``, in input order (see the module docstring)."""
    for block in run_blocks(path, job, workers=workers, chunk=chunk):
        yield from block.outcomes()


def run_blocks(path: Path, job: Job, *, workers: int = 1, chunk: int | None = None) -> Iterator[Block]:
    """:func:`run_batch` a chunk at a time: the :class:`Block` of every chunk of ``path``, in input order. A block's
    :attr:`~Block.data` may be a view of shared memory, released when the next block is asked for (so that
    ``diagnose --batch`` writes a chunk's results with one call, and nothing copies them)."""
    chunk = chunk or CHUNK
    path = Path(path)
    if not path.is_file():
        raise CaseError(str(path), "no such file")
    job.ensure()  # in the parent: forked workers inherit the compiled state
    if workers <= 1:
        for c in read_chunks(path, chunk):
            yield Block.of(job.run_chunk(str(path), c))
        return
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pending: deque[tuple[list[tuple[int, str]], Future[list[Outcome] | _InSlot] | None]] = deque()
    chunks = read_chunks(path, chunk)
    context = _context()
    # shared memory for the results: forked workers inherit the mapping (spawned ones pickle their results)
    slots = _Slots(workers * WINDOW, SLOT_BYTES) if context.get_start_method() == "fork" else None
    pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_install, initargs=(job, slots)
    )
    # The objects the workers inherit are frozen while they fork (the first submit forks them all): the workers'
    # collector then never walks them, which would write to their headers and so copy the pages that hold them.
    frozen = slots is not None
    if frozen:
        gc.freeze()
    submitted = 0
    try:
        while True:
            while pool is not None and len(pending) < workers * WINDOW:
                nxt = next(chunks, None)
                if nxt is None:
                    break
                try:
                    # at most workers * WINDOW chunks are in flight: the slot's last chunk has been read out
                    slot = submitted % (workers * WINDOW) if slots is not None else -1
                    pending.append((nxt, pool.submit(_run, str(path), nxt, slot)))
                    submitted += 1
                    if frozen:  # forked: this process's objects are collected again
                        gc.unfreeze()
                        frozen = False
                except BrokenProcessPool:  # a worker died: the pending futures say so, and the handler below reports it
                    pending.append((nxt, None))
                    break
            if not pending:
                if pool is None:  # the pool broke: the rest of the file is done here, in order
                    for c in chunks:
                        yield Block.of(job.run_chunk(str(path), c))
                return
            c, fut = pending.popleft()
            try:
                done = fut.result() if fut is not None else job.run_chunk(str(path), c)
            except BrokenProcessPool:
                held = [c, *(x for x, _ in pending)]
                lines = [n for x in held for n, _ in x]
                print(
                    f"warning: {path}: a batch worker died (killed, or out of memory); the {len(lines)} line(s) it "
                    f"and the other workers held ({_spans(lines)}) are done again in the main process, and so is the "
                    "rest of the file",
                    file=sys.stderr,
                )
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
                pool = None
                pending = deque((x, None) for x in held[1:])
                done = job.run_chunk(str(path), c)
            if isinstance(done, _InSlot):
                assert slots is not None
                view = done.block(slots)
                try:
                    yield view
                finally:
                    assert isinstance(view.data, memoryview)
                    view.data.release()  # the slot takes the next chunk's results
            else:
                yield Block.of(done)
    finally:
        if frozen:
            gc.unfreeze()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if slots is not None:
            slots.close()


def _spans(lines: list[int]) -> str:
    """Line numbers as ranges: ``lines 1-250, 260``.

    >>> _spans([1, 2, 3, 7, 9, 10])
    'lines 1-3, 7, 9-10'
    """
    runs: list[list[int]] = []
    for n in sorted(lines):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    out = [str(a) if a == b else f"{a}-{b}" for a, b in runs]
    return "lines " + ", ".join(out)
