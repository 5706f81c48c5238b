"""Pictures (PNG or SVG, drawn with matplotlib) of one disease's differential neighbourhood and of a diagnosed case.

* :func:`draw_focus`: the disease in the centre, the diseases it is related to on an inner ring, its findings, causes
  and categories on an outer ring; colours by kind, edges by relation, wrapped labels, a legend.
* :func:`draw_case`: the top candidates of a diagnosis and the findings for (green) and against (red) each.
* ``python -m calcgraph.draw --docs`` regenerates the pictures in ``docs/pictures/``.

Every file is written atomically (:mod:`calcgraph.io`).
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from calcgraph.errors import ExportError, MissingFeatureError
from calcgraph.export import EDGE_COLOURS, KIND_COLOURS
from calcgraph.graph import EDGE_TYPES, KINDS, focus_subgraph, resolve_node
from calcgraph.io import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from matplotlib.typing import LineStyleType

#: Default picture size of :func:`draw_focus`, in inches, and resolution: 1600 x 1300 pixels.
FOCUS_SIZE = (16.0, 13.0)
DPI = 100
#: Half-axes of the ellipses the inner (diseases) and outer (findings, causes) rings of :func:`draw_focus` lie on.
INNER = (1.45, 1.15)
OUTER = (2.6, 2.3)

#: Diseases pictured in ``docs/pictures/`` (labels of the ontology), with the file stem of each picture.
DOC_DISEASES = {
    "pseudogout": "pseudogout",
    "pseudo-rheumatoid CPPD": "pseudo-rheumatoid-cppd",
    "metastatic calcinosis cutis": "metastatic-calcinosis-cutis",
    "dystrophic calcinosis cutis": "dystrophic-calcinosis-cutis",
    "septic arthritis": "septic-arthritis",
}

_EDGE_STYLE: dict[str, LineStyleType] = {
    "subclass_of": "dashed",
    "distinguishes": "dotted",
    "argues_against": "dashdot",
}
_EDGE_NAMES = {t: t.replace("_", " ") for t in EDGE_TYPES}
_EDGE_NAMES["subclass_of"] = "subclass of"
_EDGE_NAMES["distinguishes"] = "distinguishes (favours)"


def _mpl() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the installation
        raise MissingFeatureError("drawing needs matplotlib", hint="pip install 'calcgraph[viz]'") from exc
    return Figure


def _save(fig: Any, out_path: Path) -> None:
    out_path = Path(out_path)
    fmt = out_path.suffix.lower().lstrip(".")
    if fmt not in {"png", "svg", "pdf"}:
        raise ExportError(f"{out_path}: unknown picture format {fmt!r}", hint="use a .png, .svg or .pdf file name")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=fig.dpi, facecolor="white")
    try:
        atomic_write_bytes(out_path, buf.getvalue())
    except OSError as exc:
        raise ExportError(f"{out_path}: cannot write: {exc.strerror or exc}") from exc


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _percent(p: float) -> str:
    """``0.72`` -> ``'72%'``; a small non-zero probability is ``'<1%'``, not ``'0%'``."""
    return "<1%" if 0 < p < 0.005 else f"{p:.0%}"


def _node_handle(colour: str, size: float, label: str) -> Any:
    """A legend entry for a node: a white-edged dot of ``colour``."""
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        marker="o",
        linestyle="none",
        markersize=size,
        markerfacecolor=colour,
        markeredgecolor="white",
        label=label,
    )


def _circular_mean(angles: Sequence[float]) -> float:
    return math.atan2(sum(math.sin(a) for a in angles), sum(math.cos(a) for a in angles)) % (2 * math.pi)


def focus_layout(H: nx.MultiDiGraph, node: str) -> dict[str, tuple[float, float]]:
    """Positions: ``node`` at the centre, other diseases on a ring of radius 1, everything else on a ring of radius 2,
    each outer node placed near the inner diseases it is linked to (fewer crossings)."""
    inner = sorted(
        (n for n in H if n != node and H.nodes[n].get("kind") == "disease"), key=lambda n: H.nodes[n]["label"]
    )
    outer = [n for n in H if n != node and n not in inner]
    pos: dict[str, tuple[float, float]] = {node: (0.0, 0.0)}
    angle: dict[str, float] = {}
    for i, n in enumerate(inner):
        a = math.pi / 2 - 2 * math.pi * i / max(len(inner), 1)
        angle[n] = a % (2 * math.pi)
        pos[n] = (INNER[0] * math.cos(a), INNER[1] * math.sin(a))
    inner_set = set(inner)

    def key(n: str) -> tuple[float, str, str]:
        linked = [angle[m] for m in nx.all_neighbors(H, n) if m in inner_set]
        first = _circular_mean(linked) if linked else 7.0  # linked to the focus only: one sector of their own
        kind = str(H.nodes[n].get("kind"))
        return (first, kind, str(H.nodes[n].get("label")))

    ordered = sorted(outer, key=key)
    # The odd offset keeps outer nodes off the angles of the inner diseases, so that no edge runs through a disease.
    for i, n in enumerate(ordered):
        a = math.pi / 2 - 2 * math.pi * (i + 0.37) / max(len(ordered), 1)
        pos[n] = (OUTER[0] * math.cos(a), OUTER[1] * math.sin(a))
    return pos


def draw_focus(
    G: nx.MultiDiGraph,
    node: str,
    out_path: Path | str,
    *,
    depth: int = 1,
    kinds: Sequence[str] | None = None,
    title: str | None = None,
    size: tuple[float, float] = FOCUS_SIZE,
    dpi: int = DPI,
) -> tuple[int, int]:
    """Draw the neighbourhood of one disease (``node``: CURIE, label or synonym) and return the picture's pixel size."""
    Figure = _mpl()
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    node = resolve_node(G, node)
    H = focus_subgraph(G, node, depth, kinds=kinds)
    pos = focus_layout(H, node)
    fig = Figure(figsize=size, dpi=dpi)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.94))
    ax.set_xlim(-3.9, 3.9)
    ax.set_ylim(-2.95, 2.85)
    ax.set_aspect("equal")
    ax.axis("off")

    def radius(n: str) -> float:
        return 60.0 if n == node else 20.0 if H.nodes[n].get("kind") == "disease" else 11.0

    # Edges: one arrow per edge; parallel edges between the same pair bend apart.
    seen: dict[frozenset[str], int] = {}
    for u, v, data in sorted(H.edges(data=True), key=lambda e: EDGE_TYPES.index(e[2].get("type", "subclass_of"))):
        etype = str(data.get("type"))
        pair = frozenset((u, v))
        rank = seen.get(pair, 0)
        seen[pair] = rank + 1
        rad = 0.0 if rank == 0 else (0.12 * ((rank + 1) // 2)) * (1 if rank % 2 else -1)
        ax.add_patch(
            FancyArrowPatch(
                pos[u],
                pos[v],
                arrowstyle="-|>",
                mutation_scale=11,
                connectionstyle=f"arc3,rad={rad}",
                color=EDGE_COLOURS.get(etype, "#777777"),
                linestyle=_EDGE_STYLE.get(etype, "solid"),
                linewidth=1.6 if etype != "subclass_of" else 1.1,
                alpha=0.75,
                shrinkA=radius(u) * 0.55,
                shrinkB=radius(v) * 0.55,
                zorder=1,
            )
        )

    # Nodes and labels.
    for n, (x, y) in pos.items():
        data = H.nodes[n]
        kind = str(data.get("kind"))
        colour = KIND_COLOURS.get(kind, "#777777")
        if n != node:
            ax.scatter([x], [y], s=radius(n) ** 2, c=colour, edgecolors="white", linewidths=1.2, zorder=3)
        label = str(data.get("label", n))
        if data.get("mccarty_type"):
            label += f" (McCarty {data['mccarty_type']})"
        if n == node:  # the focus is a labelled box in the centre, drawn over the arrows that end in it
            ax.annotate(
                _wrap(label, 22),
                (x, y),
                ha="center",
                va="center",
                fontsize=15,
                fontweight="bold",
                zorder=6,
                bbox={"boxstyle": "round,pad=0.5", "fc": "#e8f1fa", "ec": "black", "lw": 2},
            )
        elif kind == "disease":
            ax.annotate(
                _wrap(label, 20),
                (x, y),
                xytext=(0, 16),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=12.5,
                fontweight="bold",
                color="#0b3d66",
                zorder=5,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
            )
        else:
            a = math.atan2(y / OUTER[1], x / OUTER[0])
            dx, dy = math.cos(a) * 10, math.sin(a) * 10
            upright = abs(math.cos(a)) < 0.45  # near the top or bottom: neighbours are close, wrap narrow and centre
            ha = "center" if upright else "left" if math.cos(a) > 0 else "right"
            va = ("bottom" if math.sin(a) > 0 else "top") if upright else "center"
            ax.annotate(
                _wrap(label, 15 if upright else 26),
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=11,
                zorder=4,
                color="#111111",
                linespacing=1.05,
            )

    # Legend: kinds present, then edge types present.
    kinds_present = [k for k in KINDS if any(d == k for _, d in H.nodes(data="kind"))]
    types_present = [t for t in EDGE_TYPES if any(d == t for *_, d in H.edges(data="type"))]
    handles = [_node_handle(KIND_COLOURS[k], 11, k) for k in kinds_present] + [
        Line2D(
            [], [], color=EDGE_COLOURS[t], linestyle=_EDGE_STYLE.get(t, "solid"), linewidth=2.2, label=_EDGE_NAMES[t]
        )
        for t in types_present
    ]
    ax.legend(
        handles=handles,
        loc="lower left",
        fontsize=11,
        frameon=True,
        framealpha=0.92,
        title="legend",
        title_fontsize=11,
        borderpad=0.8,
    )
    label = str(H.nodes[node].get("label", node))
    fig.suptitle(
        title or f"{label}: differential neighbourhood ({node}, {depth} hop{'s' if depth != 1 else ''})",
        fontsize=18,
        fontweight="bold",
        y=0.985,
    )
    fig.text(
        0.99,
        0.01,
        "arrows: finding → disease it points to; cause → what it causes; subclass → superclass",
        ha="right",
        va="bottom",
        fontsize=10,
        color="#555555",
    )
    _save(fig, Path(out_path))
    return round(size[0] * dpi), round(size[1] * dpi)


def _validate_candidates(candidates: Any) -> list[dict[str, Any]]:
    if not isinstance(candidates, Sequence) or isinstance(candidates, str):
        raise ExportError("a diagnosis to draw must be a list of candidates")
    out = []
    for i, cand in enumerate(candidates):
        where = f"candidate {i + 1}"
        if not isinstance(cand, Mapping) or not isinstance(cand.get("label"), str):
            raise ExportError(f"{where}: needs a 'label' (string)")
        prob = cand.get("probability", 0.0)
        if isinstance(prob, bool) or not isinstance(prob, int | float) or not 0.0 <= float(prob) <= 1.0:
            raise ExportError(f"{where} ({cand['label']}): 'probability' must be a number between 0 and 1")
        lists = {}
        for key in ("for", "against"):
            value = cand.get(key, [])
            if not isinstance(value, Sequence) or isinstance(value, str) or not all(isinstance(x, str) for x in value):
                raise ExportError(f"{where} ({cand['label']}): {key!r} must be a list of finding labels")
            lists[key] = list(value)
        out.append({"label": cand["label"], "probability": float(prob), **lists})
    return out


def draw_case(
    candidates: Sequence[Mapping[str, Any]],
    out_path: Path | str,
    *,
    top: int = 5,
    title: str = "Diagnosed case",
    dpi: int = DPI,
) -> tuple[int, int]:
    """Draw the ``top`` candidates of a diagnosis and the findings for and against each; return the pixel size.

    ``candidates``: ``[{"label": str, "probability": float, "for": [finding labels], "against": [finding labels]}]``.
    Findings are listed on the left, candidates (with a probability bar) on the right; a green line joins a finding to
    a candidate it supports, a dashed red line to one it argues against.
    """
    Figure = _mpl()
    from matplotlib.lines import Line2D

    cands = sorted(_validate_candidates(candidates), key=lambda c: -c["probability"])[: max(top, 1)]
    if not cands:
        raise ExportError("the diagnosis has no candidates to draw")
    findings: list[str] = []
    for c in cands:
        for f in [*c["for"], *c["against"]]:
            if f not in findings:
                findings.append(f)
    # Vertical space in inches: 0.55 per finding, 1.0 per candidate (label, bar), plus title and legend.
    rows = max(0.55 * len(findings), 1.0 * len(cands), 3.0)
    width, height = 14.0, rows + 1.6
    fig = Figure(figsize=(width, height), dpi=dpi)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0 - 0.8 / height))
    ax.set_xlim(0, 14)
    ax.set_ylim(-0.8, rows)
    ax.axis("off")

    def ys(n: int) -> list[float]:
        step = rows / n
        return [rows - step * (i + 0.5) for i in range(n)]

    fy = dict(zip(findings, ys(len(findings)), strict=True))
    cy = ys(len(cands))
    fx, cx = 4.6, 8.6
    for i, c in enumerate(cands):
        for f in c["for"]:
            ax.plot([fx, cx], [fy[f], cy[i]], color="#1a9850", linewidth=2.0, alpha=0.8, zorder=1)
        for f in c["against"]:
            ax.plot([fx, cx], [fy[f], cy[i]], color="#d73027", linewidth=2.0, linestyle="--", alpha=0.8, zorder=1)
    ax.scatter(
        [fx] * len(findings), [fy[f] for f in findings], s=110, c=KIND_COLOURS["finding"], edgecolors="white", zorder=3
    )
    for f in findings:
        ax.text(fx - 0.2, fy[f], _wrap(f, 40), ha="right", va="center", fontsize=11)
    ax.scatter([cx] * len(cands), cy, s=260, c=KIND_COLOURS["disease"], edgecolors="white", zorder=3)
    for i, c in enumerate(cands):
        ax.text(
            cx + 0.25,
            cy[i] + 0.12,
            _wrap(f"{i + 1}. {c['label']}", 34),
            ha="left",
            va="bottom",
            fontsize=12,
            fontweight="bold",
        )
        ax.barh(cy[i] - 0.17, 3.0, height=0.2, left=cx + 0.25, color="#e6e6e6", zorder=2)
        ax.barh(cy[i] - 0.17, 3.0 * c["probability"], height=0.2, left=cx + 0.25, color="#0072B2", zorder=2)
        ax.text(cx + 3.35, cy[i] - 0.17, _percent(c["probability"]), ha="left", va="center", fontsize=11)
    handles = [
        Line2D([], [], color="#1a9850", linewidth=2.2, label="finding supports the candidate"),
        Line2D([], [], color="#d73027", linewidth=2.2, linestyle="--", label="finding argues against it"),
        _node_handle(KIND_COLOURS["finding"], 10, "finding of the case"),
        _node_handle(KIND_COLOURS["disease"], 12, "candidate diagnosis (bar: probability)"),
    ]
    ax.legend(handles=handles, loc="lower center", ncol=4, fontsize=10, frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(title, fontsize=16, fontweight="bold", y=1.0 - 0.2 / height)
    _save(fig, Path(out_path))
    return round(width * dpi), round(height * dpi)


def draw_docs(G: nx.MultiDiGraph, out_dir: Path | str | None = None) -> list[Path]:
    """Regenerate ``docs/pictures/``: one PNG per disease of :data:`DOC_DISEASES` and an index page."""
    from calcgraph import paths

    out = Path(out_dir) if out_dir is not None else paths.project_root() / "docs" / "pictures"
    written = []
    lines = [
        "# Pictures of differential neighbourhoods",
        "",
        "Generated by `calcgraph draw --docs` from the release ontology: do not edit by hand. Each picture shows one",
        "disease (centre), the diseases it is related to (inner ring) and its findings, causes and categories (outer",
        "ring); colours by kind, arrows by relation (see each legend).",
        "",
    ]
    for label, stem in DOC_DISEASES.items():
        path = out / f"{stem}.png"
        draw_focus(G, label, path)
        written.append(path)
        lines += [f"## {label}", "", f"![{label}]({stem}.png)", ""]
    index = out / "README.md"
    atomic_write_text(index, "\n".join(lines))
    written.append(index)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m calcgraph.draw --docs``: regenerate the documentation pictures."""
    import argparse

    from calcgraph.errors import CalcgraphError
    from calcgraph.graph import load_knowledge_graph

    parser = argparse.ArgumentParser(prog="python -m calcgraph.draw", description=main.__doc__)
    parser.add_argument("--docs", action="store_true", help="regenerate docs/pictures/ from the release ontology")
    parser.add_argument("--out-dir", type=Path, default=None, help="where to write them (default: docs/pictures/)")
    args = parser.parse_args(argv)
    if not args.docs:
        parser.print_help()
        return 64
    try:
        for path in draw_docs(load_knowledge_graph(), args.out_dir):
            print(f"wrote {path}")
    except CalcgraphError as exc:
        print(f"error: {exc}")
        return exc.exit_code
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
