"""The validation hook rejects writes with 422 Invalid and a Status naming every error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import kubernetes
import pytest
from kubernetes.client import ApiException

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.localcluster import GROUP, TEST_CRDS


def _validate_widget(obj: dict[str, Any]) -> list[str]:
    spec = obj.get("spec") or {}
    problems = []
    if not isinstance(spec.get("size"), int) or spec["size"] < 1:
        problems.append("spec.size: must be a positive integer")
    if spec.get("colour") not in (None, "red", "blue"):
        problems.append(f"spec.colour: unsupported value {spec['colour']!r}")
    return problems


@pytest.fixture
def custom() -> Iterator[Any]:
    with LocalCluster(
        crd_paths=[TEST_CRDS], validators={(GROUP, "widgets"): _validate_widget}
    ) as cluster:
        client = cluster.client()
        yield kubernetes.client.CustomObjectsApi(client)
        client.close()


def _widget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def _rejection(error: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    assert error.value.status == 422
    status: dict[str, Any] = json.loads(error.value.body)
    assert status["kind"] == "Status" and status["reason"] == "Invalid"
    return status


def test_invalid_create_is_rejected_with_every_error(custom: Any) -> None:
    with pytest.raises(ApiException) as error:
        custom.create_namespaced_custom_object(
            GROUP, "v1", "default", "widgets", _widget(size=0, colour="green")
        )
    message = _rejection(error)["message"]
    assert "spec.size: must be a positive integer" in message
    assert "spec.colour: unsupported value 'green'" in message
    assert custom.list_namespaced_custom_object(GROUP, "v1", "default", "widgets")["items"] == []


def test_patch_and_put_are_validated_on_the_resulting_object(custom: Any) -> None:
    created = custom.create_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", _widget(size=1)
    )
    with pytest.raises(ApiException) as patch_error:
        custom.patch_namespaced_custom_object(
            GROUP, "v1", "default", "widgets", "w", {"spec": {"colour": "green"}}
        )
    assert "spec.colour" in _rejection(patch_error)["message"]

    replacement = {**created, "spec": {"size": -5}}
    with pytest.raises(ApiException) as put_error:
        custom.replace_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w", replacement)
    assert "spec.size" in _rejection(put_error)["message"]

    stored = custom.get_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w")
    assert stored["spec"] == {"size": 1}
    assert stored["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_valid_writes_pass_and_other_kinds_are_not_validated(custom: Any) -> None:
    custom.create_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", _widget(size=2, colour="red")
    )
    custom.create_cluster_custom_object(
        GROUP,
        "v1",
        "gadgets",
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "Gadget",
            "metadata": {"name": "g"},
            "spec": {"size": -1},
        },
    )


def test_an_invalid_crd_is_rejected(custom: Any) -> None:
    with pytest.raises(ApiException) as error:
        kubernetes.client.ApiextensionsV1Api(custom.api_client).create_custom_resource_definition(
            {
                "metadata": {"name": "misnamed.test.pixelproof.dev"},
                "spec": {
                    "group": GROUP,
                    "scope": "Namespaced",
                    "names": {"plural": "broken", "kind": "Broken"},
                    "versions": [{"name": "v1", "served": True, "storage": True}],
                },
            }
        )
    assert "broken.test.pixelproof.dev" in _rejection(error)["message"]
