"""Where calcgraph caches generated files, and how it writes and reads them safely.

:func:`cache_dir` is, in order: ``$CALCGRAPH_CACHE_DIR``; ``.cache`` beside the release files when that directory can
be written (a checkout); otherwise the user's cache directory (``$XDG_CACHE_HOME/calcgraph``, ``~/.cache/calcgraph``,
``~/Library/Caches/calcgraph`` or ``%LOCALAPPDATA%\\calcgraph\\Cache``), as for an installed, read-only package.

Every cached file is named by a key that hashes the bytes it was made from, so a changed input is a new file and a
stale one is never read. Files are written to a temporary name in the same directory and renamed into place
(:func:`calcgraph.io.atomic_write`): two processes that build the same file at once each rename a complete file,
and a reader sees one of them, never a partial write.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from calcgraph import paths

#: Most files of one kind (``prefix``) kept by :func:`prune` (the newest by modification time).
KEEP = 8


def user_cache_dir() -> Path:
    """The per-user cache directory of the platform, ``.../calcgraph``."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "calcgraph" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "calcgraph"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache") / "calcgraph"


def _writable(d: Path) -> bool:
    """``d`` exists and this process may create files in it, or it can be created."""
    probe = d
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


def cache_dir(near: Path | None = None) -> Path:
    """The cache directory (module docstring); ``near`` is the directory of the release files (default: the
    ontology directory)."""
    env = os.environ.get("CALCGRAPH_CACHE_DIR")
    if env:
        return Path(env)
    if near is None and not paths.is_checkout():  # an installed package: never write into site-packages
        return user_cache_dir()
    beside = (Path(near) if near is not None else paths.ontology_dir()) / ".cache"
    if _writable(beside):
        return beside
    return user_cache_dir()


def prepare(d: Path) -> None:
    """Create ``d`` (private to the user when it is new) with a ``.gitignore`` that ignores everything in it."""
    if not d.is_dir():
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
    gitignore = d / ".gitignore"
    if not gitignore.exists():
        from calcgraph.io import atomic_write_text

        atomic_write_text(gitignore, "# calcgraph's cache of generated files\n*\n")


def prune(d: Path, prefix: str, keep: int = KEEP) -> None:
    """Delete all but the ``keep`` newest files ``<prefix>*`` in ``d`` (never fails; a reader that loses a file
    rebuilds it)."""
    with contextlib.suppress(OSError):
        files = sorted(d.glob(f"{prefix}*"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[keep:]:
            with contextlib.suppress(OSError):
                old.unlink()
