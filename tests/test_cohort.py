"""``calcgraph load-cases`` (issue 6): cases and results as RDF in an Oxigraph store or a SPARQL endpoint, cohort
queries with the expected counts, and no half-loaded store on failure."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from calcgraph import cohort
from calcgraph import query as q
from calcgraph.cases import FindingIndex
from calcgraph.cli import main
from calcgraph.cli.diagnose import load
from calcgraph.diagnose import diagnose
from calcgraph.errors import CaseError, CohortLoadError
from calcgraph.fastclass import fast_classifier, synthetic_cases
from calcgraph.reason import release_graph
from calcgraph.server import OxigraphServer
from calcgraph.vocab import curie_to_iri, iri_to_curie

ROOT = Path(__file__).resolve().parents[1]
CLASSIFIED_AS = ROOT / "queries" / "cohort-cases-classified-as.rq"
FINDINGS_WITH = ROOT / "queries" / "cohort-findings-with.rq"
PSEUDOGOUT = "pseudogout"
PSEUDOGOUT_CASE = "case suggestive of pseudogout"
N = 80


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def cohort_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fc = fast_classifier()
    index = FindingIndex.from_graph(release_graph())
    path = tmp_path_factory.mktemp("cohort") / "cohort.jsonl"
    cases = synthetic_cases(fc, N, seed=11, findings=sorted(index.labels))
    with path.open("w", encoding="utf-8") as fh:
        for c in cases:
            doc = {"id": c.id, "present": [iri_to_curie(x) for x in c.present]}
            doc["absent"] = [iri_to_curie(x) for x in c.absent]
            fh.write(json.dumps(doc) + "\n")
    return path


def expected(cohort_file: Path, target_label: str) -> tuple[set[str], Counter[tuple[str, str]]]:
    """Cases classified as the target, and how often each (finding IRI, status) is recorded in them."""
    fc = fast_classifier()
    loaded = load()
    target = loaded.index.keys.get(target_label.casefold()) or next(
        iri for iri, lab in fc.model.labels.items() if lab == target_label
    )
    ids: set[str] = set()
    counts: Counter[tuple[str, str]] = Counter()
    for line in cohort_file.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        present = [curie_to_iri(x) for x in doc["present"]]
        absent = [curie_to_iri(x) for x in doc["absent"]]
        types = fc.types(present, absent)
        top = diagnose(loaded.model, present, absent, top=1, n_next=0)["differential"][0]["id"]
        if target in types or any(fc.model.suggests.get(t) == target for t in types) or curie_to_iri(top) == target:
            ids.add(doc["id"])
            counts.update((f, "present") for f in present)
            counts.update((f, "excluded") for f in absent)
    return ids, counts


def _check_queries(engine: q.Engine, cohort_file: Path, times: int = 1) -> None:
    for target in (PSEUDOGOUT, PSEUDOGOUT_CASE, "septic arthritis"):
        ids, counts = expected(cohort_file, target)
        assert ids, f"the generated cohort must have cases classified as {target}"
        rows = q.run_query(CLASSIFIED_AS, {"target": [target]}, engine).as_dicts()
        assert Counter(str(r["caseId"]) for r in rows) == Counter({i: times for i in ids})
        found = q.run_query(FINDINGS_WITH, {"target": [target]}, engine).as_dicts()
        got = {(str(r["finding"]), str(r["status"])): int(r["cases"]) for r in found}
        assert got == {k: v * times for k, v in counts.items()}
        assert [int(r["cases"]) for r in found] == sorted((int(r["cases"]) for r in found), reverse=True)


@pytest.fixture(scope="module")
def store(cohort_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "cohort.db"
    r = invoke("load-cases", str(cohort_file), "--store", str(path), "--with-results", "--workers", "2")
    assert r.exit_code == 0, r.output
    assert f"loaded {N} case(s)" in r.output
    return path


def test_cohort_queries_on_a_store_give_the_expected_counts(store: Path, cohort_file: Path) -> None:
    _check_queries(q.OxigraphStoreEngine(store), cohort_file)


def test_query_command_takes_a_store(store: Path) -> None:
    r = invoke("query", str(FINDINGS_WITH), "--store", str(store), "-p", "target=pseudogout", "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("target,finding,status,cases")
    missing = invoke("query", str(FINDINGS_WITH), "--store", str(store.parent / "nope"))
    assert missing.exit_code == 64 and "no such store" in missing.output


def test_the_store_holds_the_case_pattern_and_one_graph_per_load(store: Path) -> None:
    s = ox.Store.read_only(str(store))
    graphs = {g.value for g in s.named_graphs()}
    loads = {g for g in graphs if g.startswith(cohort.LOAD_BASE)}
    assert len(loads) == 1 and {cohort.VOCAB_GRAPH, "https://w3id.org/calcgraph/graph"} <= graphs
    ask = """PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX cg: <https://w3id.org/calcgraph/CALCGRAPH_>
    ASK { GRAPH ?g { ?c a cg:0000006 ; cg:0000032 ?f ; a ?w . ?c cg:0000033 ?x ; a [ owl:complementOf ?w2 ] .
                     ?w owl:equivalentClass [ owl:onProperty cg:0000030 ; owl:someValuesFrom ?f ] .
                     ?w2 owl:equivalentClass [ owl:onProperty cg:0000030 ; owl:someValuesFrom ?x ] } }"""
    assert bool(s.query(ask))
    # every finding class a case is typed with (or with its complement) is defined in the load's graph
    undefined = """PREFIX owl: <http://www.w3.org/2002/07/owl#>
    SELECT ?t WHERE { GRAPH ?g { { ?c a ?t } UNION { ?c a [ owl:complementOf ?t ] }
                                 FILTER(STRSTARTS(STR(?t), "https://w3id.org/calcgraph/cohort#withFinding-"))
                                 FILTER NOT EXISTS { ?t owl:equivalentClass ?d } } } LIMIT 1"""
    assert list(s.query(undefined)) == []
    (count,) = s.query("SELECT ?n WHERE { GRAPH ?g { ?g <https://w3id.org/calcgraph/cohort#caseCount> ?n } }")
    assert int(count[0].value) == N


def test_a_case_has_two_triples_per_present_finding_and_four_per_excluded_one() -> None:
    case = cohort.Case("c1", (curie_to_iri("CALCGRAPH:0003101") or "",), (curie_to_iri("CALCGRAPH:0003102") or "",))
    nt = cohort.case_ntriples(case, "https://w3id.org/calcgraph/case/x/1-c1", "l1")
    assert len(nt.splitlines()) == 3 + 2 + 4
    assert f"<{cohort.COHORT}withFinding-CALCGRAPH_0003101> ." in nt
    assert f"<http://www.w3.org/2002/07/owl#complementOf> <{cohort.COHORT}withFinding-CALCGRAPH_0003102> ." in nt
    defs = cohort.finding_class_ntriples([case.present[0], case.present[0]])
    assert len(defs.splitlines()) == 5 and cohort.finding_class_ntriples([]) == ""
    other = "http://example.org/a/b#c"
    assert cohort.with_finding_class(other) == cohort.COHORT + "withFinding-http%3A%2F%2Fexample.org%2Fa%2Fb%23c"


def _old_encoding(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The load's quads as written before the named finding classes: a blank restriction per case and finding."""
    owl = cohort._OWL
    eq, svf = ox.NamedNode(f"{owl}equivalentClass"), ox.NamedNode(f"{owl}someValuesFrom")
    restriction_of = {x.subject: x.object for x in quads if x.predicate == eq}
    finding_of = {x.subject: x.object for x in quads if x.predicate == svf}
    defs = set(restriction_of) | set(restriction_of.values())
    out = []
    for x in quads:
        if x.subject in defs:
            continue
        if x.object in restriction_of:
            r = ox.BlankNode()
            out += [ox.Quad(x.subject, x.predicate, r, x.graph_name),
                    ox.Quad(r, ox.NamedNode(f"{cohort._RDF}type"), ox.NamedNode(f"{owl}Restriction"), x.graph_name),
                    ox.Quad(r, ox.NamedNode(f"{owl}onProperty"), ox.NamedNode(cohort.HAS_FINDING), x.graph_name),
                    ox.Quad(r, svf, finding_of[restriction_of[x.object]], x.graph_name)]  # fmt: skip
        else:
            out.append(x)
    return out


def test_the_named_finding_classes_answer_the_cohort_queries_as_the_blank_restrictions_did(
    store: Path, tmp_path: Path
) -> None:
    s = ox.Store.read_only(str(store))
    old = ox.Store(str(tmp_path / "old.db"))
    load_quads = []
    for quad in s:
        if quad.graph_name.value.startswith(cohort.LOAD_BASE):
            load_quads.append(quad)
        else:
            old.add(quad)
    converted = _old_encoding(load_quads)
    old.extend(converted)
    old.flush()
    del old
    assert len(load_quads) / N < len(converted) / N - 10  # 3 triples fewer per finding
    new_engine, old_engine = q.OxigraphStoreEngine(store), q.OxigraphStoreEngine(tmp_path / "old.db")
    for path in (CLASSIFIED_AS, FINDINGS_WITH):
        for target in (PSEUDOGOUT, PSEUDOGOUT_CASE, "septic arthritis"):
            got = q.run_query(path, {"target": [target]}, new_engine).as_dicts()
            want = q.run_query(path, {"target": [target]}, old_engine).as_dicts()
            assert got and sorted(map(str, got)) == sorted(map(str, want))


@pytest.mark.java
def test_hermit_types_a_loaded_case_as_the_fast_classifier_does(cohort_file: Path, tmp_path: Path) -> None:
    """A load's graph and the release are all HermiT needs: it entails for each case the defined classes that the
    fast classifier gives (what --with-results writes)."""
    from calcgraph.reason import individual_types

    lines = cohort_file.read_text(encoding="utf-8").splitlines()[:8]
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = tmp_path / "s.db"
    r = invoke("load-cases", str(small), "--store", str(path))  # without results: no classes written
    assert r.exit_code == 0, r.output
    s = ox.Store.read_only(str(path))
    (graph,) = [g for g in s.named_graphs() if g.value.startswith(cohort.LOAD_BASE)]
    data = s.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
    rows = s.query("SELECT ?c ?id WHERE { GRAPH ?g { ?c <http://purl.org/dc/terms/identifier> ?id } }")
    iri_of = {row[1].value: row[0].value for row in rows}
    types = individual_types(data, sorted(iri_of.values()))
    fc = fast_classifier()
    defined = set(fc.model.defined)
    for line in lines:
        doc = json.loads(line)
        want = fc.types([curie_to_iri(x) for x in doc["present"]], [curie_to_iri(x) for x in doc["absent"]])
        assert types[iri_of[doc["id"]]] & defined == set(want), doc["id"]
    assert sum(bool(types[i] & defined) for i in iri_of.values()) >= 3


@pytest.mark.java
def test_a_load_graph_with_its_finding_classes_is_owl2_dl(store: Path, tmp_path: Path) -> None:
    """The load's graph (cases, their classes and differentials, the findings' named classes), as an ontology that
    imports the release, is in the OWL 2 DL profile (OWL API)."""
    from calcgraph import paths
    from calcgraph.owlapi import check_owl2_dl
    from calcgraph.vocab import ONTOLOGY_IRI

    s = ox.Store.read_only(str(store))
    (graph,) = [g for g in s.named_graphs() if g.value.startswith(cohort.LOAD_BASE)]
    owl = cohort._OWL
    header = (f"<urn:x-test:cohort-load> <{cohort._RDF}type> <{owl}Ontology> .\n"
              f"<urn:x-test:cohort-load> <{owl}imports> <{ONTOLOGY_IRI}> .\n"
              f"<urn:x-test:cohort-load> <{owl}imports> <{cohort.VOCAB_GRAPH}> .\n")  # fmt: skip
    (tmp_path / "load.nt").write_bytes(header.encode() + s.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph))
    (tmp_path / "catalog-v001.xml").write_text(
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">'
        f'<uri name="{ONTOLOGY_IRI}" uri="{paths.release_owl().resolve()}"/>'
        f'<uri name="{cohort.VOCAB_GRAPH}" uri="{cohort.vocab_path().resolve()}"/></catalog>',
        encoding="utf-8",
    )
    report = check_owl2_dl(tmp_path / "load.nt")
    assert report.in_dl_profile, sorted({v.split(" [")[0] for v in report.violations})


def test_a_second_load_is_a_transaction_into_a_new_graph(store: Path, cohort_file: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy.db"
    shutil.copytree(store, copy)
    r = invoke("load-cases", str(cohort_file), "--store", str(copy), "--with-results")
    assert r.exit_code == 0, r.output
    _check_queries(q.OxigraphStoreEngine(copy), cohort_file, times=2)


def _case_quads(store: Path) -> list[tuple[str, ...]]:
    """The load's quads with blank nodes named by the case and the finding they stand for, graph and load id out."""
    s = ox.Store.read_only(str(store))
    where = "FILTER(STRSTARTS(STR(?g), " + f'"{cohort.LOAD_BASE}"' + "))"
    rows = s.query("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } " + where + " }")
    quads = [tuple(x for x in row) for row in rows]
    # a blank node is named by what it says: (its predicate-object pairs, recursively one level)
    props: dict[str, list[str]] = {}
    for sub, p, o in quads:
        if isinstance(sub, ox.BlankNode):
            props.setdefault(sub.value, []).append(f"{p.value}={o.value if not isinstance(o, ox.BlankNode) else '_'}")

    def name(t: object) -> str:
        if isinstance(t, ox.BlankNode):
            return "_:" + "|".join(sorted(props.get(t.value, [])))
        text = str(getattr(t, "value", t))
        if text.startswith(cohort.LOAD_BASE):
            return "LOAD"
        return text.split("/", 7)[-1] if text.startswith(cohort.CASE_BASE) else text

    created = "http://purl.org/dc/terms/created"
    return sorted((name(a), name(b), name(c)) for a, b, c in quads if b.value != created)


def test_the_load_in_small_pieces_stores_the_same_triples(
    store: Path, cohort_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pieces of ~2 kB: many bulk_load calls, each made of whole cases (a case's blank nodes never split)
    monkeypatch.setattr(cohort, "LOAD_CHUNK", 2000)
    monkeypatch.setattr(cohort, "STREAM_BLOCK", 500)
    small = tmp_path / "small.db"
    r = invoke("load-cases", str(cohort_file), "--store", str(small), "--with-results", "--workers", "2")
    assert r.exit_code == 0, r.output
    got, want = _case_quads(small), _case_quads(store)
    assert len(got) == len(want) > N * 20
    assert got == want
    _check_queries(q.OxigraphStoreEngine(small), cohort_file)


def test_a_load_failing_in_a_later_piece_leaves_no_store(
    cohort_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cohort, "LOAD_CHUNK", 2000)
    monkeypatch.setattr(cohort, "STREAM_BLOCK", 500)
    _corrupt_line(monkeypatch, 75)
    r = invoke("load-cases", str(cohort_file), "--store", str(tmp_path / "new.db"))
    assert r.exit_code == CohortLoadError.exit_code, r.output
    assert list(tmp_path.iterdir()) == []


def _corrupt_line(monkeypatch: pytest.MonkeyPatch, line: int) -> None:
    real = cohort.case_ntriples

    def corrupt(case, iri, bnode, *args, **kwargs):  # type: ignore[no-untyped-def]
        text = real(case, iri, bnode, *args, **kwargs)
        return text + "<not an iri at all\n" if bnode == f"l{line}" else text

    monkeypatch.setattr(cohort, "case_ntriples", corrupt)


def test_a_failed_load_leaves_no_store_behind(
    cohort_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _corrupt_line(monkeypatch, 40)
    target = tmp_path / "new.db"
    r = invoke("load-cases", str(cohort_file), "--store", str(target))
    assert r.exit_code == CohortLoadError.exit_code, r.output
    assert "cannot load the Oxigraph store" in r.output and "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == []


def test_a_failed_load_leaves_an_existing_store_as_it_was(
    store: Path, cohort_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    copy = tmp_path / "copy.db"
    shutil.copytree(store, copy)
    before = len(ox.Store.read_only(str(copy)))
    _corrupt_line(monkeypatch, 70)
    r = invoke("load-cases", str(cohort_file), "--store", str(copy))
    assert r.exit_code == CohortLoadError.exit_code, r.output
    assert len(ox.Store.read_only(str(copy))) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db"]


def test_bad_lines_are_skipped_or_strict(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "present": ["acute monoarthritis"]}),
        "{oops",
        json.dumps({"id": "b", "present": ["calcium pyrophosphate crystals in synovial fluid"]}),
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    strict = invoke("load-cases", str(path), "--store", str(tmp_path / "s1"), "--strict")
    assert strict.exit_code == CaseError.exit_code and "nothing loaded" in strict.output
    assert not (tmp_path / "s1").exists()
    r = invoke("load-cases", str(path), "--store", str(tmp_path / "s2"))
    assert r.exit_code == CaseError.exit_code
    assert f"{path}:2: invalid JSON" in r.output and "loaded 2 case(s)" in r.output
    ids = ox.Store.read_only(str(tmp_path / "s2")).query(
        "SELECT ?id WHERE { GRAPH ?g { ?c <http://purl.org/dc/terms/identifier> ?id } } ORDER BY ?id"
    )
    assert [row[0].value for row in ids] == ["a", "b"]


def test_store_or_endpoint_is_required(cohort_file: Path) -> None:
    assert invoke("load-cases", str(cohort_file)).exit_code == 64


# ------------------------------------------------------------------------------------------------ endpoint


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    with OxigraphServer(writable=True) as srv, pytest.MonkeyPatch.context() as mp:
        mp.setenv("CALCGRAPH_TOKEN", srv.token or "")  # load-cases --endpoint sends it as the bearer token
        yield srv


def _graphs(server: OxigraphServer) -> set[str]:
    res = q.EndpointEngine(server.query_url, default_graph=None).run(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", {}, {}
    )
    return {str(r[0]) for r in res.rows}


@pytest.mark.parametrize("protocol", ["update", "gsp"])
def test_load_into_a_sparql_endpoint(server: OxigraphServer, cohort_file: Path, protocol: str) -> None:
    url = server.update_url if protocol == "update" else server.store_url
    before = _graphs(server)
    r = invoke(
        "load-cases", str(cohort_file), "--endpoint", url, "--protocol", protocol, "--with-results",
        "--batch-size", "7",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    new = _graphs(server) - before
    assert len(new) == 1
    engine = q.EndpointEngine(server.query_url, default_graph=None)
    times = sum(1 for g in _graphs(server) if g.startswith(cohort.LOAD_BASE))  # loads of this file so far
    _check_queries(engine, cohort_file, times=times)


def test_a_failed_endpoint_load_is_dropped(
    server: OxigraphServer, cohort_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _graphs(server)
    _corrupt_line(monkeypatch, 50)
    r = invoke("load-cases", str(cohort_file), "--endpoint", server.update_url, "--batch-size", "10")
    assert r.exit_code == CohortLoadError.exit_code and "HTTP 400" in r.output
    assert _graphs(server) == before


def test_endpoint_must_be_http() -> None:
    with pytest.raises(CohortLoadError):
        cohort._Sender("file:///etc/passwd", "update", "urn:x")
    assert urllib.request  # the tests talk to 127.0.0.1 only
