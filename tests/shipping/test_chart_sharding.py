"""The chart's instance id, watch timeouts and omitted Events reach the operator as options
it parses."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from pixelproof.controller.main import OperatorConfig, parser
from pixelproof.engine.event_reasons import NORMAL_REASONS
from pixelproof_testkit.charts import CHART, HelmError, one, render


def _config(docs: list[dict[str, Any]]) -> OperatorConfig:
    script, _zero, *given = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0][
        "args"
    ]
    words = shlex.split(script.replace('"$@"', ""))
    options = [w for w in words[words.index("operator") + 1 :] if not w.startswith("--priority")]
    args = parser().parse_args(options + given)
    return OperatorConfig(**{k: v for k, v in vars(args).items() if k != "log_level"})


def test_the_default_release_takes_rollouts_without_an_instance_label(helm: Path) -> None:
    config = _config(render(helm))
    assert config.instance_id is None
    assert (config.watch_server_timeout, config.watch_client_timeout) == (60, 90)
    assert config.watch_silence_limit == 180


def test_an_instance_id_and_watch_timeouts_are_passed_on(helm: Path) -> None:
    values = {
        "instanceId": "batch",
        "watch": {
            "serverTimeoutSeconds": 30,
            "clientTimeoutSeconds": 45,
            "silenceLimitSeconds": 99,
        },
    }
    config = _config(render(helm, values))
    assert config.instance_id == "batch"
    assert config.rollout_labels() == {"pixelproof.dev/instance-id": "batch"}
    assert (config.watch_server_timeout, config.watch_client_timeout) == (30, 45)
    assert config.watch_silence_limit == 99


def test_omitted_events_are_passed_on(helm: Path) -> None:
    assert _config(render(helm)).omit_events == []
    config = _config(render(helm, {"omitEvents": ["WeightsSet", "EvaluationPass"]}))
    assert config.omit_events == ["WeightsSet", "EvaluationPass"]
    config.policy()


def test_the_schema_knows_the_operators_normal_reasons_and_refuses_a_warning(helm: Path) -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert set(schema["properties"]["omitEvents"]["items"]["enum"]) == NORMAL_REASONS
    with pytest.raises(HelmError, match=r"schema|omitEvents"):
        render(helm, {"omitEvents": ["GateFail"]})
