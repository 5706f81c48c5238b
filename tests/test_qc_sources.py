"""QC of identifiers: one rdfs:label per CALCGRAPH IRI, one bibliographic source per source IRI.

Source individuals get hand-picked identifiers (``CALCGRAPH:09xxxxx``); two records given the same one merge into a
single IRI with two labels and two citations, which ``calcgraph build`` and ``calcgraph qc`` must refuse.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from calcgraph import paths
from calcgraph import vocab as v
from calcgraph.build import check
from calcgraph.cli import main as cli
from calcgraph.errors import OntologyQCError
from calcgraph.qc import check_source_blocks, duplicate_publications, report

EDIT = paths.edit_file()

SECOND_RECORD = """
CALCGRAPH:0900011 a owl:NamedIndividual,
        CALCGRAPH:0000005 ;
    rdfs:label "Another 2026" ;
    dcterms:bibliographicCitation "Another A. A different paper. J Test 2026;1:1-2." ;
    oboInOwl:hasDbXref "PMID:21679810" .
"""


def _edit_copy(tmp_path: Path, extra: str) -> Path:
    d = tmp_path / "ontology"
    d.mkdir()
    (d / "templates").symlink_to(EDIT.parent / "templates")
    src = d / "calcgraph-edit.ttl"
    src.write_text(EDIT.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return src


def test_the_edit_file_has_one_block_per_source() -> None:
    assert check_source_blocks(EDIT.read_text(encoding="utf-8")) == []


def test_a_reused_source_iri_stops_build_and_qc(tmp_path: Path) -> None:
    src = _edit_copy(tmp_path, SECOND_RECORD)
    with pytest.raises(OntologyQCError) as info:
        check(src)
    problems = info.value.problems
    assert any(
        "[multiple-labels] CALCGRAPH:0900011: 2 rdfs:label values: 'Another 2026', 'Reiter 2011'" in p for p in problems
    )
    assert any(
        "[source-iri-reused] CALCGRAPH:0900011: one IRI carries 2 bibliographic citations" in p for p in problems
    )
    blocks = [p for p in problems if "statement blocks" in p]
    assert len(blocks) == 1 and blocks[0].startswith(f"{src}:")
    # the line named is the later block's, the one to renumber
    line = int(blocks[0].split(":")[1])
    assert src.read_text(encoding="utf-8").split("\n")[line - 1].startswith("CALCGRAPH:0900011 a owl:NamedIndividual")
    result = CliRunner().invoke(cli, ["qc", str(src)])
    assert result.exit_code == 4 and "source-iri-reused" in result.output, result.output


def test_an_identical_second_block_is_caught_in_the_text(tmp_path: Path) -> None:
    """Labels and citations that agree merge silently in the graph; the second statement block still shows."""
    text = EDIT.read_text(encoding="utf-8")
    start = text.index("CALCGRAPH:0900011 a owl:NamedIndividual")
    block = text[start : text.index(" .\n", start) + 3]
    src = _edit_copy(tmp_path, "\n" + block)
    assert report(Graph().parse(src, format="turtle")) == report(Graph().parse(EDIT, format="turtle"))
    with pytest.raises(OntologyQCError, match="written in 2 statement blocks"):
        check(src)


def test_every_calcgraph_iri_has_one_label_typed_or_not() -> None:
    g = Graph()
    untyped = v.CG["0999999"]
    g.add((untyped, RDFS.label, Literal("one")))
    g.add((untyped, RDFS.label, Literal("two")))
    g.add((v.CG["0999998"], RDFS.label, Literal("only one")))
    found = [p for p in report(g) if p.rule == "multiple-labels"]
    assert [(p.entity, p.message) for p in found] == [("CALCGRAPH:0999999", "2 rdfs:label values: 'one', 'two'")]


def test_a_source_iri_that_is_also_a_class() -> None:
    g = Graph()
    s = v.CG["0900999"]
    g.add((s, RDF.type, v.SOURCE))
    g.add((s, RDF.type, OWL.Class))
    g.add((s, DCTERMS.bibliographicCitation, Literal("A. Paper.")))
    rules = {(p.rule, p.message) for p in report(g)}
    assert ("source-iri-reused", "a bibliographic source also declared as owl:Class") in {
        (r, m.replace("http://www.w3.org/2002/07/owl#", "owl:")) for r, m in rules
    }


def test_publications_registered_twice_are_listed() -> None:
    g = Graph()
    for local, xref in (("0900901", "PMID:1"), ("0900902", "PMID:1"), ("0900903", "PMID:2"), ("0900904", "https://x")):
        g.add((v.CG[local], RDF.type, v.SOURCE))
        g.add((v.CG[local], v.OIO.hasDbXref, Literal(xref)))
    assert duplicate_publications(g) == {"PMID:1": ["CALCGRAPH:0900901", "CALCGRAPH:0900902"]}
