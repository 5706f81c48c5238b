"""The compiled model: everything one diagnosis needs from the release, built once and cached on disk.

Reading the release costs hundreds of milliseconds (parse the Turtle, run the knowledge queries, build the
likelihood-ratio tables), while diagnosing a case costs about one. :func:`load` therefore keeps the result -- the
finding index (:class:`calcgraph.cases.FindingIndex`), the diagnostic model (:class:`calcgraph.diagnose.Model`, with
its knowledge base) and the defined case classes the fast classifier compiles (:class:`calcgraph.reason.CaseModel`)
-- in one file ``compiled-<key>.pickle`` of :func:`calcgraph.cache.cache_dir`, and the next process reads that file in
a few milliseconds instead.

**The key** is the SHA-256 of the ontology file's bytes, of the HPO import module it reads HPO terms through
(:func:`inputs`), of the source code of the modules that compile it (:data:`CODE`), of :data:`COMPILED_VERSION`, the
package version and the Python and numpy versions. A changed release
(``calcgraph build``), a changed scoring rule or a new interpreter is a new key, so a stale model is never used;
old files are pruned. The release is found by path and read as bytes, so the same works for a release installed as
package data.

**Safety.** The file is written under a temporary name and renamed into place (atomic on POSIX and Windows): two
processes that compile at once both write complete files and the last rename wins; a reader never sees a partial
file. A file that cannot be read (damaged, or written by other code under a colliding name) is rebuilt. The file is
a pickle, so it is only ever read from the cache directory this process chose (the checkout's ``ontology/.cache`` or
the user's own cache directory, created private): anyone who can write there can already change the release.

Within one process the compiled model is kept in memory (one entry per ontology file), so the release is read at
most once per process, whichever commands ask for it.
"""

from __future__ import annotations

import contextlib
import copyreg
import hashlib
import io
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from calcgraph import __version__, cache, paths
from calcgraph.errors import OntologySourceError

if TYPE_CHECKING:
    from calcgraph.casemodel import CaseModel
    from calcgraph.cases import FindingIndex
    from calcgraph.diagnose import Model

#: Bump when the layout of the compiled file changes (code changes are in the key anyway, see :data:`CODE`).
COMPILED_VERSION = "1"
#: Modules (files of this package) whose code decides what is compiled: their bytes are part of the key.
CODE = (
    "cases.py",
    "casemodel.py",
    "hpo.py",
    "iris.py",
    "knowledge.py",
    "diagnose.py",
    "tables.py",
    "reason.py",
    "vocab.py",
    "compiled.py",
)
PREFIX = "compiled-"
_MAGIC = b"calcgraph compiled model\n"


@dataclass
class Compiled:
    """What one ontology file compiles to."""

    key: str
    ontology: Path
    index: FindingIndex
    model: Model
    case_model: CaseModel
    from_cache: bool = False


def _proxy(d: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(d)


def _reduce_proxy(m: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _proxy, (dict(m),)


def _dumps(obj: Any) -> bytes:
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    table = copyreg.dispatch_table.copy()
    table[MappingProxyType] = _reduce_proxy
    pickler.dispatch_table = table
    pickler.dump(obj)
    return buf.getvalue()


def code_digest() -> bytes:
    """SHA-256 of the compiling modules' source (:data:`CODE`)."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in CODE:
        try:
            h.update((here / name).read_bytes())
        except OSError:  # an installation without sources (zip, frozen): the version stands for the code
            h.update(name.encode())
    return h.digest()


def inputs() -> list[Path]:
    """Files besides the ontology that the compiled model is made from: the HPO import module, whose hierarchy the
    finding index reads (:meth:`calcgraph.cases.FindingIndex.from_graph`)."""
    return [paths.hp_import()]


def compiled_key(data: bytes) -> str:
    """The cache key of an ontology file with bytes ``data`` and of the :func:`inputs` (module docstring)."""
    import numpy

    h = hashlib.sha256(data)
    for extra in inputs():
        try:
            h.update(b"\0" + hashlib.sha256(extra.read_bytes()).digest())
        except OSError:
            h.update(b"\0missing")
    h.update(code_digest())
    meta = f"\0{COMPILED_VERSION}\0{__version__}\0{sys.version_info[:2]}\0{numpy.__version__}"
    h.update(meta.encode())
    return h.hexdigest()[:24]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise OntologySourceError(str(path), None, "no such file", hint="run `calcgraph build` first") from exc
    except OSError as exc:
        raise OntologySourceError(str(path), None, f"cannot read: {exc.strerror or exc}") from exc


def _format(path: Path) -> str:
    return "xml" if path.suffix.lower() in (".owl", ".rdf", ".xml") else "turtle"


def compile_ontology(path: Path, data: bytes, key: str) -> Compiled:
    """Build the compiled model of the ontology file ``path`` (its bytes ``data``) without any cache."""
    from rdflib import Graph

    from calcgraph.casemodel import CaseModel
    from calcgraph.cases import FindingIndex
    from calcgraph.diagnose import build_model
    from calcgraph.knowledge import knowledge_base

    try:
        g = Graph().parse(data=data, format=_format(path))
    except Exception as exc:  # rdflib raises many parser-specific types
        raise OntologySourceError(str(path), getattr(exc, "lines", None), f"cannot parse: {exc}") from exc
    kb = knowledge_base(path)  # Oxigraph parses the file itself: faster than handing it the rdflib graph
    return Compiled(key, path, FindingIndex.from_graph(g), build_model(kb), CaseModel(g))


def _load_file(file: Path, key: str) -> Compiled | None:
    try:
        with file.open("rb") as fh:
            if fh.read(len(_MAGIC)) != _MAGIC or fh.readline().strip() != key.encode():
                return None
            obj = pickle.load(fh)
    except Exception:  # missing, damaged, or from code that no longer unpickles: rebuild
        return None
    return obj if isinstance(obj, Compiled) and obj.key == key else None


def _store(file: Path, c: Compiled) -> None:
    from calcgraph.io import atomic_write_bytes

    try:
        cache.prepare(file.parent)
        atomic_write_bytes(file, _MAGIC + c.key.encode() + b"\n" + _dumps(c))
        cache.prune(file.parent, PREFIX)
    except OSError:
        pass  # an unwritable cache only costs time


_MEMO: dict[str, Compiled] = {}


def cache_file(key: str) -> Path:
    return cache.cache_dir() / f"{PREFIX}{key}.pickle"


def load(ontology: Path | None = None, *, use_cache: bool = True) -> Compiled:
    """The compiled model of ``ontology`` (default: the release Turtle): from memory, the disk cache, or built
    (and then cached). ``use_cache=False`` builds it from the file and touches no cache."""
    path = Path(ontology) if ontology is not None else paths.release_ttl()
    data = _read(path)
    key = compiled_key(data)
    if not use_cache:
        return compile_ontology(path, data, key)
    memo = _MEMO.get(key)
    if memo is not None and memo.ontology == path:
        return memo
    file = cache_file(key)
    found = _load_file(file, key)
    if found is not None:
        found.ontology, found.from_cache = path, True
        with contextlib.suppress(OSError):
            os.utime(file)  # recently used files survive pruning
    else:
        found = compile_ontology(path, data, key)
        _store(file, found)
    _MEMO.clear()
    _MEMO[key] = found
    return found
