"""`pixelproof demo --task upscale|inpaint`: the rollouts it applies pass the API's validation
with the inputs contract and the gates of their task, and each task's faulty candidate has a
fault of its own."""

from __future__ import annotations

import pytest

from pixelproof.api.validation import validate_modelrollout
from pixelproof_demo import manifests
from pixelproof_demo.cli import TASKS, parser
from pixelproof_demo.image_golden import contract_inputs


@pytest.mark.parametrize("task", ["upscale", "inpaint"])
def test_image_task_rollouts_validate(task: str) -> None:
    assert parser().parse_args(["--task", task]).task == task
    chosen = TASKS[task]
    rollout = manifests.modelrollout(
        chosen.faulty,
        "imagegen",
        stable=("upscaler", "upscaler"),
        candidate=(f"{chosen.faulty}-candidate", f"{chosen.faulty}-candidate"),
        route=chosen.faulty,
        prometheus_url="http://127.0.0.1:9090",
        quality_gates=chosen.quality_gates,
        generator_inputs=contract_inputs(task),
    )
    assert validate_modelrollout(rollout) == []
    assert rollout["spec"]["generator"]["inputs"] == contract_inputs(task)
    assert ("preservation" in chosen.quality_gates) == (task == "inpaint")


def test_an_unknown_task_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["--task", "outpaint"])
    assert "invalid choice: 'outpaint'" in capsys.readouterr().err
