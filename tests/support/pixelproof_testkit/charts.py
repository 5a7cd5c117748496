"""Render the Helm chart with the real helm binary and check what comes out."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[3]
CHART = REPO / "charts" / "pixelproof"
RELEASE = "pixelproof"
NAMESPACE = "pixelproof-system"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and a current one.
KUBE_VERSIONS = ("1.28.0", "1.33.0")


class HelmError(AssertionError):
    """helm exited non-zero; the message carries its stderr."""


def run_helm(helm: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(helm), *args], capture_output=True, text=True, timeout=120, check=False
    )
    if check and done.returncode != 0:
        raise HelmError(f"helm {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def render(
    helm: Path,
    values: dict[str, Any] | None = None,
    kube_version: str = KUBE_VERSIONS[-1],
    include_crds: bool = True,
) -> list[dict[str, Any]]:
    """Every manifest `helm template` renders for these values, CRDs included."""
    args = [
        "template",
        RELEASE,
        str(CHART),
        "--namespace",
        NAMESPACE,
        "--kube-version",
        kube_version,
    ]
    if include_crds:
        args.append("--include-crds")
    if values:
        args += ["--values", "-"]
    done = subprocess.run(
        [str(helm), *args],
        input=json.dumps(values) if values else None,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise HelmError(f"helm template failed ({done.returncode}):\n{done.stderr}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") == kind]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in of_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def crd_schemas(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema of every CRD in the rendered output."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for crd in of_kind(docs, "CustomResourceDefinition"):
        spec = crd["spec"]
        for version in spec["versions"]:
            key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
            schemas[key] = version["schema"]["openAPIV3Schema"]
    return schemas


_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_DURATION = {
    "type": "string",
    "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$",
}
_LABEL_NAME = {"type": "string", "pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$"}
# prometheus-operator accepts each action in Prometheus' spelling and in CamelCase.
_RELABEL_ACTIONS = [
    spelling
    for pair in (
        ("replace", "Replace"),
        ("keep", "Keep"),
        ("drop", "Drop"),
        ("hashmod", "HashMod"),
        ("labelmap", "LabelMap"),
        ("labeldrop", "LabelDrop"),
        ("labelkeep", "LabelKeep"),
        ("lowercase", "Lowercase"),
        ("uppercase", "Uppercase"),
        ("keepequal", "KeepEqual"),
        ("dropequal", "DropEqual"),
    )
    for spelling in pair
]
_RELABEL_CONFIGS = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "sourceLabels": {"type": "array", "items": _LABEL_NAME},
            "separator": {"type": "string"},
            "targetLabel": {"type": "string"},
            "regex": {"type": "string"},
            "modulus": {"type": "integer", "minimum": 0},
            "replacement": {"type": "string"},
            "action": {"enum": _RELABEL_ACTIONS},
        },
    },
}
_SECRET_OR_CONFIGMAP = {
    "type": "object",
    "properties": {
        "secret": {"type": "object", "required": ["key"]},
        "configMap": {"type": "object", "required": ["key"]},
    },
}
_TLS_CONFIG = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "ca": _SECRET_OR_CONFIGMAP,
        "cert": _SECRET_OR_CONFIGMAP,
        "keySecret": {"type": "object", "required": ["key"]},
        "caFile": {"type": "string"},
        "certFile": {"type": "string"},
        "keyFile": {"type": "string"},
        "serverName": {"type": "string"},
        "insecureSkipVerify": {"type": "boolean"},
    },
}
_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "namespace": {"type": "string"},
        "labels": _LABELS,
    },
}
# The parts of the prometheus-operator CRDs the chart uses, as their CRDs define them.
MONITORING_SCHEMAS: dict[str, dict[str, Any]] = {
    "ServiceMonitor": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "required": ["selector", "endpoints"],
                "properties": {
                    "selector": {
                        "type": "object",
                        "properties": {"matchLabels": _LABELS},
                        "additionalProperties": False,
                    },
                    "namespaceSelector": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "any": {"type": "boolean"},
                            "matchNames": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "endpoints": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["port"],
                            "properties": {
                                "port": {"type": "string"},
                                "path": {"type": "string", "pattern": "^/"},
                                "interval": _DURATION,
                                "scrapeTimeout": _DURATION,
                                "honorLabels": {"type": "boolean"},
                                "scheme": {"enum": ["http", "https", "HTTP", "HTTPS"]},
                                "tlsConfig": _TLS_CONFIG,
                                "relabelings": _RELABEL_CONFIGS,
                                "metricRelabelings": _RELABEL_CONFIGS,
                            },
                        },
                    },
                },
            },
        },
    },
    "PrometheusRule": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "required": ["groups"],
                "properties": {
                    "groups": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["name", "rules"],
                            "properties": {
                                "name": {"type": "string", "minLength": 1},
                                "interval": _DURATION,
                                "rules": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "additionalProperties": False,
                                        "required": ["expr"],
                                        "oneOf": [
                                            {"required": ["alert"]},
                                            {"required": ["record"]},
                                        ],
                                        "properties": {
                                            "alert": {
                                                "type": "string",
                                                "pattern": "^[A-Za-z][A-Za-z0-9_]*$",
                                            },
                                            "record": {"type": "string"},
                                            "expr": {"type": "string", "minLength": 1},
                                            "for": _DURATION,
                                            "keep_firing_for": _DURATION,
                                            "labels": _LABELS,
                                            "annotations": _LABELS,
                                        },
                                    },
                                },
                            },
                        },
                    }
                },
            },
        },
    },
}


def check_custom_resource(doc: dict[str, Any], crds: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Validate a custom resource: against its CRD when the chart ships it, else against the
    monitoring schemas above. Raises jsonschema.ValidationError or KeyError naming the kind."""
    key = (doc["apiVersion"], doc["kind"])
    if key in crds:
        jsonschema.validate(doc, crds[key])
        return
    if doc["kind"] not in MONITORING_SCHEMAS:
        raise KeyError(f"no schema for {doc['apiVersion']} {doc['kind']} {doc['metadata']['name']}")
    jsonschema.validate(doc, MONITORING_SCHEMAS[doc["kind"]])
