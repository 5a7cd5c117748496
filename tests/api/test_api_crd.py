"""The committed CRD is the one the models generate, and it says what users need."""

from __future__ import annotations

from pathlib import Path

import yaml

from pixelproof.api.crd import DEFAULT_PATH, build_crd, main, render

REPO = Path(__file__).resolve().parents[2]


def test_committed_crds_match_models() -> None:
    assert main(["--check"]) == 0, "run `python -m pixelproof.api.crd`"
    assert (REPO / "crds" / "modelrollouts.pixelproof.dev.yaml").read_text() == render()


def test_check_mode_detects_drift(tmp_path: Path) -> None:
    stale = tmp_path / "crd.yaml"
    stale.write_text("# old\n")
    assert main(["--output", str(stale), "--check"]) == 1
    assert main(["--output", str(stale)]) == 0
    assert main(["--output", str(stale), "--check"]) == 0


def _walk(node: object, path: str = ""):  # type: ignore[no-untyped-def]
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def test_schema_is_structural() -> None:
    schema = build_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for path, node in _walk(schema):
        assert "$ref" not in node and "$defs" not in node, path
        assert "anyOf" not in node and "oneOf" not in node, path
        assert node.get("additionalProperties") is not False, path
        if "properties" in node:
            assert node.get("type") == "object", path


def test_crd_names_subresource_printer_columns_and_cel_rules() -> None:
    crd = yaml.safe_load(DEFAULT_PATH.read_text())
    version = crd["spec"]["versions"][0]
    assert crd["spec"]["group"] == "pixelproof.dev" and version["name"] == "v1alpha1"
    assert crd["spec"]["names"]["kind"] == "ModelRollout"
    assert "mro" in crd["spec"]["names"]["shortNames"]
    assert version["subresources"] == {"status": {}}
    columns = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}
    assert columns == {
        "Phase": ".status.phase",
        "Step": ".status.stepNumber",
        "Candidate": ".status.weights.candidate",
        "Verdict": ".status.lastEvaluation.state",
        "Age": ".metadata.creationTimestamp",
        "Stalled": '.status.conditions[?(@.type=="Stalled")].reason',
        "Message": ".status.message",
    }
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    rules = [r["rule"] for _, n in _walk(spec) for r in n.get("x-kubernetes-validations", [])]
    assert any("has(self.gatewayAPI)" in r for r in rules)
    assert any("isSorted()" in r for r in rules)
    assert any("has(self.goldenSet)" in r for r in rules)
    weight = spec["properties"]["steps"]["items"]["properties"]["setWeight"]
    assert weight["minimum"] == 0 and weight["maximum"] == 100


def _fields(node: dict, path: str):  # type: ignore[no-untyped-def,type-arg]
    for name, child in node.get("properties", {}).items():
        yield f"{path}.{name}", child
        yield from _fields(child, f"{path}.{name}")
    if "items" in node:
        yield from _fields(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _fields(node["additionalProperties"], f"{path}{{}}")


def test_every_field_describes_itself() -> None:
    """`kubectl explain modelrollout.spec...` has something to say about every field."""
    schema = build_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    fields = [
        (path, node)
        for part in ("spec", "status")
        for path, node in _fields(schema["properties"][part], part)
    ]
    assert len(fields) > 150
    undescribed = [path for path, node in fields if not str(node.get("description", "")).strip()]
    assert undescribed == []
    assert schema["properties"]["spec"]["properties"]["qualityGates"]["description"]
