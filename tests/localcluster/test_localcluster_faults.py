"""Injected API faults: a share of a verb's requests answered with an error for a while,
open watch streams cut, set from Python or over the control path."""

from __future__ import annotations

import json

import httpx
import pytest

from pixelproof_localcluster import LocalCluster
from pixelproof_localcluster.faults import CONTROL_PATH, verb_of
from pixelproof_testkit.polling import wait_for

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


def _configmap(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}


def test_every_request_of_a_faulted_verb_fails_and_others_are_served(
    cluster: LocalCluster,
) -> None:
    with httpx.Client(base_url=cluster.url) as http:
        assert http.post(CONFIGMAPS, json=_configmap("a")).status_code == 201
        cluster.inject_faults(["get"], codes=[503], share=1.0, seconds=30)
        answer = http.get(f"{CONFIGMAPS}/a")
        assert answer.status_code == 503
        assert answer.json()["reason"] == "ServiceUnavailable"
        assert http.get(CONFIGMAPS).status_code == 200
        assert http.post(CONFIGMAPS, json=_configmap("b")).status_code == 201
        cluster.clear_faults()
        assert http.get(f"{CONFIGMAPS}/a").status_code == 200


def test_a_plan_for_some_resources_faults_only_their_requests(cluster: LocalCluster) -> None:
    secrets = "/api/v1/namespaces/default/secrets"
    with httpx.Client(base_url=cluster.url) as http:
        assert http.post(CONFIGMAPS, json=_configmap("a")).status_code == 201
        reply = http.post(
            CONTROL_PATH,
            json={
                "verbs": ["get", "list"],
                "codes": [500],
                "share": 1.0,
                "resources": ["configmaps"],
            },
        )
        assert reply.json()["resources"] == ["configmaps"]
        assert http.get(f"{CONFIGMAPS}/a").status_code == 500
        assert http.get(CONFIGMAPS).status_code == 500
        assert http.get(secrets).status_code == 200
        cluster.clear_faults()
        cluster.inject_faults(["list"], codes=[503], share=1.0, resources=["secrets"])
        assert http.get(secrets).status_code == 503
        assert http.get(CONFIGMAPS).status_code == 200


def test_a_share_of_requests_fails_with_the_chosen_codes_until_the_plan_ends(
    cluster: LocalCluster,
) -> None:
    with httpx.Client(base_url=cluster.url) as http:
        reply = http.post(
            CONTROL_PATH,
            json={"verbs": ["list"], "codes": [409, 429], "share": 0.5, "seconds": 1.5},
        )
        assert reply.json()["active"] is True
        codes = [http.get(CONFIGMAPS).status_code for _ in range(60)]
        assert set(codes) == {200, 409, 429}
        assert 10 <= codes.count(200) <= 50
        described = http.get(CONTROL_PATH).json()
        assert described["injected"]["list 409"] >= 1
        wait_for(lambda: not http.get(CONTROL_PATH).json()["active"], 10, "the plan to end")
        assert all(http.get(CONFIGMAPS).status_code == 200 for _ in range(20))
        assert http.delete(CONTROL_PATH).json()["active"] is False


def test_a_faulted_watch_is_cut_with_an_error_event(cluster: LocalCluster) -> None:
    with httpx.Client(base_url=cluster.url, timeout=10) as http:
        http.post(CONFIGMAPS, json=_configmap("a"))
        cluster.inject_faults(["watch"], codes=[500], share=1.0, seconds=30)
        assert http.get(CONFIGMAPS, params={"watch": "true"}).status_code == 500
        cluster.clear_faults()
        with http.stream("GET", CONFIGMAPS, params={"watch": "true"}) as stream:
            lines = stream.iter_lines()
            assert json.loads(next(lines))["type"] == "ADDED"
            cluster.inject_faults(["watch"], codes=[500], share=1.0, seconds=30)
            event = json.loads(next(lines))
        assert event["type"] == "ERROR" and event["object"]["code"] == 500


def test_a_silenced_watch_stays_open_and_delivers_nothing_while_new_ones_are_served(
    cluster: LocalCluster,
) -> None:
    quiet = httpx.Timeout(10, read=3)
    with httpx.Client(base_url=cluster.url, timeout=10) as http:
        http.post(CONFIGMAPS, json=_configmap("a"))
        # Its own timeout would end this stream after a second; silenced, it never ends.
        params = {"watch": "true", "timeoutSeconds": "1"}
        with http.stream("GET", CONFIGMAPS, params=params, timeout=quiet) as stream:
            lines = stream.iter_lines()
            assert json.loads(next(lines))["type"] == "ADDED"
            reply = http.post(CONTROL_PATH, json={"silenceWatches": ["configmaps"]})
            assert reply.json()["silences"] == 1
            http.post(CONFIGMAPS, json=_configmap("b"))
            with pytest.raises(httpx.ReadTimeout):
                next(lines)
        with http.stream("GET", CONFIGMAPS, params=params) as stream:
            names = [json.loads(line)["object"]["metadata"]["name"] for line in stream.iter_lines()]
        assert names == ["a", "b"]
        http.delete(CONTROL_PATH)
        assert http.get(CONTROL_PATH).json()["silences"] == 0


@pytest.mark.parametrize(
    "plan",
    [
        {"verbs": ["fetch"]},
        {"codes": [404]},
        {"share": 2},
        {"seconds": -1},
        {"resources": "configmaps"},
        ["not", "a", "plan"],
    ],
)
def test_a_bad_plan_is_refused(cluster: LocalCluster, plan: object) -> None:
    with httpx.Client(base_url=cluster.url) as http:
        assert http.post(CONTROL_PATH, json=plan).status_code == 400
        assert http.get(CONTROL_PATH).json()["active"] is False


def test_verbs_are_named_as_rbac_names_them() -> None:
    assert verb_of("GET", named=True, watch=False) == "get"
    assert verb_of("GET", named=False, watch=False) == "list"
    assert verb_of("GET", named=False, watch=True) == "watch"
    assert [verb_of(m, named=True, watch=False) for m in ("POST", "PUT", "PATCH", "DELETE")] == [
        "create",
        "update",
        "patch",
        "delete",
    ]
