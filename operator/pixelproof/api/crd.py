"""Generate the CRDs (ModelRollout, GateSet, ClusterGateSet) from the API models.

`python -m pixelproof.api.crd` writes them into crds/ and the chart's files/crds/;
`--check` exits non-zero when a committed file differs from what the models say."""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import yaml

from .base import GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR
from .crd_schema import crd_document, node_at, structural
from .gateset_crd import build_gate_set_crds
from .gatesets import GATE_SETS_RULES
from .golden import GOLDEN_RULES
from .live import PROMPT_LOG_RULES
from .metrics import METRIC_GATE_RULES, METRICS_RULES, RELATIVE_RULES
from .quality import bound_rules
from .rollback_window import ROLLBACK_WINDOW_RULES
from .rollout import SPEC_RULES, WEBHOOK_RULES, ModelRolloutSpec
from .status import RolloutStatus
from .steps import EVALUATE_RULES, STEP_RULES
from .traffic import TRAFFIC_RULES
from .traffic_policies import SESSION_AFFINITY_RULES
from .windows import FREEZE_RULES, WINDOW_RULES

CRD_FILE = f"{PLURAL}.{GROUP}.yaml"
REPO = Path(__file__).resolve().parents[3]
CRD_DIR = REPO / "crds"
DEFAULT_PATH = CRD_DIR / CRD_FILE
# The chart renders the CRDs from its own copies (templates/crds.yaml) so that helm upgrade
# updates them; Helm never upgrades CRDs from a chart's crds/ folder.
CHART_CRD_DIR = REPO / "charts" / "pixelproof" / "files" / "crds"
CHART_PATH = CHART_CRD_DIR / CRD_FILE

# CEL rules by the path of the schema node they sit on ("[]" is an array's items).
RULES: dict[tuple[str, ...], list[dict[str, str]]] = {
    (): SPEC_RULES,
    ("traffic",): TRAFFIC_RULES,
    ("traffic", "sessionAffinity"): SESSION_AFFINITY_RULES,
    ("steps", "[]"): STEP_RULES,
    ("steps", "[]", "evaluate"): EVALUATE_RULES,
    ("liveTraffic", "promptLog"): PROMPT_LOG_RULES,
    ("goldenSet",): GOLDEN_RULES,
    ("metrics",): METRICS_RULES,
    ("gateSets",): GATE_SETS_RULES,
    ("rollbackWindow",): ROLLBACK_WINDOW_RULES,
    ("metrics", "gates", "[]"): METRIC_GATE_RULES,
    ("metrics", "gates", "[]", "relativeToStable"): RELATIVE_RULES,
    ("notifications", "webhook"): WEBHOOK_RULES,
    ("changeWindows", "windows", "[]"): WINDOW_RULES,
    ("changeWindows", "freezes", "[]"): FREEZE_RULES,
    ("qualityGates", "lpips"): bound_rules("maxMean", "maxNoiseMultiple"),
    ("qualityGates", "determinism"): bound_rules("maxReplayDistance", "maxNoiseMultiple"),
    ("qualityGates", "color"): bound_rules("maxDeltaE", "maxNoiseMultiple"),
    ("qualityGates", "sharpness"): bound_rules("minRatio", "maxNoiseMultiple"),
    ("qualityGates", "divergence"): bound_rules("maxMean", "maxNoiseMultiple"),
    ("qualityGates", "preservation"): bound_rules("maxMeanError", "maxNoiseMultiple"),
    ("qualityGates", "inputColor"): bound_rules("maxDeltaE", "maxNoiseMultiple"),
}

PRINTER_COLUMNS: list[dict[str, Any]] = [
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
    {
        "name": "Step",
        "type": "integer",
        "jsonPath": ".status.stepNumber",
        "description": "The current step, counting from 1.",
    },
    {
        "name": "Candidate",
        "type": "integer",
        "jsonPath": ".status.weights.candidate",
        "description": "Candidate traffic weight, percent.",
    },
    {
        "name": "Verdict",
        "type": "string",
        "jsonPath": ".status.lastEvaluation.state",
        "description": "Last evaluation's verdict.",
    },
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    {
        "name": "Stalled",
        "type": "string",
        "jsonPath": '.status.conditions[?(@.type=="Stalled")].reason',
        "description": "Why the rollout cannot proceed (InvalidSpec, MissingDependency, ...), "
        "when its Stalled condition is True; the phase otherwise.",
        "priority": 1,
    },
    {
        "name": "Message",
        "type": "string",
        "jsonPath": ".status.message",
        "priority": 1,
    },
]


def spec_schema() -> dict[str, Any]:
    schema = structural(ModelRolloutSpec)
    for path, rules in RULES.items():
        node_at(schema, path)["x-kubernetes-validations"] = copy.deepcopy(rules)
    return schema


def build_crd() -> dict[str, Any]:
    status = structural(RolloutStatus)
    status["description"] = "Observed state of the rollout; written only by the operator."
    spec = spec_schema()
    spec["description"] = (
        "Desired rollout of a candidate image-generation model next to the stable one."
    )
    return crd_document(
        kind=KIND,
        plural=PLURAL,
        singular=SINGULAR,
        short_names=SHORT_NAMES,
        namespaced=True,
        description="A progressive rollout of an image-generation model, gated on image "
        "quality and serving metrics.",
        schemas={"spec": spec, "status": status},
        printer_columns=PRINTER_COLUMNS,
        status_subresource=True,
    )


HEADER = "# Generated from the API models by `python -m pixelproof.api.crd`. Do not edit.\n"


def render(crd: dict[str, Any] | None = None) -> str:
    """The ModelRollout CRD as YAML, or `crd`."""
    return HEADER + yaml.safe_dump(crd or build_crd(), sort_keys=False, width=120)


def render_all() -> dict[str, str]:
    """Every generated CRD by file name."""
    crds = [build_crd(), *build_gate_set_crds()]
    return {f"{c['metadata']['name']}.yaml": render(c) for c in crds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pixelproof crd", description=__doc__)
    parser.add_argument(
        "--output",
        type=Path,
        action="append",
        help="file to write the ModelRollout CRD to (repeatable; default: every CRD into "
        f"{CRD_DIR} and {CHART_CRD_DIR})",
    )
    parser.add_argument(
        "--check", action="store_true", help="fail if a file differs from the models"
    )
    args = parser.parse_args(argv)
    if args.output:
        files = {path: render() for path in args.output}
    else:
        files = {
            folder / name: text
            for name, text in render_all().items()
            for folder in (CRD_DIR, CHART_CRD_DIR)
        }
    if args.check:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
        for path in stale:
            print(f"{path} is out of date: run `python -m pixelproof.api.crd`", file=sys.stderr)
        if not stale:
            print("CRD files are up to date")
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
