"""The local API server admits ModelRollouts as a real one would: every invalid example is
refused with the lint's own message, except those only the operator can judge (query
templates), which are stored and left to the operator to Stall on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml
from kubernetes.client import ApiException

from pixelproof.api.base import GROUP, PLURAL, VERSION
from pixelproof.api.crd import DEFAULT_PATH
from pixelproof_localcluster import LocalCluster

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "invalid"
OPERATOR_ONLY = "query-"
# An invalid namespace never reaches admission: the request path itself cannot carry it.
CASES = sorted(p for p in EXAMPLES.glob("*.yaml") if p.stem != "invalid-namespace")


@pytest.fixture(scope="module")
def custom() -> Iterator[Any]:
    with LocalCluster(crd_paths=[DEFAULT_PATH]) as cluster:
        client = cluster.client()
        yield kubernetes.client.CustomObjectsApi(client)
        client.close()


def _example(path: Path) -> tuple[str, dict[str, Any]]:
    text = path.read_text()
    expected = text.splitlines()[0].removeprefix("# expect: ").strip()
    return expected, yaml.safe_load(text)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_invalid_examples_meet_the_api_server_as_they_meet_the_lint(
    custom: Any, path: Path
) -> None:
    expected, doc = _example(path)
    namespace = (doc.get("metadata") or {}).get("namespace", "default")
    if path.name.startswith(OPERATOR_ONLY):
        created = custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, doc, field_validation="Strict"
        )
        assert created["metadata"]["name"] == doc["metadata"]["name"]
        custom.delete_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, doc["metadata"]["name"]
        )
        return
    with pytest.raises(ApiException) as error:
        custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, doc, field_validation="Strict"
        )
    message = json.loads(error.value.body)["message"]
    if path.stem == "unknown-field":
        # Unknown fields never reach admission: strict decoding refuses them first, with
        # the API server's own wording.
        assert error.value.status == 400
        assert 'strict decoding error: unknown field "spec.candidate.replica"' in message
        return
    assert error.value.status == 422
    assert expected in message
