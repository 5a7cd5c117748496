"""Bad and tricky ModelRollout documents, each with the verdict every door must give and,
for a bad one, text its first error must contain. Documents are YAML text, because some
cases (NaN, a trailing newline, deep nesting, an int name) only exist in YAML."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

HEAD = "apiVersion: pixelproof.dev/v1alpha1\nkind: ModelRollout\n"
META = "metadata: {name: gen, namespace: imagegen}\n"
STEPS = "  steps: [{setWeight: 10}, {evaluate: {}}, {pause: {duration: 1m}}, {setWeight: 100}]\n"
SPEC_HEAD = (
    "spec:\n"
    "  stable: {deployment: gen-v1, service: gen-stable}\n"
    "  candidate: {deployment: gen-v2, service: gen-candidate}\n"
    "  traffic: {gatewayAPI: {httpRoute: gen}}\n"
)
EVALUATION = (
    "  goldenSet: {configMap: {name: golden}}\n"
    "  evaluator: {image: registry.example/evaluator:1, resources: {limits: {nvidia.com/gpu: 1}}}\n"
)
PROMETHEUS = "    prometheus: {address: http://prometheus:9090}\n"


def spec(*, steps: str = STEPS, extra: str = "", metrics: str = "", meta: str = META) -> str:
    """A valid document, changed by the given parts."""
    metrics_block = f"  metrics:\n{PROMETHEUS}{metrics}" if metrics else ""
    return HEAD + meta + SPEC_HEAD + steps + EVALUATION + extra + metrics_block


def gates(*lines: str) -> str:
    return "    gates:\n" + "".join(f"      - {line}\n" for line in lines)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expect: str | None
    """Text the first error contains; None for a valid document."""
    engine: bool = True
    """Whether the engine can see the fault: it is given the spec, name and namespace only;
    the API server refuses the rest before the operator ever reads the object."""

    @property
    def valid(self) -> bool:
        return self.expect is None

    def document(self) -> object:
        return yaml.safe_load(self.text)


CASES: tuple[Case, ...] = (
    # Valid, some of them rejected before.
    Case("base", spec(), None),
    Case("metrics-without-gates", spec(metrics="    interval: 30s\n"), None),
    Case("gates-null", spec(metrics="    gates: null\n"), None),
    Case("pause-zero", spec(steps="  steps: [{setWeight: 10}, {pause: {duration: 0s}}]\n"), None),
    Case("interval-one-second", spec(metrics="    interval: 1s\n"), None),
    Case("interval-a-day", spec(metrics="    interval: 24h\n"), None),
    Case("fractional-duration", spec(metrics="    interval: 1.5m\n"), None),
    Case(
        "quantities",
        spec(
            extra="  evaluator:\n    image: e:1\n"
            "    resources: {limits: {cpu: 500m, memory: 16Gi, nvidia.com/gpu: 1}, "
            "requests: {cpu: '1e3', memory: 0}}\n"
        ).replace(EVALUATION, "  goldenSet: {configMap: {name: golden}}\n"),
        None,
    ),
    Case("null-optional", spec(extra="  qualityGates: null\n  rollback: null\n"), None),
    Case(
        "int-key-in-node-selector",
        spec().replace("image: registry.example/evaluator:1", "image: e:1, nodeSelector: {1: x}"),
        None,
    ),
    Case(
        "relative-gate-selects-target",
        spec(
            metrics=gates(
                "{name: p95, query: 'x{service=\"{{target.service}}\"}', "
                "relativeToStable: {maxRatio: 1.2}}"
            )
        ),
        None,
    ),
    Case("labels", spec(meta="metadata: {name: gen, labels: {app.kubernetes.io/name: x}}\n"), None),
    Case("name-with-dots", spec(meta="metadata: {name: gen.v2}\n"), None),
    # Offline query checks the lint used to skip.
    Case(
        "unknown-variable",
        spec(metrics=gates("{name: e, query: 'x{s=\"{{candidat.service}}\"}', max: 1}")),
        "spec.metrics.gates[0]: metric gate 'e': unknown variable {{candidat.service}}",
    ),
    Case(
        "unknown-template",
        spec(metrics=gates("{name: e, template: no-such-template}")),
        "spec.metrics.gates[0]: metric gate 'e': unknown template 'no-such-template'",
    ),
    Case(
        "unknown-filter",
        spec(metrics=gates("{name: e, query: 'x{s=\"{{target.service|upper}}\"}', max: 1}")),
        "spec.metrics.gates[0]: metric gate 'e': unknown filter 'upper'",
    ),
    Case(
        "relative-gate-without-target",
        spec(
            metrics=gates("{name: e, query: 'sum(rate(x[1m]))', relativeToStable: {maxRatio: 2}}")
        ),
        "spec.metrics.gates[0]: metric gate 'e': relativeToStable needs the query to select",
    ),
    Case(
        "min-requests-without-a-count",
        spec(metrics=gates("{name: e, query: 'sum(rate(x[1m]))', max: 1, minRequests: 10}")),
        "spec.metrics.gates[0]: minRequests needs a requestsQuery",
    ),
    Case(
        "min-requests-on-a-template-that-counts-none",
        spec(metrics=gates("{name: e, template: container-restarts, minRequests: 10}")),
        "spec.metrics.gates[0]: metric gate 'e': minRequests needs a requestsQuery",
    ),
    Case(
        "requests-query-unknown-variable",
        spec(
            metrics=gates(
                "{name: e, template: latency-p50, requestsQuery: 'sum(x{s=\"{{servce}}\"})'}"
            )
        ),
        "spec.metrics.gates[0]: metric gate 'e': unknown variable {{servce}}",
    ),
    Case(
        "min-requests-with-its-own-count",
        spec(
            metrics=gates(
                "{name: e, query: 'sum(rate(x[1m]))', max: 1, minRequests: 10,"
                " requestsQuery: 'sum(increase(y[1m]))'}"
            )
        ),
        None,
    ),
    # Specs that validated but could not work.
    Case(
        "zero-interval",
        spec(metrics="    interval: 0s\n"),
        "spec.metrics.interval: '0s' is shorter than the minimum of 1s",
    ),
    Case(
        "zero-gate-interval",
        spec(metrics=gates("{name: e, template: error-rate, interval: 0ms}")),
        "spec.metrics.gates[0].interval: '0ms' is shorter than the minimum of 1s",
    ),
    Case(
        "interval-over-a-day",
        spec(metrics="    interval: 25h\n"),
        "spec.metrics.interval: '25h' is longer than the maximum of 24h",
    ),
    Case(
        "pause-overflows",
        spec(steps="  steps: [{setWeight: 10}, {pause: {duration: 99999999999h}}]\n"),
        "spec.steps[1].pause.duration: '99999999999h' is longer than the maximum of 720h",
    ),
    Case(
        "min-above-max",
        spec(metrics=gates("{name: e, query: x, min: 5, max: 1}")),
        "spec.metrics.gates[0]: min must not be greater than max",
    ),
    Case(
        "min-ratio-above-max-ratio",
        spec(
            metrics=gates(
                "{name: e, template: latency-p50, relativeToStable: {minRatio: 2, maxRatio: 1}}"
            )
        ),
        "spec.metrics.gates[0].relativeToStable: minRatio must not be greater than maxRatio",
    ),
    Case(
        "nan-threshold",
        spec(metrics=gates("{name: e, query: x, max: .nan}")),
        "spec.metrics.gates[0].max: NaN is not a number JSON can carry",
    ),
    Case(
        "infinite-threshold",
        spec(metrics=gates("{name: e, query: x, min: -.inf}")),
        "spec.metrics.gates[0].min: -Infinity is not a number JSON can carry",
    ),
    Case(
        "nan-price",
        spec(metrics="    pricePerGpuHour: .nan\n"),
        "spec.metrics.pricePerGpuHour: NaN is not a number JSON can carry",
    ),
    Case(
        "nan-lpips",
        spec(extra="  qualityGates: {lpips: {maxMean: .nan}}\n"),
        "spec.qualityGates.lpips.maxMean: NaN is not a number JSON can carry",
    ),
    Case(
        "negative-gpu",
        spec().replace("nvidia.com/gpu: 1", "nvidia.com/gpu: -1"),
        "spec.evaluator.resources.limits.nvidia.com/gpu: -1 is not a resource quantity",
    ),
    Case(
        "negative-memory-string",
        spec().replace("nvidia.com/gpu: 1", "memory: '-2Gi'"),
        "spec.evaluator.resources.limits.memory: '-2Gi' is not a resource quantity",
    ),
    Case(
        "float-quantity",
        spec().replace("nvidia.com/gpu: 1", "cpu: 0.5"),
        "spec.evaluator.resources.limits.cpu: 0.5 is not a resource quantity",
    ),
    Case(
        "unknown-resources-field",
        spec().replace("{limits:", "{limit:"),
        "spec.evaluator.resources: unknown field 'limit'",
    ),
    Case(
        "relative-without-ratio",
        spec(metrics=gates("{name: e, template: latency-p50, relativeToStable: {}}")),
        "spec.metrics.gates[0].relativeToStable: relativeToStable needs maxRatio or minRatio",
    ),
    Case(
        "relative-with-only-difference",
        spec(
            metrics=gates("{name: e, template: latency-p50, relativeToStable: {minDifference: 1}}")
        ),
        "spec.metrics.gates[0].relativeToStable: relativeToStable needs maxRatio or minRatio",
    ),
    # Anchors: Go's $ does not match before a trailing newline.
    Case(
        "service-trailing-newline",
        spec().replace("service: gen-stable", 'service: "gen-stable\\n"'),
        "spec.stable.service: 'gen-stable\\n' is not a DNS-1123 label",
    ),
    Case(
        "duration-trailing-newline",
        spec().replace("duration: 1m", 'duration: "10m\\n"'),
        "spec.steps[2].pause.duration: '10m\\n' is not a duration",
    ),
    Case(
        "deployment-trailing-newline",
        spec().replace("deployment: gen-v2", 'deployment: "gen-v2\\n"'),
        "spec.candidate.deployment: 'gen-v2\\n' is not a DNS-1123 subdomain",
    ),
    Case(
        "sha-trailing-newline",
        spec().replace(
            "configMap: {name: golden}",
            f'url: {{href: "https://x/g.tgz", sha256: "{"a" * 64}\\n"}}',
        ),
        "spec.goldenSet.url.sha256:",
    ),
    # Metadata, as the API server checks it.
    Case("metadata-missing", HEAD + SPEC_HEAD + STEPS + EVALUATION, "metadata: required"),
    Case("metadata-null", spec(meta="metadata: null\n"), "metadata: required"),
    Case("metadata-list", spec(meta="metadata: [name, gen]\n"), "metadata: must be an object"),
    Case("name-missing", spec(meta="metadata: {namespace: x}\n"), "metadata.name: required"),
    Case(
        "name-empty",
        spec(meta="metadata: {name: ''}\n"),
        "metadata.name: '' is not a DNS-1123 subdomain",
    ),
    Case("name-int", spec(meta="metadata: {name: 5}\n"), "metadata.name: must be a string, got 5"),
    Case(
        "name-uppercase",
        spec(meta="metadata: {name: Poster_Gen}\n"),
        "metadata.name: 'Poster_Gen' is not a DNS-1123 subdomain",
    ),
    Case(
        "name-too-long",
        spec(meta=f"metadata: {{name: {'a' * 254}}}\n"),
        "metadata.name: 254 characters, more than the limit of 253",
    ),
    Case(
        "namespace-with-dot",
        spec(meta="metadata: {name: gen, namespace: image.gen}\n"),
        "metadata.namespace: 'image.gen' is not a DNS-1123 label",
    ),
    Case(
        "label-key",
        spec(meta="metadata: {name: gen, labels: {'-bad': x}}\n"),
        "metadata.labels: '-bad' is not a label key",
        engine=False,
    ),
    Case(
        "label-value",
        spec(meta=f"metadata: {{name: gen, labels: {{app: {'v' * 64}}}}}\n"),
        "metadata.labels.app: 64 characters, more than the limit of 63",
        engine=False,
    ),
    Case(
        "annotation-value-int",
        spec(meta="metadata: {name: gen, annotations: {a: 1}}\n"),
        "metadata.annotations.a: must be a string, got 1",
        engine=False,
    ),
    Case(
        "label-key-name-too-long",
        spec(meta=f"metadata: {{name: gen, labels: {{{'k' * 64}: v}}}}\n"),
        "metadata.labels: 'kkkk",
        engine=False,
    ),
    Case(
        "annotation-prefix-too-long",
        spec(meta=f"metadata: {{name: gen, annotations: {{{'p' * 254}/a: v}}}}\n"),
        "a label key's prefix is at most 253 characters, its name 63",
        engine=False,
    ),
    # The envelope and spec itself.
    Case("spec-null", HEAD + META + "spec: null\n", "spec: required"),
    Case("spec-missing", HEAD + META, "spec: required"),
    Case("spec-list", HEAD + META + "spec: [1, 2]\n", "spec: must be an object"),
    Case("api-version", spec().replace("v1alpha1", "v1"), "apiVersion: expected", engine=False),
    # Deeply nested YAML must be refused, not crash.
    Case(
        "deep-request",
        spec(extra=f"  generator: {{request: {{x: {nested(3000)}}}}}\n"),
        "it nests too deeply",
    ),
    Case(
        "deep-metadata",
        spec(meta=f"metadata: {{name: gen, labels: {nested(3000)}}}\n"),
        "it nests too deeply",
    ),
    Case(
        "request-150-deep",
        spec(extra=f"  generator: {{request: {{x: {nested(150)}}}}}\n"),
        "spec.generator.request.x[0][0][0][0]...: nested more than 100 levels deep",
    ),
    # Short, pointed messages.
    Case(
        "long-service",
        spec().replace("service: gen-stable", f"service: {'s' * 300}"),
        "spec.stable.service: 300 characters, more than the limit of 63",
    ),
    Case(
        "too-many-steps",
        spec(steps="  steps: [" + ", ".join(["{setWeight: 10}"] * 150) + "]\n"),
        "spec.steps: 150 items, more than the limit of 100",
    ),
    Case(
        "duplicate-gate",
        spec(metrics=gates("{name: e, template: error-rate}", "{name: e, template: latency-p95}")),
        "spec.metrics.gates: metric gate names must be unique: 'e' is used 2 times",
    ),
    Case(
        "decreasing-weights",
        spec(steps="  steps: [{setWeight: 50}, {setWeight: 10}]\n"),
        "spec.steps: steps: setWeight values must not decrease",
    ),
    Case(
        "same-services",
        spec().replace("service: gen-candidate", "service: gen-stable"),
        "spec.candidate.service: stable and candidate must use different Services",
    ),
    Case(
        "weight-string",
        spec(steps="  steps: [{setWeight: '10'}]\n"),
        "spec.steps[0].setWeight: must be an integer",
    ),
    Case(
        "weight-float",
        spec(steps="  steps: [{setWeight: 10.5}]\n"),
        "spec.steps[0].setWeight: must be an integer",
    ),
    Case(
        "weight-bool",
        spec(steps="  steps: [{setWeight: true}]\n"),
        "spec.steps[0].setWeight: must be an integer",
    ),
    Case("step-null", spec(steps="  steps: [null]\n"), "spec.steps[0]: must be an object"),
    Case("steps-null", spec(steps="  steps: null\n"), "spec.steps: required"),
    Case(
        "on-delete",
        spec(extra="  rollback: {onDelete: " + "x" * 200 + "}\n"),
        "spec.rollback.onDelete: 'xxxxxxxx",
    ),
    Case(
        "gate-name-long",
        spec(metrics=gates("{name: " + "g" * 70 + ", template: error-rate}")),
        "spec.metrics.gates[0].name: 70 characters, more than the limit of 63",
    ),
    Case(
        "failure-limit-zero",
        spec(metrics=gates("{name: e, template: error-rate, failureLimit: 0}")),
        "spec.metrics.gates[0].failureLimit: 0 is less than the minimum of 1",
    ),
    Case(
        "env-value-int",
        spec().replace(
            "image: registry.example/evaluator:1", "image: e:1, env: [{name: A, value: 1}]"
        ),
        "spec.evaluator.env[0].value: must be a string",
    ),
    Case("unknown-spec-field", spec(extra="  foo: 1\n"), "spec: unknown field 'foo'"),
    Case(
        "gates-without-prometheus",
        spec() + "  metrics: {gates: [{name: e, template: error-rate}]}\n",
        "spec.metrics: metric gates need a metrics provider",
    ),
)
