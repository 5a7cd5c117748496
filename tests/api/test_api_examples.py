"""Every example is valid; every file in examples/invalid/ is rejected by the one validation
every door uses, with the message written in the file's first line. Files named query-*
break only what the operator checks beyond the API server: their gate query templates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pixelproof.api.crd_validation import crd_spec_errors
from pixelproof.api.gatesets import GATE_SET_KINDS
from pixelproof.api.rollout import ModelRollout
from pixelproof.api.validation import validate_gate_set, validate_modelrollout
from pixelproof.lint import main as lint_main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
VALID = sorted(EXAMPLES.glob("*.yaml"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.yaml"))


def test_there_are_examples() -> None:
    assert len(VALID) >= 3 and len(INVALID) >= 10


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_passes_schema_cel_and_models(path: Path) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and doc.get("kind") == "ModelRollout":
            assert validate_modelrollout(doc) == []
            ModelRollout.model_validate(doc)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_example_is_rejected_with_named_field(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: ")
    expected = first.removeprefix("# expect: ")
    errors = validate_modelrollout(yaml.safe_load(path.read_text()))
    assert any(expected in e for e in errors), errors
    assert len(errors) == 1, errors
    assert expected.split(":")[0].startswith(("spec.", "metadata.")), "name the field"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_models_agree_with_the_crd_on_invalid_examples(path: Path) -> None:
    """The pydantic models (used by the engine) reject what the CRD rejects; a query
    template problem passes both and is caught by the one validation alone."""
    from pydantic import ValidationError

    doc = yaml.safe_load(path.read_text())
    if path.name.startswith("query-"):
        ModelRollout.model_validate(doc)
        assert crd_spec_errors(doc["spec"]) == []
        return
    with pytest.raises(ValidationError):
        ModelRollout.model_validate(doc)
    if path.name.startswith(("invalid-name", "name-is", "invalid-namespace")):
        assert crd_spec_errors(doc["spec"]) == [], "metadata is the API server's own check"
    else:
        assert crd_spec_errors(doc["spec"]) != []


def test_lint_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert lint_main([str(p) for p in VALID]) == 0
    assert lint_main([str(INVALID[0])]) == 1
    assert INVALID[0].name in capsys.readouterr().err


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_every_gate_set_in_the_examples_is_valid(path: Path) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and doc.get("kind") in GATE_SET_KINDS:
            assert validate_gate_set(doc) == []
