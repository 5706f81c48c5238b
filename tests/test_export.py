"""Export formats read back with the same nodes, edges and attributes; atomic writes; pictures; the HTML page in a real
headless Chromium (installed by the set-up when missing)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from calcgraph.cli import main
from calcgraph.errors import ExportError
from calcgraph.export import check_scalars, read_dot, read_node_link, write_graph
from calcgraph.graph import focus_subgraph, knowledge_graph

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
PSEUDOGOUT = "CALCGRAPH:0001021"


@pytest.fixture(scope="module")
def G(release_graph) -> nx.MultiDiGraph:
    return knowledge_graph(release_graph)


def _edges(H: nx.MultiDiGraph) -> dict[tuple[str, str, str], dict]:
    return {(u, v, str(k)): dict(d) for u, v, k, d in H.edges(keys=True, data=True)}


def assert_same_graph(G: nx.MultiDiGraph, H: nx.MultiDiGraph, *, ignore: set[str] = frozenset()) -> None:
    """Same nodes, same keyed edges, and every attribute of ``G`` present in ``H`` with the same value."""
    assert H.number_of_nodes() == G.number_of_nodes()
    assert H.number_of_edges() == G.number_of_edges()
    assert set(H.nodes) == set(G.nodes)
    for n, data in G.nodes(data=True):
        got = {k: v for k, v in H.nodes[n].items() if k not in ignore}
        assert {k: got.get(k) for k in data} == data, n
    g_edges, h_edges = _edges(G), _edges(H)
    assert set(h_edges) == set(g_edges)
    for key, data in g_edges.items():
        got = h_edges[key]
        for name, value in data.items():
            if isinstance(value, float):
                assert got[name] == pytest.approx(value), (key, name)
            else:
                assert got[name] == value, (key, name)


def test_graphml_round_trip(G, tmp_path):
    out = tmp_path / "g.graphml"
    write_graph(G, out, "graphml")
    H = nx.read_graphml(out, force_multigraph=True, edge_key_type=str)
    assert_same_graph(G, H)


def test_gexf_round_trip(G, tmp_path):
    out = tmp_path / "g.gexf"
    write_graph(G, out, "gexf")
    H = nx.read_gexf(out)
    assert isinstance(H, nx.MultiDiGraph)
    # GEXF reserves the edge attribute 'type' for the direction: the writer stores the edge type as the edge label.
    for *_, d in H.edges(data=True):
        d["type"] = d.pop("label")
    assert_same_graph(G, H)
    assert 'r="0" g="114" b="178"' in out.read_text()  # disease colour for Gephi


def test_node_link_json_round_trip(G, tmp_path):
    out = tmp_path / "g.json"
    write_graph(G, out, "json")
    assert_same_graph(G, read_node_link(out))


def test_cytoscape_round_trip(G, tmp_path):
    out = tmp_path / "g.cyjs"
    write_graph(G, out, "cytoscape")
    data = json.loads(out.read_text())
    names = {e["data"]["id"]: e["data"]["name"] for e in data["elements"]["nodes"]}
    assert names[PSEUDOGOUT] == "pseudogout"  # Cytoscape shows 'name': the label, not the CURIE
    H = nx.cytoscape_graph(data)
    assert_same_graph(G, H)


def test_dot_round_trip_keeps_curies_whole(G, tmp_path):
    out = tmp_path / "g.dot"
    write_graph(G, out, "dot")
    text = out.read_text()
    assert f'"{PSEUDOGOUT}"' in text
    assert not re.search(r"^CALCGRAPH:\d", text, re.M), "unquoted CURIE node id"
    H = read_dot(out)
    assert "CALCGRAPH" not in H  # pydot would truncate an unquoted CALCGRAPH:0001021 to CALCGRAPH
    assert_same_graph(G, H)


def test_focus_export_round_trip(G, tmp_path):
    F = focus_subgraph(G, PSEUDOGOUT, 1)
    for fmt in ("graphml", "json", "dot"):
        out = tmp_path / f"f.{fmt}"
        write_graph(F, out, fmt)
    assert_same_graph(F, nx.read_graphml(tmp_path / "f.graphml", force_multigraph=True, edge_key_type=str))
    assert_same_graph(F, read_node_link(tmp_path / "f.json"))
    assert_same_graph(F, read_dot(tmp_path / "f.dot"))


def test_list_attribute_is_refused_before_writing(tmp_path):
    bad = nx.MultiDiGraph()
    bad.add_node("CALCGRAPH:0000001", label="x", xrefs=["a", "b"])
    with pytest.raises(ExportError, match="xrefs"):
        check_scalars(bad)
    out = tmp_path / "bad.graphml"
    with pytest.raises(ExportError):
        write_graph(bad, out, "graphml")
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_failure_mid_write_keeps_previous_file(G, tmp_path, fmt):
    out = tmp_path / f"g.{fmt}"
    write_graph(G, out, fmt)
    before = out.read_bytes()
    bad = G.copy()
    bad.add_node("CALCGRAPH:9999999", label="bad", xrefs=["a", "b"])  # networkx raises part-way through the write
    with pytest.raises(Exception):  # noqa: B017 - whatever networkx raises
        write_graph(bad, out, fmt, check=False)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name], "temporary file left behind"


def test_failure_mid_write_leaves_no_empty_file(tmp_path, monkeypatch):
    import calcgraph.export as export

    def broken(_G):
        yield "<?xml version='1.0'?>\n"
        raise RuntimeError("disk full")

    monkeypatch.setitem(export._WRITERS, "graphml", broken)
    out = tmp_path / "new.graphml"
    with pytest.raises(RuntimeError):
        write_graph(nx.MultiDiGraph(), out, "graphml")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_an_error(G, tmp_path):
    with pytest.raises(ExportError, match="unknown export format"):
        write_graph(G, tmp_path / "x", "xlsx")


# --- pictures ------------------------------------------------------------------------------------------------------


def _png(path: Path):
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        return im.size, len(im.convert("RGB").getcolors(1 << 24) or [])


def test_draw_focus_png(G, tmp_path):
    from calcgraph.draw import draw_focus

    out = tmp_path / "pseudogout.png"
    size = draw_focus(G, "pseudogout", out)
    assert size == (1600, 1300)
    got, colours = _png(out)
    assert got == size
    assert colours > 50  # a drawing, not a blank page


def test_draw_focus_svg_has_labels_not_iris(G, tmp_path):
    from calcgraph.draw import draw_focus

    out = tmp_path / "p.svg"
    draw_focus(G, PSEUDOGOUT, out)
    text = out.read_text()
    assert text.startswith("<?xml") and "<svg" in text
    assert "https://w3id.org" not in text


def test_draw_case_png(tmp_path):
    from calcgraph.draw import draw_case

    candidates = [
        {"label": "pseudogout", "probability": 0.7, "for": ["knee involvement"], "against": []},
        {"label": "septic arthritis", "probability": 0.2, "for": ["fever"], "against": ["knee involvement"]},
        {"label": "gout", "probability": 0.1, "for": [], "against": ["fever"]},
    ]
    out = tmp_path / "case.png"
    size = draw_case(candidates, out, top=2)
    got, colours = _png(out)
    assert got == size and size[0] == 1400 and size[1] > 400
    assert colours > 20
    with pytest.raises(ExportError, match="probability"):
        draw_case([{"label": "x", "probability": 2}], out)


# --- command line --------------------------------------------------------------------------------------------------


def test_cli_export_focus_and_unknown_term(tmp_path):
    runner = CliRunner()
    out = tmp_path / "f.json"
    res = runner.invoke(
        main,
        [
            "export",
            "--format",
            "json",
            "--out",
            str(out),
            "--focus",
            "pseudogout",
            "--depth",
            "1",
            "--kinds",
            "disease,finding",
        ],
    )
    assert res.exit_code == 0, res.output
    H = read_node_link(out)
    assert PSEUDOGOUT in H and {k for _, k in H.nodes(data="kind")} <= {"disease", "finding"}
    res = runner.invoke(main, ["export", "--format", "json", "--out", str(tmp_path / "x.json"), "--focus", "pseudogut"])
    assert res.exit_code == 2
    assert "pseudogout" in res.output
    assert not (tmp_path / "x.json").exists()
    res = runner.invoke(main, ["draw", "--out", str(tmp_path / "x.png")])
    assert res.exit_code == 64


def test_cli_draw_saved_diagnosis(tmp_path):
    saved = tmp_path / "diagnosis.json"
    saved.write_text(
        json.dumps(
            {
                "case": "c1",
                "differential": [
                    {
                        "label": "pseudogout",
                        "probability": 0.8,
                        "for": [{"finding": "fever", "observed": "present"}],
                        "against": [],
                    }
                ],
            }
        )
    )
    res = CliRunner().invoke(main, ["draw", "--case", str(saved), "--out", str(tmp_path / "c.png")])
    assert res.exit_code == 0, res.output
    assert _png(tmp_path / "c.png")[0][0] == 1400


# --- the HTML page in a real browser --------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; installed with apt-get when missing and we are root, else the browser tests skip."""
    if not os.path.exists(CHROMIUM):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip(f"{CHROMIUM} is missing and we are not root to `apt-get install chromium`")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True, timeout=600)
        res = subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True, text=True, timeout=1200
        )
        if res.returncode != 0 or not os.path.exists(CHROMIUM):
            pytest.fail(f"apt-get install chromium failed: {res.stderr[-2000:]}")
    return CHROMIUM


def test_html_is_self_contained(G, tmp_path):
    out = tmp_path / "g.html"
    write_graph(G, out, "html")
    text = out.read_text()
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", text, re.I)
    assert "@import" not in text and "url(http" not in text
    assert text.count("<script") == 2  # the embedded data and the embedded code


def test_html_page_in_headless_chromium(G, chromium, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser client (playwright) is not installed")
    out = tmp_path / "calcgraph.html"
    write_graph(G, out, "html")
    ARTIFACTS.mkdir(exist_ok=True)
    profile = tempfile.mkdtemp(prefix="calcgraph-chromium-")
    requests: list[str] = []
    errors: list[str] = []
    try:
        with sync_api.sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile,
                executable_path=chromium,
                # playwright passes --headless and --user-data-dir=<profile> itself (it refuses them in args)
                args=[a for a in CHROMIUM_ARGS if a != "--headless"],
                headless=True,
                offline=True,
                viewport={"width": 1400, "height": 900},
            )
            try:
                page = ctx.new_page()
                page.on("request", lambda r: requests.append(r.url))
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(out.as_uri())
                page.wait_for_selector("body[data-ready=true]", timeout=30_000)
                # the nodes are drawn: one SVG group per node, with a visible circle
                assert page.locator("g.node").count() == G.number_of_nodes()
                box = page.locator(f'g.node[data-id="{PSEUDOGOUT}"] circle').bounding_box()
                assert box and box["width"] > 3
                # a search finds a node and shows its annotations and neighbours
                page.fill("#search", "pseudogout")
                page.press("#search", "Enter")
                assert page.inner_text("#details-title") == "pseudogout"
                assert page.get_attribute("#graph", "data-selected") == PSEUDOGOUT
                details = page.inner_text("#details")
                assert "McCarty type" in details and "septic arthritis" in details
                # a partial search lists the matches
                page.fill("#search", "synovial fluid")
                page.press("#search", "Enter")
                assert page.locator("#search-results a.nb").count() >= 3
                # clicking a node selects it
                page.locator('g.node[data-id="CALCGRAPH:0001030"]').dispatch_event("click")
                assert page.inner_text("#details-title") == "septic arthritis"
                page.screenshot(path=str(ARTIFACTS / "export-html.png"))
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert not errors, errors
    assert [u for u in requests if not u.startswith("file:")] == [], "the page tried to use the network"
    assert (ARTIFACTS / "export-html.png").stat().st_size > 10_000


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_dot_renders_with_graphviz(G, tmp_path):
    out = tmp_path / "f.dot"
    write_graph(focus_subgraph(G, PSEUDOGOUT, 1), out, "dot")
    res = subprocess.run(["dot", "-Tsvg", str(out)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert ">pseudogout</text>" in res.stdout


def test_read_dot_rejects_an_edge_into_a_subgraph(tmp_path: Path) -> None:
    path = tmp_path / "subgraph.dot"
    path.write_text('digraph g { "a" -> { "b" "c" } }\n', encoding="utf-8")
    with pytest.raises(ExportError, match="subgraph"):
        read_dot(path)
