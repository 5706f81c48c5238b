"""One error type per kind of failure; the command line renders each as one or two lines with its exit code.

>>> err = OntologySourceError("ontology/calcgraph-edit.ttl", 12, "objectList expected")
>>> str(err)
'ontology/calcgraph-edit.ttl:12: objectList expected'
>>> err.exit_code
3
"""

from __future__ import annotations


def _location(path: str, line: int | None, column: int | None = None) -> str:
    """Where a problem is: ``path``, ``path:line`` or ``path:line:column``."""
    return path + (f":{line}" if line is not None else "") + (f":{column}" if column is not None else "")


class CalcgraphError(Exception):
    """Base class: a failure calcgraph explains to its user instead of showing a traceback."""

    exit_code = 1
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class UsageError(CalcgraphError):
    """A command was called with arguments that cannot work together."""

    exit_code = 64


class UnknownTermError(CalcgraphError):
    """A finding, disease or class named by the user matches nothing in the ontology; suggests the closest labels."""

    exit_code = 2

    def __init__(self, term: str, kind: str, suggestions: list[str], *, where: str | None = None) -> None:
        self.term, self.kind, self.suggestions, self.where = term, kind, suggestions, where
        prefix = f"{where}: " if where else ""
        shown = term if len(term) <= 80 else f"{term[:79]}… ({len(term)} characters)"
        msg = f"{prefix}unknown {kind} {shown!r}"
        hint = ("did you mean: " + "; ".join(repr(s) for s in suggestions)) if suggestions else None
        super().__init__(msg, hint=hint)


class CaseError(CalcgraphError):
    """A case file (YAML, JSON, JSON Lines or phenopacket) is malformed: names the file, line or field."""

    exit_code = 5

    def __init__(self, where: str, problem: str, *, hint: str | None = None) -> None:
        self.where, self.problem = where, problem
        super().__init__(f"{where}: {problem}", hint=hint)


class OntologySourceError(CalcgraphError):
    """The ontology source cannot be parsed: names the file, line and problem."""

    exit_code = 3

    def __init__(self, path: str, line: int | None, problem: str, *, hint: str | None = None) -> None:
        self.path, self.line, self.problem = path, line, problem
        super().__init__(f"{_location(path, line)}: {problem}", hint=hint)


class OntologyQCError(CalcgraphError):
    """The ontology parsed but fails quality control (labels, definitions, identifiers, references)."""

    exit_code = 4

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path, self.problems = path, problems
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{path}: {len(problems)} quality-control problem(s):\n  {shown}{more}")


class JavaNotFoundError(CalcgraphError):
    """No Java runtime: the OWL reasoners and the OWL API checker need one."""

    exit_code = 7


class ReasonerError(CalcgraphError):
    """An OWL reasoner (HermiT or Pellet) failed, or found the ontology (with the cases) inconsistent."""

    exit_code = 9


class QueryFileError(CalcgraphError):
    """A SPARQL query file cannot be read, has a malformed header, or has a syntax error: names file, line, column."""

    exit_code = 30

    def __init__(
        self, path: str, line: int | None, column: int | None, problem: str, *, hint: str | None = None
    ) -> None:
        self.path, self.line, self.column, self.problem = path, line, column, problem
        super().__init__(f"{_location(path, line, column)}: {problem}", hint=hint)


class QueryParameterError(CalcgraphError):
    """A query parameter is unknown to the query file, missing, repeated where it may not be, or malformed."""

    exit_code = 31


class EndpointError(CalcgraphError):
    """A SPARQL endpoint cannot be reached or answered with an error."""

    exit_code = 32


class ServerError(CalcgraphError):
    """The SPARQL server cannot be started (port in use, ``oxigraph`` binary missing, store not loadable)."""

    exit_code = 33


class ExportError(CalcgraphError):
    """The knowledge graph cannot be exported or drawn: unknown format, unwritable file, or an attribute that the format
    cannot hold (names the node or edge and the attribute)."""

    exit_code = 50


class MissingFeatureError(CalcgraphError):
    """An optional part of calcgraph is not installed (the ``viz`` extra) or not built yet (the diagnosis engine)."""

    exit_code = 51


class CohortLoadError(CalcgraphError):
    """Cases cannot be loaded into an Oxigraph store or a SPARQL endpoint (the store is left as it was)."""

    exit_code = 60


class FileSystemError(CalcgraphError):
    """A file or directory cannot be read or written: full disk, read-only file system, no permission, a missing
    directory. The command line maps every :class:`OSError` that no more specific error explains to this one."""

    exit_code = 74

    @classmethod
    def from_oserror(cls, exc: OSError) -> FileSystemError:
        """``cannot write out.jsonl: No space left on device`` from the OSError (its file name and reason).

        >>> str(FileSystemError.from_oserror(OSError(28, "No space left on device", "out.jsonl")))
        'out.jsonl: No space left on device'
        """
        name = exc.filename if exc.filename is not None else "a file"
        reason = exc.strerror or str(exc) or type(exc).__name__
        hints = {28: "free some disk space and run the command again: the previous output is left as it was",
                 30: "the file system is read-only: write to another directory",
                 13: "no permission: check the file's and the directory's owner and mode"}
        return cls(f"{name}: {reason}", hint=hints.get(exc.errno or 0))
