"""Finding-disease relation tables: the ROBOT-template-style TSV components of the ontology.

The edit file holds the classes, their definitions and hierarchy; the finding-disease relations (*is typical of*,
*is diagnostic of*, *argues against*) with their figures and sources live in ``ontology/templates/relations-*.tsv``,
one row per relation, so that each figure can be reviewed, sourced and diffed as one line. :func:`merge_tables` turns
each row into the same OWL the release has always carried: a punned class-level assertion ``finding relation
disease`` and an ``owl:Axiom`` annotating it with the figures and their sources (OBAN style).

Columns (``ontology/templates/README.md`` documents each with examples):

``finding``, ``relation``, ``disease``
    labels (or ``CALCGRAPH:`` CURIEs) of existing classes; ``relation`` is one of :data:`RELATIONS`.
``sensitivity``, ``specificity``, ``lr_positive``, ``lr_negative``, ``frequency``
    decimals in [0, 1] (likelihood ratios > 0); empty when the source gives none.
``frequency_class``
    an HPO frequency term (``HP:0040280`` … ``HP:0040285``) where the source only says "very frequent" and the like.
``n``
    the number of patients the figure was measured on, where the source says.
``status``
    ``sourced`` (the figures come from ``source``), ``no published figure`` (searched, none found: scored with a
    documented default) or ``unreviewed`` (not yet checked against the literature).
``source``
    primary sources, ``;``-separated: ``PMID:``, ``DOI:``, ``PMCID:`` or ``ISBN:``.
``read_at``
    URLs of the pages where the figure was read (a mirror or abstract page), ``;``-separated; never a source alone.
``provenance``
    registered source individuals (``CALCGRAPH:09xxxxx``: the seed texts, the domain reference).
``seed_only``
    ``true`` when only a seed text states the relation.
``evidence``
    the source's own words for the figure (a short quotation).
``comment``
    anything else a reviewer should know (population, caveats).

>>> from calcgraph.tables import RELATIONS, FREQUENCY_CLASSES
>>> sorted(RELATIONS)
['argues against', 'is diagnostic of', 'is typical of']
>>> FREQUENCY_CLASSES["HP:0040281"]
('very frequent', 0.8, 0.99)
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from calcgraph.errors import OntologySourceError
from calcgraph.knowledge import FREQUENCY_CLASSES

CG = "https://w3id.org/calcgraph/CALCGRAPH_"
OBO = "http://purl.obolibrary.org/obo/"
OIO_XREF = URIRef("http://www.geneontology.org/formats/oboInOwl#hasDbXref")

RELATIONS: Mapping[str, URIRef] = {
    "is typical of": URIRef(CG + "0000020"),
    "is diagnostic of": URIRef(CG + "0000021"),
    "argues against": URIRef(CG + "0000022"),
}
FIGURES: Mapping[str, URIRef] = {
    "sensitivity": URIRef(CG + "0000014"),
    "specificity": URIRef(CG + "0000015"),
    "lr_positive": URIRef(CG + "0000016"),
    "lr_negative": URIRef(CG + "0000017"),
    "frequency": URIRef(CG + "0000018"),
}
SEED_ONLY = URIRef(CG + "0000012")
FREQUENCY_CLASS = URIRef(CG + "0000040")
EVIDENCE_TEXT = URIRef(CG + "0000041")
FIGURE_STATUS = URIRef(CG + "0000042")
PATIENTS = URIRef(CG + "0000043")

STATUSES = ("sourced", "no published figure", "unreviewed")
COLUMNS = (
    "finding",
    "relation",
    "disease",
    "sensitivity",
    "specificity",
    "lr_positive",
    "lr_negative",
    "frequency",
    "frequency_class",
    "n",
    "status",
    "source",
    "read_at",
    "provenance",
    "seed_only",
    "evidence",
    "comment",
)
SOURCE_PATTERN = re.compile(r"^(PMID:[1-9][0-9]{0,9}|PMCID:PMC[0-9]{1,9}|DOI:10\.[0-9]{4,9}/\S+|ISBN:[0-9X-]{10,17})$")
_PROVENANCE = re.compile(r"^CALCGRAPH:09[0-9]{5}$")
_URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class Row:
    """One relation row as written in a table, with where it came from."""

    path: str
    line: int
    values: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "").strip()

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def table_paths(edit_file: Path) -> list[Path]:
    """The relation tables beside an edit file (``templates/relations-*.tsv``), sorted."""
    return sorted((Path(edit_file).parent / "templates").glob("relations-*.tsv"))


def read_table(path: Path) -> list[Row]:
    """The rows of one table; a missing or extra column is an :class:`OntologySourceError` naming the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise OntologySourceError(str(path), None, f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise OntologySourceError(str(path), None, "not valid UTF-8 text") from exc
    lines = text.splitlines()
    if not lines:
        raise OntologySourceError(str(path), 1, "empty table: the header row is missing")
    header = lines[0].split("\t")
    if tuple(header) != COLUMNS:
        raise OntologySourceError(str(path), 1, "the header must be the columns: " + " ".join(COLUMNS))
    rows = []
    for number, fields in enumerate(csv.reader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE), start=2):
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(COLUMNS):
            raise OntologySourceError(str(path), number, f"{len(fields)} columns, expected {len(COLUMNS)}")
        rows.append(Row(str(path), number, dict(zip(COLUMNS, fields, strict=True))))
    return rows


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def _number(row: Row, column: str, *, probability: bool) -> Literal | None:
    raw = row[column]
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise OntologySourceError(row.path, row.line, f"{column} {raw!r} is not a number") from None
    if not value.is_finite() or value < 0 or (probability and value > 1) or (not probability and value == 0):
        bound = "in [0, 1]" if probability else "greater than 0"
        raise OntologySourceError(row.path, row.line, f"{column} {raw!r} must be {bound}")
    # canonical xsd:decimal lexical form ("28" -> "28.0"): Turtle writes an integral decimal as 28.0, which would
    # otherwise read back as a different term and fail the release round trip
    lexical = format(value, "f")
    if "." not in lexical:
        lexical += ".0"
    return Literal(lexical, datatype=XSD.decimal)


def _class_index(g: Graph) -> dict[str, URIRef]:
    index: dict[str, URIRef] = {}
    for s, label in g.subject_objects(RDFS.label):
        if isinstance(s, URIRef) and str(s).startswith(CG):
            index.setdefault(str(label), s)
            index.setdefault("CALCGRAPH:" + str(s)[len(CG) :], s)
    return index


def _resolve(row: Row, column: str, index: Mapping[str, URIRef]) -> URIRef:
    name = row[column]
    if not name:
        raise OntologySourceError(row.path, row.line, f"{column} is empty")
    if name not in index:
        raise OntologySourceError(row.path, row.line, f"unknown {column} {name!r} (no class has this label or CURIE)")
    return index[name]


def add_row(g: Graph, row: Row, index: Mapping[str, URIRef]) -> tuple[URIRef, URIRef, URIRef]:
    """Add one row's assertion and annotated axiom to ``g`` and return the assertion; a bad cell raises
    :class:`OntologySourceError`."""
    finding, disease = _resolve(row, "finding", index), _resolve(row, "disease", index)
    relation = RELATIONS.get(row["relation"])
    if relation is None:
        raise OntologySourceError(
            row.path, row.line, f"unknown relation {row['relation']!r}; one of: " + ", ".join(sorted(RELATIONS))
        )
    status = row["status"] or "unreviewed"
    if status not in STATUSES:
        raise OntologySourceError(row.path, row.line, f"status {status!r} is not one of: " + ", ".join(STATUSES))
    sources, pages, provenance = _split(row["source"]), _split(row["read_at"]), _split(row["provenance"])
    for s in sources:
        if not SOURCE_PATTERN.match(s):
            raise OntologySourceError(
                row.path, row.line, f"source {s!r} is not a PMID:, PMCID:PMC, DOI:10. or ISBN: identifier"
            )
    for u in pages:
        if not _URL.match(u):
            raise OntologySourceError(row.path, row.line, f"read_at {u!r} is not an http(s) URL")
    for p in provenance:
        if not _PROVENANCE.match(p):
            raise OntologySourceError(row.path, row.line, f"provenance {p!r} is not a CALCGRAPH:09xxxxx source")
    figures = {
        column: _number(row, column, probability=column not in ("lr_positive", "lr_negative")) for column in FIGURES
    }
    freq_class = row["frequency_class"]
    if freq_class and freq_class not in FREQUENCY_CLASSES:
        raise OntologySourceError(
            row.path, row.line, f"frequency_class {freq_class!r} is not one of " + ", ".join(FREQUENCY_CLASSES)
        )
    has_figure = any(v is not None for v in figures.values()) or bool(freq_class)
    if status == "sourced" and not (has_figure and sources):
        raise OntologySourceError(
            row.path, row.line, "status 'sourced' needs a figure (or frequency class) and a PMID/DOI/PMCID/ISBN source"
        )
    if has_figure and not (sources or provenance or pages):
        raise OntologySourceError(row.path, row.line, "a figure without a source")
    n = row["n"]
    if n and not (n.isdigit() and int(n) > 0):
        raise OntologySourceError(row.path, row.line, f"n {n!r} is not a positive whole number")
    seed_only = row["seed_only"].lower()
    if seed_only not in ("", "true", "false"):
        raise OntologySourceError(row.path, row.line, f"seed_only {row['seed_only']!r} is not true or false")

    g.add((finding, relation, disease))
    ax = BNode()
    g.add((ax, RDF.type, OWL.Axiom))
    g.add((ax, OWL.annotatedSource, finding))
    g.add((ax, OWL.annotatedProperty, relation))
    g.add((ax, OWL.annotatedTarget, disease))
    for column, literal in figures.items():
        if literal is not None:
            g.add((ax, FIGURES[column], literal))
    if freq_class:
        g.add((ax, FREQUENCY_CLASS, URIRef(OBO + freq_class.replace(":", "_"))))
    for x in (*provenance, *sources, *pages):
        g.add((ax, OIO_XREF, Literal(x)))
    g.add((ax, FIGURE_STATUS, Literal(status)))
    if n:
        g.add((ax, PATIENTS, Literal(int(n), datatype=XSD.integer)))
    if seed_only == "true":
        g.add((ax, SEED_ONLY, Literal(True)))
    if row["evidence"]:
        g.add((ax, EVIDENCE_TEXT, Literal(row["evidence"])))
    if row["comment"]:
        g.add((ax, RDFS.comment, Literal(row["comment"])))
    return finding, relation, disease


def merge_tables(g: Graph, tables: Iterable[Path]) -> Graph:
    """Add every row of ``tables`` to ``g`` (in place) and return it; a relation given twice is an error."""
    index = _class_index(g)
    seen: dict[tuple[URIRef, URIRef, URIRef], str] = {}
    for path in tables:
        for row in read_table(path):
            check = Graph()
            key = add_row(check, row, index)
            if key in seen:
                raise OntologySourceError(row.path, row.line, f"the same relation is already given at {seen[key]}")
            if key in g:
                raise OntologySourceError(row.path, row.line, "the edit file already asserts this relation")
            seen[key] = row.where()
            g += check
    return g
