"""The evaluator Job tells the evaluator which rollout, Job and step it serves, so the report
can say so at the top; the report then shows them above the verdict."""

from __future__ import annotations

import pytest

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.evaluation.job import RolloutRef, evaluator_job
from pixelproof_evaluator.evaluate import run_context
from pixelproof_evaluator.report import render_html
from pixelproof_testkit.kube import NS
from pixelproof_testkit.manifests import rollout


def test_the_job_names_rollout_job_and_step_and_the_report_shows_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = ModelRolloutSpec.model_validate(
        rollout(
            evaluator={
                "image": "registry.example/pixelproof-evaluator:0.1.0",
                "env": [{"name": "PIXELPROOF_STEP", "value": "spoofed"}],
            }
        )["spec"]
    )
    job = evaluator_job(
        RolloutRef("poster-gen", NS, "uid"), spec, job_name="poster-gen-s2-a1", step=2, attempt=1
    )
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    values = {e["name"]: e["value"] for e in env}
    assert values["PIXELPROOF_ROLLOUT"] == f"{NS}/poster-gen"
    assert values["PIXELPROOF_JOB"] == "poster-gen-s2-a1"
    assert values["PIXELPROOF_STEP"] == "2"
    assert [e["name"] for e in env].count("PIXELPROOF_STEP") == 1
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    context = run_context("2026-01-01T00:00:00Z")
    assert context == {
        "rollout": f"{NS}/poster-gen",
        "job": "poster-gen-s2-a1",
        "step": "2",
        "started": "2026-01-01T00:00:00Z",
    }
    html = render_html(EvaluationSummary(verdict="Pass"), [], {"context": context})
    assert html.index("poster-gen-s2-a1") < html.index("Evaluation verdict")
