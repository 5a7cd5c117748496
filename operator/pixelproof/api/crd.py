"""Generate the ModelRollout CRD from the API models.

`python -m pixelproof.api.crd` writes crds/modelrollouts.pixelproof.dev.yaml;
`--check` exits non-zero when the committed file differs from what the models say."""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import yaml

from .base import GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION
from .golden import GOLDEN_RULES
from .metrics import METRIC_GATE_RULES, METRICS_RULES, RELATIVE_RULES
from .quality import bound_rules
from .rollout import SPEC_RULES, WEBHOOK_RULES, ModelRolloutSpec
from .status import RolloutStatus
from .steps import STEP_RULES
from .traffic import TRAFFIC_RULES
from .traffic_policies import SESSION_AFFINITY_RULES
from .windows import FREEZE_RULES, WINDOW_RULES

CRD_FILE = f"{PLURAL}.{GROUP}.yaml"
REPO = Path(__file__).resolve().parents[3]
DEFAULT_PATH = REPO / "crds" / CRD_FILE
# The chart renders the CRD from its own copy (templates/crds.yaml) so that helm upgrade
# updates it; Helm never upgrades CRDs from a chart's crds/ folder.
CHART_PATH = REPO / "charts" / "pixelproof" / "files" / "crds" / CRD_FILE

# CEL rules by the path of the schema node they sit on ("[]" is an array's items).
RULES: dict[tuple[str, ...], list[dict[str, str]]] = {
    (): SPEC_RULES,
    ("traffic",): TRAFFIC_RULES,
    ("traffic", "sessionAffinity"): SESSION_AFFINITY_RULES,
    ("steps", "[]"): STEP_RULES,
    ("goldenSet",): GOLDEN_RULES,
    ("metrics",): METRICS_RULES,
    ("metrics", "gates", "[]"): METRIC_GATE_RULES,
    ("metrics", "gates", "[]", "relativeToStable"): RELATIVE_RULES,
    ("notifications", "webhook"): WEBHOOK_RULES,
    ("changeWindows", "windows", "[]"): WINDOW_RULES,
    ("changeWindows", "freezes", "[]"): FREEZE_RULES,
    ("qualityGates", "lpips"): bound_rules("maxMean", "maxNoiseMultiple"),
    ("qualityGates", "determinism"): bound_rules("maxReplayDistance", "maxNoiseMultiple"),
    ("qualityGates", "color"): bound_rules("maxDeltaE", "maxNoiseMultiple"),
    ("qualityGates", "sharpness"): bound_rules("minRatio", "maxNoiseMultiple"),
}

PRINTER_COLUMNS = [
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

_DROP = {"title", "discriminator"}


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    """Inline $refs and turn pydantic's JSON Schema into a Kubernetes structural schema."""
    if isinstance(node, list):
        return [_resolve(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = copy.deepcopy(defs[node["$ref"].split("/")[-1]])
        extra = {k: v for k, v in node.items() if k != "$ref"}
        return _resolve({**target, **extra}, defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if len(options) == 1:
            return _resolve({**options[0], **rest}, defs)
        node = {**rest, "anyOf": options}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key == "$defs":
            continue
        if key == "default":
            # A null default says nothing (the API server drops nulls); an empty list is
            # kept so that CEL rules may read the field without has().
            if value is not None and (not isinstance(value, dict | list) or value == []):
                out[key] = value
            continue
        if key == "const":
            out["enum"] = [value]
            continue
        if key == "exclusiveMinimum":
            out["minimum"] = value
            out["exclusiveMinimum"] = True
            continue
        if key == "exclusiveMaximum":
            out["maximum"] = value
            out["exclusiveMaximum"] = True
            continue
        if key == "properties":
            out[key] = {name: _resolve(v, defs) for name, v in value.items()}
            continue
        out[key] = _resolve(value, defs)
    if out.get("additionalProperties") is False:
        del out["additionalProperties"]
    if out.get("additionalProperties") is True or out.get("additionalProperties") == {}:
        del out["additionalProperties"]
        out["x-kubernetes-preserve-unknown-fields"] = True
    if (
        "properties" in out
        or "additionalProperties" in out
        or out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out.setdefault("type", "object")
    if "enum" in out and "type" not in out:
        out["type"] = "string" if all(isinstance(v, str) for v in out["enum"]) else "number"
    return out


def _structural(model: type[Any]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return dict(_resolve(schema, schema.get("$defs", {})))


def _node(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = schema
    for part in path:
        node = node["items"] if part == "[]" else node["properties"][part]
    return node


def spec_schema() -> dict[str, Any]:
    schema = _structural(ModelRolloutSpec)
    for path, rules in RULES.items():
        _node(schema, path)["x-kubernetes-validations"] = copy.deepcopy(rules)
    return schema


def build_crd() -> dict[str, Any]:
    status = _structural(RolloutStatus)
    status["description"] = "Observed state of the rollout; written only by the operator."
    spec = spec_schema()
    spec["description"] = (
        "Desired rollout of a candidate image-generation model next to the stable one."
    )
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{PLURAL}.{GROUP}",
            "labels": {"app.kubernetes.io/name": "pixelproof"},
        },
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": KIND,
                "listKind": f"{KIND}List",
                "plural": PLURAL,
                "singular": SINGULAR,
                "shortNames": SHORT_NAMES,
                "categories": ["pixelproof"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": PRINTER_COLUMNS,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": "A progressive rollout of an image-generation model, gated on image quality and serving metrics.",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec,
                                "status": status,
                            },
                        }
                    },
                }
            ],
        },
    }


HEADER = "# Generated from the API models by `python -m pixelproof.api.crd`. Do not edit.\n"


def render() -> str:
    return HEADER + yaml.safe_dump(build_crd(), sort_keys=False, width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pixelproof crd", description=__doc__)
    parser.add_argument(
        "--output",
        type=Path,
        action="append",
        help=f"file to write (repeatable; default: {DEFAULT_PATH} and {CHART_PATH})",
    )
    parser.add_argument(
        "--check", action="store_true", help="fail if a file differs from the models"
    )
    args = parser.parse_args(argv)
    outputs: list[Path] = args.output or [DEFAULT_PATH, CHART_PATH]
    text = render()
    if args.check:
        stale = [p for p in outputs if not p.exists() or p.read_text() != text]
        for path in stale:
            print(f"{path} is out of date: run `python -m pixelproof.api.crd`", file=sys.stderr)
        if not stale:
            print("CRD files are up to date")
        return 1 if stale else 0
    for path in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
