"""The YAML in docs/live-traffic.md works: its ModelRollouts pass the one validation, and
the route fragments are what the routers write."""

from __future__ import annotations

import re
from typing import Any

import yaml

from pixelproof.api.validation import validate_modelrollout
from pixelproof.engine import parse_spec
from pixelproof_testkit.charts import REPO

DOC = REPO / "docs" / "live-traffic.md"
BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def documents() -> list[Any]:
    return [d for m in BLOCK.finditer(DOC.read_text()) for d in yaml.safe_load_all(m.group(1)) if d]


def test_every_rollout_in_the_guide_is_valid() -> None:
    rollouts = [d for d in documents() if isinstance(d, dict) and d.get("kind") == "ModelRollout"]
    assert len(rollouts) == 2
    for rollout in rollouts:
        assert validate_modelrollout(rollout) == []
        assert parse_spec(rollout["spec"]).problem is None
    mirrored, logged = rollouts
    assert mirrored["spec"]["traffic"].keys() == {"gatewayAPI"}
    assert logged["spec"]["traffic"].keys() == {"replicas"}


def test_the_stalled_message_is_the_one_the_operator_writes() -> None:
    rollout = next(
        d for d in documents() if isinstance(d, dict) and d.get("kind") == "ModelRollout"
    )
    rollout["spec"]["traffic"] = {"replicas": {"totalReplicas": 4}}
    problem = parse_spec(rollout["spec"]).problem or ""
    text = " ".join(DOC.read_text().split())
    assert " ".join(problem.split()) in text


def test_the_readme_links_the_guide() -> None:
    assert "(docs/live-traffic.md)" in (REPO / "README.md").read_text()
