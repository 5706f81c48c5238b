"""Building release files: staleness, loading in rdflib and owlready2, bad input writes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import OWL, Graph, Literal, URIRef
from rdflib.namespace import RDFS

from calcgraph import paths
from calcgraph import vocab as v
from calcgraph.build import build, parse_source, stale_release_files
from calcgraph.cli import main
from calcgraph.errors import OntologyQCError, OntologySourceError
from calcgraph.hpo import CATALOG, HP_IMPORT_IRI
from calcgraph.qc import report


def test_release_files_are_not_stale() -> None:
    assert stale_release_files(paths.edit_file(), paths.ontology_dir()) == []


def test_stale_detection_notices_a_changed_source(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(paths.edit_file(), out)
    src = tmp_path / "edit.ttl"
    text = paths.edit_file().read_text(encoding="utf-8").replace('rdfs:label "gout"', 'rdfs:label "gout (changed)"')
    src.write_text(text, encoding="utf-8")
    assert stale_release_files(paths.edit_file(), out) == []
    assert {p.name for p in stale_release_files(src, out)} == {"calcgraph.owl", "calcgraph.ttl"}


def test_release_loads_in_rdflib(release_graph: Graph, edit_graph: Graph) -> None:
    # the release graph (edit file + tables) declares the import of the HPO module that `calcgraph build` writes
    assert (v.ONTOLOGY_IRI, OWL.imports, HP_IMPORT_IRI) in release_graph
    assert len(release_graph) == len(edit_graph)
    assert (None, RDFS.label, Literal("pseudogout")) in release_graph


def test_release_loads_in_owlready2() -> None:
    """owlready2 finds the HPO import module offline in a directory of its onto_path (the recipe in docs/hpo.md)."""
    import owlready2

    imports_dir = str(paths.hp_import().parent)
    owlready2.onto_path.append(imports_dir)
    try:
        world = owlready2.World()
        onto = world.get_ontology(paths.release_owl().resolve().as_uri()).load()
    finally:
        owlready2.onto_path.remove(imports_dir)
    labels = {str(lab) for c in onto.classes() for lab in c.label}
    assert {"pseudogout", "calcinosis cutis", "calcium pyrophosphate crystals in synovial fluid"} <= labels
    assert len(list(onto.classes())) > 150
    (hp,) = onto.imported_ontologies
    assert hp.base_iri.rstrip("#") == str(HP_IMPORT_IRI)
    hp_labels = {str(lab) for c in hp.classes() for lab in c.label}
    assert hp_labels >= {"Chondrocalcinosis", "Polyarticular chondrocalcinosis"}


def test_hp_import_and_catalog_are_fresh(edit_graph: Graph) -> None:
    from calcgraph.hpo import stale_import

    assert not stale_import(Graph().parse(paths.release_ttl()), paths.ontology_dir())
    assert paths.catalog().read_text(encoding="utf-8") == CATALOG


def _copy_release(tmp_path: Path) -> Path:
    out = tmp_path / "release"
    out.mkdir()
    for name in ("calcgraph.owl", "calcgraph.ttl"):
        shutil.copy(paths.ontology_dir() / name, out / name)
    return out


def test_syntax_error_names_file_and_line_and_writes_nothing(tmp_path: Path) -> None:
    lines = paths.edit_file().read_text(encoding="utf-8").splitlines()
    bad_line = 40
    lines[bad_line - 1] = lines[bad_line - 1] + " ;; ] oops"
    src = tmp_path / "broken.ttl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = _copy_release(tmp_path)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(OntologySourceError) as info:
        build(src, out)
    assert info.value.path == str(src)
    assert info.value.line == bad_line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    result = CliRunner().invoke(main, ["build", "--source", str(src), "--out-dir", str(out)])
    assert result.exit_code == OntologySourceError.exit_code
    assert f"{src}:{bad_line}:" in result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_truncated_source_is_a_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "cut.ttl"
    src.write_bytes(paths.edit_file().read_bytes()[:5000])
    with pytest.raises(OntologySourceError):
        parse_source(src)


def test_qc_error_writes_nothing(tmp_path: Path) -> None:
    text = paths.edit_file().read_text(encoding="utf-8").replace('rdfs:label "gout"', 'rdfs:label "pseudogout"')
    src = tmp_path / "dup.ttl"
    src.write_text(text, encoding="utf-8")
    out = _copy_release(tmp_path)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(OntologyQCError) as info:
        build(src, out)
    assert any("duplicate-label" in p for p in info.value.problems)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda g, s: g.remove((s, v.IAO_DEFINITION, None)), "missing-definition"),
        (lambda g, s: g.remove((s, RDFS.label, None)), "missing-label"),
        (lambda g, s: g.add((s, v.OIO.hasDbXref, Literal("MONDO:123"))), "malformed-xref"),
        (lambda g, s: g.add((s, RDFS.subClassOf, v.CG["7777777"])), "dangling-reference"),
        (lambda g, s: g.add((s, RDFS.label, Literal("second label"))), "multiple-labels"),
        (lambda g, s: g.add((s, RDFS.seeAlso, URIRef('http://example.org/a b"c'))), "invalid-iri"),
    ],
)
def test_qc_rules_fire(edit_graph: Graph, mutate, rule: str) -> None:  # type: ignore[no-untyped-def]
    g = Graph()
    for t in edit_graph:
        g.add(t)
    (gout,) = g.subjects(RDFS.label, Literal("gout"))
    mutate(g, gout)
    assert rule in {p.rule for p in report(g)}


def test_rebuilding_an_unchanged_source_leaves_the_release_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build(paths.edit_file(), out)
    assert first.written
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    second = build(paths.edit_file(), out)
    assert not second.written
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
