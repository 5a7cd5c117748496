"""The failure catalog as rollouts: one candidate per failure (and three good ones), each
with the fault the reference generator injects and what must catch it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pixelproof_demo.golden import ADVERSARIAL_MARKER
from pixelproof_demo.manifests import DEFAULT_STEPS

FIRST_EVALUATE_STEP = next(i for i, s in enumerate(DEFAULT_STEPS) if "evaluate" in s)
FIRST_WEIGHT = DEFAULT_STEPS[0]["setWeight"]

# A metric gate must see these faults before any evaluation does: a long first pause keeps
# the evaluation (which would also notice them) from starting first on a loaded machine.
METRIC_FIRST_STEPS: list[dict[str, Any]] = [
    {"setWeight": FIRST_WEIGHT},
    {"pause": {"duration": "90s"}},
    *DEFAULT_STEPS[2:],
]
# A pre-traffic evaluation: the candidate gets no live traffic, so every request the
# generator counts came from the evaluator's client.
EVALUATE_FIRST_STEPS: list[dict[str, Any]] = [{"evaluate": {}}, *DEFAULT_STEPS]


def evaluating(
    tags: list[str], steps: list[dict[str, Any]] = DEFAULT_STEPS
) -> list[dict[str, Any]]:
    """`steps` with their evaluations limited to golden items with these tags: the items that
    show the fault, so the many evaluations of one session fit on two shared cores."""
    return [{"evaluate": {"tags": tags}} if "evaluate" in s else s for s in steps]


# The test parameter that names a scenario: the stack starts the rollouts of those selected.
SCENARIO_PARAM = "scenario_id"

# The scenes without text: no OCR, so their evaluation is cheap.
SCENES = ["adversarial"]

# Stable and good candidates drift like real models across GPUs.
DRIFT = {"replay_noise": 1.0}

# Absolute thresholds, one verdict name per fault, tuned to the reference generator with
# LPIPS on the seeded random AlexNet backbone: a good model's drift across runs scores about
# 1e-4, a font fallback about 0.04 on the text items.
ABSOLUTE_GATES: dict[str, Any] = {
    "lpips": {"maxMean": 0.01, "maxItem": 0.02},
    "typography": {"minPassRate": 0.95, "maxCharErrorRate": 0.2},
    "format": {"alpha": True, "size": True},
    "determinism": {"maxReplayDistance": 0.01},
    "failureRate": {"max": 0.02},
    "color": {"maxDeltaE": 3.0},
    "sharpness": {"minRatio": 0.6},
    "versusStable": {"maxRegression": 0.005, "minItems": 6},
}


@dataclass(frozen=True)
class Scenario:
    id: str
    failure: str
    faults: dict[str, Any]
    evaluation_gate: str | None = None
    steps: list[dict[str, Any]] | None = None
    metric_gate: str | None = None


EVALUATION_CAUGHT: tuple[Scenario, ...] = (
    Scenario("f1-drop-alpha", "F1", {"drop_alpha": True}, "format.alpha", evaluating(["alpha"])),
    Scenario(
        "f2-garbled-small-text", "F2", {"garble_small_text": 30}, "typography", evaluating(["text"])
    ),
    Scenario(
        "f2-font-fallback", "F2", {"font_fallback": "serif"}, "lpips.item", evaluating(["text"])
    ),
    Scenario("f3-stretch", "F3", {"stretch": 1.25}, "format.size", evaluating(SCENES)),
    Scenario("f4-color-shift", "F4", {"color_shift": 0.3}, "color", evaluating(SCENES)),
    Scenario("f5-blur", "F5", {"blur": 1.5}, "sharpness", evaluating(SCENES)),
    Scenario("f6-nondeterminism", "F6", {"nondeterminism": 1.0}, "determinism", evaluating(SCENES)),
    # The whole set: the paired comparison needs curated and adversarial items side by side.
    Scenario("f10-adversarial-prompts", "F10", {"miscompose": ADVERSARIAL_MARKER}, "versusStable"),
    Scenario(
        "f11-off-template", "F11", {"off_template": True}, "typography", evaluating(["template"])
    ),
    Scenario("f8-corrupt-png", "F8", {"corrupt_png": 1.0}, "failureRate", evaluating(SCENES)),
    Scenario("f8-html-error-page", "F8", {"html_error": 1.0}, "failureRate", evaluating(SCENES)),
    # A worker that dies on every request answers nothing, so its own metrics stay empty and
    # metric gates hold; a pre-traffic evaluation is what sees it.
    Scenario(
        "f8-worker-crash",
        "F8",
        {"crash_rate": 1.0},
        "failureRate",
        evaluating(SCENES, EVALUATE_FIRST_STEPS),
    ),
)
METRIC_CAUGHT: tuple[Scenario, ...] = (
    Scenario(
        "f7-latency", "F7", {"latency_ms": 400}, metric_gate="latency-p50", steps=METRIC_FIRST_STEPS
    ),
    Scenario(
        "f9-error-rate",
        "F8/F9",
        {"error_rate": 0.5},
        metric_gate="error-rate",
        steps=METRIC_FIRST_STEPS,
    ),
)
RETRY_STORM = Scenario(
    "f12-retry-storm",
    "F12",
    {"error_rate": 1.0},
    "failureRate",
    steps=evaluating(SCENES, EVALUATE_FIRST_STEPS),
)
GOOD: tuple[Scenario, ...] = tuple(
    Scenario(f"good-run-{n}", "none", {**DRIFT, "fault_seed": 100 + n}) for n in (1, 2, 3)
)
ALL: tuple[Scenario, ...] = (*EVALUATION_CAUGHT, *METRIC_CAUGHT, RETRY_STORM, *GOOD)
BY_ID = {s.id: s for s in ALL}
