"""`pixelproof demo --review`: the good rollout pauses for a review after its evaluation."""

from __future__ import annotations

from pixelproof.api.validation import validate_modelrollout
from pixelproof_demo import manifests
from pixelproof_demo.cli import parser


def test_the_review_flag_puts_a_review_after_the_evaluation() -> None:
    assert parser().parse_args(["--review"]).review is True
    assert parser().parse_args([]).review is False
    steps = manifests.review_steps()
    kinds = [next(iter(step)) for step in steps]
    assert kinds[kinds.index("evaluate") + 1] == "review"
    assert steps[kinds.index("review")]["review"] == {"deadline": "30s", "onDeadline": "promote"}
    assert [s for s in steps if "review" not in s] == manifests.DEFAULT_STEPS
    rollout = manifests.modelrollout(
        "poster-gen-v2",
        "imagegen",
        stable=("poster-gen", "poster-gen"),
        candidate=("poster-gen-v2-candidate", "poster-gen-v2-candidate"),
        route="poster-gen-v2",
        prometheus_url="http://127.0.0.1:9090",
        steps=steps,
    )
    assert validate_modelrollout(rollout) == []
