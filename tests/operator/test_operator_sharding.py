"""Two operator instances split rollouts by the pixelproof.dev/instance-id label: kopf
runs for real in both, against the local API server, and each rollout is acted on by
exactly one of them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from contextlib import ExitStack

import pytest

from pixelproof.controller.main import FINALIZER, INSTANCE_LABEL, finalizer_of, main
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import HTTPROUTES, ROLLOUTS, Kube
from pixelproof_testkit.manifests import httproute, rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for

STEPS = [{"setWeight": 10}, {"setWeight": 100}]


def _writes(seen: Counter[tuple[str, str]]):  # type: ignore[no-untyped-def]
    """A request observer counting each rollout's writes (status, routes, scale)."""

    def observe(method: str, path: str, params: Mapping[str, str]) -> None:
        if method != "GET" and "/modelrollouts/" in path:
            seen[(method, path.split("/modelrollouts/")[1].split("/")[0])] += 1
        elif method == "PATCH" and "/httproutes/" in path:
            seen[(method, path.rsplit("/", 1)[1])] += 1

    return observe


def test_each_rollout_is_acted_on_by_the_instance_its_label_names(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    kube.create(HTTPROUTES, httproute("poster-blue"))
    default_writes: Counter[tuple[str, str]] = Counter()
    blue_writes: Counter[tuple[str, str]] = Counter()
    with ExitStack() as operators:
        operators.enter_context(
            operator_in_thread(cluster, request_observer=_writes(default_writes))
        )
        operators.enter_context(
            operator_in_thread(cluster, instance_id="blue", request_observer=_writes(blue_writes))
        )
        kube.create(ROLLOUTS, rollout("poster-gen", steps=STEPS))
        blue = rollout("poster-blue", steps=STEPS)
        blue["spec"]["traffic"] = {"gatewayAPI": {"httpRoute": "poster-blue"}}
        blue["metadata"]["labels"] = {INSTANCE_LABEL: "blue"}
        kube.create(ROLLOUTS, blue)

        def phases() -> dict[str, object]:
            return {
                name: (kube.get(f"{ROLLOUTS}/{name}").get("status") or {}).get("phase")
                for name in ("poster-gen", "poster-blue")
            }

        wait_for(lambda: set(phases().values()) == {"Succeeded"}, 120, "both rollouts to succeed")
        # Each instance keeps its own finalizer: kopf strips a finalizer of its name from
        # objects none of its handlers match, so a shared one would be fought over.
        assert _finalizers(kube, "poster-gen") == [FINALIZER]
        assert _finalizers(kube, "poster-blue") == [finalizer_of("blue")]
        settled = sum(default_writes.values()) + sum(blue_writes.values())

        # Relabelled, a rollout changes hands: the old instance lets go of it, the new
        # one takes it, and then both leave it alone.
        kube.patch(f"{ROLLOUTS}/poster-gen", {"metadata": {"labels": {INSTANCE_LABEL: "blue"}}})
        wait_for(
            lambda: _finalizers(kube, "poster-gen") == [finalizer_of("blue")],
            60,
            "the blue instance to take the relabelled rollout",
        )
        kube.delete(f"{ROLLOUTS}/poster-gen")
        wait_for(lambda: _gone(kube, "poster-gen"), 60, "the blue instance to let it be deleted")
        handover = sum(default_writes.values()) + sum(blue_writes.values()) - settled
        assert handover < 20, (default_writes, blue_writes)
    assert {name for _, name in default_writes} == {"poster-gen"}, default_writes
    assert {name for _, name in blue_writes} == {"poster-blue", "poster-gen"}, blue_writes
    # The labels stayed, and neither instance wrote its record of the handled spec on
    # the rollout: each keeps its own, so the two never read the other's.
    meta = kube.get(f"{ROLLOUTS}/poster-blue")["metadata"]
    assert meta.get("labels", {}).get(INSTANCE_LABEL) == "blue"
    assert not any(key.startswith("kopf.") for key in meta.get("annotations") or {}), meta


def _finalizers(kube: Kube, name: str) -> list[str]:
    return list(kube.get(f"{ROLLOUTS}/{name}")["metadata"].get("finalizers") or [])


def _gone(kube: Kube, name: str) -> bool:
    return all(item["metadata"]["name"] != name for item in kube.list(ROLLOUTS))


def test_an_instance_id_that_is_not_a_label_value_stops_the_operator_at_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--instance-id", "team/batch"])
    assert stopped.value.code == 2
    assert "--instance-id 'team/batch' is not a label value" in capsys.readouterr().err
