"""The objects the stack applies: a generator app (stable Deployment and Service), and per rollout a candidate Deployment and Service, an HTTPRoute and the
ModelRollout itself, with timings short enough for a demo."""

from __future__ import annotations

from typing import Any

from .golden import CLAIM

EVALUATOR_IMAGE = "registry.example/pixelproof-evaluator:0.1.0"
PORT = 80
LABELS = {"app.kubernetes.io/part-of": "pixelproof-demo"}

# Metric gates get a quiet window at the first step before the evaluation starts, long
# enough for Prometheus to scrape a few seconds of the candidate's traffic.
DEFAULT_STEPS: list[dict[str, Any]] = [
    {"setWeight": 20},
    {"pause": {"duration": "15s"}},
    {"evaluate": {}},
    {"setWeight": 50},
    {"pause": {"duration": "5s"}},
    {"setWeight": 100},
]

REVIEW_DEADLINE = "30s"

# Half the demo's few requests a second reach the recorder: enough prompts for a live
# evaluation within the first pause. A real service mirrors far less (docs/live-traffic.md).
LIVE_TRAFFIC: dict[str, Any] = {
    "mirrorPercent": 50,
    "recorder": {"maxCount": 200, "retention": "10m"},
}
LIVE_STEP: dict[str, Any] = {"evaluate": {"source": "live", "count": 8, "minCount": 4}}


def live_steps(steps: list[dict[str, Any]] = DEFAULT_STEPS) -> list[dict[str, Any]]:
    """`steps` with a live evaluation right after the golden one."""
    at = next(i for i, step in enumerate(steps) if "evaluate" in step) + 1
    return [*steps[:at], LIVE_STEP, *steps[at:]]


def review_steps(steps: list[dict[str, Any]] = DEFAULT_STEPS) -> list[dict[str, Any]]:
    """`steps` with a review after the evaluation: the demo nobody watches promotes itself
    at the deadline, and `kubectl pixelproof promote` ends the pause sooner."""
    at = next(i for i, step in enumerate(steps) if "evaluate" in step) + 1
    review = {"review": {"deadline": REVIEW_DEADLINE, "onDeadline": "promote"}}
    return [*steps[:at], review, *steps[at:]]


# Written relative to the stable model's noise floor, which the stack calibrates from A/A
# runs of stable before any rollout: the same gates hold whatever the LPIPS backbone.
QUALITY_GATES: dict[str, Any] = {
    "lpips": {"maxNoiseMultiple": 3},
    "typography": {"minPassRate": 0.95, "maxCharErrorRate": 0.2},
    "format": {"alpha": True, "size": True},
    "determinism": {"maxNoiseMultiple": 3},
    "failureRate": {"max": 0.02},
    "color": {"maxNoiseMultiple": 1.7},
    "sharpness": {"maxNoiseMultiple": 2.5},
    "versusStable": {"maxRegression": 0.005, "minItems": 6},
}

# The upscale demo's gates, for the same backbone and drift as above; the inpaint demo's
# add preservation (an upscale set has no masked item, which would leave it Inconclusive).
UPSCALE_QUALITY_GATES: dict[str, Any] = {
    "lpips": {"maxMean": 0.05},
    "format": {"alpha": True, "size": True},
    "determinism": {"maxReplayDistance": 0.02},
    "failureRate": {"max": 0.02},
    "outputSize": {},
    "inputColor": {"maxDeltaE": 3.0},
    "robustness": {"maxLpipsExcess": 0.1},
}
INPAINT_QUALITY_GATES: dict[str, Any] = {
    **UPSCALE_QUALITY_GATES,
    "preservation": {"maxMeanError": 8.0},
}

METRIC_GATES: list[dict[str, Any]] = [
    {"name": "error-rate", "template": "error-rate", "max": 0.02, "failureLimit": 2},
    {
        "name": "latency-p50",
        "template": "latency-p50",
        # The floor keeps CPU contention from reading as a regression: on a loaded
        # two-core machine the stable model, serving most of the traffic, has read 70 ms
        # slower than the candidate. The catalogue's latency fault (+400 ms) is well above.
        "relativeToStable": {"maxRatio": 2.0, "minDifference": 0.15},
        "failureLimit": 2,
    },
]


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": LABELS}}


def deployment(name: str, namespace: str, replicas: int, model: str) -> dict[str, Any]:
    labels = {"app": "poster-gen", "model": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {**labels, **LABELS}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "generator",
                            "image": f"registry.example/poster-gen:{model}",
                            "ports": [{"containerPort": 8080}],
                            "resources": {"limits": {"nvidia.com/gpu": 1}},
                        }
                    ]
                },
            },
        },
    }


def service(name: str, namespace: str, deployment_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": LABELS},
        "spec": {
            "selector": {"app": "poster-gen", "model": deployment_name},
            "ports": [{"port": PORT, "targetPort": 8080}],
        },
    }


def httproute(
    name: str, namespace: str, stable_service: str, candidate_service: str
) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": namespace, "labels": LABELS},
        "spec": {
            "parentRefs": [{"name": "public-gateway"}],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/generate"}}],
                    "backendRefs": [
                        {"name": stable_service, "port": PORT, "weight": 100},
                        {"name": candidate_service, "port": PORT, "weight": 0},
                    ],
                }
            ],
        },
    }


def modelrollout(
    name: str,
    namespace: str,
    *,
    stable: tuple[str, str],
    candidate: tuple[str, str],
    route: str,
    prometheus_url: str,
    steps: list[dict[str, Any]] | None = None,
    quality_gates: dict[str, Any] | None = None,
    metric_gates: list[dict[str, Any]] | None = None,
    generator_timeout_seconds: float = 10,
    live_traffic: dict[str, Any] | None = None,
    generator_inputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`stable` and `candidate` are (Deployment, Service) pairs."""
    generator: dict[str, Any] = {
        "path": "/generate",
        "port": PORT,
        "request": {},
        "timeoutSeconds": generator_timeout_seconds,
    }
    if generator_inputs is not None:
        generator["inputs"] = generator_inputs
    rollout: dict[str, Any] = {
        "apiVersion": "pixelproof.dev/v1alpha1",
        "kind": "ModelRollout",
        "metadata": {"name": name, "namespace": namespace, "labels": LABELS},
        "spec": {
            "stable": {"deployment": stable[0], "service": stable[1]},
            "candidate": {"deployment": candidate[0], "service": candidate[1], "replicas": 1},
            "generator": generator,
            "traffic": {"gatewayAPI": {"httpRoute": route}},
            "steps": steps if steps is not None else DEFAULT_STEPS,
            "goldenSet": {"pvc": {"claimName": CLAIM}},
            "evaluator": {
                "image": EVALUATOR_IMAGE,
                "resources": {"limits": {"nvidia.com/gpu": 1}},
                # Jobs queue for the local node's few evaluator slots, as for scarce GPUs.
                "activeDeadlineSeconds": 1800,
                "pendingDeadlineSeconds": 1800,
                # One request at a time per model: a burst from the evaluator would queue on
                # a one-replica candidate and skew its latency next to the busier stable.
                "concurrency": 1,
            },
            "qualityGates": quality_gates if quality_gates is not None else QUALITY_GATES,
            "metrics": {
                "prometheus": {"address": prometheus_url, "timeoutSeconds": 5},
                "interval": "1s",
                "gates": metric_gates if metric_gates is not None else METRIC_GATES,
            },
            "progressDeadlineSeconds": 600,
        },
    }
    if live_traffic is not None:
        rollout["spec"]["liveTraffic"] = live_traffic
    return rollout
