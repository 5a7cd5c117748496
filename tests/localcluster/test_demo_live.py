"""`pixelproof demo` judges both rollouts on recorded prompts too: a live evaluation after
the golden one, and the mirror in its view."""

from __future__ import annotations

from typing import Any

from pixelproof.api.validation import validate_modelrollout
from pixelproof_demo import manifests
from pixelproof_demo.view import describe, line


def _rollout() -> dict[str, Any]:
    return manifests.modelrollout(
        "poster-gen-v2",
        "imagegen",
        stable=("poster-gen", "poster-gen"),
        candidate=("poster-gen-v2-candidate", "poster-gen-v2-candidate"),
        route="poster-gen-v2",
        prometheus_url="http://127.0.0.1:9090",
        steps=manifests.live_steps(),
        live_traffic=manifests.LIVE_TRAFFIC,
    )


def test_the_live_evaluation_follows_the_golden_one() -> None:
    steps = manifests.live_steps()
    evaluations = [s["evaluate"] for s in steps if "evaluate" in s]
    assert evaluations == [{}, manifests.LIVE_STEP["evaluate"]]
    assert [s for s in steps if s is not manifests.LIVE_STEP] == manifests.DEFAULT_STEPS
    assert validate_modelrollout(_rollout()) == []


def test_the_view_shows_the_mirror_read_back() -> None:
    rollout = _rollout()
    assert describe(rollout).mirror == "none"
    rollout["status"] = {"phase": "Progressing", "mirrorPercent": 50}
    view = describe(rollout)
    assert view.mirror == "50%"
    assert " mirror=50% " in line(view)
    plain = dict(rollout)
    plain["spec"] = {k: v for k, v in rollout["spec"].items() if k != "liveTraffic"}
    assert describe(plain).mirror == "-"
