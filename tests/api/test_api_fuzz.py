"""Fuzzing: the CRD (schema and CEL rules) and the models give the same verdict on every
spec, and no door raises on any document or disagrees with another on it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from pixelproof_testkit import doors
from pixelproof_testkit.spec_strategies import documents, specs

# cel-python raises the recursion limit when it first parses a rule.
pytestmark = pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
FUZZ = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@FUZZ
@given(specs())
def test_the_crd_and_the_models_agree(spec: Any) -> None:
    crd, model = doors.crd_spec(spec), doors.model_spec(spec)
    assert bool(crd) == bool(model), (crd, model)


@settings(FUZZ, max_examples=200)
@given(documents())
def test_every_door_agrees_and_none_raises(doc: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rollout.yaml"
        path.write_text(yaml.safe_dump(doc))
        verdicts = {name: bool(door(path)) for name, door in doors.FILE_DOORS.items()}
    if not isinstance(doc, dict) or doc.get("kind") != "ModelRollout":
        # Lint passes over other kinds; simulate needs a ModelRollout to play.
        assert not verdicts["lint"] and verdicts["simulate"]
        return
    assert len(set(verdicts.values())) == 1, verdicts
    # The engine sees only what the API server stored: the spec, name and namespace.
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    rest_is_clean = (
        isinstance(meta, dict)
        and set(meta) <= {"name", "namespace"}
        and doc.get("apiVersion") == "pixelproof.dev/v1alpha1"
    )
    if rest_is_clean:
        assert bool(doors.engine(doc)) == verdicts["lint"]
    else:
        doors.engine(doc)
