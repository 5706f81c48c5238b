"""Checks on a SPARQL query or update *before* it reaches an engine: size, nesting depth, federation, ``LOAD``.

Oxigraph parses nested groups recursively; 5,000 nested ``{`` overflow its stack and abort the process. The checks
here read the text with a small tokenizer (comments, strings and IRIs are skipped, so a ``{`` in a literal or a
``SERVICE`` in a comment does not count) and refuse what an engine should never see.

>>> problem("SELECT * WHERE { ?s ?p ?o }", limits=Limits())
>>> problem("SELECT * WHERE " + "{" * 300 + "}" * 300, limits=Limits())
'nested 300 levels deep (the limit is 100)'
>>> problem("SELECT * WHERE { SERVICE <http://x/sparql> { ?s ?p ?o } }", limits=Limits())
'SERVICE (federated query) is not allowed on this server'
>>> problem('SELECT * WHERE { ?s ?p "SERVICE {{{" } # SERVICE', limits=Limits())
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_MAX_QUERY_BYTES = 1_000_000
DEFAULT_MAX_DEPTH = 100
# Server defaults (calcgraph serve), here so the command line can show them without importing the server.
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_RESULT_BYTES = 64_000_000
TOKEN_ENV = "CALCGRAPH_TOKEN"  # the bearer token of a --writable server (also sent by load-cases --endpoint)


@dataclass(frozen=True)
class Limits:
    """What a query or update may be: its size in UTF-8 bytes, its nesting depth of ``{ ( [``, and whether
    ``SERVICE`` (federation: the engine fetches from any URL) is allowed. ``LOAD`` is always refused."""

    max_bytes: int = DEFAULT_MAX_QUERY_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    allow_service: bool = False


_TOKEN = re.compile(
    r"""
      \#[^\n]*                                   # comment
    | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"        # long strings
    | '''(?:[^'\\]|\\.|'(?!''))*'''
    | "(?:[^"\\\n]|\\.)*"                        # strings
    | '(?:[^'\\\n]|\\.)*'
    | <[^<>"{}|^`\\\x00-\x20]*>                  # IRI reference
    | [{(\[] | [})\]]                            # nesting
    | [?$][\w\-]+                                # variable
    | [\w\-.]*:[\w\-.:%\\]*                      # prefixed name (or a bare ':' name)
    | [A-Za-z_]\w*                               # keyword
    | .
    """,
    re.VERBOSE | re.DOTALL,
)


def scan(text: str) -> tuple[int, set[str]]:
    """The deepest nesting of ``{ ( [`` and the upper-cased keywords of ``text``, outside comments, strings, IRIs."""
    depth = deepest = 0
    words: set[str] = set()
    for m in _TOKEN.finditer(text):
        tok = m.group()
        c = tok[0]
        if c in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "})]":
            depth = max(0, depth - 1)
        elif (c.isalpha() or c == "_") and ":" not in tok:
            words.add(tok.upper())
    return deepest, words


def too_deep(text: str, max_depth: int = DEFAULT_MAX_DEPTH) -> int | None:
    """The offset of the first ``{ ( [`` nested deeper than ``max_depth`` (outside comments, strings, IRIs), or None.

    >>> too_deep("ASK { { ?s ?p ?o } }", 1)
    6
    >>> too_deep("ASK { ?s ?p '{{{' }", 1)
    """
    depth = 0
    for m in _TOKEN.finditer(text):
        c = m.group()[0]
        if c in "{([":
            depth += 1
            if depth > max_depth:
                return m.start()
        elif c in "})]":
            depth = max(0, depth - 1)
    return None


def problem(text: str, *, limits: Limits, update: bool = False) -> str | None:
    """Why ``text`` must not reach the engine, or None. ``update``: the text is a SPARQL update."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        return f"{'update' if update else 'query'} of {size} bytes (the limit is {limits.max_bytes})"
    depth, words = scan(text)
    if depth > limits.max_depth:
        return f"nested {depth} levels deep (the limit is {limits.max_depth})"
    if "SERVICE" in words and not limits.allow_service:
        return "SERVICE (federated query) is not allowed on this server"
    if "LOAD" in words:
        return "LOAD is not allowed: the server fetches no URLs (upload data with the Graph Store protocol)"
    return None
