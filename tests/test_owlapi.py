"""The OWL API (OWL 2 DL profile) checker, run on tiny ontologies written with rdflib."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef

from calcgraph.errors import JavaNotFoundError
from calcgraph.owlapi import OwlApiError, check_owl2_dl

EX = Namespace("http://example.org/owlapi-test#")
ONTOLOGY_IRI = URIRef("http://example.org/owlapi-test")

requires_java = pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime on PATH")


def _graph() -> Graph:
    graph = Graph()
    graph.bind("ex", EX)
    graph.add((ONTOLOGY_IRI, RDF.type, OWL.Ontology))
    return graph


def _add_class(graph: Graph, name: str, label: str | None) -> URIRef:
    iri = EX[name]
    graph.add((iri, RDF.type, OWL.Class))
    if label is not None:
        graph.add((iri, RDFS.label, Literal(label, lang="en")))
    return iri


def _write(graph: Graph, path: Path) -> Path:
    graph.serialize(destination=str(path), format="xml")
    return path


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compile the checker into a per-session cache, not the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.mark.java
@requires_java
def test_valid_dl_ontology(tmp_path: Path) -> None:
    graph = _graph()
    parent = _add_class(graph, "Deposit", "deposit")
    child = _add_class(graph, "CalciumDeposit", "calcium deposit")
    graph.add((child, RDFS.subClassOf, parent))
    report = check_owl2_dl(_write(graph, tmp_path / "valid.owl"))
    assert report.in_dl_profile is True
    assert report.violations == []
    assert report.unlabelled == []
    assert report.class_count == 2
    # two declarations, two labels, one subclass axiom
    assert report.axiom_count == 5
    assert report.format_name == "RDF/XML"
    assert report.unparsed_triples == []


@pytest.mark.java
@requires_java
def test_property_punning_violates_dl(tmp_path: Path) -> None:
    graph = _graph()
    deposit = _add_class(graph, "Deposit", "deposit")
    prop = EX.hasSize
    graph.add((prop, RDF.type, OWL.ObjectProperty))
    graph.add((prop, RDF.type, OWL.DatatypeProperty))
    graph.add((prop, RDFS.label, Literal("has size", lang="en")))
    graph.add((prop, RDFS.domain, deposit))
    report = check_owl2_dl(_write(graph, tmp_path / "punned.owl"))
    assert report.in_dl_profile is False
    assert report.violations
    assert any("pun" in violation.lower() for violation in report.violations), report.violations
    assert report.unlabelled == []


@pytest.mark.java
@requires_java
def test_unlabelled_entities_are_reported(tmp_path: Path) -> None:
    graph = _graph()
    labelled = _add_class(graph, "Deposit", "deposit")
    bare = _add_class(graph, "Unnamed", None)
    graph.add((bare, RDFS.subClassOf, labelled))
    graph.add((EX.locatedIn, RDF.type, OWL.ObjectProperty))
    report = check_owl2_dl(_write(graph, tmp_path / "unlabelled.owl"))
    assert report.in_dl_profile is True
    assert report.unlabelled == [str(bare), str(EX.locatedIn)]


@pytest.mark.java
@requires_java
def test_unparsable_file_raises(tmp_path: Path) -> None:
    broken = tmp_path / "broken.owl"
    broken.write_text(f'<rdf:RDF xmlns:rdf="{RDF}"><rdf:Description', "utf-8")  # truncated RDF/XML
    with pytest.raises(OwlApiError) as caught:
        check_owl2_dl(broken)
    assert caught.value.exit_code == 3
    assert "Could not parse ontology" in caught.value.message


@pytest.mark.java
@requires_java
def test_empty_file_is_not_an_ontology(tmp_path: Path) -> None:
    empty = tmp_path / "empty.owl"
    empty.write_text("\n", "utf-8")
    with pytest.raises(OwlApiError, match="empty document"):
        check_owl2_dl(empty)


def test_missing_java_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(JavaNotFoundError, match="Java 11") as caught:
        check_owl2_dl(tmp_path / "any.owl")
    assert caught.value.exit_code == 7


@pytest.mark.java
@requires_java
def test_release_loads_with_its_hpo_import_offline() -> None:
    """The release imports the HPO module; the catalog beside it maps the import to the local file."""
    from calcgraph import paths
    from calcgraph.hpo import HP_IMPORT_IRI

    report = check_owl2_dl(paths.release_owl())
    assert report.imported == [str(HP_IMPORT_IRI)]
    assert report.in_dl_profile, report.violations
    assert report.unlabelled == []


@pytest.mark.java
@requires_java
def test_cohort_vocabulary_loads_offline_through_the_catalog() -> None:
    """cohort.ttl imports the release by its w3id IRI; the catalog maps it (and the release's HPO import) locally."""
    from calcgraph import paths
    from calcgraph.catalog import catalog_mappings
    from calcgraph.hpo import HP_IMPORT_IRI
    from calcgraph.vocab import ONTOLOGY_IRI

    mapped = catalog_mappings(paths.ontology_dir())
    assert mapped[str(ONTOLOGY_IRI)] == paths.release_owl().resolve()
    report = check_owl2_dl(paths.ontology_dir() / "cohort.ttl")
    assert sorted(report.imported) == sorted([str(ONTOLOGY_IRI), str(HP_IMPORT_IRI)])
    assert report.in_dl_profile, report.violations


@pytest.mark.java
@requires_java
def test_a_missing_import_is_a_parse_error(tmp_path: Path) -> None:
    graph = _graph()
    _add_class(graph, "Deposit", "deposit")
    graph.add((ONTOLOGY_IRI, OWL.imports, URIRef("http://127.0.0.1:9/missing.owl")))
    with pytest.raises(OwlApiError, match=r"missing\.owl"):
        check_owl2_dl(_write(graph, tmp_path / "imports-missing.owl"))
