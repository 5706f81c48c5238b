"""Competency queries: load ``queries/*.rq``, bind parameters as RDF terms, run them, serialise the results.

A query file is SPARQL 1.1 that opens with a comment block::

    # question: Which diseases must be told apart from a disease (its differential diagnoses)?
    # param: disease (IRI or label) = pseudogout
    #   The disease whose differentials are listed.
    # example: calcgraph query queries/differentials.rq --param disease="septic arthritis"

``# param: NAME (KIND[, repeatable]) = DEFAULT`` declares the variable ``?NAME``; KIND is ``IRI or label`` (also
``IRI``), ``string``, ``integer``, ``decimal`` or ``boolean``; a repeatable parameter's default lists its values
separated by ``;``. A single-valued parameter must be projected by the SELECT clause (that is what SPARQL
substitution, SEP-0007, requires).

Parameters are never pasted into the query text. Each value becomes an RDF term first (a label, exact synonym or
CURIE is resolved to its class IRI against the same data the query runs on), then:

* pyoxigraph: ``Store.query(..., substitutions={Variable: term})``;
* rdflib: ``Graph.query(..., initBindings={Variable: term})``;
* a remote endpoint, and repeatable parameters on every engine: a ``VALUES`` block at the start of the ``WHERE``
  group, written from the RDF terms by :func:`term_to_sparql` (IRIs are validated, literals escaped), so a value
  with quotes, braces or newlines stays one term.

Data sits in the named graph :data:`calcgraph.vocab.GRAPH_IRI`; the embedded engines query the union of the named
graphs as the default graph, and remote queries send ``default-graph-uri`` = that IRI (see ``docs/sparql.md``).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rdflib import BNode, Literal, URIRef, Variable
from rdflib.namespace import XSD
from rdflib.term import Identifier

from calcgraph import http, paths
from calcgraph.errors import EndpointError, QueryFileError, QueryParameterError, UnknownTermError, UsageError
from calcgraph.vocab import GRAPH_IRI, PREFIXES, curie_to_iri, iri_to_curie

if TYPE_CHECKING:
    import pyoxigraph as ox

ENGINES = ("oxigraph", "rdflib")
FORMATS = ("table", "csv", "tsv", "json")
IRI_KINDS = {"iri or label": "iri", "iri": "iri"}
LITERAL_KINDS = {
    "string": None,
    "literal": None,
    "integer": XSD.integer,
    "decimal": XSD.decimal,
    "boolean": XSD.boolean,
}

Term = URIRef | Literal | BNode


def queries_dir() -> Path:
    return paths.queries_dir()


#: Query files named ``cohort-*.rq`` ask about loaded patient cases (``calcgraph load-cases``), not the ontology.
COHORT_PREFIX = "cohort-"


def query_files() -> list[Path]:
    """The competency query files shipped in ``queries/`` (questions to the ontology), sorted by name."""
    return sorted(p for p in queries_dir().glob("*.rq") if not p.name.startswith(COHORT_PREFIX))


def cohort_query_files() -> list[Path]:
    """The cohort query files in ``queries/`` (``cohort-*.rq``: questions to a store of loaded cases)."""
    return sorted(queries_dir().glob(f"{COHORT_PREFIX}*.rq"))


def bundled_queries() -> dict[str, Path]:
    """Name (file stem, e.g. ``differentials``) -> file of every query shipped in ``queries/``."""
    return {p.stem: p for p in sorted(queries_dir().glob("*.rq"))}


def find_query(name: Path | str) -> Path:
    """A query file by path (``queries/differentials.rq``, any ``.rq`` file) or by the name of a bundled query
    (``differentials``, with or without ``.rq``); an unknown name suggests the closest bundled names."""
    path = Path(name)
    if path.is_file():
        return path
    bundled = bundled_queries()
    stem = path.name[:-3] if path.name.endswith(".rq") else path.name
    if stem in bundled and (len(path.parts) == 1 or path.parent.name == "queries"):
        return bundled[stem]
    from difflib import get_close_matches

    close = get_close_matches(stem, list(bundled), n=3, cutoff=0.4)
    hint = ("did you mean: " + ", ".join(close) + "; " if close else "") + "`calcgraph query --list` lists them"
    raise QueryFileError(str(name), None, None, "no such query file or bundled query", hint=hint)


# --------------------------------------------------------------------------------------------------------------------
# Query files


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str  # "iri" or a literal kind from LITERAL_KINDS
    repeatable: bool = False
    default: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class QueryFile:
    path: Path
    text: str
    question: str
    parameters: dict[str, Parameter]
    examples: tuple[str, ...] = ()
    title: str = ""

    @property
    def name(self) -> str:
        return self.path.stem


_PARAM_RE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<kind>[^)]*)\)\s*(?:=\s*(?P<default>.*))?$")
_KEY_RE = re.compile(r"^#\s?(?P<key>[a-z]+):\s*(?P<value>.*)$")


def load_query(path: Path | str) -> QueryFile:
    """Read a query file, parse its comment block and check its syntax (:class:`QueryFileError` names the line)."""
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise QueryFileError(shown, None, None, "no such query file") from exc
    except UnicodeDecodeError as exc:
        raise QueryFileError(shown, None, None, "not valid UTF-8 text") from exc
    except OSError as exc:
        raise QueryFileError(shown, None, None, f"cannot read: {exc.strerror or exc}") from exc
    question, title, examples, params = "", "", [], {}
    last: str | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            last = None
            continue
        if not line.startswith("#"):
            break
        m = _KEY_RE.match(line)
        if m and m["key"] in {"question", "param", "example", "title"}:
            key, value = m["key"], m["value"].strip()
            if key == "question":
                question = value
            elif key == "title":
                title = value
            elif key == "example":
                examples.append(value)
            else:
                p = _parse_param(value, shown, lineno)
                if p.name in params:
                    raise QueryFileError(shown, lineno, None, f"parameter {p.name!r} declared twice")
                params[p.name] = p
            last = key if key != "param" else f"param:{p.name}"
        elif last is not None and raw.startswith("#  "):
            more = line.lstrip("#").strip()
            if last == "question":
                question = f"{question} {more}".strip()
            elif last.startswith("param:"):
                p = params[last[6:]]
                params[p.name] = Parameter(p.name, p.kind, p.repeatable, p.default, f"{p.description} {more}".strip())
            elif last == "example":
                examples[-1] = f"{examples[-1]} {more}"
        else:
            last = None
    if not question:
        raise QueryFileError(shown, 1, None, "the opening comment block has no '# question: ...' line")
    _check_syntax(text, shown)
    form = query_form(text)
    if form not in {"SELECT", "ASK"}:
        raise QueryFileError(shown, None, None, f"{form} queries are not supported: use SELECT or ASK")
    for p in params.values():
        if not re.search(rf"[?$]{p.name}\b", _strip_comments(text)):
            raise QueryFileError(shown, None, None, f"parameter {p.name!r} is declared but ?{p.name} is not used")
        if not p.repeatable and form == "SELECT" and p.name not in _projected(text):
            raise QueryFileError(
                shown,
                None,
                None,
                f"parameter ?{p.name} must be in the SELECT projection (SPARQL substitution needs it)",
            )
    return QueryFile(path, text, question, params, tuple(examples), title)


def _parse_param(value: str, where: str, lineno: int) -> Parameter:
    m = _PARAM_RE.match(value)
    if not m:
        raise QueryFileError(
            where, lineno, None, "malformed '# param:' line; expected '# param: NAME (KIND) = DEFAULT'"
        )
    parts = [x.strip().lower() for x in m["kind"].split(",")]
    repeatable = "repeatable" in parts
    kinds = [x for x in parts if x != "repeatable"]
    if len(kinds) != 1 or (kinds[0] not in IRI_KINDS and kinds[0] not in LITERAL_KINDS):
        known = ", ".join(["IRI or label", *LITERAL_KINDS])
        raise QueryFileError(where, lineno, None, f"unknown parameter kind {m['kind']!r}; use one of: {known}")
    kind = IRI_KINDS.get(kinds[0], kinds[0])
    default = m["default"]
    values: tuple[str, ...] = ()
    if default is not None and default.strip():
        values = tuple(v.strip() for v in default.split(";")) if repeatable else (default.strip(),)
    return Parameter(m["name"], kind, repeatable, values)


def _check_syntax(text: str, where: str) -> None:
    import pyoxigraph as ox

    from calcgraph.sparqlguard import DEFAULT_MAX_DEPTH, too_deep

    # Oxigraph (and rdflib) parse nested groups recursively: a few thousand nested braces overflow the stack and
    # kill the process (a segfault, no message), so the nesting is checked before either parser sees the text.
    deep = too_deep(text, DEFAULT_MAX_DEPTH)
    if deep is not None:
        at_line = text.count("\n", 0, deep) + 1
        at_col = deep - (text.rfind("\n", 0, deep) + 1) + 1
        raise QueryFileError(
            where,
            at_line,
            at_col,
            f"nested deeper than {DEFAULT_MAX_DEPTH} levels of {{ ( [ (the SPARQL parser's limit)",
        )
    try:
        ox.Store().query(text)
    except SyntaxError as exc:
        msg = str(exc).splitlines()[0]
        m = re.match(r"error at (\d+):(\d+):\s*(.*)", msg)
        line, col, problem = (int(m[1]), int(m[2]), m[3]) if m else (None, None, msg)
        if (
            line is not None
            and col is not None
            and not "\n".join(text.split("\n")[line - 1 :])[max(col - 1, 0) :].strip()
        ):
            # Oxigraph reports how far it read, which can be the end of the text: rdflib names the construct.
            try:
                from rdflib.plugins.sparql import prepareQuery

                prepareQuery(text)
            except Exception as rexc:  # pyparsing's ParseException carries lineno and col
                if getattr(rexc, "lineno", None):
                    line, col = int(rexc.lineno), int(rexc.col)  # type: ignore[attr-defined]
                    problem = str(rexc).split("  (at char")[0]
        if "Prefix not found" in problem:
            problem = "undeclared prefix (add a PREFIX line)"
        problem = re.sub(r",?\s*\[.*$", "", problem)  # drop Oxigraph's character-class lists
        if len(problem) > 160:
            problem = problem[:157] + "..."
        raise QueryFileError(where, line, col, f"SPARQL syntax error: {problem}") from exc


# --------------------------------------------------------------------------------------------------------------------
# A small SPARQL lexer: enough to find keywords outside comments, strings and IRIs.

_TOKEN_RE = re.compile(
    r"""(?P<comment>\#[^\n]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                 |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
    | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*(?::[A-Za-z0-9_\-.]*)?)
    | (?P<punct>[{}()])
    | (?P<other>\S)
    | (?P<space>\s+)""",
    re.VERBOSE | re.DOTALL,
)


def _tokens(text: str) -> Iterable[tuple[str, str, int]]:
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "other"
        if kind not in {"comment", "space"}:
            yield kind, m.group(), m.start()


def _strip_comments(text: str) -> str:
    return " ".join(tok for _, tok, _ in _tokens(text))


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE."""
    for kind, tok, _ in _tokens(text):
        if kind == "word" and tok.upper() in {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}:
            return tok.upper()
    return "SELECT"


def _projected(text: str) -> set[str]:
    """Variables named in the top-level SELECT clause (all in-scope variables for ``SELECT *``)."""
    names: set[str] = set()
    seen_select = False
    for kind, tok, _ in _tokens(text):
        if not seen_select:
            seen_select = kind == "word" and tok.upper() == "SELECT"
            continue
        if (kind == "word" and tok.upper() == "WHERE") or tok == "{":
            break
        if tok == "*":
            return {v[1:] for k, v, _ in _tokens(text) if k == "var"}
        if kind == "var":
            names.add(tok[1:])
    return names


def where_brace(text: str) -> int:
    """Offset just after the ``{`` that opens the query's WHERE group."""
    after_where = False
    seen_form = False
    for kind, tok, pos in _tokens(text):
        if kind == "word" and tok.upper() in {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}:
            seen_form = True
        elif kind == "word" and tok.upper() == "WHERE":
            after_where = True
        elif tok == "{" and (after_where or (seen_form and query_form(text) in {"SELECT", "ASK"})):
            return pos + 1
    raise UsageError("cannot find the WHERE clause of the query")


# --------------------------------------------------------------------------------------------------------------------
# RDF terms in SPARQL syntax

_BAD_IRI_CHARS = re.compile(r'[<>"{}|^`\\\x00-\x20]')


def term_to_sparql(term: Term) -> str:
    """An RDF term in SPARQL/N-Triples syntax, safe to place in a query.

    >>> term_to_sparql(Literal('x" } UNION { ?s ?p ?o'))
    '"x\\\\" } UNION { ?s ?p ?o"'
    >>> term_to_sparql(URIRef("https://w3id.org/calcgraph/CALCGRAPH_0001021"))
    '<https://w3id.org/calcgraph/CALCGRAPH_0001021>'
    """
    if isinstance(term, URIRef):
        if _BAD_IRI_CHARS.search(str(term)):
            raise QueryParameterError(f"not a valid IRI: {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        lex = (
            str(term)
            .replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\t", "\\t")
        )
        # SPARQL expands \uXXXX escapes anywhere in the query text before parsing (SPARQL 1.1 section 19.2), so an
        # escaped backslash followed by u/U has the letter written as an 8-digit escape (rdflib reads up to 8 digits).
        lex = re.sub(r"\\\\([uU])", lambda m: f"\\\\\\U{ord(m[1]):08X}", lex)
        if term.language:
            if not re.fullmatch(r"[A-Za-z]+(-[A-Za-z0-9]+)*", term.language):
                raise QueryParameterError(f"not a valid language tag: {term.language!r}")
            return f'"{lex}"@{term.language}'
        if term.datatype and term.datatype != XSD.string:
            return f'"{lex}"^^{term_to_sparql(URIRef(term.datatype))}'
        return f'"{lex}"'
    raise QueryParameterError(f"a blank node cannot be a query parameter: {term!r}")


def values_block(values: Mapping[str, Sequence[Term]]) -> str:
    """A ``VALUES`` block that binds each variable to each of its terms (one variable per block, joined)."""
    blocks = []
    for name, terms in values.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise QueryParameterError(f"not a valid variable name: {name!r}")
        blocks.append(f"VALUES ?{name} {{ {' '.join(term_to_sparql(t) for t in terms)} }}")
    return " ".join(blocks)


def inject_values(text: str, values: Mapping[str, Sequence[Term]]) -> str:
    """``text`` with :func:`values_block` at the start of the WHERE group (on the same line, so line numbers stay)."""
    if not values:
        return text
    at = where_brace(text)
    return f"{text[:at]} {values_block(values)} {text[at:]}"


# --------------------------------------------------------------------------------------------------------------------
# Results


@dataclass
class Result:
    """Rows of a SELECT (``variables`` + ``rows`` of rdflib terms or None), or the answer of an ASK (``boolean``)."""

    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def as_dicts(self) -> list[dict[str, Term]]:
        return [{v: t for v, t in zip(self.variables, row, strict=True) if t is not None} for row in self.rows]

    def solutions(self) -> list[tuple[tuple[str, str, str, str] | None, ...]]:
        """Rows as comparable keys ``(kind, lexical, datatype, lang)``, blank node labels blanked, sorted."""
        return sorted((tuple(_key(t) for t in row) for row in self.rows), key=repr)


def _key(t: Term | None) -> tuple[str, str, str, str] | None:
    if t is None:
        return None
    if isinstance(t, BNode):
        return ("bnode", "", "", "")
    if isinstance(t, Literal):
        dt = "" if t.datatype in (None, XSD.string) or t.language else str(t.datatype)
        return ("literal", str(t), dt, (t.language or "").lower())
    return ("uri", str(t), "", "")


def _plain(t: Literal) -> Literal:
    if t.datatype == XSD.string and not t.language:
        return Literal(str(t))
    return t


# --------------------------------------------------------------------------------------------------------------------
# Engines


class Engine:
    """Something that runs SPARQL text with bindings and returns a :class:`Result`."""

    name = "engine"

    def run(self, text: str, bindings: Mapping[str, Term], values: Mapping[str, Sequence[Term]]) -> Result:
        raise NotImplementedError


class OxigraphEngine(Engine):
    """pyoxigraph in memory: data in the named graph, default graph = union of the named graphs."""

    name = "oxigraph"

    def __init__(self, ntriples: bytes | None = None) -> None:
        import pyoxigraph as ox

        from calcgraph.materialise import materialised_ntriples

        self.store = ox.Store()
        data = ntriples if ntriples is not None else materialised_ntriples()
        self.store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(GRAPH_IRI)))

    def run(self, text: str, bindings: Mapping[str, Term], values: Mapping[str, Sequence[Term]]) -> Result:
        import pyoxigraph as ox

        subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): _to_ox(v) for k, v in bindings.items()
        }
        try:
            res = self.store.query(
                inject_values(text, values), use_default_graph_as_union=True, substitutions=subs or None
            )
        except SyntaxError as exc:
            raise UsageError(f"SPARQL syntax error: {str(exc).splitlines()[0]}") from exc
        if isinstance(res, ox.QueryBoolean):
            return Result(boolean=bool(res))
        # Only SELECT and ASK reach an engine (load_query_file rejects CONSTRUCT and DESCRIBE).
        assert isinstance(res, ox.QuerySolutions)
        variables = [v.value for v in res.variables]
        rows = [tuple(_from_ox(sol[i]) for i in range(len(variables))) for sol in res]
        return Result(variables, rows)


class OxigraphStoreEngine(OxigraphEngine):
    """An on-disk Oxigraph store (e.g. one filled by ``calcgraph load-cases``), opened read-only; queries as above."""

    name = "oxigraph-store"

    def __init__(self, path: Path | str) -> None:  # no in-memory load: the store holds the data
        import pyoxigraph as ox

        path = Path(path)
        if not path.is_dir():
            raise UsageError(f"--store {path}: no such store directory", hint="fill one with calcgraph load-cases")
        from calcgraph import storedir

        if not storedir.is_store(path):
            raise UsageError(
                f"--store {path}: not an Oxigraph store (no CURRENT/MANIFEST files)",
                hint="fill one with calcgraph load-cases",
            )
        note = storedir.recover_if_unclean(path, shown=f"--store {path}")  # F11
        if note:
            print(f"note: {note}", file=sys.stderr)
        try:
            self.store = ox.Store.read_only(str(path))
        except OSError as exc:
            raise UsageError(f"--store {path}: cannot open the Oxigraph store: {str(exc).splitlines()[0]}") from exc


def _to_ox(t: Term) -> ox.NamedNode | ox.Literal:
    import pyoxigraph as ox

    if isinstance(t, URIRef):
        term_to_sparql(t)  # validates
        return ox.NamedNode(str(t))
    if isinstance(t, Literal):
        if t.language:
            return ox.Literal(str(t), language=t.language)
        return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)) if t.datatype else None)
    raise QueryParameterError(f"a blank node cannot be a query parameter: {t!r}")


def _from_ox(t: object) -> Term | None:
    import pyoxigraph as ox

    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        return _plain(Literal(t.value, datatype=URIRef(t.datatype.value), normalize=False))
    raise UsageError(f"unsupported term in results: {t!r}")


class RdflibEngine(Engine):
    """rdflib in memory: a Dataset whose default graph is the union of its graphs."""

    name = "rdflib"

    def __init__(self, ntriples: bytes | None = None) -> None:
        from rdflib import Dataset

        from calcgraph.materialise import materialised_ntriples

        self.dataset = Dataset(default_union=True)
        data = ntriples if ntriples is not None else materialised_ntriples()
        self.dataset.graph(GRAPH_IRI).parse(data=data, format="nt")

    def run(self, text: str, bindings: Mapping[str, Term], values: Mapping[str, Sequence[Term]]) -> Result:
        init: dict[str, Identifier] = {Variable(k): v for k, v in bindings.items()}
        with warnings.catch_warnings():
            # rdflib 7's own Dataset code calls its deprecated ``default_context`` once per triple pattern match.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"rdflib\.")
            res = self.dataset.query(inject_values(text, values), initBindings=init)
            if res.type == "ASK":
                return Result(boolean=bool(res.askAnswer))
            variables = [str(v) for v in res.vars or []]
            # A SELECT (the only other form that reaches an engine) yields ResultRows of URIRef/Literal/BNode or
            # None (unbound), which rdflib types as Identifier.
            rows = [
                tuple(_plain(t) if isinstance(t, Literal) else t for t in cast("tuple[Term | None, ...]", row))
                for row in res
            ]
        return Result(variables, rows)


class EndpointEngine(Engine):
    """A SPARQL 1.1 endpoint over HTTP (the SPARQL 1.1 Protocol: POST, form-encoded, JSON results).

    ``default_graph`` is sent as ``default-graph-uri`` (default: calcgraph's named graph); None sends none, so the
    endpoint's own default graph (the union of its graphs, on most servers) is used.
    """

    name = "endpoint"

    def __init__(self, url: str, *, default_graph: str | None = str(GRAPH_IRI), timeout: float = 60.0) -> None:
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme not in {"http", "https"}:
            raise UsageError(f"endpoint {url!r} is not an http(s) URL")
        self.url, self.default_graph, self.timeout = url, default_graph, timeout

    def run(self, text: str, bindings: Mapping[str, Term], values: Mapping[str, Sequence[Term]]) -> Result:
        merged: dict[str, Sequence[Term]] = {k: [v] for k, v in bindings.items()}
        merged.update(values)
        form: list[tuple[str, str]] = [("query", inject_values(text, merged))]
        if self.default_graph:
            form.append(("default-graph-uri", self.default_graph))
        body = http.request(
            self.url,
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"},
            error=EndpointError,
            timeout=self.timeout,
        )
        try:
            return parse_json_results(json.loads(body))
        except (ValueError, KeyError, TypeError) as exc:
            raise EndpointError(f"endpoint {self.url} did not answer with SPARQL JSON results ({exc})") from exc


def parse_json_results(doc: Mapping[str, Any]) -> Result:
    """Read the SPARQL 1.1 Query Results JSON format."""
    if "boolean" in doc:
        return Result(boolean=bool(doc["boolean"]))
    variables = list(doc["head"]["vars"])
    rows = []
    for b in doc["results"]["bindings"]:
        rows.append(tuple(_from_json(b[v]) if v in b else None for v in variables))
    return Result(variables, rows)


def _from_json(cell: Mapping[str, str]) -> Term:
    kind, value = cell["type"], cell["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in {"literal", "typed-literal"}:
        if cell.get("xml:lang"):
            return Literal(value, lang=cell["xml:lang"])
        dt = cell.get("datatype")
        return _plain(Literal(value, datatype=URIRef(dt), normalize=False)) if dt else Literal(value)
    raise ValueError(f"unknown term type {kind!r}")


def make_engine(
    engine: str = "oxigraph", endpoint: str | None = None, store: Path | None = None, **kwargs: object
) -> Engine:
    if endpoint:
        return EndpointEngine(endpoint, **kwargs)  # type: ignore[arg-type]
    if store is not None:
        return OxigraphStoreEngine(store)
    if engine == "oxigraph":
        return OxigraphEngine()
    if engine == "rdflib":
        return RdflibEngine()
    raise UsageError(f"unknown engine {engine!r}; use one of: {', '.join(ENGINES)}")


# --------------------------------------------------------------------------------------------------------------------
# Parameters

_NAMES_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX oio: <http://www.geneontology.org/formats/oboInOwl#>
SELECT DISTINCT ?s ?name ?how WHERE {
  { ?s rdfs:label ?name . BIND("label" AS ?how) }
  UNION { ?s oio:hasExactSynonym ?name . BIND("synonym" AS ?how) }
  UNION { ?s oio:hasDbXref ?name . FILTER(isIRI(?s)) BIND("xref" AS ?how) }
}
"""


class TermIndex:
    """Labels, exact synonyms and cross-references of the data an engine holds, for resolving parameter values."""

    def __init__(self, engine: Engine) -> None:
        self.by_name: dict[str, set[URIRef]] = {}
        self.by_xref: dict[str, set[URIRef]] = {}
        self.labels: dict[str, str] = {}
        for row in engine.run(_NAMES_QUERY, {}, {}).rows:
            s, name, how = row
            if not isinstance(s, URIRef) or name is None:
                continue
            if str(how) == "xref":
                self.by_xref.setdefault(str(name), set()).add(s)
            else:
                self.by_name.setdefault(_fold(str(name)), set()).add(s)
                self.labels.setdefault(_fold(str(name)), str(name))

    def resolve(self, value: str, param: str) -> URIRef:
        """An IRI for ``value``: ``<IRI>``, an http(s)/urn IRI, a CURIE, a label or an exact synonym."""
        _check_text_value(value, param)
        v = value.strip()
        if v.startswith("<") and v.endswith(">"):
            return _checked_iri(v[1:-1], param)
        if re.match(r"^(https?|urn):", v):
            return _checked_iri(v, param)
        hits = self.by_name.get(_fold(v))
        if hits:
            if len(hits) > 1:
                shown = ", ".join(sorted(iri_to_curie(h) or h for h in hits))
                raise QueryParameterError(f"--param {param}: {value!r} names several classes ({shown}); give a CURIE")
            return next(iter(hits))
        m = re.fullmatch(r"([A-Za-z][A-Za-z0-9_.\-]*):(\S+)", v)
        if m:
            prefix = m[1].upper() if m[1].upper() in PREFIXES else m[1]
            curie = f"{prefix}:{m[2]}"
            if prefix == "CALCGRAPH":
                return _checked_iri(curie_to_iri(curie) or "", param)
            xref = self.by_xref.get(curie, set())
            if len(xref) == 1:
                return next(iter(xref))
            expanded = curie_to_iri(curie)
            if expanded:
                return _checked_iri(expanded, param)
        close = difflib.get_close_matches(_fold(v[:200]), list(self.labels), n=5, cutoff=0.6)
        raise UnknownTermError(
            value, "label, synonym or CURIE", [self.labels[c] for c in close], where=f"--param {param}"
        )


def _check_text_value(value: str, param: str) -> None:
    """A parameter value is UTF-8 text (a non-UTF-8 command-line byte arrives as a surrogate escape)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryParameterError(f"--param {param}: the value is not UTF-8 text") from None


def _fold(s: str) -> str:
    return " ".join(s.casefold().split())


def _checked_iri(iri: str, param: str) -> URIRef:
    """``iri`` if it is an absolute IRI both engines accept (checked by Oxigraph's IRI parser), else
    :class:`QueryParameterError` (``<foo>`` and ``http://[::1`` once gave a traceback)."""
    if not iri or _BAD_IRI_CHARS.search(iri):
        raise QueryParameterError(f"--param {param}: not a valid IRI: {iri!r}")
    import pyoxigraph

    try:
        pyoxigraph.NamedNode(iri)
    except ValueError as exc:
        raise QueryParameterError(f"--param {param}: not a valid absolute IRI: {iri[:200]!r} ({exc})") from None
    return URIRef(iri)


def parse_param_args(args: Iterable[str]) -> dict[str, list[str]]:
    """``["disease=gout", "finding=a", "finding=b"]`` -> ``{"disease": ["gout"], "finding": ["a", "b"]}``."""
    out: dict[str, list[str]] = {}
    for arg in args:
        name, sep, value = arg.partition("=")
        if not sep or not name.strip():
            raise QueryParameterError(f"--param {arg!r}: expected NAME=VALUE")
        out.setdefault(name.strip(), []).append(value)
    return out


def bind_parameters(
    query: QueryFile, given: Mapping[str, Sequence[str]], engine: Engine
) -> tuple[dict[str, Term], dict[str, list[Term]]]:
    """Turn parameter values (given, else the defaults) into RDF terms: (single bindings, repeatable values)."""
    unknown = sorted(set(given) - set(query.parameters))
    if unknown:
        declared = ", ".join(query.parameters) or "none"
        close = difflib.get_close_matches(unknown[0], list(query.parameters), n=3)
        raise QueryParameterError(
            f"{query.path.name}: unknown parameter {unknown[0]!r} (declared: {declared})",
            hint=("did you mean: " + ", ".join(close)) if close else None,
        )
    index: TermIndex | None = None
    single: dict[str, Term] = {}
    multi: dict[str, list[Term]] = {}
    for p in query.parameters.values():
        raw = list(given.get(p.name) or p.default)
        if not raw:
            raise QueryParameterError(f"{query.path.name}: parameter {p.name!r} is required (--param {p.name}=VALUE)")
        if len(raw) > 1 and not p.repeatable:
            raise QueryParameterError(f"{query.path.name}: parameter {p.name!r} takes one value, got {len(raw)}")
        terms: list[Term] = []
        for value in raw:
            _check_text_value(value, p.name)
            if p.kind == "iri":
                if index is None:
                    index = TermIndex(engine)
                terms.append(index.resolve(value, p.name))
            else:
                terms.append(_literal(value, p))
        if p.repeatable:
            multi[p.name] = terms
        else:
            single[p.name] = terms[0]
    return single, multi


def _literal(value: str, p: Parameter) -> Literal:
    dt = LITERAL_KINDS[p.kind]
    if dt is None:
        return Literal(value)
    patterns = {
        XSD.integer: r"[+-]?\d+",
        XSD.decimal: r"[+-]?(\d+(\.\d*)?|\.\d+)",
        XSD.boolean: r"true|false|1|0",
    }
    if not re.fullmatch(patterns[dt], value.strip()):
        raise QueryParameterError(f"--param {p.name}: {value!r} is not a valid {p.kind}")
    return Literal(value.strip(), datatype=dt, normalize=False)


def run_query(
    query: QueryFile | Path | str, params: Mapping[str, Sequence[str]] | None = None, engine: Engine | None = None
) -> Result:
    """Run a query file with parameter values (label, CURIE or IRI where an IRI is expected) on an engine."""
    qf = query if isinstance(query, QueryFile) else load_query(query)
    eng = engine if engine is not None else OxigraphEngine()
    single, multi = bind_parameters(qf, params or {}, eng)
    return eng.run(qf.text, single, multi)


def bundled_query_texts(engine: Engine | None = None, cohort: bool = False) -> dict[str, str]:
    """Each bundled query's text with its default parameter values written in, by file stem.

    The cohort queries (``cohort-*``, which need a loaded cohort) are left out unless ``cohort`` is true. A query whose
    defaults need the ontology binds them on ``engine`` (an embedded store of the release by default).
    """
    eng = engine if engine is not None else OxigraphEngine()
    out = {}
    for path in query_files():
        if path.stem.startswith("cohort-") and not cohort:
            continue
        qf = load_query(path)
        single, multi = bind_parameters(qf, {}, eng)
        out[path.stem] = inject_values(qf.text, {k: [v] for k, v in single.items()} | dict(multi))
    return out


# --------------------------------------------------------------------------------------------------------------------
# Serialisers: the SPARQL 1.1 result formats (JSON, CSV, TSV) and a table for people


def to_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON Format."""
    if result.boolean is not None:
        return json.dumps({"head": {}, "boolean": result.boolean}, indent=2)
    bindings = []
    for row in result.rows:
        b: dict[str, dict[str, str]] = {}
        for v, t in zip(result.variables, row, strict=True):
            if t is None:
                continue
            if isinstance(t, URIRef):
                b[v] = {"type": "uri", "value": str(t)}
            elif isinstance(t, BNode):
                b[v] = {"type": "bnode", "value": str(t)}
            else:
                cell = {"type": "literal", "value": str(t)}
                if t.language:
                    cell["xml:lang"] = t.language
                elif t.datatype and t.datatype != XSD.string:
                    cell["datatype"] = str(t.datatype)
                b[v] = cell
        bindings.append(b)
    return json.dumps(
        {"head": {"vars": result.variables}, "results": {"bindings": bindings}}, indent=2, ensure_ascii=False
    )


def to_csv(result: Result) -> str:
    """SPARQL 1.1 Query Results CSV Format (values only, CRLF line ends)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if result.boolean is not None:
        w.writerow(["boolean"])
        w.writerow(["true" if result.boolean else "false"])
        return buf.getvalue()
    w.writerow(result.variables)
    for row in result.rows:
        w.writerow(["" if t is None else (f"_:{t}" if isinstance(t, BNode) else str(t)) for t in row])
    return buf.getvalue()


def to_tsv(result: Result) -> str:
    """SPARQL 1.1 Query Results TSV Format (terms in SPARQL syntax)."""
    if result.boolean is not None:
        return "?boolean\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    for row in result.rows:
        cells = []
        for t in row:
            if t is None:
                cells.append("")
            elif isinstance(t, BNode):
                cells.append(f"_:{t}")
            else:
                cells.append(term_to_sparql(t))
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def _show(t: Term | None) -> str:
    if t is None:
        return ""
    if isinstance(t, URIRef):
        return iri_to_curie(str(t)) or str(t)
    if isinstance(t, BNode):
        return f"_:{t}"
    return " ".join(str(t).split())


def to_table(result: Result, *, max_width: int = 70) -> str:
    """Aligned columns for a terminal: IRIs as CURIEs where calcgraph knows the prefix, long cells cut."""
    if result.boolean is not None:
        return "yes\n" if result.boolean else "no\n"
    header = list(result.variables)
    cells = [[_show(t) for t in row] for row in result.rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    out.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(out) + "\n"


SERIALISERS = {"table": to_table, "csv": to_csv, "tsv": to_tsv, "json": to_json}


def serialise(result: Result, fmt: str) -> str:
    try:
        return SERIALISERS[fmt](result)
    except KeyError:
        raise UsageError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}") from None
