"""The rdflib SPARQLStore recipe of docs/sparql.md, run as written against a real server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from calcgraph.server import OxigraphServer, check_port_free

DOC = Path(__file__).resolve().parents[1] / "docs" / "sparql.md"


def recipe() -> str:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    (block,) = [b for b in blocks if "SPARQLStore" in b]
    return block


def test_the_rdflib_sparqlstore_recipe_works_on_a_read_only_server() -> None:
    code = recipe()
    assert "http://127.0.0.1:7878/query" in code
    server = OxigraphServer()  # a free port on 127.0.0.1, read-only, like `calcgraph serve`
    with server:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code.replace("http://127.0.0.1:7878/query", server.query_url), str(DOC), "exec"), {})
    assert out.getvalue().strip() == "True ['https://w3id.org/calcgraph/CALCGRAPH_0001021']"
    assert server.process is not None and server.process.poll() is not None  # stopped
    check_port_free(server.port)


def test_calcinosis_causes_of_a_leaf_subtype_includes_the_subtype_itself() -> None:
    """The query says 'itself included': a subtype with no subclasses still lists its own causes."""
    from calcgraph import query as q

    path = q.find_query("calcinosis-causes")
    leaf = q.run_query(path, {"parent": ["metastatic calcinosis cutis"]})
    assert len(leaf) == 11
    subtypes = {str(r["subtype"]) for r in leaf.as_dicts()}
    assert subtypes == {"https://w3id.org/calcgraph/CALCGRAPH_0001011"}
    everything = q.run_query(path, {})  # default parent: calcinosis cutis, with all its subtypes
    assert "https://w3id.org/calcgraph/CALCGRAPH_0001011" in {str(r["subtype"]) for r in everything.as_dicts()}
