"""The Python API: load the knowledge once, then diagnose, classify, query and draw (``docs/api.md``).

>>> import calcgraph
>>> kg = calcgraph.load()
>>> d = kg.diagnose({"id": "knee", "present": ["acute monoarthritis", "CPP crystals in synovial fluid"]})
>>> d.differential[0].label
'pseudogout'

Results are plain dataclasses (``.to_dict()`` gives the JSON the command line prints) that render as tables in
Jupyter (``_repr_html_``). The command line (:mod:`calcgraph.cli`) is a thin layer over this module; no library
module imports the command line.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

from calcgraph import paths
from calcgraph.errors import CalcgraphError, CaseError, OntologySourceError

CaseLike = Any  # a Case, a case or phenopacket mapping, or a path to a case file


class DiagnoseOptions(TypedDict, total=False):
    """The keyword options of :meth:`KnowledgeGraph.diagnose` and :meth:`KnowledgeGraph.diagnose_dict`."""

    top: int
    next_tests: int
    classes: bool
    reasoner: str
    strict: bool


# ------------------------------------------------------------------------------------------------ result types


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class Candidate:
    """One disease of a ranked differential, with the evidence for and against it."""

    rank: int
    id: str
    label: str
    probability: float
    score: float
    evidence_for: tuple[dict[str, Any], ...] = ()
    evidence_against: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    """A ranked, explained differential for one case (:meth:`KnowledgeGraph.diagnose`)."""

    case: str
    differential: tuple[Candidate, ...]
    next_tests: tuple[dict[str, Any], ...] = ()
    classes: tuple[dict[str, Any], ...] | None = None
    unused_terms: tuple[dict[str, Any], ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Diagnosis:
        cands = tuple(
            Candidate(
                d["rank"], d["id"], d["label"], d["probability"], d["score"], tuple(d["for"]), tuple(d["against"])
            )
            for d in data["differential"]
        )
        classes = data.get("classes")
        return cls(
            str(data["case"]),
            cands,
            tuple(data.get("next_tests", ())),
            tuple(classes) if classes is not None else None,
            tuple(data.get("unused_terms", ())),
            dict(data),
        )

    def to_dict(self) -> dict[str, Any]:
        """The result as the JSON object ``calcgraph diagnose --format json`` prints."""
        return json.loads(json.dumps(self.data))

    @property
    def proven(self) -> tuple[dict[str, Any], ...]:
        """The diseases a definitive finding proves (``docs/diagnosis.md``, clinical rule 4)."""
        return tuple(self.data.get("proven", ()))

    @property
    def proven_note(self) -> str:
        return str(self.data.get("proven_note", ""))

    @property
    def families(self) -> tuple[dict[str, Any], ...]:
        """The families of candidates with their summed probability and members (clinical rule 5)."""
        return tuple(self.data.get("families", ()))

    @property
    def none_fits(self) -> bool:
        """True when no modelled disease fits the case well (clinical rule 6)."""
        return bool((self.data.get("fit") or {}).get("none_fits", False))

    def _repr_html_(self) -> str:
        rows = [(c.rank, f"{c.probability:.3f}", f"{c.score:.3f}", c.label, c.id) for c in self.differential]
        out = _table(["rank", "probability", "log10 LR", "disease", "id"], rows, f"case {self.case}")
        if self.unused_terms:
            out += _table(
                ["unused term", "label", "excluded"],
                [(t["id"], t.get("label", ""), t.get("excluded", False)) for t in self.unused_terms],
            )
        return out


@dataclass(frozen=True)
class Classification:
    """The defined classes inferred for one case (:meth:`KnowledgeGraph.classify`)."""

    case: str
    classes: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case, "classes": [dict(c) for c in self.classes]}

    @property
    def labels(self) -> list[str]:
        return [c["label"] for c in self.classes]

    def _repr_html_(self) -> str:
        rows = [
            (c["label"], c["id"], "yes" if c["most_specific"] else "", c.get("suggests") or "") for c in self.classes
        ]
        return _table(["class", "id", "most specific", "suggests"], rows, f"case {self.case}")


@dataclass(frozen=True)
class QueryResult:
    """The rows of a competency query, as dicts of plain strings (IRIs, lexical forms); ``None`` for unbound."""

    query: str
    variables: tuple[str, ...]
    rows: tuple[dict[str, str | None], ...]
    boolean: bool | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "variables": list(self.variables), "rows": [dict(r) for r in self.rows]}

    def _repr_html_(self) -> str:
        if self.boolean is not None:
            return f"<p>{html.escape(self.query)}: {self.boolean}</p>"
        return _table(self.variables, [[r.get(v) or "" for v in self.variables] for r in self.rows], self.query)


@dataclass(frozen=True)
class QueryInfo:
    """A bundled competency query: its name, question and parameters (name -> default values)."""

    name: str
    title: str
    question: str
    parameters: Mapping[str, tuple[str, ...]]
    path: Path


# ------------------------------------------------------------------------------------------------ the knowledge


@dataclass(frozen=True)
class KnowledgeGraph:
    """The ontology's diagnostic knowledge, loaded once: finding index, diagnostic model and the release file."""

    index: Any
    model: Any
    ontology: Path

    # --- cases -----------------------------------------------------------------------------------------------------

    def case(self, case: CaseLike, *, strict: bool = False) -> Any:
        """A :class:`calcgraph.cases.Case` from a case file path, a mapping (case or phenopacket) or a Case."""
        from calcgraph.cases import Case, load_case_file, parse_case_dict

        if isinstance(case, Case):
            return case
        if isinstance(case, Mapping):
            return parse_case_dict(dict(case), self.index, str(case.get("id", "case")), strict=strict)
        if isinstance(case, str | Path):
            return load_case_file(Path(case), self.index, strict=strict)
        raise CaseError(repr(case)[:60], "a case is a file path, a mapping or a calcgraph.cases.Case")

    def diagnose(self, case: CaseLike, **options: Unpack[DiagnoseOptions]) -> Diagnosis:
        """The ranked, explained differential of ``case`` (with the reasoner's classes if ``classes``); the options and
        their defaults are those of :meth:`diagnose_dict`."""
        return Diagnosis.from_dict(self.diagnose_dict(case, **options))

    def diagnose_dict(
        self,
        case: CaseLike,
        *,
        top: int = 10,
        next_tests: int = 5,
        classes: bool = False,
        reasoner: str = "fast",
        strict: bool = False,
    ) -> dict[str, Any]:
        """:meth:`diagnose` as the plain JSON-ready dict (what ``calcgraph diagnose --format json`` prints)."""
        from calcgraph.diagnose import diagnose

        c = self.case(case, strict=strict)
        result = diagnose(self.model, c.present, c.absent, case_id=c.id, top=top, n_next=next_tests)
        result["unused_terms"] = [u.as_dict() for u in c.unused]
        if classes:
            add_classes(result, self.model, c, reasoner_classes(c, self.ontology, reasoner))
        return result

    def classify(self, case: CaseLike, *, reasoner: str = "fast") -> Classification:
        """The defined classes the reasoner (or the fast classifier, HermiT's answer) infers for ``case``."""
        c = self.case(case)
        return Classification(c.id, tuple(reasoner_classes(c, self.ontology, reasoner)))

    def criteria(self, case: CaseLike, *, alternative_explains_all: bool | None = None) -> dict[str, Any]:
        """The 2023 ACR/EULAR CPPD classification criteria applied to ``case`` (verified domains only)."""
        from calcgraph.criteria import classify

        return classify(self.case(case), self.index, alternative_explains_all=alternative_explains_all)

    def to_phenopacket(self, case: CaseLike, diagnosis: Diagnosis | Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``case`` as a GA4GH phenopacket v2 (JSON form) with the ranked differential as ``interpretations``."""
        from calcgraph.phenopacket import write_phenopacket

        source = case if isinstance(case, Mapping) else None
        if isinstance(case, str | Path) and str(case).lower().endswith(".json"):
            try:
                source = json.loads(Path(case).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                source = None
        c = self.case(case)
        d = diagnosis if diagnosis is not None else self.diagnose(c)
        data = d.to_dict() if isinstance(d, Diagnosis) else dict(d)
        return write_phenopacket(c, data, self.index, source if source and "phenotypicFeatures" in source else None)

    # --- the graph and its queries -----------------------------------------------------------------------------------

    def graph(self) -> Any:
        """The knowledge graph as a ``networkx.MultiDiGraph`` (nodes keyed by CURIE; see :mod:`calcgraph.graph`)."""
        from calcgraph.graph import load_knowledge_graph

        return load_knowledge_graph(self.ontology)

    def queries(self) -> list[QueryInfo]:
        """The bundled competency queries."""
        return list_queries()

    def query(self, name: str | Path, *, engine: str = "oxigraph", **params: str | Sequence[str]) -> QueryResult:
        """Run a bundled query by name (``"differentials"``) or a query file, with parameters as keywords
        (a label, synonym or CURIE where an IRI is expected; a list for a repeatable parameter)."""
        from calcgraph import query as q

        qf = q.load_query(q.find_query(name))
        given = {k: [v] if isinstance(v, str) else list(v) for k, v in params.items()}
        result = q.run_query(qf, given, q.make_engine(engine))
        rows = tuple(
            {v: (None if t is None else str(t)) for v, t in zip(result.variables, row, strict=True)}
            for row in result.rows
        )
        return QueryResult(qf.name, tuple(result.variables), rows, result.boolean)


Loaded = KnowledgeGraph  # the name the command line and batch jobs used for it


def load(ontology: Path | str | None = None) -> KnowledgeGraph:
    """Load the knowledge of an ontology file (default: the release Turtle of the checkout or installed package),
    from the compiled-model cache when it is fresh (:mod:`calcgraph.compiled`)."""
    from calcgraph.compiled import load as load_compiled

    if ontology is None and not paths.release_ttl().exists():
        hint = "run `calcgraph build` first" if paths.is_checkout() else "reinstall calcgraph: its data is missing"
        raise OntologySourceError(str(paths.release_ttl()), None, "no such file", hint=hint)
    c = load_compiled(Path(ontology) if ontology is not None else None)
    return KnowledgeGraph(c.index, c.model, c.ontology)


def list_queries() -> list[QueryInfo]:
    """The bundled competency and cohort queries with their questions and parameters."""
    from calcgraph import query as q

    out = []
    for name, path in q.bundled_queries().items():
        qf = q.load_query(path)
        params = {k: p.default for k, p in qf.parameters.items()}
        out.append(QueryInfo(name, qf.title, " ".join(qf.question.split()), params, path))
    return out


# ------------------------------------------------------------------------------------------------ reasoner classes


def add_classes(result: dict[str, Any], model: Any, case: Any, classes: list[dict[str, Any]]) -> dict[str, Any]:
    """Put a case's inferred ``classes`` and the ``class_disagreements`` with its ranking into a diagnose result."""
    from calcgraph.agreement import disagreements

    result["classes"] = classes
    result["class_disagreements"] = disagreements(model, case.present, case.absent, classes)
    return result


def reasoner_status(reasoner: str = "fast") -> str | None:
    """``None`` if the reasoner can classify a case here; otherwise why not (never raises).

    The fast classifier needs no Java once HermiT's hierarchy of the release is known (cache or a fresh
    ``calcgraph-inferred.owl``); otherwise its one HermiT run reports a missing Java when it happens."""
    if importlib.util.find_spec("calcgraph.reason") is None:
        return "the module calcgraph.reason is not installed"
    if reasoner == "fast":
        return None
    reason = importlib.import_module("calcgraph.reason")
    try:
        finder = getattr(reason, "find_java", None)
        if finder is not None:
            finder()
        elif shutil.which("java") is None:
            return "no Java runtime on PATH"
    except CalcgraphError as exc:
        return str(exc)
    return None


def reasoner_classes(case: Any, ontology: Path | None = None, reasoner: str = "fast") -> list[dict[str, Any]]:
    """The defined classes inferred for one case: by the fast classifier (HermiT's types, ``calcgraph.fastclass``,
    the default) or by a reasoner call (``calcgraph.reason.classify_cases``, ``hermit`` or ``pellet``)."""
    release = ontology if ontology is not None and Path(ontology).suffix.lower() == ".owl" else None
    if reasoner == "fast":
        from calcgraph.fastclass import classify_cases_fast

        (result,) = classify_cases_fast([case], release)
    else:
        reason = importlib.import_module("calcgraph.reason")
        (result,) = reason.classify_cases([case], reasoner, release=release)
    from calcgraph.agreement import class_items

    return class_items(result)
