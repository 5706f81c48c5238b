"""The defined case classes of the ontology as data: evaluate a class definition against a case's findings.

:class:`CaseModel` is read from the release's RDF once (that needs rdflib) and then works on plain strings and
tuples, so the compiled model (:mod:`calcgraph.compiled`) that holds it loads without rdflib. It is not the reasoner:
HermiT/Pellet (:mod:`calcgraph.reason`) or the fast classifier (:mod:`calcgraph.fastclass`) decide a classification;
this finds, for an inferred class, the findings that satisfy it.

>>> from calcgraph.reason import _tiny_graph
>>> m = CaseModel.from_graph(_tiny_graph())
>>> cls = "https://w3id.org/calcgraph/CALCGRAPH_0004900"
>>> m.render(m.defined[cls])
"'patient case' and ('has finding' some 'fever') and not ('has finding' some 'rash')"
>>> fever, rash = "https://w3id.org/calcgraph/CALCGRAPH_0003900", "https://w3id.org/calcgraph/CALCGRAPH_0003901"
>>> ok, why = m.holds(m.defined[cls], present={fever}, absent={rash})
>>> ok, [(w.label, w.status) for w in why]
(True, [('fever', 'present'), ('rash', 'excluded')])
>>> m.holds(m.defined[cls], present={fever}, absent=set())[0]
False
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from calcgraph.iris import CALCGRAPH_PREFIX, IAO_DEFINITION_IRI, iri_to_curie

if TYPE_CHECKING:
    from rdflib import Graph

    from calcgraph.cases import Case

PATIENT_CASE = CALCGRAPH_PREFIX + "0000006"
HAS_FINDING = CALCGRAPH_PREFIX + "0000030"
SUGGESTS_DISEASE = CALCGRAPH_PREFIX + "0000031"
REASONER_NAMES = {"hermit": "HermiT", "pellet": "Pellet", "fast": "the fast classifier"}


@dataclass(frozen=True)
class Witness:
    """A finding of the case that satisfies a condition of a defined class."""

    finding: str
    label: str
    status: str  # "present" or "excluded"


Expr = tuple[Any, ...]


class CaseModel:
    """The defined case classes of the ontology, read from its RDF: labels, definitions, axioms, suggested diseases.

    :meth:`holds` evaluates a class definition against a case's findings. It is not the reasoner (the reasoner
    decides the classification); it finds, for a class the reasoner inferred, the findings that satisfy it.
    """

    def __init__(self, g: Graph) -> None:
        from rdflib import URIRef
        from rdflib.namespace import OWL, RDFS

        self.labels = {str(s): str(o) for s, o in g.subject_objects(RDFS.label) if isinstance(s, URIRef)}
        definition = URIRef(IAO_DEFINITION_IRI)
        self.definitions = {str(s): str(o) for s, o in g.subject_objects(definition) if isinstance(s, URIRef)}
        self.suggests = {str(s): str(o) for s, o in g.subject_objects(URIRef(SUGGESTS_DISEASE))}
        self.defined: dict[str, Expr] = {}
        self._g = g
        patient_case = URIRef(PATIENT_CASE)
        for c in g.transitive_subjects(RDFS.subClassOf, patient_case):
            for e in g.objects(c, OWL.equivalentClass):
                if isinstance(c, URIRef) and c != patient_case:
                    self.defined[str(c)] = self._parse(e)
        self.up: dict[str, set[str]] = defaultdict(set)
        for s, o in g.subject_objects(RDFS.subClassOf):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                self.up[str(s)].add(str(o))
        #: Findings that exclude each other in one case: each group is a tuple of members, each member the filler
        #: classes of a ``has finding some (A or B ...)`` restriction; no case has findings of two members.
        self.exclusions: tuple[tuple[tuple[str, ...], ...], ...] = self._exclusions()
        del self._g

    def _exclusions(self) -> tuple[tuple[tuple[str, ...], ...], ...]:
        from rdflib import BNode
        from rdflib.collection import Collection
        from rdflib.namespace import OWL

        g = self._g
        groups: list[list[Any]] = [list(Collection(g, lst)) for lst in g.objects(None, OWL.members)]
        groups += [[s, o] for s, o in g.subject_objects(OWL.disjointWith) if isinstance(s, BNode)]
        out = []
        for nodes in groups:
            members = []
            for node in nodes:
                e = self._parse(node)
                fillers = self._fillers(e[2]) if e[0] == "some" and e[1] == HAS_FINDING else None
                if fillers is None:
                    break
                members.append(tuple(fillers))
            else:
                out.append(tuple(members))
        return tuple(sorted(out))

    def excluded_by(self, present: Iterable[str], supers: Any = None) -> tuple[set[str], tuple[str, str] | None]:
        """The findings that the present ones exclude through :attr:`exclusions`, and the first pair of present
        findings that exclude each other (the case is then inconsistent), or None. ``supers(f)`` gives ``f`` and
        its superclasses (default: the asserted hierarchy)."""
        up = supers or self._self_and_ancestors
        implied: set[str] = set()
        conflict = None
        if not self.exclusions:
            return implied, conflict
        ancestors = [(p, up(p)) for p in sorted(present)]  # once per finding, not once per group
        for group in self.exclusions:
            hit: dict[int, str] = {}
            for p, anc in ancestors:
                for i, member in enumerate(group):
                    if not anc.isdisjoint(member):
                        hit.setdefault(i, p)
            if len(hit) > 1 and conflict is None:
                first, second = sorted(hit)[:2]
                conflict = (hit[first], hit[second])
            if len(hit) == 1:
                (i,) = hit
                implied.update(x for j, member in enumerate(group) if j != i for x in member)
        return implied, conflict

    @classmethod
    def from_graph(cls, g: Graph) -> CaseModel:
        return cls(g)

    def _parse(self, node: Any) -> Expr:
        from rdflib import URIRef
        from rdflib.collection import Collection
        from rdflib.namespace import OWL

        g = self._g
        if isinstance(node, URIRef):
            return ("class", str(node))
        for op, kind in ((OWL.intersectionOf, "and"), (OWL.unionOf, "or")):
            lst = g.value(node, op)
            if lst is not None:
                return (kind, tuple(self._parse(x) for x in Collection(g, lst)))
        comp = g.value(node, OWL.complementOf)
        if comp is not None:
            return ("not", self._parse(comp))
        prop, filler = g.value(node, OWL.onProperty), g.value(node, OWL.someValuesFrom)
        if prop is not None and filler is not None:
            return ("some", str(prop), self._parse(filler))
        return ("unknown", str(node))

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or iri_to_curie(iri) or iri

    def render(self, e: Expr, top: bool = True) -> str:
        """Manchester-like rendering with labels: ``'patient case' and ('has finding' some 'fever')``."""
        kind = e[0]
        if kind == "class":
            return f"'{self.label(e[1])}'"
        if kind in ("and", "or"):
            text = f" {kind} ".join(self.render(x, top=False) for x in e[1])
            return text if top else f"({text})"
        if kind == "not":
            return f"not {self.render(e[1], top=False)}"
        if kind == "some":
            text = f"'{self.label(e[1])}' some {self.render(e[2], top=False)}"
            return f"({text})"
        return f"<{e[1]}>"

    def _fillers(self, e: Expr) -> list[str] | None:
        if e[0] == "class":
            return [e[1]]
        if e[0] == "or" and all(x[0] == "class" for x in e[1]):
            return [x[1] for x in e[1]]
        return None

    def _self_and_ancestors(self, iri: str) -> set[str]:
        return _ancestors(self.up, [iri])

    def holds(self, e: Expr, present: set[str], absent: set[str]) -> tuple[bool, list[Witness]]:
        """Whether a case with these present/excluded findings satisfies ``e``, and the findings that make it so."""
        kind = e[0]
        if kind == "class":
            if e[1] == PATIENT_CASE:
                return True, []
            sub = self.defined.get(e[1])
            return self.holds(sub, present, absent) if sub is not None else (False, [])
        if kind == "and":
            why: list[Witness] = []
            for x in e[1]:
                ok, w = self.holds(x, present, absent)
                if not ok:
                    return False, []
                why.extend(w)
            return True, _unique(why)
        if kind == "or":
            results = [self.holds(x, present, absent) for x in e[1]]
            if not any(ok for ok, _ in results):
                return False, []
            return True, _unique([w for ok, ws in results if ok for w in ws])
        if kind == "some" and e[1] == HAS_FINDING:
            fillers = self._fillers(e[2])
            if fillers is None:
                return False, []
            hits = [f for f in sorted(present) if self._self_and_ancestors(f) & set(fillers)]
            return bool(hits), [Witness(f, self.label(f), "present") for f in hits]
        if kind == "not":
            return self.refutes(e[1], present, absent)
        return False, []

    def refutes(self, e: Expr, present: set[str], absent: set[str]) -> tuple[bool, list[Witness]]:
        """Whether the case's findings make ``e`` false (its negation entailed), and the findings that do it."""
        kind = e[0]
        if kind == "class":
            sub = self.defined.get(e[1])
            return self.refutes(sub, present, absent) if sub is not None else (False, [])
        if kind == "or":
            why: list[Witness] = []
            for x in e[1]:
                ok, w = self.refutes(x, present, absent)
                if not ok:
                    return False, []
                why.extend(w)
            return True, _unique(why)
        if kind == "and":
            results = [self.refutes(x, present, absent) for x in e[1]]
            if not any(ok for ok, _ in results):
                return False, []
            return True, _unique([w for ok, ws in results if ok for w in ws])
        if kind == "not":
            return self.holds(e[1], present, absent)
        if kind == "some" and e[1] == HAS_FINDING:
            fillers = self._fillers(e[2])
            if fillers is None:
                return False, []
            covering: list[str] = []
            for d in fillers:
                cover = sorted(self._self_and_ancestors(d) & absent)
                if not cover:
                    return False, []
                covering.extend(cover)
            return True, [Witness(x, self.label(x), "excluded") for x in dict.fromkeys(covering)]
        return False, []


def _unique(ws: list[Witness]) -> list[Witness]:
    return list(dict.fromkeys(ws))


def _ancestors(up: dict[str, set[str]], start: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(start)
    while stack:
        x = stack.pop()
        if x in seen:
            continue
        seen.add(x)
        stack.extend(up.get(x, ()))
    return seen


# ------------------------------------------------------------------------------------------ case classification


@dataclass(frozen=True)
class InferredClass:
    """A defined class the reasoner inferred for a case, with the axiom that fired and the findings behind it."""

    iri: str
    label: str
    definition: str
    axiom: str
    suggests: str | None
    suggests_label: str | None
    #: True when no other inferred class of the case is more specific.
    most_specific: bool
    satisfied_by: tuple[Witness, ...]

    @property
    def curie(self) -> str:
        return iri_to_curie(self.iri) or self.iri


@dataclass(frozen=True)
class CaseClassification:
    """The reasoner's classification of one case."""

    case_id: str
    source: str
    reasoner: str
    present: tuple[str, ...]
    absent: tuple[str, ...]
    classes: tuple[InferredClass, ...]
    labels: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def class_labels(self) -> set[str]:
        return {c.label for c in self.classes}

    def to_json(self) -> dict[str, Any]:
        def finding(i: str) -> dict[str, str]:
            return {"id": iri_to_curie(i) or i, "label": self.labels.get(i, i)}

        return {
            "case": self.case_id,
            "source": self.source,
            "reasoner": REASONER_NAMES[self.reasoner],
            "present": [finding(i) for i in self.present],
            "excluded": [finding(i) for i in self.absent],
            "inferred_classes": [
                {
                    "id": c.curie,
                    "label": c.label,
                    "most_specific": c.most_specific,
                    "suggests": None
                    if c.suggests is None
                    else {"id": iri_to_curie(c.suggests) or c.suggests, "label": c.suggests_label},
                    "definition": c.definition,
                    "axiom": f"'{c.label}' EquivalentTo {c.axiom}",
                    "satisfied_by": [
                        {"id": iri_to_curie(w.finding) or w.finding, "label": w.label, "status": w.status}
                        for w in c.satisfied_by
                    ],
                }
                for c in self.classes
            ],
        }


def describe_case(
    case: Case, types: set[str], reasoner: str, model: CaseModel, up: dict[str, set[str]]
) -> CaseClassification:
    """The classification of ``case`` given its entailed named ``types`` and the class hierarchy ``up``: its
    defined classes (the comparison set: every entailed defined class), each with definition, axiom, suggested
    disease, most-specific flag and the findings that satisfy it. Shared by the reasoners and the fast classifier."""
    defined = sorted((t for t in types if t in model.defined), key=lambda t: iri_to_curie(t) or t)
    below = {t: {o for o in defined if o != t and t in _ancestors(up, [o])} for t in defined}
    specific = {t for t in defined if not any(t not in below[o] for o in below[t])}
    present = set(case.present)
    absent = set(case.absent) | model.excluded_by(present)[0]
    classes = []
    for t in defined:
        expr = model.defined[t]
        _, why = model.holds(expr, present, absent)
        sug = model.suggests.get(t)
        classes.append(
            InferredClass(
                iri=t,
                label=model.label(t),
                definition=model.definitions.get(t, ""),
                axiom=model.render(expr),
                suggests=sug,
                suggests_label=model.label(sug) if sug else None,
                most_specific=t in specific,
                satisfied_by=tuple(why),
            )
        )
    classes.sort(key=lambda c: (not c.most_specific, c.curie))
    return CaseClassification(
        case_id=case.id,
        source=case.source,
        reasoner=reasoner,
        present=case.present,
        absent=case.absent,
        classes=tuple(classes),
        labels=model.labels,
    )
