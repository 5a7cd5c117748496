"""Query templates: variables, escaping, the rate window, and spec errors found before a rollout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pixelproof.api.metrics import MetricGate
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.metrics.catalog import TEMPLATES, apply_template, catalogue_markdown
from pixelproof.metrics.templating import (
    TemplateError,
    escape_regex,
    escape_string,
    rate_window,
    render,
    render_gate,
    validate_gate_queries,
)

README = Path(__file__).resolve().parents[2] / "operator" / "pixelproof" / "metrics" / "README.md"


def spec_with(gates: list[dict[str, Any]], **metrics: Any) -> ModelRolloutSpec:
    return ModelRolloutSpec.model_validate(
        {
            "stable": {"deployment": "poster-gen.v1", "service": "poster-gen-stable"},
            "candidate": {"deployment": "poster-gen.v2", "service": "poster-gen-candidate"},
            "traffic": {"gatewayAPI": {"httpRoute": "poster-gen"}},
            "steps": [{"setWeight": 10}],
            "metrics": {
                "prometheus": {"address": "http://prometheus:9090"},
                "interval": "30s",
                "gates": gates,
                **metrics,
            },
        }
    )


def test_candidate_and_stable_queries_select_their_own_service() -> None:
    spec = spec_with(
        [
            {
                "name": "p50",
                "query": 'q{namespace="{{namespace}}",service="{{target.service}}"}',
                "relativeToStable": {"maxRatio": 1.1},
            }
        ]
    )
    query, stable_query = render_gate(spec.metrics.gates[0], spec, "imagegen")
    assert query == 'q{namespace="imagegen",service="poster-gen-candidate"}'
    assert stable_query == 'q{namespace="imagegen",service="poster-gen-stable"}'


def test_a_gate_without_relative_bound_has_no_stable_query() -> None:
    spec = spec_with([{"name": "errors", "query": 'x{s="{{ candidate.service }}"}', "max": 1}])
    assert render_gate(spec.metrics.gates[0], spec, "ns") == ('x{s="poster-gen-candidate"}', None)


def test_values_are_escaped_for_double_quoted_strings() -> None:
    assert escape_string('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert render('{s="{{namespace}}"}', {"namespace": 'we"ird\\'}) == '{s="we\\"ird\\\\"}'


def test_regex_filter_escapes_metacharacters_then_the_string() -> None:
    # poster-gen.v2 as an RE2 literal is poster-gen\.v2; inside a PromQL string the
    # backslash is doubled.
    assert escape_regex("poster-gen.v2") == "poster-gen\\\\.v2"
    assert escape_regex("a+(b)|[c]{1}^$*?") == (
        "a\\\\+\\\\(b\\\\)\\\\|\\\\[c\\\\]\\\\{1\\\\}\\\\^\\\\$\\\\*\\\\?"
    )
    spec = spec_with([{"name": "restarts", "template": "container-restarts"}])
    query, _ = render_gate(spec.metrics.gates[0], spec, "imagegen")
    assert 'pod=~"poster-gen\\\\.v2-[a-z0-9]+-[a-z0-9]+"' in query


def test_rate_window_is_twice_the_gate_interval_but_at_least_a_minute() -> None:
    assert rate_window(1) == "60s"
    assert rate_window(30) == "60s"
    assert rate_window(45) == "90s"
    assert rate_window(120) == "240s"
    assert rate_window(0.7) == "60s"
    spec = spec_with(
        [{"name": "slow", "query": "rate(x[{{interval}}])", "max": 1, "interval": "2m"}]
    )
    assert render_gate(spec.metrics.gates[0], spec, "ns")[0] == "rate(x[240s])"


def test_unknown_variables_are_spec_errors_naming_gate_and_variable() -> None:
    spec = spec_with(
        [
            {"name": "ok", "query": 'x{s="{{target.service}}"}', "max": 1},
            {"name": "typo", "query": 'x{s="{{candidate.servce}}",n="{{ns}}"}', "max": 1},
        ]
    )
    problems = validate_gate_queries(spec)
    assert len(problems) == 2
    assert all("'typo'" in p for p in problems)
    assert "{{candidate.servce}}" in problems[0]
    assert "{{ns}}" in problems[1]
    assert "candidate.service" in problems[0]  # the known names are listed
    with pytest.raises(TemplateError, match=r"'typo'.*candidate\.servce"):
        render_gate(spec.metrics.gates[1], spec, "ns")


def test_validation_takes_the_wire_form_too() -> None:
    spec = spec_with([{"name": "typo", "query": "x{{{bogus}}}", "max": 1}])
    assert validate_gate_queries(spec.to_wire()) == validate_gate_queries(spec)
    assert "{{bogus}}" in validate_gate_queries(spec)[0]


def test_unknown_filter_and_malformed_placeholders_are_reported() -> None:
    spec = spec_with(
        [
            {"name": "filter", "query": 'x{p=~"{{target.deployment|glob}}"}', "max": 1},
            {"name": "open", "query": 'x{p="{{target.deployment"}', "max": 1},
        ]
    )
    problems = validate_gate_queries(spec)
    assert "'filter'" in problems[0] and "unknown filter 'glob'" in problems[0]
    assert "'open'" in problems[1] and "malformed placeholder" in problems[1]


def test_cost_template_needs_a_price() -> None:
    gates: list[dict[str, Any]] = [{"name": "cost", "template": "cost-per-1k-images"}]
    problems = validate_gate_queries(spec_with(gates))
    assert problems == [
        "metric gate 'cost': variable {{pricePerGpuHour}} is used but "
        "spec.metrics.pricePerGpuHour is not set"
    ]
    priced = spec_with(gates, pricePerGpuHour=2.5)
    assert validate_gate_queries(priced) == []
    query, stable_query = render_gate(priced.metrics.gates[0], priced, "imagegen")
    assert query.endswith("* 1000 * 2.5 / 3600")
    assert stable_query is not None and 'service="poster-gen-stable"' in stable_query


def test_relative_gate_must_select_the_model_it_compares() -> None:
    spec = spec_with(
        [
            {
                "name": "fixed",
                "query": 'x{service="{{candidate.service}}"}',
                "relativeToStable": {"maxRatio": 2},
            }
        ]
    )
    (problem,) = validate_gate_queries(spec)
    assert "'fixed'" in problem and "{{target.service}}" in problem


def test_unknown_template_is_a_spec_error() -> None:
    (problem,) = validate_gate_queries(spec_with([{"name": "lat", "template": "latency-p99"}]))
    assert "'lat'" in problem and "'latency-p99'" in problem and "latency-p95" in problem


def test_every_builtin_template_renders() -> None:
    gates: list[dict[str, Any]] = [{"name": name, "template": name} for name in TEMPLATES]
    spec = spec_with(gates, pricePerGpuHour=4.0)
    assert validate_gate_queries(spec) == []
    for gate in spec.metrics.gates:
        query, _ = render_gate(gate, spec, "imagegen")
        assert "{{" not in query and "}}" not in query


def test_a_gate_that_sets_any_bound_replaces_the_template_defaults() -> None:
    defaults = apply_template(MetricGate(name="p50", template="latency-p50"))
    assert defaults.relative_to_stable is not None and defaults.max is None
    own = apply_template(MetricGate(name="p50", template="latency-p50", max=2.5))
    assert own.max == 2.5 and own.relative_to_stable is None
    assert own.query == TEMPLATES["latency-p50"].query


def test_readme_table_matches_the_catalogue() -> None:
    assert catalogue_markdown() in README.read_text(), (
        "operator/pixelproof/metrics/README.md is out of date: paste catalogue_markdown()"
    )
