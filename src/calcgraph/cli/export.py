"""``calcgraph export`` and ``calcgraph draw``: the knowledge graph for Gephi, Cytoscape, yEd, Graphviz and a browser,
and pictures of a disease's differential or of a diagnosed case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from calcgraph.errors import CaseError, ExportError, MissingFeatureError, UsageError
from calcgraph.export import FORMATS, write_graph
from calcgraph.graph import KINDS, filter_kinds, focus_subgraph, load_knowledge_graph, resolve_node


def _kinds(value: str | None) -> list[str] | None:
    if not value:
        return None
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise UsageError(f"--kinds: unknown kind(s) {', '.join(map(repr, unknown))}", hint="kinds: " + ", ".join(KINDS))
    return kinds


ontology_option = click.option(
    "--ontology",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Ontology file to read (default: the release ontology/calcgraph.ttl).",
)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), required=True, help="Output format.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="File to write.")
@click.option("--focus", default=None, help="Only the neighbourhood of this class (label, synonym or CURIE).")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True, help="Hops around --focus.")
@click.option("--kinds", default=None, help="Comma-separated node kinds to keep: " + ", ".join(KINDS) + ".")
@ontology_option
def export_command(
    fmt: str, out: Path, focus: str | None, depth: int, kinds: str | None, ontology: Path | None
) -> None:
    """Export the knowledge graph (whole, or the neighbourhood of one class) as GraphML, GEXF, Cytoscape JSON,
    node-link JSON, DOT or a self-contained HTML page."""
    wanted = _kinds(kinds)
    G = load_knowledge_graph(ontology)
    if focus:
        node = resolve_node(G, focus)
        H = focus_subgraph(G, node, depth, kinds=wanted)
        H.graph["name"] = f"calcgraph: {G.nodes[node]['label']} ({depth} hop{'s' if depth != 1 else ''})"
    else:
        H = filter_kinds(G, wanted)
    write_graph(H, out, fmt)
    click.echo(f"wrote {out} ({fmt}: {H.number_of_nodes()} nodes, {H.number_of_edges()} edges)")


def _finding_name(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("finding"), str):
        return item["finding"] + (" (absent)" if item.get("observed") == "absent" else "")
    raise ExportError(f"cannot read a finding from {item!r}")


def candidates_from_diagnosis(result: Any) -> list[dict[str, Any]]:
    """The plain candidate list :func:`calcgraph.draw.draw_case` draws, from a diagnosis result
    (``{"differential": [...]}`` as :func:`calcgraph.diagnose.diagnose` returns it) or a plain candidate list."""
    if isinstance(result, dict):
        result = result.get("differential", result.get("candidates"))
    if not isinstance(result, list):
        raise ExportError("a diagnosis must be a list of candidates or an object with a 'differential' list")
    out = []
    for cand in result:
        if not isinstance(cand, dict):
            raise ExportError(f"cannot read a candidate from {cand!r}")
        out.append(
            {
                "label": cand.get("label"),
                "probability": cand.get("probability", 0.0),
                "for": [_finding_name(x) for x in cand.get("for", [])],
                "against": [_finding_name(x) for x in cand.get("against", [])],
            }
        )
    return out


def _diagnose_case(case_path: Path, ontology: Path | None) -> tuple[str, list[dict[str, Any]]]:
    """Run the diagnosis engine (issue 4) on a case file; a ``.json`` file holding a saved diagnosis is drawn as is."""
    if case_path.suffix.lower() == ".json":
        try:
            data = json.loads(case_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CaseError(str(case_path), f"cannot read JSON: {exc}") from exc
        if isinstance(data, list) or (isinstance(data, dict) and ("differential" in data or "candidates" in data)):
            return str(data.get("case", case_path.stem) if isinstance(data, dict) else case_path.stem), (
                candidates_from_diagnosis(data)
            )
    try:
        from calcgraph import diagnose as dx
        from calcgraph.knowledge import knowledge_base
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("calcgraph"):
            raise MissingFeatureError(
                "`draw --case` needs the diagnosis engine (calcgraph.diagnose), which is not installed yet",
                hint="draw a saved diagnosis instead: a JSON list of {label, probability, for, against}",
            ) from exc
        raise
    from rdflib import Graph

    from calcgraph import paths
    from calcgraph.cases import FindingIndex, load_case_file

    source = ontology or paths.release_ttl()
    g = Graph().parse(source, format="xml" if source.suffix.lower() in {".owl", ".rdf"} else "turtle")
    case = load_case_file(case_path, FindingIndex.from_graph(g))
    try:
        result = dx.diagnose(dx.build_model(knowledge_base(g)), case.present, case.absent, case_id=case.id)
    except (AttributeError, TypeError) as exc:
        raise MissingFeatureError(f"calcgraph.diagnose does not offer the interface `draw --case` uses: {exc}") from exc
    return case.id, candidates_from_diagnosis(result)


@click.command("draw")
@click.option("--focus", default=None, help="Draw the differential neighbourhood of this disease (label or CURIE).")
@click.option(
    "--case",
    "case_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Diagnose this case file and draw the top candidates with the findings for and against each.",
)
@click.option("--docs", is_flag=True, help="Regenerate the pictures in docs/pictures/.")
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Picture to write (.png/.svg)."
)
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True, help="Hops around --focus.")
@click.option("--kinds", default=None, help="Comma-separated node kinds to keep with --focus.")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True, help="Candidates drawn with --case.")
@ontology_option
def draw_command(
    focus: str | None,
    case_path: Path | None,
    docs: bool,
    out: Path | None,
    depth: int,
    kinds: str | None,
    top: int,
    ontology: Path | None,
) -> None:
    """Draw a picture: one disease's differential neighbourhood (--focus), a diagnosed case (--case), or the
    documentation pictures (--docs)."""
    from calcgraph import draw

    if sum(x is not None and x is not False for x in (focus, case_path, docs or None)) != 1:
        raise UsageError("give exactly one of --focus, --case or --docs")
    if docs:
        for path in draw.draw_docs(load_knowledge_graph(ontology)):
            click.echo(f"wrote {path}")
        return
    if out is None:
        raise UsageError("--out FILE.png (or .svg) is required with --focus and --case")
    if focus:
        G = load_knowledge_graph(ontology)
        w, h = draw.draw_focus(G, focus, out, depth=depth, kinds=_kinds(kinds))
    else:
        assert case_path is not None
        case_id, candidates = _diagnose_case(case_path, ontology)
        w, h = draw.draw_case(candidates, out, top=top, title=f"Diagnosed case {case_id}: top {top} candidates")
    click.echo(f"wrote {out} ({w} x {h} px)")


COMMANDS = [export_command, draw_command]
