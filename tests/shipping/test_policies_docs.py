"""The YAML in docs/policies.md works: it parses, its GateSets and ClusterGateSets pass
the API's validation, and its ModelRollouts are valid and usable with the sets it shows."""

from __future__ import annotations

import re
from typing import Any

import yaml

from pixelproof.api.gatesets import GATE_SET_KINDS, GateSetKey
from pixelproof.api.validation import validate_gate_set, validate_modelrollout
from pixelproof.engine import parse_spec
from pixelproof_testkit.charts import REPO

DOC = REPO / "docs" / "policies.md"
BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def documents() -> list[dict[str, Any]]:
    return [d for m in BLOCK.finditer(DOC.read_text()) for d in yaml.safe_load_all(m.group(1)) if d]


def test_every_yaml_block_parses_and_is_valid() -> None:
    docs = documents()
    assert len(BLOCK.findall(DOC.read_text())) == DOC.read_text().count("```yaml") == 3
    sets = {
        GateSetKey(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace", "")): d
        for d in docs
        if d.get("kind") in GATE_SET_KINDS
    }
    assert len(sets) == 2
    for gate_set in sets.values():
        assert validate_gate_set(gate_set) == []
    rollouts = [d for d in docs if d.get("kind") == "ModelRollout"]
    assert len(rollouts) == 3
    found = {key: d["spec"] for key, d in sets.items()}
    for rollout in rollouts:
        assert validate_modelrollout(rollout) == []
        parsed = parse_spec(rollout["spec"], found, rollout["metadata"]["namespace"])
        assert parsed.problem is None, parsed.problem


def test_the_readme_links_the_guide() -> None:
    assert "(docs/policies.md)" in (REPO / "README.md").read_text()
