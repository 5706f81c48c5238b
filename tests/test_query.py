"""Competency queries on the embedded stores (pyoxigraph, rdflib), parameters, errors and result formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDFS, Literal, URIRef
from rdflib.namespace import XSD

from calcgraph import materialise
from calcgraph import query as q
from calcgraph.cli import main
from calcgraph.errors import (
    EndpointError,
    QueryFileError,
    QueryParameterError,
    UnknownTermError,
)
from calcgraph.vocab import DIFFERENTIAL_OF, DISEASE, IS_DIAGNOSTIC_OF, IS_TYPICAL_OF

QUERY_FILES = q.query_files()


def test_the_competency_questions_are_there() -> None:
    names = {p.stem for p in QUERY_FILES}
    assert {
        "differentials",
        "distinguishing-findings",
        "candidate-diseases",
        "calcinosis-causes",
        "mccarty-types",
        "findings-hpo",
        "subclasses",
        "disease-sources",
    } <= names


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_query_runs_on_both_engines_with_equal_solutions(path: Path, ox: q.Engine, rl: q.Engine) -> None:
    qf = q.load_query(path)
    assert qf.question and qf.examples, "the comment block states the question and an example"
    a, b = q.run_query(qf, {}, ox), q.run_query(qf, {}, rl)
    assert a.variables == b.variables
    assert len(a) >= 1
    assert a.solutions() == b.solutions()


def test_bundled_query_texts_have_their_defaults_written_in(ox: q.Engine) -> None:
    texts = q.bundled_query_texts(ox)
    assert set(texts) == {p.stem for p in QUERY_FILES if not p.stem.startswith("cohort-")}
    assert set(q.bundled_query_texts(ox, cohort=True)) == {p.stem for p in QUERY_FILES}
    for path in QUERY_FILES:
        if path.stem in texts:
            assert ox.run(texts[path.stem], {}, {}).solutions() == q.run_query(path, {}, ox).solutions(), path.name


def _labels(result: q.Result, var: str) -> set[str]:
    return {str(row[var]) for row in result.as_dicts() if var in row}


def test_differential_of_is_read_in_both_directions(release_graph, ox: q.Engine) -> None:
    pairs = list(release_graph.subject_objects(DIFFERENTIAL_OF))
    assert pairs
    one_way = [(a, b) for a, b in pairs if (b, DIFFERENTIAL_OF, a) not in release_graph]
    assert one_way, "some pairs are asserted in one direction only: the symmetric closure must come from the reasoner"
    for a, b in one_way:
        res = q.run_query(q.queries_dir() / "differentials.rq", {"disease": [str(b)]}, ox)
        assert a in {row["differential"] for row in res.as_dicts()}


def test_diagnostic_findings_count_as_typical(release_graph, ox: q.Engine, rl: q.Engine) -> None:
    pairs = list(release_graph.subject_objects(IS_DIAGNOSTIC_OF))
    assert pairs
    for finding, disease in pairs:
        for engine in (ox, rl):
            res = q.run_query(q.queries_dir() / "candidate-diseases.rq", {"finding": [str(finding)]}, engine)
            row = next(r for r in res.as_dicts() if r["disease"] == disease)
            assert int(row["typicalFindings"]) >= 1 and int(row["diagnosticFindings"]) == 1


def test_subclasses_are_the_transitive_closure(release_graph, ox: q.Engine) -> None:
    expected = {
        c for c in release_graph.transitive_subjects(RDFS.subClassOf, DISEASE) if c != DISEASE and isinstance(c, URIRef)
    }
    res = q.run_query(q.queries_dir() / "subclasses.rq", {"class": ["disease or disorder"]}, ox)
    assert {row["subclass"] for row in res.as_dicts()} == expected


def test_labels_synonyms_curies_and_iris_resolve_alike(ox: q.Engine) -> None:
    path = q.queries_dir() / "differentials.rq"
    by_label = q.run_query(path, {"disease": ["Pseudogout"]}, ox).solutions()
    assert by_label == q.run_query(path, {"disease": ["CALCGRAPH:0001021"]}, ox).solutions()
    assert by_label == q.run_query(path, {"disease": ["https://w3id.org/calcgraph/CALCGRAPH_0001021"]}, ox).solutions()
    assert (
        by_label == q.run_query(path, {"disease": ["<https://w3id.org/calcgraph/CALCGRAPH_0001021>"]}, ox).solutions()
    )


def test_unknown_label_suggests_close_ones(ox: q.Engine) -> None:
    with pytest.raises(UnknownTermError) as err:
        q.run_query(q.queries_dir() / "differentials.rq", {"disease": ["pseudogot"]}, ox)
    assert "pseudogot" in str(err.value) and "pseudogout" in (err.value.hint or "")


def test_unknown_parameter_name_is_an_error(ox: q.Engine) -> None:
    with pytest.raises(QueryParameterError, match="unknown parameter 'diseas'"):
        q.run_query(q.queries_dir() / "differentials.rq", {"diseas": ["gout"]}, ox)
    with pytest.raises(QueryParameterError, match="takes one value"):
        q.run_query(q.queries_dir() / "differentials.rq", {"disease": ["gout", "pseudogout"]}, ox)


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rq"
    bad.write_text(
        "# question: broken\nPREFIX cg: <https://w3id.org/calcgraph/CALCGRAPH_>\nSELECT ?s WHERE {\n  ?s foo:bar ?o }\n"
    )
    with pytest.raises(QueryFileError) as err:
        q.load_query(bad)
    assert err.value.path == str(bad) and err.value.line == 4 and err.value.column is not None
    assert str(err.value).startswith(f"{bad}:4:")


@pytest.mark.parametrize("depth", [101, 3_000, 10_000])
def test_deeply_nested_query_file_is_an_error_not_a_crash(tmp_path: Path, depth: int) -> None:
    """F6 (command line): 3,000 nested braces used to overflow the parser's stack (segfault, exit 139, no message).
    Run in a subprocess, so that a regression crashes the child and fails here instead of killing pytest."""
    import subprocess
    import sys

    deep = tmp_path / "deep.rq"
    deep.write_text("# question: deep\nSELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth + "\n")
    run = subprocess.run(
        [str(Path(sys.executable).parent / "calcgraph"), "query", str(deep)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == QueryFileError.exit_code, run.stderr
    assert run.stderr.startswith(f"error: {deep}:2:116: nested deeper than 100 levels"), run.stderr
    assert "Traceback" not in run.stderr


def test_nesting_at_the_limit_still_runs(tmp_path: Path, ox: q.Engine) -> None:
    ok = tmp_path / "ok.rq"
    ok.write_text("# question: deep\nASK " + "{" * 100 + " ?s ?p ?o " + "}" * 100 + "\n")
    assert q.run_query(ok, {}, ox).boolean is True
    assert q.load_query(ok).question == "deep"


def test_header_problems_are_reported(tmp_path: Path) -> None:
    f = tmp_path / "x.rq"
    f.write_text("SELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(QueryFileError, match="question"):
        q.load_query(f)
    f.write_text("# question: q\n# param: thing (colour) = red\nSELECT ?thing WHERE { ?thing ?p ?o }\n")
    with pytest.raises(QueryFileError, match="unknown parameter kind"):
        q.load_query(f)
    f.write_text("# question: q\n# param: thing (IRI) = gout\nSELECT ?p WHERE { ?thing ?p ?o }\n")
    with pytest.raises(QueryFileError, match="SELECT projection"):
        q.load_query(f)


INJECTIONS = [
    'pseudogout" } UNION { ?s ?p ?o } #',
    "pseudogout' } UNION { ?s ?p ?o }",
    "x\n} UNION { ?s ?p ?o",
    '"""\n}}}{{{',
    "\\u0022 } UNION { ?s ?p ?o } \\",
    "\\\\u0022\\U0001F600\\u00",
    "a>b<c",
]


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("repeatable", [False, True])
def test_parameter_values_cannot_change_the_query(tmp_path: Path, value: str, repeatable: bool, ox, rl) -> None:
    f = tmp_path / "echo.rq"
    kind = "string, repeatable" if repeatable else "string"
    f.write_text(
        f"# question: which entity has this label?\n# param: name ({kind})\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?name ?s WHERE { ?s rdfs:label ?name }\n"
    )
    qf = q.load_query(f)
    for engine in (ox, rl):
        assert len(q.run_query(qf, {"name": [value]}, engine)) == 0
        assert len(q.run_query(qf, {"name": ["pseudogout"]}, engine)) == 1
    # The value comes back unchanged, as one literal, when the pattern accepts any label.
    g = tmp_path / "values.rq"
    g.write_text(f"# question: echo\n# param: name ({kind})\nSELECT ?name WHERE {{ }}\n")
    for engine in (ox, rl):
        res = q.run_query(q.load_query(g), {"name": [value]}, engine)
        assert [row["name"] for row in res.as_dicts()] == [Literal(value)]


@pytest.mark.parametrize("value", ["gout> } UNION { ?s ?p ?o", "http://x/a b", "<http://x/{}>"])
def test_iri_parameters_are_validated(value: str, ox: q.Engine) -> None:
    with pytest.raises((QueryParameterError, UnknownTermError)):
        q.run_query(q.queries_dir() / "differentials.rq", {"disease": [value]}, ox)


def test_term_to_sparql_escapes() -> None:
    assert q.term_to_sparql(Literal('a"b\n}')) == '"a\\"b\\n}"'
    assert q.term_to_sparql(Literal("1.5", datatype=XSD.decimal)) == '"1.5"^^<http://www.w3.org/2001/XMLSchema#decimal>'
    with pytest.raises(QueryParameterError):
        q.term_to_sparql(URIRef("http://x/> } UNION { <y"))


def test_unreachable_endpoint_is_one_line() -> None:
    from calcgraph.server import free_port

    engine = q.EndpointEngine(f"http://127.0.0.1:{free_port()}/query", timeout=5)
    with pytest.raises(EndpointError) as err:
        q.run_query(q.queries_dir() / "mccarty-types.rq", {}, engine)
    assert "\n" not in str(err.value) and "cannot reach" in str(err.value)


def test_result_formats_follow_the_sparql_specs(ox: q.Engine) -> None:
    res = q.run_query(q.queries_dir() / "mccarty-types.rq", {}, ox)
    doc = json.loads(q.to_json(res))
    assert doc["head"]["vars"] == res.variables
    assert q.parse_json_results(doc).solutions() == res.solutions()
    rows = list(csv.reader(io.StringIO(q.to_csv(res), newline="")))
    assert rows[0] == res.variables and len(rows) == len(res) + 1
    assert q.to_csv(res).endswith("\r\n")
    tsv = q.to_tsv(res).splitlines()
    assert tsv[0].split("\t") == [f"?{v}" for v in res.variables]
    assert tsv[1].split("\t")[1].startswith("<https://w3id.org/calcgraph/")
    assert "pseudogout" in q.to_table(res)
    ask = q.Result(boolean=True)
    assert json.loads(q.to_json(ask)) == {"head": {}, "boolean": True}


def test_cli_query(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["query", str(q.queries_dir() / "differentials.rq"), "-p", "disease=gout", "-f", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)["results"]["bindings"]
    assert {r["differentialLabel"]["value"] for r in rows} == {"pseudogout"}
    out = runner.invoke(main, ["query", str(q.queries_dir() / "differentials.rq"), "-p", "disease=nonesuch disease"])
    assert out.exit_code == UnknownTermError.exit_code
    out = runner.invoke(main, ["query", str(tmp_path / "missing.rq")])
    assert out.exit_code == QueryFileError.exit_code and "missing.rq" in out.output


def test_materialised_graph_adds_rl_entailments(release_graph) -> None:
    entailed = materialise.entailed_triples()
    for a, b in release_graph.subject_objects(DIFFERENTIAL_OF):
        if (b, DIFFERENTIAL_OF, a) not in release_graph:
            assert (b, DIFFERENTIAL_OF, a) in entailed
    for f, d in release_graph.subject_objects(IS_DIAGNOSTIC_OF):
        assert (f, IS_TYPICAL_OF, d) in entailed or (f, IS_TYPICAL_OF, d) in release_graph
    assert not any(t in release_graph for t in entailed)


def test_materialised_graph_is_cached_by_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "mini.ttl"
    src.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix ex: <http://example.org/> .\n"
        'ex:p a owl:SymmetricProperty .\nex:a ex:p ex:b .\nex:a ex:name "a" .\n'
    )
    g = materialise.materialised_graph(src)
    assert (URIRef("http://example.org/b"), URIRef("http://example.org/p"), URIRef("http://example.org/a")) in g
    assert (
        URIRef("http://example.org/a"),
        URIRef("http://example.org/name"),
        Literal("a"),
    ) in g  # plain, not xsd:string
    cached = list((tmp_path / "cache").glob("materialised-*.nt"))
    assert len(cached) == 1
    src.write_text(src.read_text() + "ex:c ex:p ex:a .\n")
    materialise.materialised_graph(src)
    assert len(list((tmp_path / "cache").glob("materialised-*.nt"))) == 2
