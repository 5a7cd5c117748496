"""The YAML in docs/image-to-image.md holds together: its ModelRollout passes the API's one
validation with the inputs contract and the image-to-image gates it shows, and its golden
items are what the evaluator's manifest model accepts."""

from __future__ import annotations

import re
from typing import Any

import yaml

from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.validation import validate_modelrollout
from pixelproof_evaluator.golden import GoldenManifest
from pixelproof_testkit.charts import REPO

BLOCK = re.compile(r"```yaml\n(.*?)^ *```", re.DOTALL | re.MULTILINE)


def _blocks(name: str) -> list[Any]:
    text = (REPO / "docs" / name).read_text()
    return [yaml.safe_load(block) for block in BLOCK.findall(text)]


def test_the_rollout_validates_with_inputs_and_image_to_image_gates() -> None:
    (rollout,) = [b for b in _blocks("image-to-image.md") if b.get("kind") == "ModelRollout"]
    assert validate_modelrollout(rollout) == []
    spec = ModelRolloutSpec.model_validate(rollout["spec"])
    inputs = spec.generator.inputs
    assert inputs is not None and inputs.encoding == "multipart"
    gates = spec.quality_gates
    assert gates is not None
    assert gates.output_size is not None and gates.preservation is not None
    assert gates.input_color is not None and gates.robustness is not None


def _pinned(item: dict[str, Any]) -> dict[str, Any]:
    """The docs shorten digests to `9c1e...`; a full one stands in."""
    return {
        key: "0" * 64 if key.lower().endswith("sha256") else value for key, value in item.items()
    }


def test_the_image_to_image_golden_items_parse() -> None:
    manifests = [
        {**b, "items": [_pinned(i) for i in b["items"]]}
        for b in _blocks("golden-sets.md")
        if isinstance(b, dict) and "items" in b
    ]
    tasks = {item.task for doc in manifests for item in GoldenManifest.model_validate(doc).items}
    assert {"generate", "upscale", "inpaint"} <= tasks
