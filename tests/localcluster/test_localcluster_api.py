"""Kubernetes API semantics of the local server, exercised with the official client."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import kubernetes
import pytest
from kubernetes.client import ApiException

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.localcluster import GROUP
from pixelproof_testkit.polling import wait_for


def _widget(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec}


def _status_of(exc: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.value.body)
    return body


def test_create_returns_201_with_identity_metadata(core: Any) -> None:
    created, status, _ = core.create_namespaced_config_map_with_http_info(
        "default", {"metadata": {"name": "cm"}, "data": {"k": "v"}}
    )
    assert status == 201
    meta = created.metadata
    assert meta.namespace == "default"
    assert meta.uid and meta.creation_timestamp is not None
    assert int(meta.resource_version) > 0


def test_custom_objects_are_returned_and_namespace_is_taken_from_url(custom: Any) -> None:
    created = custom.create_namespaced_custom_object(GROUP, "v1", "team-a", "widgets", _widget("w"))
    assert created["metadata"]["namespace"] == "team-a"
    assert created["metadata"]["generation"] == 1
    listed = custom.list_namespaced_custom_object(GROUP, "v1", "team-a", "widgets")
    assert listed["kind"] == "WidgetList" and listed["apiVersion"] == f"{GROUP}/v1"
    assert int(listed["metadata"]["resourceVersion"]) >= int(created["metadata"]["resourceVersion"])
    assert [item["metadata"]["name"] for item in listed["items"]] == ["w"]


def test_resource_versions_increase_with_every_write(core: Any) -> None:
    first = core.create_namespaced_config_map("default", {"metadata": {"name": "cm"}})
    second = core.patch_namespaced_config_map("cm", "default", {"data": {"a": "1"}})
    third = core.patch_namespaced_config_map("cm", "default", {"data": {"a": "2"}})
    versions = [int(o.metadata.resource_version) for o in (first, second, third)]
    assert versions == sorted(versions) and len(set(versions)) == 3
    assert third.metadata.uid == first.metadata.uid
    unchanged = core.patch_namespaced_config_map("cm", "default", {"data": {"a": "2"}})
    assert unchanged.metadata.resource_version == third.metadata.resource_version


def test_stale_resource_version_is_a_409_conflict(core: Any, custom: Any) -> None:
    stale = core.create_namespaced_config_map("default", {"metadata": {"name": "cm"}})
    core.patch_namespaced_config_map("cm", "default", {"data": {"a": "1"}})
    stale.data = {"a": "from a stale copy"}
    with pytest.raises(ApiException) as put_error:
        core.replace_namespaced_config_map("cm", "default", stale)
    assert put_error.value.status == 409
    assert _status_of(put_error)["reason"] == "Conflict"

    widget = custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", _widget("w"))
    custom.patch_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", "w", {"spec": {"size": 2}}
    )
    with pytest.raises(ApiException) as patch_error:
        custom.patch_namespaced_custom_object(
            GROUP,
            "v1",
            "default",
            "widgets",
            "w",
            {
                "metadata": {"resourceVersion": widget["metadata"]["resourceVersion"]},
                "spec": {"size": 3},
            },
        )
    assert patch_error.value.status == 409


def test_put_replaces_the_object(core: Any) -> None:
    cm = core.create_namespaced_config_map(
        "default", {"metadata": {"name": "cm"}, "data": {"a": "1"}}
    )
    cm.data = {"b": "2"}
    replaced = core.replace_namespaced_config_map("cm", "default", cm)
    assert replaced.data == {"b": "2"}
    assert core.read_namespaced_config_map("cm", "default").data == {"b": "2"}


def test_generation_changes_only_with_the_spec(custom: Any) -> None:
    def patch(body: Any) -> Any:
        return custom.patch_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w", body)

    custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", _widget("w", size=1))
    assert (
        patch({"metadata": {"labels": {"a": "b"}, "annotations": {"x": "y"}}})["metadata"][
            "generation"
        ]
        == 1
    )
    status = custom.patch_namespaced_custom_object_status(
        GROUP, "v1", "default", "widgets", "w", {"status": {"phase": "Ready"}}
    )
    assert status["metadata"]["generation"] == 1
    assert patch({"spec": {"size": 2}})["metadata"]["generation"] == 2
    assert patch({"spec": {"size": 2}})["metadata"]["generation"] == 2


def test_status_subresource_is_isolated(custom: Any) -> None:
    created = custom.create_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", {**_widget("w", size=1), "status": {"phase": "Fake"}}
    )
    assert "status" not in created
    custom.patch_namespaced_custom_object_status(
        GROUP,
        "v1",
        "default",
        "widgets",
        "w",
        {
            "spec": {"size": 99},
            "metadata": {"labels": {"sneaky": "yes"}},
            "status": {"phase": "Ready"},
        },
    )
    after_status = custom.get_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w")
    assert after_status["spec"] == {"size": 1}
    assert "labels" not in after_status["metadata"]
    assert after_status["status"] == {"phase": "Ready"}

    custom.patch_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", "w", {"spec": {"size": 2}, "status": {"phase": "Hacked"}}
    )
    after_main = custom.get_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w")
    assert after_main["spec"] == {"size": 2}
    assert after_main["status"] == {"phase": "Ready"}


def test_kinds_without_status_subresource_store_status_in_the_main_object(custom: Any) -> None:
    custom.create_cluster_custom_object(
        GROUP,
        "v1",
        "gadgets",
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "Gadget",
            "metadata": {"name": "g"},
            "status": {"kept": True},
        },
    )
    assert custom.get_cluster_custom_object(GROUP, "v1", "gadgets", "g")["status"] == {"kept": True}


def test_json_patch_failed_test_op_is_422(custom: Any) -> None:
    custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", _widget("w"))
    with pytest.raises(ApiException) as error:
        custom.patch_namespaced_custom_object(
            GROUP,
            "v1",
            "default",
            "widgets",
            "w",
            [
                {"op": "test", "path": "/metadata/resourceVersion", "value": "1"},
                {"op": "add", "path": "/metadata/finalizers", "value": ["x"]},
            ],
            _content_type="application/json-patch+json",
        )
    assert error.value.status == 422
    applied = custom.patch_namespaced_custom_object(
        GROUP,
        "v1",
        "default",
        "widgets",
        "w",
        [{"op": "add", "path": "/metadata/finalizers", "value": ["x"]}],
        _content_type="application/json-patch+json",
    )
    assert applied["metadata"]["finalizers"] == ["x"]


def test_strategic_merge_patch_is_applied_as_merge_patch(core: Any) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "cm"}, "data": {"a": "1"}})
    core.patch_namespaced_config_map(
        "cm",
        "default",
        {"data": {"b": "2", "a": None}},
        _content_type="application/strategic-merge-patch+json",
    )
    assert core.read_namespaced_config_map("cm", "default").data == {"b": "2"}


def test_namespaces_are_listed_and_created(core: Any) -> None:
    names = {ns.metadata.name for ns in core.list_namespace().items}
    assert {"default", "kube-system"} <= names
    core.create_namespace({"metadata": {"name": "fresh"}})
    assert core.read_namespace("fresh").status.phase == "Active"


def test_core_discovery_reports_v1(api: Any) -> None:
    resources = kubernetes.client.CoreV1Api(api).get_api_resources()
    assert resources.group_version == "v1"
    names = {r.name for r in resources.resources}
    assert {"pods", "pods/status", "services", "configmaps", "events", "namespaces"} <= names
    groups = {g.name for g in kubernetes.client.ApisApi(api).get_api_versions().groups}
    assert {
        "apps",
        "batch",
        "coordination.k8s.io",
        "events.k8s.io",
        "kopf.dev",
        "gateway.networking.k8s.io",
        "networking.istio.io",
        GROUP,
    } <= groups


def test_label_and_field_selectors(core: Any) -> None:
    for name, labels in [
        ("a", {"app": "x", "tier": "web"}),
        ("b", {"app": "x"}),
        ("c", {"app": "y", "tier": "db"}),
    ]:
        core.create_namespaced_config_map("default", {"metadata": {"name": name, "labels": labels}})

    def names(**kwargs: Any) -> list[str]:
        return sorted(
            c.metadata.name for c in core.list_namespaced_config_map("default", **kwargs).items
        )

    assert names(label_selector="app=x") == ["a", "b"]
    assert names(label_selector="app=x,tier") == ["a"]
    assert names(label_selector="app!=x") == ["c"]
    assert names(label_selector="!tier") == ["b"]
    assert names(label_selector="tier in (web, db)") == ["a", "c"]
    assert names(label_selector="app notin (y)") == ["a", "b"]
    assert names(field_selector="metadata.name=b") == ["b"]
    assert names(field_selector="metadata.name!=b") == ["a", "c"]
    assert [
        c.metadata.name
        for c in core.list_config_map_for_all_namespaces(
            field_selector="metadata.namespace=default,metadata.name=c"
        ).items
    ] == ["c"]


def test_watch_honours_timeout_and_resource_version(core: Any) -> None:
    first = core.create_namespaced_config_map("default", {"metadata": {"name": "one"}})
    core.create_namespaced_config_map("default", {"metadata": {"name": "two"}})
    watch = kubernetes.watch.Watch()
    started = time.monotonic()
    events = [
        (e["type"], e["object"].metadata.name)
        for e in watch.stream(
            core.list_namespaced_config_map,
            "default",
            resource_version=first.metadata.resource_version,
            timeout_seconds=1,
        )
    ]
    assert time.monotonic() - started < 5
    assert events == [("ADDED", "two")]


def test_watch_streams_live_changes_with_selectors(cluster: LocalCluster, core: Any) -> None:
    since = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", {"metadata": {"name": "ignored"}})
    core.create_namespaced_config_map(
        "default", {"metadata": {"name": "watched", "labels": {"watched": "yes"}}}
    )
    seen: list[tuple[str, str]] = []

    def consume() -> None:
        client = cluster.client()
        for event in kubernetes.watch.Watch().stream(
            kubernetes.client.CoreV1Api(client).list_namespaced_config_map,
            "default",
            label_selector="watched=yes",
            resource_version=since,
            timeout_seconds=5,
        ):
            seen.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                break
        client.close()

    thread = threading.Thread(target=consume)
    thread.start()
    wait_for(lambda: ("ADDED", "watched") in seen, what="the creation to be streamed")
    core.delete_namespaced_config_map("watched", "default")
    wait_for(lambda: ("DELETED", "watched") in seen, what="the deletion to be streamed")
    thread.join(10)
    assert seen == [("ADDED", "watched"), ("DELETED", "watched")]


def test_finalizers_block_deletion_until_removed(custom: Any) -> None:
    body = _widget("w")
    body["metadata"]["finalizers"] = ["test.pixelproof.dev/cleanup"]
    custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", body)
    custom.delete_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w")
    marked = custom.get_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w")
    assert marked["metadata"]["deletionTimestamp"]
    custom.patch_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", "w", {"metadata": {"finalizers": None}}
    )
    with pytest.raises(ApiException) as error:
        custom.get_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w")
    assert error.value.status == 404


def test_dependents_are_garbage_collected(core: Any, custom: Any) -> None:
    owner = custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", _widget("w"))
    reference = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "name": "w",
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }
    core.create_namespaced_config_map(
        "default", {"metadata": {"name": "child", "ownerReferences": [reference]}}
    )
    core.create_namespaced_config_map("default", {"metadata": {"name": "bystander"}})
    custom.delete_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w")
    remaining = [c.metadata.name for c in core.list_namespaced_config_map("default").items]
    assert remaining == ["bystander"]


def test_events_are_accepted_in_both_apis(api: Any, core: Any) -> None:
    core.create_namespaced_event(
        "default",
        {
            "metadata": {"name": "e1"},
            "involvedObject": {"kind": "Widget", "name": "w"},
            "reason": "Tested",
            "message": "core event",
            "type": "Normal",
        },
    )
    kubernetes.client.EventsV1Api(api).create_namespaced_event(
        "default",
        {
            "metadata": {"name": "e2"},
            "eventTime": "2025-01-01T00:00:00.000000Z",
            "reportingController": "test",
            "reportingInstance": "test",
            "action": "Test",
            "reason": "Tested",
            "note": "events.k8s.io event",
            "type": "Normal",
        },
    )
    assert [e.reason for e in core.list_namespaced_event("default").items] == ["Tested"]
    assert len(kubernetes.client.EventsV1Api(api).list_namespaced_event("default").items) == 1


def test_leases_are_served(api: Any) -> None:
    leases = kubernetes.client.CoordinationV1Api(api)
    leases.create_namespaced_lease(
        "default", {"metadata": {"name": "leader"}, "spec": {"holderIdentity": "me"}}
    )
    assert leases.read_namespaced_lease("leader", "default").spec.holder_identity == "me"


def test_crds_registered_through_the_api_are_served(api: Any, custom: Any) -> None:
    kubernetes.client.ApiextensionsV1Api(api).create_custom_resource_definition(
        {
            "metadata": {"name": "sprockets.test.pixelproof.dev"},
            "spec": {
                "group": GROUP,
                "scope": "Namespaced",
                "names": {"kind": "Sprocket", "plural": "sprockets"},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"type": "object"}},
                    }
                ],
            },
        }
    )
    custom.create_namespaced_custom_object(
        GROUP,
        "v1",
        "default",
        "sprockets",
        {"apiVersion": f"{GROUP}/v1", "kind": "Sprocket", "metadata": {"name": "s"}},
    )
    assert custom.get_namespaced_custom_object(GROUP, "v1", "default", "sprockets", "s")


def test_unknown_resources_are_404(custom: Any) -> None:
    with pytest.raises(ApiException) as error:
        custom.list_namespaced_custom_object(GROUP, "v1", "default", "doodads")
    assert error.value.status == 404
