"""The YAML in docs/operating.md works: it parses, its ModelRollouts pass the API's own
validation, and its chart values render with the real helm."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from pixelproof.api.validation import validate_modelrollout
from pixelproof_testkit.charts import REPO, render

DOC = REPO / "docs" / "operating.md"
BLOCK = re.compile(r"(<!-- chart-values -->\n)?```yaml\n(.*?)```", re.DOTALL)


def blocks() -> list[tuple[bool, list[Any]]]:
    """(is chart values, documents) for every YAML block."""
    return [
        (bool(m.group(1)), [d for d in yaml.safe_load_all(m.group(2)) if d is not None])
        for m in BLOCK.finditer(DOC.read_text())
    ]


def test_every_yaml_block_parses() -> None:
    parsed = blocks()
    assert len(parsed) == DOC.read_text().count("```yaml")
    assert all(docs for _, docs in parsed)


def test_model_rollouts_in_the_guide_are_valid() -> None:
    rollouts = [
        d
        for _, docs in blocks()
        for d in docs
        if isinstance(d, dict) and d.get("kind") == "ModelRollout"
    ]
    assert rollouts
    for rollout in rollouts:
        assert validate_modelrollout(rollout) == [], rollout["metadata"]["name"]


def test_chart_values_in_the_guide_render(helm: Path) -> None:
    values_blocks = [docs[0] for is_values, docs in blocks() if is_values]
    assert len(values_blocks) == 6
    for values in values_blocks:
        rendered = render(helm, values)
        assert any(d["kind"] == "Deployment" for d in rendered)


def test_argocd_ignore_differences_cover_every_router() -> None:
    apps = [
        d
        for _, docs in blocks()
        for d in docs
        if isinstance(d, dict) and d.get("kind") == "Application"
    ]
    (app,) = apps
    assert "RespectIgnoreDifferences=true" in app["spec"]["syncPolicy"]["syncOptions"]
    kinds = {(rule["group"], rule["kind"]) for rule in app["spec"]["ignoreDifferences"]}
    assert kinds == {
        ("gateway.networking.k8s.io", "HTTPRoute"),
        ("networking.istio.io", "VirtualService"),
        ("apps", "Deployment"),
    }
