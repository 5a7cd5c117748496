"""Exactly one router, whichever ones are named: the CRD (schema and CEL rule, checked with
cel-python) and the pydantic models accept a traffic section with one router and reject
every other combination, kserve included."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest
from pydantic import ValidationError

from pixelproof.api.rollout import ModelRollout
from pixelproof.api.validation import validate_modelrollout

ROUTERS: dict[str, dict[str, Any]] = {
    "gatewayAPI": {"httpRoute": "poster-gen"},
    "istio": {"virtualService": "poster-gen"},
    "kserve": {"inferenceService": "poster-gen"},
    "replicas": {"totalReplicas": 4},
}
ONE_ROUTER = (
    "spec.traffic: traffic must name exactly one router: gatewayAPI, istio, kserve or replicas"
)
CHOICES = [c for n in range(len(ROUTERS) + 1) for c in combinations(sorted(ROUTERS), n)]


def _rollout(routers: tuple[str, ...]) -> dict[str, Any]:
    return {
        "apiVersion": "pixelproof.dev/v1alpha1",
        "kind": "ModelRollout",
        "metadata": {"name": "poster-gen", "namespace": "imagegen"},
        "spec": {
            "stable": {"deployment": "poster-gen-predictor-00001-deployment", "service": "s"},
            "candidate": {"deployment": "poster-gen-predictor-00002-deployment", "service": "c"},
            "traffic": {name: ROUTERS[name] for name in routers},
            "steps": [{"setWeight": 10}, {"setWeight": 100}],
        },
    }


@pytest.mark.parametrize("routers", CHOICES, ids=lambda c: "+".join(c) or "none")
def test_exactly_one_router_is_accepted(routers: tuple[str, ...]) -> None:
    doc = _rollout(routers)
    errors = validate_modelrollout(doc)
    if len(routers) == 1:
        assert errors == []
        assert ModelRollout.model_validate(doc).spec.traffic.kind == routers[0]
    else:
        assert ONE_ROUTER in errors
        with pytest.raises(ValidationError, match="exactly one router"):
            ModelRollout.model_validate(doc)


def test_kserve_needs_an_inference_service_name() -> None:
    doc = _rollout(("kserve",))
    doc["spec"]["traffic"]["kserve"] = {"inferenceService": "Poster_Gen"}
    assert any(
        e.startswith("spec.traffic.kserve.inferenceService") for e in validate_modelrollout(doc)
    )
    doc["spec"]["traffic"]["kserve"] = {}
    assert any("inferenceService" in e for e in validate_modelrollout(doc))
    with pytest.raises(ValidationError):
        ModelRollout.model_validate(doc)
