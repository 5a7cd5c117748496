"""Prometheus as a metric provider, through prometheus-api-client's instant query."""

from __future__ import annotations

import ast
import json
import math
import re
from http import HTTPStatus
from typing import Any

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

from .provider import NO_DATA, QueryResult

_STATUS_ERROR = re.compile(r"^HTTP Status Code (\d+) \((b(['\"]).*\3)\)$", re.DOTALL)
_SHOWN_SERIES = 3
# Prometheus answers 400 only for a query it cannot parse or accept; 422 (execution)
# and 503 (timeout) can depend on the data or the load, so they count as outages.
_BAD_DATA_STATUS = 400


class PrometheusMetrics:
    """Instant queries against one Prometheus server. Thread-safe for concurrent queries.

    Requests are not retried here: the gate's own interval is the retry loop, and
    maxConsecutiveErrors decides when an unreachable Prometheus fails the gate."""

    def __init__(self, address: str, timeout_seconds: float = 10.0) -> None:
        self.address = address.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self._client = PrometheusConnect(
            url=self.address,
            timeout=timeout_seconds,
            retry=Retry(total=0, read=False, raise_on_status=False),
        )
        # A redirect would send the query to an address the allow-list never saw.
        self._client._session.max_redirects = 0

    def close(self) -> None:
        self._client.close()

    def query(self, query: str) -> QueryResult:
        try:
            data = self._client.custom_query(query)
        except requests.exceptions.Timeout:
            limit = f"{self.timeout_seconds:g}s"
            return QueryResult(error=f"Prometheus at {self.address} did not answer within {limit}")
        except requests.exceptions.ConnectionError as exc:
            reason = _root_cause(exc)
            return QueryResult(error=f"cannot reach Prometheus at {self.address}: {reason}")
        except PrometheusApiClientException as exc:
            status, message = _rejection(self.address, str(exc))
            return QueryResult(error=message, rejected=status == _BAD_DATA_STATUS)
        except requests.exceptions.TooManyRedirects:
            return QueryResult(error=f"Prometheus at {self.address} answered with a redirect")
        except (requests.exceptions.RequestException, ValueError, KeyError, TypeError) as exc:
            reason = type(exc).__name__
            return QueryResult(
                error=f"unreadable answer from Prometheus at {self.address} ({reason}): "
                "not a Prometheus query API reply"
            )
        return interpret_result(data)


def interpret_result(data: Any) -> QueryResult:
    """The `data.result` of an instant query as one gate value.

    A scalar or a one-series vector is a value; an empty vector is no data; several
    series are an error because a gate judges one number and picking one would hide
    the rest. NaN and infinities (0/0 on an idle service, a quantile past the last
    bucket) carry no judgeable number, so they count as no data."""
    if isinstance(data, list) and len(data) == 2 and not isinstance(data[0], dict):
        return _number(data[1])
    if not isinstance(data, list):
        return QueryResult(error=f"unexpected Prometheus result: a {type(data).__name__}")
    if not data:
        return NO_DATA
    if "values" in data[0]:
        return QueryResult(
            error="the query returns a range vector; a gate needs an instant vector or a scalar "
            "(wrap the range selector in a function such as rate(...))",
            rejected=True,
        )
    if len(data) > 1:
        shown = ", ".join(_labels(series.get("metric", {})) for series in data[:_SHOWN_SERIES])
        more = f" and {len(data) - _SHOWN_SERIES} more" if len(data) > _SHOWN_SERIES else ""
        return QueryResult(
            error=f"the query returns {len(data)} series ({shown}{more}); a gate needs exactly "
            "one: aggregate them, for example with sum(...) or max(...)"
        )
    return _number(data[0].get("value", [None, None])[1])


def _number(text: Any) -> QueryResult:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return QueryResult(error=f"the query returns {text!r:.40}, not a number")
    if math.isnan(value) or math.isinf(value):
        return NO_DATA
    return QueryResult(value=value)


def _labels(metric: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(metric.items())) + "}"


def _rejection(address: str, message: str) -> tuple[int | None, str]:
    """The HTTP status, and Prometheus's own errorType and error text out of the client's
    exception message.

    Only a body in Prometheus's error format is quoted: the address may point at any
    endpoint, and whatever else it answers (a proxy's page, another service's error with
    its credentials) must not reach the rollout's status, which more people can read."""
    match = _STATUS_ERROR.match(message)
    if match is None:
        return None, f"Prometheus at {address} failed the query"
    status = int(match.group(1))
    body = ast.literal_eval(match.group(2)).decode("utf-8", "replace")
    detail = _prometheus_error(body) or _generic_reason(status)
    return status, f"Prometheus at {address} rejected the query (HTTP {status}): {detail}"


def _prometheus_error(body: str) -> str | None:
    """`errorType: error` of a Prometheus API error reply; None for any other body."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("status") != "error":
        return None
    kind, error = doc.get("errorType"), doc.get("error")
    if not isinstance(kind, str) or not isinstance(error, str):
        return None
    return f"{kind}: {error[:500]}"


def _generic_reason(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "unexpected status"
    return f"{phrase} (the reply is not a Prometheus API error, so its body is not shown)"


def _root_cause(exc: BaseException) -> str:
    """The innermost reason (connection refused, name not resolved) without urllib3's wrapping."""
    seen = exc
    while True:
        reason = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if not isinstance(reason, BaseException) or reason is seen:
            break
        seen = reason
    text = str(seen)
    return text.split(": ", 1)[-1] if text.startswith("<") else text
