"""The XML catalog (``ontology/catalog-v001.xml``, the format Protégé and ROBOT read) that maps the IRIs of imported
ontologies to local files, so that every tool loads the release and its imports offline.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "catalog-v001.xml").write_text('<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">'
...     '<uri name="https://example.org/a.owl" uri="imports/a.owl"/></catalog>', encoding="utf-8")
>>> {k: v.relative_to(d).as_posix() for k, v in catalog_mappings(d).items()}
{'https://example.org/a.owl': 'imports/a.owl'}
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from calcgraph.errors import OntologySourceError

CATALOG_NAME = "catalog-v001.xml"
_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


def catalog_mappings(directory: Path) -> dict[str, Path]:
    """IRI -> local file for every ``<uri name=... uri=...>`` of ``directory/catalog-v001.xml`` ({} if none)."""
    path = Path(directory) / CATALOG_NAME
    if not path.is_file():
        return {}
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise OntologySourceError(str(path), exc.position[0], f"not a valid XML catalog: {exc}") from exc
    out: dict[str, Path] = {}
    for el in root.iter():
        if el.tag in (f"{_NS}uri", "uri") and el.get("name") and el.get("uri"):
            out[str(el.get("name"))] = (path.parent / str(el.get("uri"))).resolve()
    return out


def import_files(release: Path) -> dict[str, Path]:
    """The local files of the ontologies a release imports: from the catalog beside it, else the project's own
    import modules (a release written elsewhere, e.g. by ``calcgraph build --out-dir``, imports the same modules)."""
    from calcgraph import paths
    from calcgraph.hpo import HP_IMPORT_IRI

    release = Path(release).resolve()
    found = {iri: p for iri, p in catalog_mappings(release.parent).items() if p != release and p.is_file()}
    if str(HP_IMPORT_IRI) not in found and paths.hp_import().is_file():
        found[str(HP_IMPORT_IRI)] = paths.hp_import().resolve()
    return found
