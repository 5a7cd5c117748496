"""`{{variable}}` query templates for metric gates.

Variables name the rollout's objects so one query serves both sides of a
relativeToStable gate: `target.*` is the candidate's, or the stable's when the
stable side is run. String values are escaped for PromQL double-quoted strings
(label matcher values); `{{name|regex}}` also escapes regex metacharacters, for
use inside `=~` matchers."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Literal

from pixelproof.api.durations import parse_duration
from pixelproof.api.metrics import MetricGate
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.errors import PixelproofError

from .catalog import apply_template

Side = Literal["candidate", "stable"]

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}|\s]+)\s*(?:\|\s*([^{}\s]*)\s*)?\}\}")
_REGEX_META = re.compile(r"([\\.+*?()|\[\]{}^$])")
_TARGET_VARIABLES = ("target.service", "target.deployment")
MIN_RATE_WINDOW_SECONDS = 60.0
"""Prometheus needs several scrapes inside a rate window; 60 s holds four at the
common 15 s scrape interval. For slower scrapes, write the window in the query."""

VARIABLES: dict[str, str] = {
    "namespace": "the ModelRollout's namespace",
    "stable.service": "spec.stable.service",
    "stable.deployment": "spec.stable.deployment",
    "candidate.service": "spec.candidate.service",
    "candidate.deployment": "spec.candidate.deployment",
    "target.service": "the candidate's Service, or the stable's on the stable side",
    "target.deployment": "the candidate's Deployment, or the stable's on the stable side",
    "interval": "rate window: twice the gate's interval, at least 60s, in whole seconds",
    "pricePerGpuHour": "spec.metrics.pricePerGpuHour",
}
FILTERS = ("regex",)


class TemplateError(PixelproofError, ValueError):
    """A query template that cannot be rendered; the message names the variable or filter."""


def rate_window(gate_interval_seconds: float) -> str:
    """The `{{interval}}` window for a gate queried every `gate_interval_seconds`.

    At least the gate interval, so no request falls between two evaluations
    unseen; twice it, because the newest seconds of any window are not scraped
    yet; and never under MIN_RATE_WINDOW_SECONDS, below which rate() over a
    typical scrape interval sees too few samples and returns nothing."""
    seconds = max(2.0 * gate_interval_seconds, MIN_RATE_WINDOW_SECONDS)
    return f"{math.ceil(seconds)}s"


def escape_string(value: str) -> str:
    """`value` as the inside of a PromQL double-quoted string."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_regex(value: str) -> str:
    """`value` matched literally by an RE2 regex, as the inside of a PromQL string."""
    return escape_string(_REGEX_META.sub(r"\\\1", value))


def placeholders(query: str) -> list[tuple[str, str | None]]:
    """Every `{{variable|filter}}` in `query`, in order."""
    return [(m.group(1), m.group(2)) for m in _PLACEHOLDER.finditer(query)]


def render(query: str, variables: Mapping[str, str | None]) -> str:
    """`query` with its placeholders filled. A variable missing from `variables` is
    unknown; one present with value None is known but unset in the spec."""

    def fill(match: re.Match[str]) -> str:
        name, flt = match.group(1), match.group(2)
        if name not in variables:
            known = ", ".join(VARIABLES)
            raise TemplateError(f"unknown variable {{{{{name}}}}} (known: {known})")
        value = variables[name]
        if value is None:
            raise TemplateError(f"variable {{{{{name}}}}} is used but {VARIABLES[name]} is not set")
        if flt is None:
            return escape_string(value)
        if flt == "regex":
            return escape_regex(value)
        raise TemplateError(
            f"unknown filter {flt!r} on {{{{{name}}}}} (known: {', '.join(FILTERS)})"
        )

    rendered = _PLACEHOLDER.sub(fill, query)
    if "{{" in rendered or "}}" in rendered:
        raise TemplateError("malformed placeholder: every {{ needs a }} around one variable name")
    return rendered


def gate_interval_seconds(gate: MetricGate, spec: ModelRolloutSpec) -> float:
    return parse_duration(gate.interval or spec.metrics.interval)


def gate_variables(
    gate: MetricGate, spec: ModelRolloutSpec, namespace: str, side: Side = "candidate"
) -> dict[str, str | None]:
    target = spec.candidate if side == "candidate" else spec.stable
    price = spec.metrics.price_per_gpu_hour
    return {
        "namespace": namespace,
        "stable.service": spec.stable.service,
        "stable.deployment": spec.stable.deployment,
        "candidate.service": spec.candidate.service,
        "candidate.deployment": spec.candidate.deployment,
        "target.service": target.service,
        "target.deployment": target.deployment,
        "interval": rate_window(gate_interval_seconds(gate, spec)),
        "pricePerGpuHour": None if price is None else repr(float(price)),
    }


def _templated(gate: MetricGate) -> MetricGate:
    try:
        return apply_template(gate)
    except ValueError as exc:
        raise TemplateError(str(exc)) from exc


def _render_pair(
    name: str, full: MetricGate, spec: ModelRolloutSpec, namespace: str
) -> tuple[str, str | None]:
    assert full.query is not None  # apply_template fills it or the model required it
    try:
        query = render(full.query, gate_variables(full, spec, namespace, "candidate"))
        stable_query = None
        if full.relative_to_stable is not None:
            stable_query = render(full.query, gate_variables(full, spec, namespace, "stable"))
    except TemplateError as exc:
        raise TemplateError(f"metric gate {name!r}: {exc}") from exc
    return query, stable_query


def _render_requests(
    name: str, full: MetricGate, spec: ModelRolloutSpec, namespace: str
) -> str | None:
    if full.min_requests is None:
        return None
    if full.requests_query is None:
        raise TemplateError(
            f"metric gate {name!r}: minRequests needs a requestsQuery to count the "
            f"candidate's requests; template {full.template!r} has none"
        )
    try:
        return render(full.requests_query, gate_variables(full, spec, namespace, "candidate"))
    except TemplateError as exc:
        raise TemplateError(f"metric gate {name!r}: requestsQuery: {exc}") from exc


def render_gate(gate: MetricGate, spec: ModelRolloutSpec, namespace: str) -> tuple[str, str | None]:
    """The candidate query and, for a relativeToStable gate, the stable query.
    Raises TemplateError (a ValueError) naming the gate and what is wrong."""
    return _render_pair(gate.name, _templated(gate), spec, namespace)


def render_queries(
    gate: MetricGate, spec: ModelRolloutSpec, namespace: str
) -> tuple[str, str | None, str | None]:
    """render_gate's two queries and, for a gate with minRequests, the query counting the
    candidate's requests in the rate window (None without), from one templating of the
    gate. Raises TemplateError like render_gate."""
    full = _templated(gate)
    return (
        *_render_pair(gate.name, full, spec, namespace),
        _render_requests(gate.name, full, spec, namespace),
    )


def validate_gate_queries(spec: ModelRolloutSpec | Mapping[str, Any]) -> list[str]:
    """Every problem with the metric gates' queries, one message each naming the gate.
    Empty when all render. Pure: nothing is sent to Prometheus."""
    model = spec if isinstance(spec, ModelRolloutSpec) else ModelRolloutSpec.model_validate(spec)
    return [problem for _, problem in gate_query_problems(model)]


def gate_query_problems(model: ModelRolloutSpec) -> list[tuple[int, str]]:
    """validate_gate_queries with the index of the gate each problem belongs to."""
    problems: list[tuple[int, str]] = []
    for index, gate in enumerate(model.metrics.gates):
        problems.extend((index, problem) for problem in _gate_problems(gate, model))
    return problems


def _gate_problems(gate: MetricGate, model: ModelRolloutSpec) -> list[str]:
    try:
        full = apply_template(gate)
    except ValueError as exc:
        return [str(exc)]
    assert full.query is not None
    used = {name for name, _ in placeholders(full.query)}
    texts = [full.query] if full.requests_query is None else [full.query, full.requests_query]
    unknown = [name for text in texts for name, _ in placeholders(text) if name not in VARIABLES]
    if unknown:
        return [
            f"metric gate {gate.name!r}: unknown variable {{{{{name}}}}} "
            f"(known: {', '.join(VARIABLES)})"
            for name in unknown
        ]
    try:
        render_queries(gate, model, "namespace")
    except TemplateError as exc:
        return [str(exc)]
    if full.relative_to_stable is not None and not used.intersection(_TARGET_VARIABLES):
        return [
            f"metric gate {gate.name!r}: relativeToStable needs the query to select the model "
            "with {{target.service}} or {{target.deployment}}, or the stable query would be "
            "the candidate's"
        ]
    return []
