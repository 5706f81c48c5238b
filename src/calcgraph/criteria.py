"""The 2023 ACR/EULAR classification criteria for CPPD disease (Abhishek, Tedeschi et al., PMID:37494275,
PMC10543651), applied to a :class:`calcgraph.cases.Case` (pure logic, no I/O).

Steps: entry criterion -> absolute exclusion -> sufficient criteria -> weighted domains, classified if the sum is
> 56 points. Only the points verified in the domain reference (``domain.md`` section 2.3) are scored: domains A-D.
The points of domains E-H (synovial fluid crystal analysis, hand/wrist OA on imaging, imaging evidence of CPPD,
number of joints with CPPD on imaging) could not be found verbatim in a citable source, so they are **not scored**
and this module never claims a classification that depends on them: without a sufficient criterion the weighted
classification is reported as undecided, with the score range from the verified domains.

Case findings map to criteria items by ontology label (resolved to IRIs through the case's
:class:`~calcgraph.cases.FindingIndex`); the mapping is :data:`MAPPING` and is documented in ``docs/diagnosis.md``.

>>> from calcgraph.cases import Case, FindingIndex
>>> labels = ["joint pain", "calcium pyrophosphate crystals in synovial fluid", "age over 60 years"]
>>> index = FindingIndex({l: f"x:{i}" for i, l in enumerate(labels)}, {f"x:{i}": l for i, l in enumerate(labels)})
>>> r = classify(Case("c1", ("x:0", "x:1"), ()), index)
>>> r["classification"], r["sufficient"]["met_by"]
('CPPD disease', ['calcium pyrophosphate crystals in synovial fluid'])
>>> r = classify(Case("c2", ("x:0", "x:2"), ()), index)
>>> r["classification"], r["verified_score"]
('undecided', {'min': -2, 'max': 35})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calcgraph.cases import Case, FindingIndex

CITATION = (
    "Abhishek A, Tedeschi SK, et al. The 2023 ACR/EULAR classification criteria for calcium pyrophosphate "
    "deposition disease. Arthritis Rheumatol 2023;75(10):1703-13 (PMID:37494275; PMC10543651); "
    "points of domains A-D as verified in domain.md section 2.3 (explorationpub tables 100769/t1, 100755/t1)"
)
THRESHOLD = 56

#: Criteria items -> ontology finding labels (the mapping; see docs/diagnosis.md).
MAPPING: Mapping[str, tuple[str, ...]] = {
    # entry: >= 1 episode of joint pain, swelling or tenderness (peripheral, or axial C1/C2 in crowned dens syndrome)
    "entry": (
        "joint pain",
        "joint swelling",
        "acute monoarthritis",
        "acute arthritis episodes",
        "chronic symmetric polyarthritis",
        "neck pain with fever",
    ),
    "entry_negated": ("no joint symptoms",),
    # sufficient (1): crowned dens syndrome, clinical AND imaging features
    "crowned_dens_clinical": ("neck pain with fever",),
    "crowned_dens_imaging": ("calcification of the dens",),
    # sufficient (2): CPP crystals in synovial fluid of a joint with swelling, tenderness or pain (entry met)
    "sf_cpp_crystals": ("calcium pyrophosphate crystals in synovial fluid",),
    # imaging of >= 1 symptomatic joint by CR, US, CT or DECT (recorded present or absent = imaging performed)
    "imaging": ("chondrocalcinosis on imaging", "chondrocalcinosis on radiograph", "chondrocalcinosis on ultrasound"),
}

#: Verified weighted domains: (domain, name, [(points, ontology label or None, level text)]).
#: ``None`` as label: the level applies when none of the domain's findings is present (and they are recorded absent).
DOMAINS: tuple[tuple[str, str, tuple[tuple[int, str, str], ...]], ...] = (
    ("A", "Age at onset of joint symptoms", ((4, "age over 60 years", "> 60 years"),)),
    (
        "B",
        "Time-course and symptoms of inflammatory arthritis",
        (
            (9, "chronic symmetric polyarthritis", "persistent inflammatory arthritis"),
            (12, "acute arthritis episodes", "1 typical acute arthritis episode (16 if more than 1)"),
        ),
    ),
    (
        "C",
        "Sites of typical episode(s) of inflammatory arthritis in peripheral joints",
        (
            (9, "knee involvement", "knee"),
            (8, "wrist involvement", "wrist"),
            (5, "elbow or shoulder involvement", "joint(s) other than wrist, knee or 1st MTP"),
            (5, "second and third metacarpophalangeal joint involvement", "joint(s) other than wrist, knee or 1st MTP"),
            (-6, "first metatarsophalangeal joint involvement", "1st MTP joint"),
        ),
    ),
    (
        "D",
        "Related metabolic disease",
        ((6, "hypomagnesaemia", "hypomagnesaemia"),),
    ),
)
#: Extra points a level can carry that a finding cannot tell apart (B: more than one typical episode = 16, not 12).
_B_MORE_THAN_ONE_EPISODE = 16

UNSCORED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "E",
        "Synovial fluid crystal analysis from a symptomatic joint",
        ("calcium pyrophosphate crystals in synovial fluid",),
    ),
    ("F", "OA of hand/wrist on imaging", ("second and third metacarpophalangeal joint involvement",)),
    (
        "G",
        "Imaging evidence of CPPD in symptomatic peripheral joint(s)",
        ("chondrocalcinosis on imaging", "chondrocalcinosis on radiograph", "chondrocalcinosis on ultrasound"),
    ),
    ("H", "Number of peripheral joints with CPPD on any imaging", ()),
)
UNSCORED_REASON = (
    "points not verified: the weights of domains E-H could not be found verbatim in a citable source "
    "(domain.md section 6, open gap 1)"
)


def _iris(index: FindingIndex, labels: tuple[str, ...]) -> dict[str, str]:
    return {label: index.keys[label.casefold()] for label in labels if label.casefold() in index.keys}


def _status(iris: Mapping[str, str], present: set[str], absent: set[str]) -> tuple[list[str], list[str]]:
    return [lab for lab, i in iris.items() if i in present], [lab for lab, i in iris.items() if i in absent]


def classify(case: Case, index: FindingIndex, *, alternative_explains_all: bool | None = None) -> dict[str, Any]:
    """Apply the criteria to a case; returns a JSON-ready report (see the module docstring for what is scored)."""
    present, absent = set(case.present), set(case.absent)
    missing = sorted(
        {
            lab
            for labs in (*MAPPING.values(), *(tuple(x[1] for x in levels) for _, _, levels in DOMAINS))
            for lab in labs
            if lab.casefold() not in index.keys
        }
    )

    entry_iris = _iris(index, MAPPING["entry"])
    e_pres, e_abs = _status(entry_iris, present, absent)
    negated, _ = _status(_iris(index, MAPPING["entry_negated"]), present, absent)
    if e_pres:
        entry = {"status": "met", "findings": e_pres}
    elif negated or (entry_iris and len(e_abs) == len(entry_iris)):
        entry = {"status": "not met", "findings": negated or e_abs}
    else:
        entry = {"status": "not recorded", "findings": []}

    if alternative_explains_all is None:
        exclusion = {
            "status": "not assessed",
            "note": "clinical judgement (all symptoms more likely explained by an alternative condition); "
            "the classification below assumes it does not apply",
        }
    else:
        exclusion = {
            "status": "applies" if alternative_explains_all else "does not apply",
            "note": "stated by the user",
        }

    cds_c, _ = _status(_iris(index, MAPPING["crowned_dens_clinical"]), present, absent)
    cds_i, _ = _status(_iris(index, MAPPING["crowned_dens_imaging"]), present, absent)
    sf, _ = _status(_iris(index, MAPPING["sf_cpp_crystals"]), present, absent)
    met_by: list[str] = []
    if cds_c and cds_i:
        met_by.append("crowned dens syndrome (" + " + ".join(cds_c + cds_i) + ")")
    if sf and entry["status"] == "met":
        met_by.extend(sf)
    sufficient = {"status": "met" if met_by else "not met", "met_by": met_by}

    img_p, img_a = _status(_iris(index, MAPPING["imaging"]), present, absent)
    imaging = bool(img_p or img_a)

    domains: list[dict[str, Any]] = []
    lo_total = hi_total = 0
    typical_episode: bool | None = None
    for code, name, levels in DOMAINS:
        items: list[dict[str, Any]] = []
        for pts, label, level in levels:
            iri = index.keys.get(label.casefold())
            state = "present" if iri in present else "absent" if iri in absent else "not recorded"
            items.append({"finding": label, "level": level, "points": pts, "state": state})
        scored = [it for it in items if it["state"] == "present"]
        unrecorded = [it for it in items if it["state"] == "not recorded"]
        if code == "C" and typical_episode is False:
            lo = hi = 0
            note = "no typical episode: sites score 0"
        else:
            best = max((it["points"] for it in scored), default=None)
            best_hi = _B_MORE_THAN_ONE_EPISODE if code == "B" and best == 12 else best
            open_pts = [
                _B_MORE_THAN_ONE_EPISODE if code == "B" and it["points"] == 12 else it["points"] for it in unrecorded
            ]
            if code == "D":  # the related diseases themselves cannot be stated in a case: D is open unless present
                open_pts.append(6)
            lo = best if best is not None else (min([0, *open_pts]))
            hi = max([best_hi if best_hi is not None else 0, *open_pts])
            if code == "C" and typical_episode is None and best is not None:
                lo = min(lo, 0)  # the sites count only if there was a typical episode, which is not recorded
            note = "highest-weighted present item" if scored else ("not recorded" if lo != hi else "none present")
        if code == "B":
            ep = index.keys.get("acute arthritis episodes")
            typical_episode = True if ep in present else False if ep in absent else None
        lo_total += lo
        hi_total += hi
        domains.append(
            {"domain": code, "name": name, "status": "scored", "min": lo, "max": hi, "note": note, "items": items}
        )
    for code, name, related in UNSCORED:
        rp, ra = _status(_iris(index, related), present, absent)
        domains.append(
            {
                "domain": code,
                "name": name,
                "status": "not scored",
                "min": None,
                "max": None,
                "note": UNSCORED_REASON,
                "related_findings_recorded": rp + [f"{x} (absent)" for x in ra],
            }
        )

    verified = {"min": lo_total, "max": hi_total}
    if entry["status"] == "not met":
        classification, why = (
            "not applicable",
            "entry criterion not met: the criteria apply only to symptomatic patients",
        )
    elif exclusion["status"] == "applies":
        classification, why = "not CPPD disease", "absolute exclusion: symptoms better explained by another condition"
    elif entry["status"] == "not recorded":
        classification, why = "undecided", "entry criterion not recorded (joint pain, swelling or tenderness)"
    elif met_by:
        classification, why = "CPPD disease", "sufficient criterion met: " + "; ".join(met_by)
    elif not imaging:
        classification, why = (
            "undecided",
            "no sufficient criterion; the weighted criteria need imaging of a symptomatic joint (CR, US, CT or DECT), "
            "and none is recorded",
        )
    else:
        classification, why = (
            "undecided",
            f"no sufficient criterion; score from verified domains A-D = {lo_total}"
            + (f" to {hi_total}" if hi_total != lo_total else "")
            + f"; domains E-H not scored (points not verified); maximum possible with unscored domains: unknown; "
            f"classification (> {THRESHOLD}) cannot be decided",
        )
    return {
        "case": case.id,
        "criteria": "2023 ACR/EULAR classification criteria for CPPD disease",
        "citation": CITATION,
        "entry": entry,
        "exclusion": exclusion,
        "sufficient": sufficient,
        "imaging_recorded": imaging,
        "domains": domains,
        "verified_score": verified,
        "threshold": THRESHOLD,
        "classification": classification,
        "explanation": why,
        "notes": [
            "domain A uses the finding 'age over 60 years' (age at onset of joint symptoms); a case's 'age' field "
            "derives it from the current age",
            "domain C takes the case's arthritis sites as the sites of the typical episode(s)",
            "domain D: only hypomagnesaemia can be recorded as a finding; haemochromatosis, primary "
            "hyperparathyroidism, Gitelman syndrome and hypophosphatasia are diseases, so D stays open (0-6) unless "
            "hypomagnesaemia is present",
            *(f"mapping label missing from the ontology: {m!r}" for m in missing),
        ],
    }


def render_text(report: Mapping[str, Any]) -> str:
    """A short human-readable rendering of :func:`classify`'s report."""
    lines = [
        f"case {report['case']}: {report['criteria']}",
        f"  entry criterion: {report['entry']['status']}"
        + (f" ({', '.join(report['entry']['findings'])})" if report["entry"]["findings"] else ""),
        f"  absolute exclusion: {report['exclusion']['status']} - {report['exclusion']['note']}",
        f"  sufficient criteria: {report['sufficient']['status']}"
        + (f" ({'; '.join(report['sufficient']['met_by'])})" if report["sufficient"]["met_by"] else ""),
        f"  imaging of a symptomatic joint recorded: {'yes' if report['imaging_recorded'] else 'no'}",
        "  domains:",
    ]
    for d in report["domains"]:
        if d["status"] == "scored":
            pts = str(d["min"]) if d["min"] == d["max"] else f"{d['min']} to {d['max']}"
            lines.append(f"    {d['domain']}. {d['name']}: {pts} ({d['note']})")
        else:
            rel = d.get("related_findings_recorded") or []
            extra = f"; recorded: {', '.join(rel)}" if rel else ""
            lines.append(f"    {d['domain']}. {d['name']}: NOT SCORED{extra}")
    vs = report["verified_score"]
    lines.append(
        f"  score from verified domains A-D: {vs['min']}" + (f" to {vs['max']}" if vs["max"] != vs["min"] else "")
    )
    lines.append(f"  threshold: > {report['threshold']} points")
    lines.append(f"  classification: {report['classification']} - {report['explanation']}")
    lines.append("  domains E-H: " + UNSCORED_REASON)
    return "\n".join(lines)
