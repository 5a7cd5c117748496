"""Built-in metric gate templates for the failure catalogue, by name.

A gate that names a template takes the template's query and default bounds;
anything the gate sets itself wins: its own query replaces the template's, and
setting any of min, max or relativeToStable replaces all the default bounds.

Serving metrics are the reference generator contract (`generate_*`), selected by
the `namespace` and `service` labels Prometheus adds when it scrapes a Service's
endpoints; pod health comes from kube-state-metrics."""

from __future__ import annotations

from dataclasses import dataclass

from pixelproof.api.metrics import MetricGate, RelativeToStable


@dataclass(frozen=True)
class GateTemplate:
    query: str
    description: str
    catches: str
    max: float | None = None
    min: float | None = None
    max_ratio: float | None = None
    min_requests: int | None = None
    requests_query: str | None = None

    def default_bound(self) -> str:
        bounds = []
        if self.min is not None:
            bounds.append(f"min {self.min:g}")
        if self.max is not None:
            bounds.append(f"max {self.max:g}")
        if self.max_ratio is not None:
            bounds.append(f"relativeToStable maxRatio {self.max_ratio:g}")
        return ", ".join(bounds)


_SERVICE = 'namespace="{{namespace}}",service="{{target.service}}"'
# Pods of a Deployment are named <deployment>-<replicaset hash>-<pod hash>; matching
# both hashes keeps a Deployment named "x" from picking up the pods of "x-canary".
_PODS = 'namespace="{{namespace}}",pod=~"{{target.deployment|regex}}-[a-z0-9]+-[a-z0-9]+"'


def _sel(template: str) -> str:
    return template.replace("SERVICE", _SERVICE).replace("PODS", _PODS)


# The latency histogram's count: unlabelled, a generator exports it from zero at start, so
# increase() counts the first requests after a shift too. A counter labelled by code appears
# with its first request, and increase() does not count up to a series' first sample.
_REQUESTS = _sel("sum(increase(generate_request_duration_seconds_count{SERVICE}[{{interval}}]))")
# A statistic of a handful of requests is whichever of them was slowest to warm up: right
# after a traffic shift the window holds only the candidate's first requests (cold caches,
# lazily loaded weights) and a slice of whatever load the node had then. Ten requests let a
# median outvote two or three such; a 95th percentile of fewer than twenty is the slowest one.
MEDIAN_MIN_REQUESTS = 10
TAIL_MIN_REQUESTS = 20


TEMPLATES: dict[str, GateTemplate] = {
    "error-rate": GateTemplate(
        # No 5xx series at all is a rate of 0, not missing data; no requests at all
        # leaves the divisor empty, which is missing data.
        query=_sel(
            '(sum(rate(generate_requests_total{SERVICE,code=~"5.."}[{{interval}}])) or vector(0))'
            " / sum(rate(generate_requests_total{SERVICE}[{{interval}}]))"
        ),
        description="Share of generate requests answered with a 5xx status.",
        catches="F8, F9",
        max=0.02,
        requests_query=_REQUESTS,
    ),
    "latency-p50": GateTemplate(
        query=_sel(
            "histogram_quantile(0.5, sum by (le) "
            "(rate(generate_request_duration_seconds_bucket{SERVICE}[{{interval}}])))"
        ),
        description="Median generate latency in seconds (bucket-interpolated).",
        catches="F7",
        max_ratio=1.1,
        min_requests=MEDIAN_MIN_REQUESTS,
        requests_query=_REQUESTS,
    ),
    "latency-p95": GateTemplate(
        query=_sel(
            "histogram_quantile(0.95, sum by (le) "
            "(rate(generate_request_duration_seconds_bucket{SERVICE}[{{interval}}])))"
        ),
        description="95th percentile generate latency in seconds (bucket-interpolated).",
        catches="F7",
        max_ratio=1.2,
        min_requests=TAIL_MIN_REQUESTS,
        requests_query=_REQUESTS,
    ),
    "gpu-seconds-per-image": GateTemplate(
        query=_sel(
            "sum(rate(generate_gpu_seconds_total{SERVICE}[{{interval}}]))"
            " / sum(rate(generate_images_total{SERVICE}[{{interval}}]))"
        ),
        description="GPU seconds spent per image generated.",
        catches="F7",
        max_ratio=1.1,
        min_requests=MEDIAN_MIN_REQUESTS,
        requests_query=_REQUESTS,
    ),
    "cost-per-1k-images": GateTemplate(
        query=_sel(
            "sum(rate(generate_gpu_seconds_total{SERVICE}[{{interval}}]))"
            " / sum(rate(generate_images_total{SERVICE}[{{interval}}]))"
            " * 1000 * {{pricePerGpuHour}} / 3600"
        ),
        description="Serving cost of 1000 images, from GPU seconds and `metrics.pricePerGpuHour`.",
        catches="F7",
        max_ratio=1.1,
        min_requests=MEDIAN_MIN_REQUESTS,
        requests_query=_REQUESTS,
    ),
    "container-restarts": GateTemplate(
        query=_sel("sum(increase(kube_pod_container_status_restarts_total{PODS}[{{interval}}]))"),
        description="Container restarts of the model's pods in the window (kube-state-metrics).",
        catches="F8",
        max=0,
    ),
    "oom-kills": GateTemplate(
        # Restarts in the window whose last termination was the OOM killer. Zero
        # only while kube-state-metrics reports the pods: without it, no data.
        query=_sel(
            "sum((increase(kube_pod_container_status_restarts_total{PODS}[{{interval}}]) > 0)"
            " and on (namespace, pod, container)"
            ' (kube_pod_container_status_last_terminated_reason{PODS,reason="OOMKilled"} == 1))'
            " or (0 * sum(kube_pod_container_status_restarts_total{PODS}))"
        ),
        description="Containers of the model's pods restarted after an OOM kill in the window "
        "(kube-state-metrics).",
        catches="F8",
        max=0,
    ),
}


def apply_template(gate: MetricGate) -> MetricGate:
    """The gate with its template's query and default bounds filled in where it set none.
    Raises ValueError naming the gate and the unknown template."""
    if gate.template is None:
        return gate
    template = TEMPLATES.get(gate.template)
    if template is None:
        known = ", ".join(sorted(TEMPLATES))
        raise ValueError(
            f"metric gate {gate.name!r}: unknown template {gate.template!r} (known: {known})"
        )
    update: dict[str, object] = {}
    if gate.query is None:
        update["query"] = template.query
    if gate.min_requests is None:
        update["min_requests"] = template.min_requests
    if gate.requests_query is None:
        update["requests_query"] = template.requests_query
    if gate.min is None and gate.max is None and gate.relative_to_stable is None:
        update["min"] = template.min
        update["max"] = template.max
        if template.max_ratio is not None:
            update["relative_to_stable"] = RelativeToStable(max_ratio=template.max_ratio)
    return gate.model_copy(update=update)


def catalogue_markdown() -> str:
    """The catalogue as the markdown table in this package's README."""
    rows = [
        "| template | measures | catches | default bound | minRequests | query |",
        "|---|---|---|---|---|---|",
    ]
    for name, template in TEMPLATES.items():
        query = template.query.replace("|", "\\|")
        if template.min_requests is not None:
            least = str(template.min_requests)
        else:
            least = "none (can be set)" if template.requests_query is not None else "n/a"
        rows.append(
            f"| `{name}` | {template.description} | {template.catches} | "
            f"{template.default_bound()} | {least} | `{query}` |"
        )
    return "\n".join(rows) + "\n"
