"""kopf runs for real against the local API server: create, update, status, delete."""

from __future__ import annotations

import threading
from typing import Any

import kopf
import kubernetes
import pytest
from kopf.testing import KopfRunner

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.localcluster import GROUP
from pixelproof_testkit.polling import wait_for


def _registry() -> kopf.OperatorRegistry:
    """A fresh registry that logs in as kopf does by default: via the kubernetes client."""
    registry = kopf.OperatorRegistry()
    kopf.on.login(registry=registry)(kopf.login_via_client)
    return registry


def _toy_operator(deleted: threading.Event) -> kopf.OperatorRegistry:
    registry = _registry()

    @kopf.on.create(GROUP, "v1", "widgets", id="created", registry=registry)
    def created(spec: Any, patch: Any, **_: Any) -> None:
        patch.status["phase"] = "Created"
        patch.status["size"] = spec.get("size")

    @kopf.on.update(GROUP, "v1", "widgets", field="spec.size", id="resized", registry=registry)
    def resized(new: Any, patch: Any, **_: Any) -> None:
        patch.status["phase"] = "Resized"
        patch.status["size"] = new

    @kopf.on.delete(GROUP, "v1", "widgets", id="removed", registry=registry)
    def removed(**_: Any) -> None:
        deleted.set()

    return registry


def _settings() -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()
    settings.watching.server_timeout = 5
    settings.watching.client_timeout = 10
    return settings


def test_kopf_handles_create_update_status_and_delete(cluster: LocalCluster, custom: Any) -> None:
    deleted = threading.Event()
    registry = _toy_operator(deleted)

    def read() -> Any:
        return custom.get_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w1")

    with (
        cluster.kopf_environment(),
        KopfRunner(
            ["run", "--all-namespaces", "--standalone", "--verbose"],
            registry=registry,
            settings=_settings(),
            timeout=60,
        ) as runner,
    ):
        custom.create_namespaced_custom_object(
            GROUP,
            "v1",
            "default",
            "widgets",
            {
                "apiVersion": f"{GROUP}/v1",
                "kind": "Widget",
                "metadata": {"name": "w1"},
                "spec": {"size": 1},
            },
        )
        wait_for(lambda: read().get("status", {}).get("phase") == "Created", what="create handler")
        assert read()["metadata"]["finalizers"] == ["kopf.zalando.org/KopfFinalizerMarker"]

        custom.patch_namespaced_custom_object(
            GROUP, "v1", "default", "widgets", "w1", {"spec": {"size": 3}}
        )
        widget = wait_for(
            lambda: (w := read()).get("status", {}).get("phase") == "Resized" and w,
            what="update handler",
        )
        assert widget["status"]["size"] == 3
        assert widget["metadata"]["generation"] == 2

        custom.patch_namespaced_custom_object_status(
            GROUP, "v1", "default", "widgets", "w1", {"status": {"note": "from the test"}}
        )
        assert read()["metadata"]["generation"] == 2

        custom.delete_namespaced_custom_object(GROUP, "v1", "default", "widgets", "w1")
        assert deleted.wait(15), "the delete handler did not run"

        def gone() -> bool:
            try:
                read()
            except kubernetes.client.ApiException as exc:
                return exc.status == 404
            return False

        wait_for(gone, what="the finalizer to be released and the widget deleted")

    assert runner.exit_code == 0, runner.output
    assert "Handler 'created' succeeded" in runner.output
    assert "Handler 'resized/spec.size' succeeded" in runner.output
    assert "Handler 'removed' succeeded" in runner.output
    assert "[ERROR" not in runner.output


def test_kopf_events_are_stored(cluster: LocalCluster, core: Any, custom: Any) -> None:
    registry = _registry()

    @kopf.on.create(GROUP, "v1", "widgets", registry=registry)
    def announce(body: Any, **_: Any) -> None:
        kopf.info(body, reason="Announced", message="a widget appeared")

    with (
        cluster.kopf_environment(),
        KopfRunner(
            ["run", "--all-namespaces", "--standalone"],
            registry=registry,
            settings=_settings(),
            timeout=60,
        ) as runner,
    ):
        custom.create_namespaced_custom_object(
            GROUP,
            "v1",
            "default",
            "widgets",
            {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "w2"}},
        )
        events = wait_for(
            lambda: [
                e for e in core.list_namespaced_event("default").items if e.reason == "Announced"
            ],
            what="kopf's event to be posted",
        )
    assert events[0].involved_object.name == "w2"
    assert runner.exit_code == 0, runner.output


@pytest.mark.parametrize("peering", ["pixelproof-test"])
def test_kopf_peering_works(cluster: LocalCluster, custom: Any, peering: str) -> None:
    registry = _registry()
    custom.create_namespaced_custom_object(
        "kopf.dev",
        "v1",
        "default",
        "kopfpeerings",
        {"apiVersion": "kopf.dev/v1", "kind": "KopfPeering", "metadata": {"name": peering}},
    )

    @kopf.on.create(GROUP, "v1", "widgets", registry=registry)
    def noop(**_: Any) -> None:
        pass

    def peers() -> Any:
        obj = custom.get_namespaced_custom_object(
            "kopf.dev", "v1", "default", "kopfpeerings", peering
        )
        return obj.get("status")

    with (
        cluster.kopf_environment(),
        KopfRunner(
            ["run", "--namespace=default", f"--peering={peering}"],
            registry=registry,
            settings=_settings(),
            timeout=60,
        ) as runner,
    ):
        status = wait_for(peers, what="kopf to announce itself in the peering object")
    assert len(status) == 1
    assert runner.exit_code == 0, runner.output
