"""The YAML in docs/kserve.md and the KServe examples holds together: the
ModelRollouts pass the API's validation, the InferenceServices fit the bundled KServe CRD's
schema, each Service selects the revision its ModelRollout names, and the Argo CD rule
ignores the very field the kserve router writes."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pixelproof.api.validation import validate_modelrollout
from pixelproof.routers.kserve import CANARY_PERCENT_PATH, revision_of
from pixelproof_localcluster import BUNDLED_CRDS
from pixelproof_testkit.charts import REPO

DOC = REPO / "docs" / "kserve.md"
EXAMPLES = (
    REPO / "examples" / "poster-gen-kserve.yaml",
    REPO / "examples" / "kserve" / "poster-gen-inferenceservice.yaml",
)
BLOCK = re.compile(r"```yaml\n(.*?)^ *```", re.DOTALL | re.MULTILINE)
CRD = yaml.safe_load((BUNDLED_CRDS / "kserve-inferenceservice.yaml").read_text())


def _doc_objects() -> list[dict[str, Any]]:
    text = DOC.read_text()
    # Blocks inside list items are indented as the item is.
    blocks = [textwrap.dedent(b) for b in BLOCK.findall(text)]
    assert len(blocks) == text.count("```yaml")
    return [d for b in blocks for d in yaml.safe_load_all(b) if d]


def _of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]


def _example_objects() -> list[dict[str, Any]]:
    return [d for path in EXAMPLES for d in yaml.safe_load_all(path.read_text()) if d]


SOURCES = {"docs": _doc_objects, "example": _example_objects}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_rollouts_and_inference_services_are_valid(source: str) -> None:
    objects = SOURCES[source]()
    (rollout,) = _of_kind(objects, "ModelRollout")
    assert validate_modelrollout(rollout) == []
    assert rollout["spec"]["traffic"] == {"kserve": {"inferenceService": "poster-gen"}}
    schema = CRD["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    (isvc,) = _of_kind(objects, "InferenceService")
    jsonschema.validate(isvc, schema)
    assert isvc["spec"]["predictor"]["canaryTrafficPercent"] == 0


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_services_select_the_revisions_the_rollout_names(source: str) -> None:
    objects = SOURCES[source]()
    (rollout,) = _of_kind(objects, "ModelRollout")
    services = {s["metadata"]["name"]: s for s in _of_kind(objects, "Service")}
    roles = ("candidate",) if source == "docs" else ("stable", "candidate")
    for role in roles:
        ref = rollout["spec"][role]
        selector = services[ref["service"]]["spec"]["selector"]
        assert selector == {"serving.knative.dev/revision": revision_of(ref["deployment"])}


def test_argo_cd_ignores_the_field_the_router_writes() -> None:
    (app,) = _of_kind(_doc_objects(), "Application")
    assert "RespectIgnoreDifferences=true" in app["spec"]["syncPolicy"]["syncOptions"]
    (rule,) = app["spec"]["ignoreDifferences"]
    assert (rule["group"], rule["kind"]) == ("serving.kserve.io", "InferenceService")
    assert rule["jsonPointers"] == [CANARY_PERCENT_PATH]


def test_the_readme_links_both_guides() -> None:
    readme = (REPO / "README.md").read_text()
    for guide in ("docs/kserve.md", "docs/argo-rollouts.md"):
        assert f"]({guide})" in readme
        assert Path(REPO / guide).is_file()
