"""The relation tables: every row becomes an annotated assertion; bad rows stop the build with file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDFS

from calcgraph import paths
from calcgraph.build import build, load_sources
from calcgraph.errors import OntologySourceError
from calcgraph.tables import COLUMNS, FIGURE_STATUS, RELATIONS, merge_tables, read_table, table_paths

CG = "https://w3id.org/calcgraph/CALCGRAPH_"


def test_tables_sit_beside_the_edit_file() -> None:
    names = [p.name for p in table_paths(paths.edit_file())]
    assert names == ["relations-joint.tsv", "relations-skin.tsv"]


def test_every_row_is_an_annotated_assertion(edit_graph: Graph) -> None:
    rows = [r for p in table_paths(paths.edit_file()) for r in read_table(p)]
    assert len(rows) > 150
    for prop in RELATIONS.values():
        for f, d in edit_graph.subject_objects(prop):
            axioms = [
                a
                for a in edit_graph.subjects(OWL.annotatedSource, f)
                if (a, OWL.annotatedProperty, prop) in edit_graph and (a, OWL.annotatedTarget, d) in edit_graph
            ]
            assert len(axioms) == 1, (f, prop, d)
            assert edit_graph.value(axioms[0], FIGURE_STATUS) is not None


def _project_copy(tmp_path: Path) -> Path:
    onto = tmp_path / "ontology"
    shutil.copytree(paths.ontology_dir() / "templates", onto / "templates")
    shutil.copy(paths.edit_file(), onto / "calcgraph-edit.ttl")
    return onto


def _append(table: Path, cells: dict[str, str]) -> int:
    line = "\t".join(cells.get(c, "") for c in COLUMNS)
    text = table.read_text(encoding="utf-8")
    table.write_text(text + line + "\n", encoding="utf-8")
    return text.count("\n") + 1


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ({"finding": "no such finding", "relation": "is typical of", "disease": "gout"}, "unknown finding"),
        ({"finding": "fever", "relation": "causes", "disease": "gout"}, "unknown relation"),
        ({"finding": "fever", "relation": "is typical of", "disease": "gout", "sensitivity": "1.5"}, "in [0, 1]"),
        ({"finding": "fever", "relation": "is typical of", "disease": "gout", "frequency": "often"}, "not a number"),
        (
            {"finding": "fever", "relation": "is typical of", "disease": "gout", "frequency": "0.3",
             "status": "sourced"},
            "needs a figure",
        ),
        (
            {"finding": "fever", "relation": "is typical of", "disease": "gout", "frequency": "0.3",
             "status": "sourced", "source": "https://example.org/paper"},
            "is not a PMID",
        ),
        ({"finding": "fever", "relation": "is typical of", "disease": "gout", "frequency_class": "HP:0000001"},
         "frequency_class"),
        ({"finding": "fever", "relation": "is typical of", "disease": "gout", "status": "maybe"}, "status"),
    ],
)
def test_a_bad_row_names_its_line(tmp_path: Path, cells: dict[str, str], problem: str) -> None:
    onto = _project_copy(tmp_path)
    table = onto / "templates" / "relations-joint.tsv"
    # a relation not already in the tables, so that only the bad cell can fail
    cells = {**cells, "disease": cells["disease"] if cells["finding"] != "fever" else "polymyalgia rheumatica"}
    line = _append(table, cells)
    with pytest.raises(OntologySourceError) as exc:
        load_sources(onto / "calcgraph-edit.ttl")
    assert exc.value.line == line and problem in str(exc.value)


def test_a_relation_given_twice_is_an_error(tmp_path: Path) -> None:
    onto = _project_copy(tmp_path)
    table = onto / "templates" / "relations-skin.tsv"
    first = read_table(table)[0]
    line = _append(table, dict(first.values))
    with pytest.raises(OntologySourceError, match="already given") as exc:
        load_sources(onto / "calcgraph-edit.ttl")
    assert exc.value.line == line


def test_a_sourced_row_reaches_the_release(tmp_path: Path) -> None:
    onto = _project_copy(tmp_path)
    table = onto / "templates" / "relations-joint.tsv"
    # PMID:18657999 is registered as a source in the edit file (Filippucci 2009)
    _append(table, {"finding": "fever", "relation": "is typical of", "disease": "polymyalgia rheumatica",
                    "frequency": "0.25", "n": "40", "status": "sourced", "source": "PMID:18657999",
                    "evidence": "fever in 10 of 40"})
    result = build(onto / "calcgraph-edit.ttl", onto)
    g = Graph().parse(result.ttl, format="turtle")
    label = {str(o): s for s, o in g.subject_objects(RDFS.label)}
    fever, pmr = label["fever"], label["polymyalgia rheumatica"]
    assert (fever, RELATIONS["is typical of"], pmr) in g
    ax = next(a for a in g.subjects(OWL.annotatedSource, fever) if (a, OWL.annotatedTarget, pmr) in g)
    assert float(g.value(ax, URIRef(CG + "0000018"))) == 0.25  # type: ignore[arg-type]
    assert g.value(ax, FIGURE_STATUS) == Literal("sourced")


def test_an_integral_figure_survives_the_release_round_trip(tmp_path: Path) -> None:
    onto = _project_copy(tmp_path)
    table = onto / "templates" / "relations-joint.tsv"
    _append(table, {"finding": "fever", "relation": "is typical of", "disease": "polymyalgia rheumatica",
                    "lr_positive": "28", "frequency": "1", "status": "sourced", "source": "PMID:18657999",
                    "evidence": "an integral likelihood ratio"})
    result = build(onto / "calcgraph-edit.ttl", onto)
    g = Graph().parse(result.ttl, format="turtle")
    label = {str(o): s for s, o in g.subject_objects(RDFS.label)}
    fever, pmr = label["fever"], label["polymyalgia rheumatica"]
    ax = next(a for a in g.subjects(OWL.annotatedSource, fever) if (a, OWL.annotatedTarget, pmr) in g)
    assert float(g.value(ax, URIRef(CG + "0000018"))) == 1.0  # type: ignore[arg-type]
    assert {float(o) for o in g.objects(ax, None) if isinstance(o, Literal) and str(o) == "28.0"} == {28.0}


def test_an_empty_edit_graph_takes_no_rows() -> None:
    assert len(merge_tables(Graph(), [])) == 0
