"""A fast, in-process case classifier that gives exactly HermiT's answer without a JVM call per case.

HermiT classifies the *ontology* once; this module compiles the ontology's defined case classes (their
``EquivalentTo`` class expressions, read from the release with rdflib) into plain Python sets, and then types any
number of cases in microseconds each. HermiT stays the authority: ``tests/test_fastclass.py`` checks that both give
identical types on every bundled example and on generated cases (``docs/reasoning.md``, "The fast classifier").

**Semantics.** A case is the individual of ``docs/reasoning.md``: asserted *patient case*, ``has finding some P`` for
each present finding P, ``not (has finding some A)`` for each excluded finding A. Each class expression is evaluated
in three-valued (Kleene) logic, where TRUE means "entailed" and FALSE "its negation is entailed":

* ``has finding some F`` (F a named class or a union of named classes) is TRUE iff a present finding is a
  (reflexive, transitive) subclass of a member of F, FALSE iff every member of F is a subclass of an excluded finding,
  UNKNOWN otherwise (open world: a finding nobody mentioned is unknown, not absent);
* ``and``/``or``/``not`` are Kleene's strong conjunction, disjunction and negation; *patient case* is TRUE; a named
  defined class is its definition; any other named class is UNKNOWN;
* the TRUE named classes are then closed upwards over the class hierarchy *as HermiT classified it* (so a subsumption
  HermiT finds between defined classes is honoured even where the definitions alone would not show it).

The types reported are the comparison set of :func:`calcgraph.reason.classify_cases`: every entailed defined class
(subclass of *patient case* with an ``EquivalentTo`` axiom). A case whose present finding is a subclass of one of its
excluded findings (or is an unsatisfiable class) is inconsistent, as for the reasoner: a
:class:`~calcgraph.errors.ReasonerError` (exit 9) that names the case and the two findings.

**HermiT's hierarchy** (all entailed subsumptions between named classes) is read, in order, from the cache
``hierarchy-<key>.json`` in :func:`calcgraph.cache.cache_dir` (key: SHA-256 of the release file and
:data:`HIERARCHY_VERSION`), from ``ontology/calcgraph-inferred.owl`` when it is fresh (it holds every triple of the
release, blank nodes aside, and nothing else but inferred axioms), or from one HermiT run
(:func:`calcgraph.reason.classify_ontology`); the last two fill the cache (written atomically).

>>> from calcgraph.reason import _tiny_graph
>>> from calcgraph.vocab import CG
>>> fc = FastClassifier.compile(_tiny_graph(), Hierarchy.told(_tiny_graph()))
>>> fever, rash = str(CG["0003900"]), str(CG["0003901"])
>>> [fc.label(t) for t in fc.types([fever], [rash])]
['febrile case without rash']
>>> fc.types([fever], [])  # rash not excluded: unknown, so not entailed
[]
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calcgraph import paths
from calcgraph.casemodel import HAS_FINDING, PATIENT_CASE, CaseClassification, CaseModel, describe_case
from calcgraph.cases import Case
from calcgraph.errors import OntologySourceError, ReasonerError
from calcgraph.io import atomic_write_text
from calcgraph.iris import OWL_NS, RDF_NS, RDFS_NS, iri_to_curie
from calcgraph.paths import release_path

_log = logging.getLogger(__name__)

if TYPE_CHECKING:  # rdflib (and the reasoner module) only where an RDF file is read: not on the diagnose path
    from rdflib import Graph

__all__ = ["HIERARCHY_VERSION", "FastClassifier", "Hierarchy", "classify_cases_fast", "fast_classifier"]

#: Bump when the cached hierarchy's format or meaning changes, so that old cache files are not reused.
HIERARCHY_VERSION = "1"
TRUE, FALSE, UNKNOWN = 1, 0, -1

# Compiled expressions: ("true",), ("unknown",), ("defined", iri), ("and", items), ("or", items), ("not", item),
# ("some", true_by: frozenset of classes whose presence makes it TRUE, members: tuple of filler classes)
Node = tuple[Any, ...]


# ------------------------------------------------------------------------------------------------- hierarchy


@dataclass(frozen=True)
class Hierarchy:
    """Entailed subsumptions between named classes (``(A, B)``: A SubClassOf B, A != B) and unsatisfiable classes."""

    subclass: frozenset[tuple[str, str]]
    unsatisfiable: frozenset[str]
    source: str

    @classmethod
    def told(cls, g: Graph) -> Hierarchy:
        """The asserted hierarchy only (for doctests and tiny ontologies; not HermiT's classification)."""
        from rdflib import URIRef
        from rdflib.namespace import OWL, RDF, RDFS

        from calcgraph.reason import _entailed_subsumptions, _named_hierarchy

        named = {str(c) for c in g.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
        named |= {str(c) for c in g.subjects(RDFS.subClassOf, None) if isinstance(c, URIRef)}
        return cls(_entailed_subsumptions(_named_hierarchy(g, ()), named), frozenset(), "asserted")

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": HIERARCHY_VERSION,
                "source": self.source,
                "subclass": sorted(self.subclass),
                "unsatisfiable": sorted(self.unsatisfiable),
            },
            indent=0,
        )

    @classmethod
    def from_json(cls, text: str) -> Hierarchy:
        doc = json.loads(text)
        if doc.get("version") != HIERARCHY_VERSION:
            raise ValueError("old hierarchy cache")
        return cls(frozenset((a, b) for a, b in doc["subclass"]), frozenset(doc["unsatisfiable"]), doc["source"])


def hierarchy_key(release: Path) -> str:
    h = hashlib.sha256(Path(release).read_bytes())
    h.update(f"\0fastclass-hierarchy\0{HIERARCHY_VERSION}".encode())
    return h.hexdigest()[:20]


def _cache_file(release: Path) -> Path:
    from calcgraph import cache

    return cache.cache_dir() / f"hierarchy-{hierarchy_key(release)}.json"


_MASK = "_:b"


def _masked(g: Graph) -> Counter[tuple[str, str, str]]:
    """The graph's triples as a multiset, every blank node written the same (labels differ between serialisations)."""
    from rdflib import BNode

    return Counter(tuple(_MASK if isinstance(t, BNode) else t.n3() for t in triple) for triple in g)  # type: ignore[misc]


#: Predicates an inferred ontology may add to the release: inferred axioms, their annotations, the ontology header.
_OWL, _RDF, _RDFS = OWL_NS, RDF_NS, RDFS_NS
_IS_INFERRED = "http://www.geneontology.org/formats/oboInOwl#is_inferred"
_INFERRED_EXTRA = {
    f"<{iri}>"
    for iri in (
        _RDFS + "subClassOf",
        _OWL + "equivalentClass",
        _RDF + "type",
        _OWL + "annotatedSource",
        _OWL + "annotatedProperty",
        _OWL + "annotatedTarget",
        _IS_INFERRED,
        _OWL + "versionIRI",
        _OWL + "versionInfo",
        _OWL + "imports",
    )
}


def _from_inferred_owl(release_graph: Graph, inferred: Path) -> Hierarchy | None:
    """HermiT's hierarchy from ``calcgraph-inferred.owl`` if that file was written from this release, else None."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import OWL, RDF, RDFS

    from calcgraph.reason import _entailed_subsumptions, _named_hierarchy

    if not inferred.is_file():
        return None
    try:
        gi = Graph().parse(inferred, format="xml")
    except Exception as exc:  # an unreadable inferred file is simply not used
        _log.info("%s is not used: %s", inferred, exc)
        return None
    have, need = _masked(gi), _masked(release_graph)
    # the header triples of the ontology IRI differ (the inferred file is its own ontology)
    missing = [t for t, n in need.items() if have[t] < n and not t[0].startswith("<https://w3id.org/calcgraph/calcgraph")]
    if missing:
        _log.info("%s is not used: %d release triples are not in it, e.g. %s", inferred, len(missing), missing[0])
        return None
    extra = have - need
    own = ("<https://w3id.org/calcgraph/calcgraph", f"<{_IS_INFERRED}>")  # the header; the is_inferred declaration
    foreign = [t for t in extra if t[1] not in _INFERRED_EXTRA and not t[0].startswith(own)]
    if foreign:
        _log.info("%s is not used: %d triples are not inferred axioms, e.g. %s", inferred, len(foreign), foreign[0])
        return None
    named = {str(c) for c in gi.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    nothing = str(OWL.Nothing)
    unsat = {
        str(s)
        for p in (RDFS.subClassOf, OWL.equivalentClass)
        for s, o in gi.subject_objects(p)
        if isinstance(s, URIRef) and str(o) == nothing
    }
    return Hierarchy(
        _entailed_subsumptions(_named_hierarchy(gi, ()), named), frozenset(unsat), "calcgraph-inferred.owl"
    )


def load_hierarchy(release: Path | None = None, *, use_cache: bool = True, inferred: Path | None = None) -> Hierarchy:
    """HermiT's classification of the release: cache, else a fresh ``calcgraph-inferred.owl``, else a HermiT run."""
    path = release_path(release)
    cache = _cache_file(path)
    if use_cache and cache.is_file():
        try:
            return Hierarchy.from_json(cache.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError, OSError):
            pass  # a damaged or old cache file is recomputed
    from calcgraph.reason import _cached

    g, _ = _cached(path)
    found = _from_inferred_owl(g, Path(inferred) if inferred is not None else paths.inferred_owl())
    if found is None:
        from calcgraph.reason import classify_ontology

        result = classify_ontology("hermit", path)
        found = Hierarchy(result.entailed_subclass, frozenset(result.unsatisfiable), "HermiT")
    if use_cache:
        try:
            gitignore = cache.parent / ".gitignore"
            if not gitignore.exists():
                atomic_write_text(gitignore, "# calcgraph's cache of generated files\n*\n")
            atomic_write_text(cache, found.to_json())
        except OSError:
            pass  # an unwritable cache only costs time
    return found


# ------------------------------------------------------------------------------------------------ classifier


class FastClassifier:
    """The defined case classes compiled against HermiT's hierarchy; :meth:`types` types one case."""

    def __init__(self, model: CaseModel, hierarchy: Hierarchy) -> None:
        self.model = model
        self.hierarchy = hierarchy
        supers: dict[str, set[str]] = defaultdict(set)
        subs: dict[str, set[str]] = defaultdict(set)
        for a, b in hierarchy.subclass:
            supers[a].add(b)
            subs[b].add(a)
        self._supers = {k: frozenset(v) for k, v in supers.items()}
        self._subs = {k: frozenset(v) for k, v in subs.items()}
        self.defined = {str(c) for c in model.defined}
        self._nodes = {str(c): self._compile(e, str(c)) for c, e in model.defined.items()}
        # evaluation order: a defined class after the defined classes its definition names
        self._order: list[str] = []
        seen: set[str] = set()
        for c in sorted(self.defined):
            self._visit(c, seen, set())
        # each class with its superclasses, for every class the hierarchy or a definition names (:meth:`supers`)
        self._up = {c: self._supers.get(c, frozenset()) | {c} for c in sorted({*self._supers, *self.defined})}
        #: the hierarchy in the shape :func:`calcgraph.reason.describe_case` walks (direct = all supers: transitive)
        self.up: dict[str, set[str]] = {k: set(v) for k, v in self._supers.items()}
        self._program: _Program | None = None  # the bitset form of :meth:`types`, compiled on first use

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_program": None}  # compiled code does not pickle; it is rebuilt on use

    @classmethod
    def compile(cls, g: Graph, hierarchy: Hierarchy) -> FastClassifier:
        return cls(CaseModel(g), hierarchy)

    def label(self, iri: str) -> str:
        return self.model.label(iri)

    def supers(self, iri: str) -> frozenset[str]:
        """``iri`` and every class HermiT says it is a subclass of."""
        found = self._up.get(iri)
        return found if found is not None else frozenset((iri,))

    def _visit(self, c: str, done: set[str], stack: set[str]) -> None:
        if c in done:
            return
        if c in stack:
            raise OntologySourceError(str(c), None, "the defined case classes refer to each other in a cycle")
        stack.add(c)
        for d in _named_defined(self._nodes[c]) & self.defined:
            self._visit(d, done, stack)
        stack.discard(c)
        done.add(c)
        self._order.append(c)

    def _unsupported(self, where: str, what: str) -> OntologySourceError:
        return OntologySourceError(
            where,
            None,
            f"the fast classifier cannot compile {what} in the definition of '{self.label(where)}'",
            hint="use --reasoner hermit for this ontology, or extend calcgraph.fastclass",
        )

    def _compile(self, e: Any, where: str) -> Node:
        kind = e[0]
        if kind == "class":
            if e[1] == str(PATIENT_CASE) or e[1] in self._supers.get(str(PATIENT_CASE), ()):
                return ("true",)  # asserted of every case
            return ("named", e[1])  # a defined class: its value; any other named class: unknown
        if kind in ("and", "or"):
            return (kind, tuple(self._compile(x, where) for x in e[1]))
        if kind == "not":
            return ("not", self._compile(e[1], where))
        if kind == "some":
            if e[1] != str(HAS_FINDING):
                raise self._unsupported(where, f"a restriction on {iri_to_curie(e[1]) or e[1]}")
            filler = e[2]
            if filler[0] == "class":
                members: tuple[str, ...] = (filler[1],)
            elif filler[0] == "or" and all(x[0] == "class" for x in filler[1]):
                members = tuple(x[1] for x in filler[1])
            else:
                raise self._unsupported(where, "a 'has finding' filler other than a class or a union of classes")
            true_by = frozenset(m for f in members for m in (self._subs.get(f, frozenset()) | {f}))
            return ("some", true_by, members)
        raise self._unsupported(where, f"the construct {e!r}")

    def _eval(self, n: Node, present: frozenset[str], absent: frozenset[str], val: dict[str, int]) -> int:
        kind = n[0]
        if kind == "true":
            return TRUE
        if kind == "named":
            return val.get(n[1], UNKNOWN)
        if kind == "some":
            if not present.isdisjoint(n[1]):
                return TRUE
            if absent and all(not absent.isdisjoint(self.supers(m)) for m in n[2]):
                return FALSE
            return UNKNOWN
        if kind == "not":
            v = self._eval(n[1], present, absent, val)
            return UNKNOWN if v == UNKNOWN else 1 - v
        vals = [self._eval(x, present, absent, val) for x in n[1]]
        if kind == "and":
            return FALSE if FALSE in vals else TRUE if all(v == TRUE for v in vals) else UNKNOWN
        return TRUE if TRUE in vals else FALSE if all(v == FALSE for v in vals) else UNKNOWN  # or

    def inconsistency(self, present: Iterable[str], absent: Iterable[str]) -> str | None:
        """Why a case with these findings is inconsistent (present finding under an excluded one), or None."""
        abse = set(absent)
        present = list(present)
        _, clash = self.model.excluded_by(present, self.supers)
        if clash is not None:
            return f"present findings '{self.label(clash[0])}' and '{self.label(clash[1])}' exclude each other"
        for p in present:
            if p in self.hierarchy.unsatisfiable:
                return f"present finding '{self.label(p)}' is an unsatisfiable class"
            hit = sorted(self.supers(p) & abse)
            if hit:
                return f"present finding '{self.label(p)}' is a '{self.label(hit[0])}', which is excluded"
        return None

    def types(self, present: Iterable[str], absent: Iterable[str], case_id: str = "") -> list[str]:
        """The case's entailed defined classes (sorted by CURIE); :class:`ReasonerError` if it is inconsistent.

        Bitsets: the findings and the defined classes are bits of Python integers, and each definition is compiled
        to two Python expressions over them ("entailed", "its negation entailed"). The result is the fixpoint of
        :meth:`types_reference` (same evaluation order, same hierarchy rule), about ten times faster;
        ``tests/test_fastclass.py`` checks that both agree."""
        pres, abse = frozenset(present), frozenset(absent)
        self._check(pres, abse, case_id)
        if self.model.exclusions:
            abse |= self.model.excluded_by(pres, self.supers)[0]
        prog = self._program or self._compile_program()
        bit = prog.finding_bit
        p_mask = a_mask = 0
        for f in pres:
            p_mask |= bit.get(f, 0)
        for f in abse:
            a_mask |= bit.get(f, 0)
        vt = vf = decided = 0
        for _ in range(len(prog.steps) + 1):
            changed = False
            for k, is_true, is_false, subs, supers in prog.steps:
                if decided >> k & 1:
                    continue
                if is_true(p_mask, a_mask, vt, vf):
                    vt |= 1 << k
                elif is_false(p_mask, a_mask, vt, vf):
                    vf |= 1 << k
                elif vt & subs:  # unknown by its definition: a TRUE subclass or a FALSE superclass decides
                    vt |= 1 << k
                elif vf & supers:
                    vf |= 1 << k
                else:
                    continue
                decided |= 1 << k
                changed = True
            if not changed:
                break
        closed = 0
        while vt:
            low = vt & -vt
            closed |= prog.up[low.bit_length() - 1]
            vt ^= low
        return [c for k, c in enumerate(prog.defined) if closed >> k & 1]

    def _check(self, pres: frozenset[str], abse: frozenset[str], case_id: str) -> None:
        why = (
            self.inconsistency(pres, abse)
            if abse or self.model.exclusions or pres & self.hierarchy.unsatisfiable
            else None
        )
        if why is not None:
            name = f"the case {case_id}" if case_id else "the case"
            raise ReasonerError(f"the fast classifier: {name} is inconsistent: {why}")

    def _compile_program(self) -> _Program:
        defined = sorted(self.defined, key=lambda t: iri_to_curie(t) or t)
        dbit = {c: k for k, c in enumerate(defined)}
        fbit: dict[str, int] = {}

        def mask(iris: Iterable[str]) -> int:
            m = 0
            for i in iris:
                m |= fbit.setdefault(i, 1 << len(fbit))
            return m

        def dmask(iris: Iterable[str]) -> int:
            return sum(1 << dbit[i] for i in set(iris) if i in dbit)

        def expr(n: Node) -> tuple[str, str]:  # (entailed, negation entailed) as Python expressions
            kind = n[0]
            if kind == "true":
                return "True", "False"
            if kind == "named":
                if n[1] not in dbit:
                    return "False", "False"
                k = dbit[n[1]]
                return f"(VT >> {k} & 1)", f"(VF >> {k} & 1)"
            if kind == "some":
                t = f"(P & {mask(n[1])})"
                return t, f"(not {t} and " + " and ".join(f"(A & {mask(self.supers(m))})" for m in n[2]) + ")"
            if kind == "not":
                t, f = expr(n[1])
                return f, t
            parts = [expr(x) for x in n[1]]
            any_t, all_t = " or ".join(t for t, _ in parts), " and ".join(t for t, _ in parts)
            any_f, all_f = " or ".join(f for _, f in parts), " and ".join(f for _, f in parts)
            if kind == "and":
                return f"(({all_t}) and not ({any_f}))", f"({any_f})"
            return f"({any_t})", f"(({all_f}) and not ({any_t}))"

        steps = []
        for c in self._order:
            t, f = expr(self._nodes[c])
            is_true = eval(compile(f"lambda P, A, VT, VF: bool({t})", "<fastclass>", "eval"))
            is_false = eval(compile(f"lambda P, A, VT, VF: bool({f})", "<fastclass>", "eval"))
            steps.append((dbit[c], is_true, is_false, dmask(self._subs.get(c, ())), dmask(self._supers.get(c, ()))))
        up = [dmask(self._up[c]) for c in defined]
        self._program = _Program(tuple(defined), dict(fbit), tuple(steps), tuple(up))
        return self._program

    def types_reference(self, present: Iterable[str], absent: Iterable[str], case_id: str = "") -> list[str]:
        """:meth:`types` by direct evaluation of the definitions (the specification the bitset form is tested
        against)."""
        pres, abse = frozenset(present), frozenset(absent)
        why = self.inconsistency(pres, abse)
        if why is not None:
            name = f"the case {case_id}" if case_id else "the case"
            raise ReasonerError(f"the fast classifier: {name} is inconsistent: {why}")
        abse |= self.model.excluded_by(pres, self.supers)[0]
        # Information only grows (UNKNOWN -> TRUE/FALSE) and Kleene logic is monotone in it: a fixpoint is reached.
        val: dict[str, int] = {}
        for _ in range(len(self._order) + 1):
            changed = False
            for c in self._order:
                if c in val:
                    continue
                v = self._eval(self._nodes[c], pres, abse, val)
                if v == UNKNOWN:  # HermiT's hierarchy: a TRUE subclass or a FALSE superclass decides
                    if any(val.get(s) == TRUE for s in self._subs.get(c, ())):
                        v = TRUE
                    elif any(val.get(s) == FALSE for s in self._supers.get(c, ())):
                        v = FALSE
                if v != UNKNOWN:
                    val[c] = v
                    changed = True
            if not changed:
                break
        entailed = {c for c, v in val.items() if v == TRUE}
        closed = {s for c in entailed for s in self._up[c]}
        return sorted((c for c in closed if c in self.defined), key=lambda t: iri_to_curie(t) or t)

    def classify(self, case: Case) -> CaseClassification:
        """The same :class:`~calcgraph.reason.CaseClassification` as the reasoner path (reasoner ``"fast"``)."""
        types = set(self.types(case.present, case.absent, case.id)) | {str(PATIENT_CASE)}
        return describe_case(case, types, "fast", self.model, self.up)

    def _aim(self, n: Node, want: bool, present: list[str], absent: list[str], rng: Any) -> None:
        kind = n[0]
        if kind == "named":
            if n[1] in self._nodes:
                self._aim(self._nodes[n[1]], want, present, absent, rng)
        elif kind == "not":
            self._aim(n[1], not want, present, absent, rng)
        elif kind in ("and", "or"):
            if (kind == "and") == want:
                for x in n[1]:
                    self._aim(x, want, present, absent, rng)
            else:  # one member decides: never a constant-true one ('patient case')
                self._aim(rng.choice([x for x in n[1] if x[0] != "true"] or n[1]), want, present, absent, rng)
        elif kind == "some":
            if want:
                present.append(rng.choice(sorted(n[1])))
            else:
                absent.extend(n[2])


@dataclass(frozen=True)
class _Program:
    """:meth:`FastClassifier.types` compiled: defined classes (bit k = ``defined[k]``, sorted by CURIE), the bit of
    each finding a definition mentions, per defined class in evaluation order ``(k, entailed(P, A, VT, VF),
    negation entailed(...), mask of its defined subclasses, mask of its defined superclasses)``, and per defined class
    the mask of itself and its defined superclasses."""

    defined: tuple[str, ...]
    finding_bit: dict[str, int]
    steps: tuple[tuple[int, Any, Any, int, int], ...]
    up: tuple[int, ...]


def _named_defined(n: Node) -> set[str]:
    if n[0] == "named":
        return {n[1]}
    if n[0] in ("and", "or"):
        return set().union(*(_named_defined(x) for x in n[1]))
    if n[0] == "not":
        return _named_defined(n[1])
    return set()


_FAST: dict[str, FastClassifier] = {}


def fast_classifier(release: Path | None = None) -> FastClassifier:
    """The compiled classifier of the release (compiled once per release file version and process)."""
    path = release_path(release)
    key = hierarchy_key(path)
    if key not in _FAST:
        if release is None or path.resolve() == paths.release_owl().resolve():
            # the release's defined classes from the compiled model (cached; the Turtle twin of this file)
            from calcgraph.compiled import load

            model = load().case_model
        else:
            from calcgraph.reason import _cached

            _, model = _cached(path)
        _FAST.clear()
        _FAST[key] = FastClassifier(model, load_hierarchy(path))
    return _FAST[key]


def classify_cases_fast(cases: Sequence[Case], release: Path | None = None) -> list[CaseClassification]:
    """:func:`calcgraph.reason.classify_cases` without a reasoner call: same result shape, reasoner ``"fast"``."""
    fc = fast_classifier(release)
    return [fc.classify(c) for c in cases]


# ------------------------------------------------------------------------------------------- synthetic cases


def synthetic_cases(fc: FastClassifier, n: int, seed: int = 0, findings: Sequence[str] = ()) -> list[Case]:
    """``n`` seeded random, consistent cases that make the defined classes fire (for tests and benchmarks).

    Each case aims at one to three random defined classes: it satisfies a random branch of each definition (a present
    finding is a filler member or one of its subclasses; ``not some F`` excludes every member of F), then loses a
    condition now and then (near misses), and gets a few random noise findings from ``findings`` (present or
    excluded). Excluded findings that would contradict a present one (same class or a superclass) are dropped, and so
    is a present finding that an earlier one excludes (the ontology's exclusion axioms).
    Not a clinical data set: it exercises the logic.
    """
    import random

    rng = random.Random(seed)
    defined = sorted(fc.defined)
    noise = sorted(findings)
    out = []
    for i in range(n):
        present: list[str] = []
        absent: list[str] = []
        for target in rng.sample(defined, rng.randint(1, 3)):
            fc._aim(fc._nodes[target], True, present, absent, rng)
        if present and rng.random() < 0.3:
            present.pop(rng.randrange(len(present)))
        if absent and rng.random() < 0.3:
            absent.pop(rng.randrange(len(absent)))
        for _ in range(rng.randint(0, 4) if noise else 0):
            (present if rng.random() < 0.6 else absent).append(rng.choice(noise))
        pres: list[str] = []
        for p in dict.fromkeys(present):  # drop a present finding that another one excludes
            if fc.model.excluded_by([*pres, p], fc.supers)[1] is None:
                pres.append(p)
        covered = {s for p in pres for s in fc.supers(p)}
        abse = [a for a in dict.fromkeys(absent) if a not in covered]
        out.append(Case(f"synthetic-{seed}-{i}", tuple(pres), tuple(abse), source="synthetic"))
    return out
