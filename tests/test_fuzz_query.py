"""Generated junk in query parameters: bound as RDF terms, never able to change the query; only documented errors."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Literal

from calcgraph import query as q
from calcgraph.cli import main
from calcgraph.errors import CalcgraphError, QueryParameterError, UnknownTermError

NASTY = st.sampled_from(['"', "'", "}", "{", "} UNION {", "\n", "\\", "\\u0022", "#", "<", ">", "?x", "\r", "\t"])
junk_text = st.lists(NASTY | st.text(max_size=8), max_size=8).map("".join)


@pytest.fixture(scope="module")
def differentials() -> q.QueryFile:
    return q.load_query(q.queries_dir() / "differentials.rq")


@given(value=junk_text)
def test_label_parameter_junk_is_unknown_term_or_a_real_class(
    ox: q.OxigraphEngine, differentials: q.QueryFile, value: str
) -> None:
    try:
        result = q.run_query(differentials, {"disease": [value]}, ox)
    except (UnknownTermError, QueryParameterError):
        return
    assert isinstance(result, q.Result)


@given(value=junk_text.filter(lambda s: "\x00" not in s))
def test_values_injection_returns_the_value_unchanged(ox: q.OxigraphEngine, rl: q.RdflibEngine, value: str) -> None:
    text = "SELECT ?x WHERE { OPTIONAL { ?s <urn:none> ?o } }"
    lit = Literal(value)
    for engine in (ox, rl):
        result = engine.run(text, {}, {"x": [lit]})
        assert [row["x"] for row in result.as_dicts()] == [lit]


@given(value=junk_text)
def test_cli_param_junk_gives_a_documented_error(value: str) -> None:
    result = CliRunner().invoke(
        main, ["query", str(q.queries_dir() / "differentials.rq"), "--param", f"disease={value}"]
    )
    if result.exit_code != 0:
        assert result.exception is None or isinstance(result.exception, SystemExit | CalcgraphError)
        assert "Traceback" not in result.output


def test_cli_non_utf8_param_is_a_clear_error() -> None:
    value = b"pseudo\xffgout".decode("utf-8", "surrogateescape")
    result = CliRunner().invoke(
        main, ["query", str(q.queries_dir() / "differentials.rq"), "--param", f"disease={value}"]
    )
    assert result.exit_code == QueryParameterError.exit_code  # F14: a bad parameter value is exit 31
    assert "Traceback" not in result.output
