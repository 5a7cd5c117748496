"""What the operator keeps from the rollouts' watch events: which gate sets each rollout
lists, and whether a rollout is this instance's by kopf's label filter."""

from __future__ import annotations

import kopf

from pixelproof.controller.gatesets import GateSetUsers, gate_set_key, users
from pixelproof.controller.watches import selects

NS = "imagegen"
SET = gate_set_key("GateSet", "quality", NS)
CLUSTER_SET = gate_set_key("ClusterGateSet", "house", None)


def spec(*names: str, cluster: str | None = None) -> dict[str, object]:
    refs: list[dict[str, str]] = [{"name": n} for n in names]
    if cluster:
        refs.append({"name": cluster, "kind": "ClusterGateSet"})
    return {"gateSets": refs}


def test_a_rollout_is_a_user_of_what_it_lists_now_and_of_nothing_once_gone() -> None:
    index = GateSetUsers()
    index.rollout(NS, "poster-gen", spec("quality", cluster="house"))
    index.rollout(NS, "logo-gen", spec("quality"))
    assert users(index, SET) == [(NS, "logo-gen"), (NS, "poster-gen")]
    assert users(index, CLUSTER_SET) == [(NS, "poster-gen")]
    index.rollout(NS, "poster-gen", spec())
    assert users(index, SET) == [(NS, "logo-gen")]
    assert users(index, CLUSTER_SET) == []
    index.rollout(NS, "logo-gen", None)
    assert users(index, SET) == []
    assert dict(index) == {}


def test_label_filters_select_as_kopf_does() -> None:
    label = "pixelproof.dev/instance-id"
    assert selects({label: kopf.ABSENT}, {})
    assert not selects({label: kopf.ABSENT}, {label: "batch"})
    assert selects({label: "batch"}, {label: "batch"})
    assert not selects({label: "batch"}, {label: "other"})
    assert not selects({label: "batch"}, {})
    assert selects({label: kopf.PRESENT}, {label: "x"})
    assert not selects({label: kopf.PRESENT}, {})
