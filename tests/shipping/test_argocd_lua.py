"""The Argo CD health check and resource actions, run by a Lua 5.1 interpreter (the
language version of the gopher-lua VM inside Argo CD) against status fixtures."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from lupa import lua51

ARGOCD = Path(__file__).resolve().parents[2] / "charts" / "pixelproof" / "argocd"
COMMANDS = ("promote", "promote-full", "abort", "retry")


def to_lua(runtime: lua51.LuaRuntime, value: Any) -> Any:
    if isinstance(value, dict):
        return runtime.table_from({k: to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([to_lua(runtime, v) for v in value])
    return value


def from_lua(value: Any) -> Any:
    if lua51.lua_type(value) != "table":
        return value
    keys = list(value.keys())
    if keys and all(isinstance(k, int) for k in keys):
        return [from_lua(value[k]) for k in sorted(keys)]
    return {k: from_lua(value[k]) for k in keys}


def run_lua(script: Path, obj: dict[str, Any]) -> Any:
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)
    runtime.globals().obj = to_lua(runtime, obj)
    return from_lua(runtime.execute(script.read_text()))


def rollout(status: dict[str, Any] | None, generation: int = 2) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "pixelproof.dev/v1alpha1",
        "kind": "ModelRollout",
        "metadata": {"name": "poster-gen", "namespace": "imagegen", "generation": generation},
        "spec": {"steps": [{"setWeight": 10}, {"pause": {}}, {"setWeight": 100}]},
    }
    if status is not None:
        obj["status"] = {"observedGeneration": generation, **status}
    return obj


def conditions(
    stalled: str, reason: str = "Progressing", message: str = ""
) -> list[dict[str, str]]:
    return [
        {"type": "Ready", "status": "False", "reason": reason},
        {
            "type": "Reconciling",
            "status": "False" if stalled == "True" else "True",
            "reason": reason,
        },
        {"type": "Stalled", "status": stalled, "reason": reason, "message": message},
    ]


@pytest.mark.parametrize(
    ("status", "health", "message_part"),
    [
        (
            {"phase": "Succeeded", "weights": {"stable": 0, "candidate": 100}},
            "Healthy",
            "candidate 100%",
        ),
        ({"phase": "Pending"}, "Progressing", "Pending at step 1"),
        (
            {
                "phase": "Progressing",
                "currentStep": 2,
                "weights": {"stable": 90, "candidate": 10},
                "message": "judging gates",
            },
            "Progressing",
            "step 3 (stable 90%, candidate 10%): judging gates",
        ),
        (
            {"phase": "Paused", "currentStep": 1, "conditions": conditions("False", "Paused")},
            "Suspended",
            "Paused at step 2",
        ),
        (
            {
                "phase": "RolledBack",
                "rollbackReason": "gate error-rate breached 2 times",
                "conditions": conditions("True", "RolledBack"),
            },
            "Degraded",
            "RolledBack: gate error-rate breached 2 times",
        ),
        (
            {"phase": "Failed", "message": "progress deadline exceeded"},
            "Degraded",
            "Failed: progress deadline exceeded",
        ),
        (
            {
                "phase": "Progressing",
                "conditions": conditions("True", "RouterError", "HTTPRoute poster-gen not found"),
            },
            "Degraded",
            "Stalled (RouterError): HTTPRoute poster-gen not found",
        ),
    ],
)
def test_health_follows_phase_and_conditions(
    status: dict[str, Any], health: str, message_part: str
) -> None:
    result = run_lua(ARGOCD / "health.lua", rollout(status))
    assert result["status"] == health
    assert message_part in result["message"]


def test_health_without_status_is_progressing() -> None:
    result = run_lua(ARGOCD / "health.lua", rollout(None))
    assert result == {
        "status": "Progressing",
        "message": "Waiting for the pixelproof operator to report status",
    }


def test_a_spec_change_not_yet_observed_is_progressing_not_degraded() -> None:
    """After Git gets a new candidate, the old RolledBack status must not mark the app Degraded."""
    obj = rollout({"phase": "RolledBack", "rollbackReason": "old candidate failed"}, generation=3)
    obj["status"]["observedGeneration"] = 2
    result = run_lua(ARGOCD / "health.lua", obj)
    assert result["status"] == "Progressing"
    assert "generation 3" in result["message"]


@pytest.mark.parametrize(
    ("phase", "enabled"),
    [
        (None, {"promote", "promote-full", "abort"}),
        ("Progressing", {"promote", "promote-full", "abort"}),
        ("Paused", {"promote", "promote-full", "abort"}),
        ("RolledBack", {"retry"}),
        ("Failed", {"retry"}),
        ("Succeeded", set()),
    ],
)
def test_discovery_offers_the_commands_that_apply(phase: str | None, enabled: set[str]) -> None:
    status = {"phase": phase, "lastEvaluation": {"state": "Pass"}} if phase else None
    actions = run_lua(ARGOCD / "actions" / "discovery.lua", rollout(status))
    assert set(actions) == set(COMMANDS)
    assert {name for name, action in actions.items() if not action["disabled"]} == enabled


def test_discovery_offers_retry_for_an_inconclusive_evaluation() -> None:
    status = {"phase": "Progressing", "lastEvaluation": {"state": "Inconclusive"}}
    actions = run_lua(ARGOCD / "actions" / "discovery.lua", rollout(status))
    assert actions["retry"]["disabled"] is False


@pytest.mark.parametrize("command", COMMANDS)
def test_action_sets_a_fresh_token_and_leaves_spec_alone(command: str) -> None:
    obj = rollout({"phase": "Paused"})
    obj["metadata"]["annotations"] = {"team": "imagegen"}
    result = run_lua(ARGOCD / "actions" / f"{command}.lua", copy.deepcopy(obj))
    token = result["metadata"]["annotations"][f"pixelproof.dev/{command}"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", token)
    assert result["metadata"]["annotations"]["team"] == "imagegen"
    assert result["spec"] == obj["spec"]
    assert result["status"] == obj["status"]
    again = run_lua(ARGOCD / "actions" / f"{command}.lua", result)
    assert again["metadata"]["annotations"][f"pixelproof.dev/{command}"] != token


def test_action_works_without_annotations() -> None:
    result = run_lua(ARGOCD / "actions" / "abort.lua", rollout({"phase": "Progressing"}))
    assert list(result["metadata"]["annotations"]) == ["pixelproof.dev/abort"]


def test_argocd_config_patch_carries_exactly_these_scripts() -> None:
    patch = yaml.safe_load((ARGOCD / "argocd-cm-patch.yaml").read_text())["data"]
    assert (
        patch["resource.customizations.health.pixelproof.dev_ModelRollout"]
        == (ARGOCD / "health.lua").read_text()
    )
    actions = yaml.safe_load(patch["resource.customizations.actions.pixelproof.dev_ModelRollout"])
    assert actions["discovery.lua"] == (ARGOCD / "actions" / "discovery.lua").read_text()
    assert [d["name"] for d in actions["definitions"]] == list(COMMANDS)
    for definition in actions["definitions"]:
        assert (
            definition["action.lua"]
            == (ARGOCD / "actions" / f"{definition['name']}.lua").read_text()
        )
