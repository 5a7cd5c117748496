"""traffic.gpuBudget, sessionAffinity and canaryHeaders: the CRD (schema and CEL rules,
checked with cel-python) and the models agree on which router can carry which policy, and
a refusal names the field."""

from __future__ import annotations

from typing import Any

import pytest

from pixelproof.api.crd_validation import crd_spec_errors
from pixelproof.api.validation import check_spec

ROUTERS: dict[str, dict[str, Any]] = {
    "gatewayAPI": {"httpRoute": "poster-gen"},
    "istio": {"virtualService": "poster-gen"},
    "kserve": {"inferenceService": "poster-gen"},
    "replicas": {"totalReplicas": 4},
}
POLICIES: dict[str, dict[str, Any]] = {
    "gpuBudget": {"gpuBudget": {"totalReplicas": 4}},
    "cookie": {"sessionAffinity": {"cookie": {"name": "poster-model"}}},
    "header": {"sessionAffinity": {"header": {"name": "x-user"}}},
    "canaryHeaders": {"canaryHeaders": [{"name": "x-canary", "value": "true"}]},
}
SUPPORTED = {
    "gatewayAPI": {"gpuBudget", "cookie", "header", "canaryHeaders"},
    "istio": {"gpuBudget", "cookie", "canaryHeaders"},
    "kserve": set(),
    "replicas": set(),
}
FIELD = {
    "gpuBudget": "traffic.gpuBudget",
    "cookie": "traffic.sessionAffinity",
    "header": "traffic.sessionAffinity",
    "canaryHeaders": "traffic.canaryHeaders",
}


def _spec(router: str, policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "stable": {"deployment": "poster-gen-predictor-00001-deployment", "service": "s"},
        "candidate": {"deployment": "poster-gen-predictor-00002-deployment", "service": "c"},
        "traffic": {router: ROUTERS[router], **policy},
        "steps": [{"setWeight": 10}, {"setWeight": 100}],
    }


@pytest.mark.parametrize("router", sorted(ROUTERS))
@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_each_router_takes_the_policies_it_can_apply(router: str, policy: str) -> None:
    spec = _spec(router, POLICIES[policy])
    model_errors = check_spec(spec).errors
    crd_errors = crd_spec_errors(spec)
    if policy in SUPPORTED[router]:
        assert model_errors == () and crd_errors == []
    else:
        assert model_errors and crd_errors
        assert FIELD[policy] in " ".join(model_errors)
        assert FIELD[policy] in " ".join(crd_errors)


@pytest.mark.parametrize(
    "affinity",
    [{}, {"cookie": {"name": "a"}, "header": {"name": "b"}}],
)
def test_session_affinity_needs_exactly_one_of_cookie_or_header(affinity: dict[str, Any]) -> None:
    spec = _spec("gatewayAPI", {"sessionAffinity": affinity})
    assert check_spec(spec).errors and crd_spec_errors(spec)


@pytest.mark.parametrize(
    "policy",
    [
        {"gpuBudget": {"totalReplicas": 1}},
        {"gpuBudget": {"totalReplicas": 4, "scaleDownDelaySeconds": -1}},
        {"canaryHeaders": [{"name": "bad header", "value": "1"}]},
        {"canaryHeaders": [{"name": "x-canary", "value": ""}]},
    ],
)
def test_out_of_range_policy_fields_are_refused(policy: dict[str, Any]) -> None:
    spec = _spec("gatewayAPI", policy)
    assert check_spec(spec).errors and crd_spec_errors(spec)
