"""Where calcgraph finds its files.

The project keeps the ontology in ``ontology/`` at its root. ``CALCGRAPH_HOME`` overrides the root (for an
installed copy run outside the checkout).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The directory that holds ``ontology/``: ``$CALCGRAPH_HOME`` or the checkout this package sits in."""
    env = os.environ.get("CALCGRAPH_HOME")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2]


def ontology_dir() -> Path:
    return project_root() / "ontology"


def edit_file() -> Path:
    return ontology_dir() / "calcgraph-edit.ttl"


def release_owl() -> Path:
    return ontology_dir() / "calcgraph.owl"


def release_ttl() -> Path:
    return ontology_dir() / "calcgraph.ttl"


def inferred_owl() -> Path:
    return ontology_dir() / "calcgraph-inferred.owl"
