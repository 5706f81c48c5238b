"""Bounded, strict readers for the case documents calcgraph accepts (JSON, YAML, JSON Lines).

Every reader here returns plain data or raises :class:`~calcgraph.errors.CaseError` naming where the input is bad;
none lets a parser's own exception (RecursionError, a ValueError for a 5,000-digit integer, a TypeError from mixed
key types, a lone surrogate that cannot be written back out) escape as a traceback. The limits are documented in
``docs/errors.md``:

* :data:`MAX_DEPTH` levels of nesting (a case is 3 deep; a phenopacket about 6),
* :data:`MAX_LINE_BYTES` per JSON Lines record and :data:`MAX_FILE_BYTES` per case file,
* :data:`MAX_NAME_CHARS` per finding name or other text value,
* mapping keys are text and appear once: a duplicate key is an error, never a silently dropped value.

>>> loads_json('{"id": "a", "present": ["fever"]}', "x")
{'id': 'a', 'present': ['fever']}
>>> loads_json('{"present": [], "present": ["fever"]}', "x")
Traceback (most recent call last):
...
calcgraph.errors.CaseError: x: duplicate key 'present'
>>> loads_json("[" * 100 + "]" * 100, "x")
Traceback (most recent call last):
...
calcgraph.errors.CaseError: x: nested deeper than 32 levels
>>> loads_yaml("id: a\\nage: 70\\nage: 71\\n", "c.yaml")
Traceback (most recent call last):
...
calcgraph.errors.CaseError: c.yaml:3:1: duplicate key 'age'
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import yaml

from calcgraph.errors import CaseError

#: Deepest nesting accepted in a case document.
MAX_DEPTH = 32
#: Largest JSON Lines record (bytes of UTF-8).
MAX_LINE_BYTES = 1_000_000
#: Largest single case file (bytes).
MAX_FILE_BYTES = 20_000_000
#: Longest text value (a finding name, an id, a label) accepted.
MAX_NAME_CHARS = 1_000
#: Most items (values in lists and mappings) in one document.
MAX_ITEMS = 200_000


def shorten(text: str, n: int = 80) -> str:
    """``text`` cut to ``n`` characters for an error message (a 50 MB name is never echoed back whole).

    >>> shorten("x" * 100, 10)
    'xxxxxxxxx… (100 characters)'
    """
    return text if len(text) <= n else f"{text[: n - 1]}… ({len(text)} characters)"


def _flat_ok(value: Any) -> bool:
    """``value`` is a mapping of short text keys to None, numbers, short text or lists of short text, with every
    text encodable (the usual case record): :func:`_check` would pass it. Anything else is left to :func:`_check`."""
    if type(value) is not dict or len(value) > MAX_ITEMS:
        return False
    texts: list[str] = []
    items = len(value)
    for k, v in value.items():
        if type(k) is not str:
            return False
        texts.append(k)
        t = type(v)
        if t is str:
            texts.append(v)
        elif t is list:
            items += len(v)
            for x in v:
                if type(x) is not str:
                    return False
            texts.extend(v)
        elif v is not None and t is not int and t is not float and t is not bool:
            return False
    if items > MAX_ITEMS or (texts and max(map(len, texts)) > MAX_NAME_CHARS):
        return False
    try:  # Python never pairs two surrogate halves into one character, so a lone one in any text fails here too
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        return False  # _check names the value
    return True


def _check(value: Any, where: str) -> None:
    """Walk ``value`` without recursion: depth, size, text keys, encodable strings, bounded text."""
    if _flat_ok(value):
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    items = 0
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict | list):
            if depth > MAX_DEPTH:
                raise CaseError(where, f"nested deeper than {MAX_DEPTH} levels")
            items += len(v)
            if items > MAX_ITEMS:
                raise CaseError(where, f"more than {MAX_ITEMS} values")
            if isinstance(v, dict):
                for k, x in v.items():
                    if not isinstance(k, str):
                        raise CaseError(where, f"key {shorten(repr(k), 40)} is not text: every key must be a string")
                    _check_text(k, where)
                    stack.append((x, depth + 1))
            else:
                stack.extend((x, depth + 1) for x in v)
        elif isinstance(v, str):
            _check_text(v, where)
        elif v is not None and not isinstance(v, bool | int | float | datetime.date):
            raise CaseError(where, f"unsupported value of type {type(v).__name__} (not case data)")


def _check_text(s: str, where: str) -> None:
    if len(s) > MAX_NAME_CHARS:
        raise CaseError(where, f"text value longer than {MAX_NAME_CHARS} characters: {shorten(s, 40)!r}")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CaseError(where, f"text value holds an unpaired surrogate ({s[exc.start:exc.end]!r})") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


#: ``json.loads(text, object_pairs_hook=_no_duplicates)`` builds a decoder per call; one is enough.
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates)


def loads_json(text: str, where: str, *, limit: int = MAX_FILE_BYTES, record: bool = False) -> Any:
    """``text`` parsed as JSON with the limits above; :class:`CaseError` naming ``where`` otherwise (``FILE:LINE:COL``
    for a file; for a JSON Lines ``record`` ``where`` already names the line and the column is given)."""
    if len(text) > limit:
        raise CaseError(where, f"larger than {limit:,} bytes")
    try:
        if text.startswith("\ufeff"):  # what json.loads says of a BOM
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        if record:
            raise CaseError(where, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
        raise CaseError(f"{where}:{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}") from None
    except _Duplicate as exc:
        raise CaseError(where, f"duplicate key {shorten(exc.key, 40)!r}") from None
    except RecursionError:
        raise CaseError(where, f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise CaseError(where, f"invalid JSON value: {shorten(str(exc), 120)}") from None
    _check(data, where)
    return data


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader with duplicate keys as errors (YAML 1.2 says keys are unique; PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                dup = key in seen
            except TypeError:  # an unhashable key (a list or mapping used as a key)
                raise CaseError(_mark(self.name, key_node), "a key must be text") from None
            if dup:
                raise CaseError(_mark(self.name, key_node), f"duplicate key {shorten(str(key), 40)!r}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _mark(name: str, node: yaml.Node) -> str:
    m = node.start_mark
    return f"{name}:{m.line + 1}:{m.column + 1}"


def loads_yaml(text: str, where: str, *, limit: int = MAX_FILE_BYTES) -> Any:
    """``text`` parsed as YAML (safe subset, unique keys) with the limits above; :class:`CaseError` otherwise."""
    if len(text) > limit:
        raise CaseError(where, f"larger than {limit:,} bytes")
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)
        loader.name = where
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        raise CaseError(at, f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    except RecursionError:
        raise CaseError(where, f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise CaseError(where, f"invalid YAML value: {shorten(str(exc), 120)}") from None
    finally:
        if loader is not None:
            loader.dispose()
    _check(data, where)
    return data


def decode_line(raw: bytes, where: str) -> str:
    """One JSON Lines record's bytes as text: UTF-8 only (a latin-1 byte is an error, never silently replaced).

    >>> decode_line(b'{"id": "caf\\xe9"}', "f:3")
    Traceback (most recent call last):
    ...
    calcgraph.errors.CaseError: f:3: not UTF-8 text (byte 0xe9 at column 12)
    """
    if len(raw) > MAX_LINE_BYTES:
        raise CaseError(where, f"line longer than {MAX_LINE_BYTES:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseError(where, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})") from None
