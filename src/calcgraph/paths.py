"""Where calcgraph finds its files: a checkout, an installed package, or ``$CALCGRAPH_HOME``.

The data -- the release ontology and its HPO import (``ontology/``), the SPARQL query files (``queries/``) and the
example cases (``examples/``) -- is found in the first of:

1. ``$CALCGRAPH_HOME``, a directory laid out like a checkout (to use a checkout's data from an installed package);
2. the checkout this package sits in (``src/calcgraph`` below a directory holding ``ontology/calcgraph-edit.ttl``),
   so a checkout always reads and builds its own files;
3. the data shipped inside the installed package (``calcgraph/data/``, found with :mod:`importlib.resources`): a
   wheel carries the release files, the queries and the examples, so an installed calcgraph works from any
   directory with no environment variable. It holds no edit file: ``calcgraph build`` needs a checkout.

Generated files a command writes (the materialisation cache, the compiled classifier, an installed package's
``calcgraph-inferred.owl``) go to :func:`cache_dir`: ``$CALCGRAPH_CACHE_DIR``, else ``ontology/.cache`` in a checkout,
else the user's cache directory (``$XDG_CACHE_HOME/calcgraph`` or ``~/.cache/calcgraph``).
"""

from __future__ import annotations

import contextlib
import os
from importlib import resources
from pathlib import Path

#: The environment variable naming a checkout-like data directory (see the module docstring).
HOME_VARIABLE = "CALCGRAPH_HOME"


def checkout_root() -> Path | None:
    """The checkout this package sits in, or None for an installed package."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "ontology" / "calcgraph-edit.ttl").is_file() else None


def packaged_data() -> Path:
    """The data directory inside the installed package (``calcgraph/data``)."""
    return Path(str(resources.files("calcgraph") / "data"))


def project_root() -> Path:
    """The directory that holds ``ontology/``, ``queries/`` and ``examples/`` (see the module docstring)."""
    env = os.environ.get(HOME_VARIABLE)
    if env:
        return Path(env)
    return checkout_root() or packaged_data()


def is_checkout() -> bool:
    """True when the data is a checkout's (with its edit file), False for an installed package's shipped data."""
    return (project_root() / "ontology" / "calcgraph-edit.ttl").is_file()


def ontology_dir() -> Path:
    return project_root() / "ontology"


def edit_file() -> Path:
    return ontology_dir() / "calcgraph-edit.ttl"


#: Written by ``calcgraph build`` between committing a release and renaming both files (``calcgraph.build``).
RELEASE_JOURNAL = ".calcgraph-release.journal"


def complete_release(directory: Path) -> None:
    """Finish a release write that a crash interrupted after its commit point, before a release file is read.

    ``calcgraph build`` replaces calcgraph.owl and calcgraph.ttl together (a journal of both complete temp files,
    then two renames); killed between the renames it leaves a new .owl beside the old .ttl until the next build.
    Every reader of the release goes through here, so none reads such a pair: the renames are completed first (a
    stat when there is no journal). A directory the reader cannot write is left as it is."""
    if (Path(directory) / RELEASE_JOURNAL).exists():
        from calcgraph.build import recover_release

        with contextlib.suppress(OSError):
            recover_release(Path(directory))


def release_owl() -> Path:
    complete_release(ontology_dir())
    return ontology_dir() / "calcgraph.owl"


def release_path(release: Path | None) -> Path:
    """``release`` or the release ontology (RDF/XML), which must exist."""
    path = Path(release) if release is not None else release_owl()
    complete_release(path.parent)
    if not path.is_file():
        from calcgraph.errors import OntologySourceError

        raise OntologySourceError(str(path), None, "release file not found", hint="run `calcgraph build` first")
    return path


def release_ttl() -> Path:
    complete_release(ontology_dir())
    return ontology_dir() / "calcgraph.ttl"


def hp_import() -> Path:
    """The HPO import module (``ontology/imports/hp_import.owl``), written by ``calcgraph build``."""
    return ontology_dir() / "imports" / "hp_import.owl"


def catalog() -> Path:
    """The XML catalog that maps imported ontologies' IRIs to local files (Protégé, the OWL API)."""
    return ontology_dir() / "catalog-v001.xml"


def queries_dir() -> Path:
    return project_root() / "queries"


def examples_dir() -> Path:
    return project_root() / "examples"


def cache_dir() -> Path:
    """Where generated files are cached (:func:`calcgraph.cache.cache_dir`): ``$CALCGRAPH_CACHE_DIR``, a checkout's
    ``ontology/.cache``, or the user's cache directory for an installed package (never inside site-packages)."""
    from calcgraph import cache

    return cache.cache_dir()


def inferred_owl() -> Path:
    """``calcgraph-inferred.owl``: beside the release in a checkout, in :func:`cache_dir` for an installed package."""
    if is_checkout():
        return ontology_dir() / "calcgraph-inferred.owl"
    return cache_dir() / "calcgraph-inferred.owl"
