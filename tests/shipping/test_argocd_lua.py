"""The Argo CD health check and resource actions, run against status fixtures in a Lua 5.1
VM that offers only what Argo CD's own VM offers (pixelproof_testkit.argocd_lua)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from lupa.lua51 import LuaError

from pixelproof_testkit import argocd_lua as argocd
from pixelproof_testkit.argocd_lua import conditions, rollout

ARGOCD = Path(__file__).resolve().parents[2] / "charts" / "pixelproof" / "argocd"
COMMANDS = ("promote", "promote-full", "abort", "retry")
HEALTH = (ARGOCD / "health.lua").read_text()
DISCOVERY = (ARGOCD / "actions" / "discovery.lua").read_text()


def action(command: str) -> str:
    return (ARGOCD / "actions" / f"{command}.lua").read_text()


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
    result = argocd.health(HEALTH, rollout(status))
    assert result["status"] == health
    assert message_part in result["message"]


def test_health_without_status_is_progressing() -> None:
    result = argocd.health(HEALTH, rollout(None))
    assert result == {
        "status": "Progressing",
        "message": "Waiting for the pixelproof operator to report status",
    }


def test_a_spec_change_not_yet_observed_is_progressing_not_degraded() -> None:
    """After Git gets a new candidate, the old RolledBack status must not mark the app Degraded."""
    obj = rollout({"phase": "RolledBack", "rollbackReason": "old candidate failed"}, generation=3)
    obj["status"]["observedGeneration"] = 2
    result = argocd.health(HEALTH, obj)
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
    actions = argocd.discover(DISCOVERY, rollout(status))
    assert set(actions) == set(COMMANDS)
    assert {name for name, action in actions.items() if not action["disabled"]} == enabled


def test_discovery_offers_retry_for_an_inconclusive_evaluation() -> None:
    status = {"phase": "Progressing", "lastEvaluation": {"state": "Inconclusive"}}
    actions = argocd.discover(DISCOVERY, rollout(status))
    assert actions["retry"]["disabled"] is False


@pytest.mark.parametrize("command", COMMANDS)
def test_action_sets_a_fresh_token_and_leaves_spec_alone(command: str) -> None:
    obj = rollout({"phase": "Paused"})
    obj["metadata"]["annotations"] = {"team": "imagegen"}
    result = argocd.act(action(command), copy.deepcopy(obj))
    token = result["metadata"]["annotations"][f"pixelproof.dev/{command}"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", token)
    assert result["metadata"]["annotations"]["team"] == "imagegen"
    assert result["spec"] == obj["spec"]
    assert result["status"] == obj["status"]
    again = argocd.act(action(command), result)
    assert again["metadata"]["annotations"][f"pixelproof.dev/{command}"] != token


def test_action_works_without_annotations() -> None:
    result = argocd.act(action("abort"), rollout({"phase": "Progressing"}))
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


@pytest.mark.parametrize(
    "script",
    [
        'return os.date("!%Y")',
        'return string.format("%d", 1)',
        'return ("abc"):upper()',
        "return math.floor(1.5)",
        'return require("io")',
        "return coroutine.create(print)",
    ],
)
def test_the_vm_lacks_what_argocd_does_not_open(script: str) -> None:
    with pytest.raises(LuaError):
        argocd.run_script(script, rollout(None))


def test_the_vm_offers_a_safe_os_through_require_and_tables() -> None:
    script = """
      local os = require("os")
      local parts = {}
      table.insert(parts, os.date("!%Y-%m-%dT%H:%M:%SZ"))
      table.insert(parts, tostring(os.time() > 0))
      table.insert(parts, tostring(os.execute == nil and os.getenv == nil))
      table.insert(parts, obj.metadata.name)
      return parts
    """
    stamp, positive, safe, name = argocd.run_script(script, rollout(None))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    assert (positive, safe, name) == ("true", "true", "poster-gen")


def test_the_vm_stops_a_script_past_its_deadline() -> None:
    with pytest.raises(LuaError, match="deadline"):
        argocd.run_script("while true do end", rollout(None))


def test_an_action_keeps_an_empty_object_of_its_input() -> None:
    obj = rollout({"phase": "Paused"})
    obj["spec"]["evaluator"] = {}
    result = argocd.act(action("promote"), obj)
    assert result["spec"]["evaluator"] == {}
