"""The YAML in docs/windows-and-review.md works: it parses, and its ModelRollouts pass
the API's own validation and the engine's spec checks."""

from __future__ import annotations

import re
from typing import Any

import yaml

from pixelproof.api.validation import validate_modelrollout
from pixelproof.controller.freezes import read_freeze
from pixelproof.engine import parse_spec
from pixelproof_testkit.charts import REPO

DOC = REPO / "docs" / "windows-and-review.md"
BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def documents() -> list[dict[str, Any]]:
    return [d for m in BLOCK.finditer(DOC.read_text()) for d in yaml.safe_load_all(m.group(1)) if d]


def test_every_yaml_block_parses_and_is_valid() -> None:
    docs = documents()
    assert len(BLOCK.findall(DOC.read_text())) == DOC.read_text().count("```yaml") == 4
    rollouts = [d for d in docs if d.get("kind") == "ModelRollout"]
    assert len(rollouts) == 2
    for rollout in rollouts:
        assert validate_modelrollout(rollout) == [], rollout["metadata"]["name"]
        assert parse_spec(rollout["spec"]).problem is None
    [freeze] = [d for d in docs if d.get("kind") == "ConfigMap"]
    assert read_freeze(freeze).problem is None
    [annotations] = [d for d in docs if "kind" not in d]
    assert set(annotations["metadata"]["annotations"]) == {
        "pixelproof.dev/promote",
        "pixelproof.dev/promote-by",
    }


def test_the_readme_links_the_guide() -> None:
    assert "(docs/windows-and-review.md)" in (REPO / "README.md").read_text()
