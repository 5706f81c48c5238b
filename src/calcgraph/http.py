"""HTTP at the edge: one request to a SPARQL endpoint, failures turned into a calcgraph error of the caller's kind."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping

from calcgraph.errors import CalcgraphError


def request(
    url: str,
    *,
    data: bytes,
    headers: Mapping[str, str],
    error: type[CalcgraphError],
    method: str = "POST",
    timeout: float = 60.0,
) -> bytes:
    """Send one request and return the response body.

    An HTTP error status raises ``error`` with the status and the first line of the server's message; an unreachable
    host, a refused connection or a time-out raises ``error`` in one line.
    """
    req = urllib.request.Request(url, data=data, method=method, headers={"User-Agent": "calcgraph", **headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip().splitlines()
        raise error(f"endpoint {url} answered HTTP {exc.code}: {detail[0][:200] if detail else exc.reason}") from exc
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        raise error(f"cannot reach SPARQL endpoint {url}: {getattr(exc, 'reason', exc)}") from exc
