"""Write the knowledge graph for other tools: GraphML (yEd, Cytoscape), GEXF (Gephi), Cytoscape JSON, node-link JSON,
DOT (Graphviz) and a self-contained HTML page to explore it offline.

Every writer serialises through :mod:`calcgraph.io`'s atomic writes, so a failure part-way leaves no partial file and
keeps any previous one. Attributes are checked first: GraphML and GEXF hold scalars only, and a list-valued attribute
would otherwise fail in the middle of the write.

>>> import networkx as nx, tempfile, pathlib
>>> G = nx.MultiDiGraph()
>>> G.add_node("CALCGRAPH:0001021", label="pseudogout", kind="disease")
>>> G.add_node("CALCGRAPH:0003101", label="CPP crystals", kind="finding")
>>> _ = G.add_edge("CALCGRAPH:0003101", "CALCGRAPH:0001021", key="typical_finding", type="typical_finding")
>>> out = pathlib.Path(tempfile.mkdtemp()) / "g.dot"
>>> write_graph(G, out, "dot")
>>> H = read_dot(out)
>>> sorted(H.nodes), H.nodes["CALCGRAPH:0001021"]["label"]
(['CALCGRAPH:0001021', 'CALCGRAPH:0003101'], 'pseudogout')
"""

from __future__ import annotations

import html
import json
import math
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import networkx as nx

from calcgraph.errors import ExportError, MissingFeatureError
from calcgraph.graph import EDGE_TYPES, FIGURES, KINDS
from calcgraph.io import atomic_write, atomic_write_text

#: Format name -> usual file suffix.
FORMATS = {
    "graphml": ".graphml",
    "gexf": ".gexf",
    "cytoscape": ".cyjs",
    "json": ".json",
    "dot": ".dot",
    "html": ".html",
}

#: Colours by node kind (colour-blind-safe Okabe-Ito palette) and by edge type; shared with :mod:`calcgraph.draw`.
KIND_COLOURS = {
    "disease": "#0072B2",
    "cause": "#E69F00",
    "finding": "#009E73",
    "finding category": "#999999",
}
EDGE_COLOURS = {
    "subclass_of": "#9a9a9a",
    "typical_finding": "#009E73",
    "diagnostic_finding": "#005a3c",
    "argues_against": "#D55E00",
    "causes": "#E69F00",
    "predisposes_to": "#CC79A7",
    "differential_of": "#0072B2",
    "can_coexist_with": "#56B4E9",
    "distinguishes": "#6a3d9a",
}

SCALARS = (str, int, float, bool)

# Attributes the DOT writer adds for Graphviz; read_dot drops them again.
_DOT_STYLE = {"shape", "style", "fillcolor", "color", "fontcolor", "fontname", "penwidth"}
_FLOAT_ATTRS = set(FIGURES.values())
_BOOL_ATTRS = {"seed_only"}


def check_scalars(G: nx.Graph) -> None:
    """Raise :class:`ExportError` naming the first node or edge attribute that is not a str, int, float or bool."""
    for node, data in G.nodes(data=True):
        if not isinstance(node, str):
            raise ExportError(f"node {node!r}: node identifiers must be strings")
        for key, value in data.items():
            if not isinstance(value, SCALARS) or (isinstance(value, float) and not math.isfinite(value)):
                raise ExportError(f"node {node}: attribute {key!r} is a {type(value).__name__}, not a scalar")
    for u, v, k, data in G.edges(keys=True, data=True):
        for key, value in data.items():
            if not isinstance(value, SCALARS) or (isinstance(value, float) and not math.isfinite(value)):
                raise ExportError(f"edge {u} -> {v} ({k}): attribute {key!r} is a {type(value).__name__}, not a scalar")


def _write_chunks(path: Path, chunks: Iterable[str]) -> None:
    """Stream text chunks into ``path`` atomically: an exception part-way leaves the previous file untouched."""
    with atomic_write(path) as fh:
        for chunk in chunks:
            fh.write(chunk)


def _lines(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        yield line + "\n"


# --- GraphML, GEXF, JSON -------------------------------------------------------------------------------------------


def graphml_chunks(G: nx.MultiDiGraph) -> Iterator[str]:
    return _lines(nx.generate_graphml(G, prettyprint=True))


def _gexf_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """GEXF reserves the edge attribute ``type`` for the direction: the edge type goes into the GEXF edge label (which
    Gephi shows) and node colours into ``viz``."""
    H = nx.MultiDiGraph(**G.graph)
    for node, data in G.nodes(data=True):
        colour = KIND_COLOURS.get(str(data.get("kind")), "#777777")
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        H.add_node(node, **data, viz={"color": {"r": r, "g": g, "b": b, "a": 1.0}})
    for u, v, k, data in G.edges(keys=True, data=True):
        attrs = dict(data)
        if "type" in attrs:
            attrs["label"] = attrs.pop("type")
        H.add_edge(u, v, key=k, **attrs)
    return H


def gexf_chunks(G: nx.MultiDiGraph) -> Iterator[str]:
    return _lines(nx.generate_gexf(_gexf_graph(G), prettyprint=True))


def cytoscape_text(G: nx.MultiDiGraph) -> str:
    data = nx.cytoscape_data(G, name="label")
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def node_link_text(G: nx.MultiDiGraph) -> str:
    data = nx.node_link_data(G, edges="edges")
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def read_node_link(path: Path) -> nx.MultiDiGraph:
    """Read a node-link JSON file written by :func:`write_graph` back into a ``MultiDiGraph``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")


# --- DOT -----------------------------------------------------------------------------------------------------------


def _dot_quote(value: object) -> str:
    """A DOT double-quoted string: always quoted, as pydot reads an unquoted ``MONDO:0001`` as node ``MONDO``."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _dot_unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        out, i, body = [], 0, value[1:-1]
        while i < len(body):
            if body[i] == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                out.append({"n": "\n", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
                i += 2
            else:
                out.append(body[i])
                i += 1
        return "".join(out)
    return value


def dot_text(G: nx.MultiDiGraph) -> str:
    import pydot

    dot = pydot.Dot("calcgraph", graph_type="digraph", strict=False)
    dot.set_graph_defaults(rankdir="LR", overlap="false", splines="true")
    dot.set_node_defaults(fontname="Helvetica", fontsize="10")
    for node, data in G.nodes(data=True):
        attrs: dict[str, str] = {k: _dot_quote(v) for k, v in data.items()}
        colour = KIND_COLOURS.get(str(data.get("kind")), "#777777")
        attrs.update(shape='"box"', style='"rounded,filled"', fillcolor=_dot_quote(colour), fontcolor='"white"')
        dot.add_node(pydot.Node(_dot_quote(node), obj_dict=None, **attrs))
    for u, v, k, data in G.edges(keys=True, data=True):
        attrs = {name: _dot_quote(value) for name, value in data.items()}
        attrs["key"] = _dot_quote(k)
        attrs["color"] = _dot_quote(EDGE_COLOURS.get(str(data.get("type")), "#777777"))
        dot.add_edge(pydot.Edge(_dot_quote(u), _dot_quote(v), obj_dict=None, **attrs))
    return dot.to_string()


def _typed(name: str, value: str) -> object:
    if name in _FLOAT_ATTRS:
        return float(value)
    if name in _BOOL_ATTRS:
        return value == "true"
    return value


def read_dot(path: Path) -> nx.MultiDiGraph:
    """Read a DOT file written by :func:`write_graph` (with pydot) back into a ``MultiDiGraph``, figures as floats."""
    import pydot

    with warnings.catch_warnings():  # pydot's parser uses pyparsing names that pyparsing 3.2+ deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        graphs = pydot.graph_from_dot_file(str(path))
    if not graphs:
        raise ExportError(f"{path}: not a DOT file")
    dot = graphs[0]
    G = nx.MultiDiGraph()
    for node in dot.get_nodes():
        name = _dot_unquote(node.get_name())
        if name in {"node", "edge", "graph"}:
            continue  # defaults statements
        attrs = {k: _typed(k, _dot_unquote(v)) for k, v in node.get_attributes().items() if k not in _DOT_STYLE}
        G.add_node(name, **attrs)
    for edge in dot.get_edges():
        attrs = {k: _typed(k, _dot_unquote(v)) for k, v in edge.get_attributes().items() if k not in _DOT_STYLE}
        key = attrs.pop("key", None)
        G.add_edge(
            _dot_endpoint(path, edge.get_source()), _dot_endpoint(path, edge.get_destination()), key=key, **attrs
        )
    return G


def _dot_endpoint(path: Path, value: object) -> str:
    """The node name at one end of an edge read by pydot (a subgraph end, as in ``a -> {b c}``, is a dict)."""
    if not isinstance(value, str):
        raise ExportError(f"{path}: an edge ends in a subgraph, not a node; only node-to-node edges can be read")
    return _dot_unquote(value)


# --- HTML ----------------------------------------------------------------------------------------------------------


def _layout(G: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Deterministic 2-D positions in [0, 1000] for the page (spring layout on the undirected simple graph)."""
    if G.number_of_nodes() == 0:
        return {}
    simple = nx.Graph(G.to_undirected(as_view=True))
    pos = nx.spring_layout(simple, seed=7, k=1.6 / math.sqrt(max(len(simple), 1)), iterations=200)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = (x1 - x0) or 1.0
    sy = (y1 - y0) or 1.0
    return {n: (round(40 + 920 * (p[0] - x0) / sx, 1), round(40 + 920 * (p[1] - y0) / sy, 1)) for n, p in pos.items()}


def html_page_data(G: nx.MultiDiGraph) -> dict[str, object]:
    """The JSON the page embeds: nodes with positions and attributes, edges with their attributes."""
    pos = _layout(G)
    nodes = [{"id": n, "x": pos[n][0], "y": pos[n][1], **data} for n, data in G.nodes(data=True)]
    edges = [{"source": u, "target": v, "key": str(k), **data} for u, v, k, data in G.edges(keys=True, data=True)]
    return {
        "name": str(G.graph.get("name", "calcgraph")),
        "nodes": nodes,
        "edges": edges,
        "kindColours": KIND_COLOURS,
        "edgeColours": EDGE_COLOURS,
        "kinds": list(KINDS),
        "edgeTypes": list(EDGE_TYPES),
    }


#: The page: CSS and plain JavaScript, no third-party code; ``__TITLE__`` and ``__DATA__`` are filled in.
HTML_TEMPLATE = Path(__file__).with_name("templates") / "explore.html"


def html_text(G: nx.MultiDiGraph, title: str = "calcgraph knowledge graph") -> str:
    """A self-contained page (no external scripts, styles or fonts) to search and explore the graph offline."""
    data = json.dumps(html_page_data(G), ensure_ascii=False, separators=(",", ":"))
    # Inside <script>, "</" could close the element early; "<!--" could open a comment.
    data = data.replace("</", "<\\/").replace("<!--", "<\\!--")
    template = HTML_TEMPLATE.read_text(encoding="utf-8")
    return template.replace("__TITLE__", html.escape(title)).replace("__DATA__", data)


# --- dispatch ------------------------------------------------------------------------------------------------------

_WRITERS: dict[str, Callable[[nx.MultiDiGraph], Iterable[str] | str]] = {
    "graphml": graphml_chunks,
    "gexf": gexf_chunks,
    "cytoscape": cytoscape_text,
    "json": node_link_text,
    "dot": dot_text,
    "html": html_text,
}


def write_graph(G: nx.MultiDiGraph, path: Path | str, fmt: str, *, check: bool = True) -> None:
    """Write ``G`` to ``path`` in format ``fmt`` (one of :data:`FORMATS`), atomically.

    ``check=False`` skips the scalar check (tests use it to show that a failure mid-write keeps the previous file).
    """
    if fmt not in _WRITERS:
        raise ExportError(f"unknown export format {fmt!r}", hint="choose one of: " + ", ".join(FORMATS))
    if check:
        check_scalars(G)
    path = Path(path)
    try:
        output = _WRITERS[fmt](G)
        if isinstance(output, str):
            atomic_write_text(path, output)
        else:
            _write_chunks(path, output)
    except ModuleNotFoundError as exc:
        raise MissingFeatureError(
            f"export to {fmt} needs the Python package {exc.name!r}", hint="pip install 'calcgraph[viz]'"
        ) from exc
    except OSError as exc:
        raise ExportError(f"{path}: cannot write: {exc.strerror or exc}") from exc
