"""The mirror state where people look: `kubectl pixelproof status`, the tree header and
`pixelproof simulate`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pixelproof.kubectl_plugin.render import status_view, step_text
from pixelproof.kubectl_plugin.style import Style
from pixelproof.kubectl_plugin.tree import rollout_header
from pixelproof.simulation.cli import main as simulate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "poster-gen-live.yaml"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _rollout(live: dict[str, Any] | None, **status: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "steps": [{"setWeight": 10}, {"evaluate": {"source": "live", "count": 300}}]
    }
    if live is not None:
        spec["liveTraffic"] = live
    return {
        "metadata": {"name": "poster-gen", "namespace": "imagegen"},
        "spec": spec,
        "status": {"phase": "Progressing", "currentStep": 1, **status},
    }


@pytest.mark.parametrize(
    ("live", "status", "shown"),
    [
        (
            {"mirrorPercent": 20},
            {"mirrorPercent": 20, "recorder": "http://poster-gen-recorder.imagegen.svc:8080"},
            "20% of requests to http://poster-gen-recorder.imagegen.svc:8080 (declared 20%)",
        ),
        ({}, {}, "none (declared 10%)"),
        ({"mirrorPercent": 5}, {"mirrorPercent": -1}, "rules disagree (declared 5%)"),
        (
            {"promptLog": {"url": {"href": "https://x.example/p.jsonl", "sha256": "0" * 64}}},
            {},
            "none (prompts come from spec.liveTraffic.promptLog)",
        ),
    ],
    ids=["mirrored", "not-yet", "mixed", "prompt-log"],
)
def test_status_and_tree_show_the_mirror(
    live: dict[str, Any], status: dict[str, Any], shown: str
) -> None:
    obj = _rollout(live, **status)
    assert f"Mirror:      {shown}" in status_view(obj, NOW).splitlines()
    assert f"Mirror:        {shown}" in rollout_header(obj, Style())


def test_rollouts_without_live_traffic_show_no_mirror_line() -> None:
    obj = _rollout(None)
    assert "Mirror:" not in status_view(obj, NOW)
    assert not [line for line in rollout_header(obj, Style()) if "Mirror" in line]


def test_live_steps_are_named_as_such() -> None:
    assert step_text({"evaluate": {"source": "live", "count": 300}}) == (
        "evaluate live (300 recorded prompts)"
    )
    assert step_text({"evaluate": {}}) == "evaluate"


@pytest.mark.parametrize(("verdict", "code"), [("Pass", 0), ("Fail", 1)])
def test_simulate_shows_the_mirror_come_and_go(
    capsys: pytest.CaptureFixture[str], verdict: str, code: int
) -> None:
    assert simulate([str(EXAMPLE), "--evaluation", verdict]) == code
    out = capsys.readouterr().out
    assert re.search(r"MirrorChanged +route mirrors 10% of requests to the prompt recorder", out)
    assert "RecorderRemoved" in out
    assert "mirror: none" in out.splitlines()[-2]
