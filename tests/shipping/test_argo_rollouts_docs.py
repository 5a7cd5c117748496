"""The Argo Rollouts recipe in docs/argo-rollouts.md works: its AnalysisTemplate is well
formed and fits the Rollout beside it, its Job is a valid batch/v1 Job, and the evaluator
command line it runs, run here for real against two reference generators with a small
golden set, exits with the status the recipe's table promises for each verdict."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from pixelproof_demo.environment import child_environment
from pixelproof_evaluator.golden import ExpectedText, GoldenItemSpec, write_manifest
from pixelproof_refgen import render
from pixelproof_refgen.request import GenerateRequest
from pixelproof_testkit.charts import REPO

DOC = REPO / "docs" / "argo-rollouts.md"
BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)
ARG = re.compile(r"\{\{args\.([a-z0-9-]+)\}\}")
# The pod failure policy is GA from Kubernetes 1.31, the oldest release the recipe names.
KUBE_VERSIONS = ("1.31.0", "1.33.0")
SIZE = "256x256"
ITEMS = [
    ("sale-poster", 'a shop poster that says "SUMMER SALE"', 11, False),
    ("bakery", 'a bakery sign reading "Fresh bread daily"', 12, False),
    ("brand", 'a banner with "ACME Coffee roasters"', 13, False),
    ("sticker-star", "a star sticker", 14, True),
    ("sticker-moon", "a moon sticker", 15, True),
    ("landscape", "a landscape with clouds", 16, False),
]


def _documents() -> dict[str, dict[str, Any]]:
    docs = [d for block in BLOCK.findall(DOC.read_text()) for d in yaml.safe_load_all(block) if d]
    return {d["kind"]: d for d in docs}


def _job_metric(template: dict[str, Any]) -> dict[str, Any]:
    (metric,) = template["spec"]["metrics"]
    job: dict[str, Any] = metric["provider"]["job"]
    return job


def _substitute(node: Any, values: dict[str, str]) -> Any:
    """Argo's {{args.NAME}} substitution."""
    if isinstance(node, str):
        return ARG.sub(lambda m: values[m.group(1)], node)
    if isinstance(node, list):
        return [_substitute(v, values) for v in node]
    if isinstance(node, dict):
        return {k: _substitute(v, values) for k, v in node.items()}
    return node


def _step_args(rollout: dict[str, Any], template: str) -> dict[str, str]:
    steps = rollout["spec"]["strategy"]["canary"]["steps"]
    (analysis,) = [s["analysis"] for s in steps if "analysis" in s]
    assert [t["templateName"] for t in analysis["templates"]] == [template]
    return {a["name"]: a["value"] for a in analysis["args"]}


def _arguments(template: dict[str, Any], rollout: dict[str, Any]) -> dict[str, str]:
    """Every argument's value as an AnalysisRun of this Rollout would get it."""
    declared = {a["name"]: a.get("value") for a in template["spec"]["args"]}
    given = _step_args(rollout, template["metadata"]["name"])
    assert set(given) <= set(declared), "the Rollout passes an argument the template lacks"
    values = {name: given.get(name, default) for name, default in declared.items()}
    missing = [name for name, value in values.items() if value is None]
    assert not missing, f"arguments without a value: {missing}"
    return {k: str(v) for k, v in values.items()}


def test_every_yaml_block_parses() -> None:
    assert DOC.read_text().count("```yaml") == len(BLOCK.findall(DOC.read_text()))
    assert set(_documents()) == {"AnalysisTemplate", "Rollout"}


def test_the_analysis_template_is_structurally_sound() -> None:
    docs = _documents()
    template, rollout = docs["AnalysisTemplate"], docs["Rollout"]
    assert template["apiVersion"] == "argoproj.io/v1alpha1"
    assert template["metadata"]["namespace"] == rollout["metadata"]["namespace"]
    names = [a["name"] for a in template["spec"]["args"]]
    assert len(names) == len(set(names))
    (metric,) = template["spec"]["metrics"]
    assert set(metric["provider"]) == {"job"}
    assert isinstance(metric["count"], int) and metric["failureLimit"] == 0
    assert set(_job_metric(template)) <= {"metadata", "spec"}
    used = set(ARG.findall(json.dumps(template["spec"]["metrics"])))
    assert used == set(names), "every argument is used, and only declared ones are"
    values = _arguments(template, rollout)
    canary = rollout["spec"]["strategy"]["canary"]
    # The evaluator compares exactly the Services Argo keeps on the two ReplicaSets.
    assert values["stable-service"] == canary["stableService"]
    assert values["canary-service"] == canary["canaryService"]


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_the_job_is_a_valid_batch_job(kube_version: str) -> None:
    docs = _documents()
    values = _arguments(docs["AnalysisTemplate"], docs["Rollout"])
    job = _substitute(_job_metric(docs["AnalysisTemplate"]), values)
    manifest = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "image-gates-1", "namespace": "imagegen", **job["metadata"]},
        "spec": job["spec"],
    }
    kubernetes_validate.validate(manifest, kube_version, strict=True)
    spec = job["spec"]
    (container,) = spec["template"]["spec"]["containers"]
    # The pod failure policy needs restartPolicy Never and names the evaluator container.
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    (rule,) = spec["podFailurePolicy"]["rules"]
    assert rule["onExitCodes"]["containerName"] == container["name"]
    args = container["args"]
    fail_code = int(args[args.index("--fail-exit-code") + 1])
    assert rule == {
        "action": "FailJob",
        "onExitCodes": {"containerName": "evaluator", "operator": "In", "values": [fail_code]},
    }


def _evaluator_command(stable_url: str, candidate_url: str, golden: Path, out: Path) -> list[str]:
    """The recipe's command line, with what the pod would resolve and mount mapped here:
    the Services' DNS names to the local generators, the volumes to local folders."""
    docs = _documents()
    values = _arguments(docs["AnalysisTemplate"], docs["Rollout"])
    (container,) = _substitute(_job_metric(docs["AnalysisTemplate"]), values)["spec"]["template"][
        "spec"
    ]["containers"]
    command = [*container["command"], *container["args"]]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    local = {
        f"http://{values['stable-service']}:80": stable_url,
        f"http://{values['canary-service']}:80": candidate_url,
        next(p for p, n in mounts.items() if n == "golden"): str(golden),
        next(p for p, n in mounts.items() if n == "reports"): str(out),
    }
    assert set(local) <= set(command), "the recipe's URLs and mount paths are arguments"
    mapped = [local.get(part, part) for part in command]
    assert mapped[:3] == ["python", "-m", "pixelproof_evaluator"]
    return [sys.executable, *mapped[1:]]


def _generator_contract() -> str:
    args: list[str] = _evaluator_command("s", "c", Path("g"), Path("o"))
    return args[args.index("--generator") + 1]


@pytest.fixture(scope="module")
def refgen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    folder = tmp_path_factory.mktemp("refgen")
    processes: list[subprocess.Popen[str]] = []

    def start(*faults: str) -> str:
        port_file = folder / f"port-{len(processes)}"
        fault_args = [a for f in faults for a in ("--fault", f)]
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "pixelproof_refgen", "--port", "0"),
                *("--port-file", str(port_file), "--log-level", "WARNING", *fault_args),
            ],
            env=child_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text():
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the reference generator did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{int(port_file.read_text())}"

    yield start
    for process in processes:
        process.terminate()
        process.wait(15)


@pytest.fixture(scope="module")
def stable(refgen: Callable[..., str]) -> str:
    return refgen()


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory, stable: str) -> Path:
    """Six items (text, alpha and plain), references captured from the healthy stable."""
    folder = tmp_path_factory.mktemp("golden")
    specs = []
    for item_id, prompt, seed, alpha in ITEMS:
        width, height = (int(v) for v in SIZE.split("x"))
        drawn = render(GenerateRequest(prompt, seed, width, height, alpha)).blocks
        text = [ExpectedText(text=b.expected, font_size=b.size) for b in drawn]
        specs.append(
            GoldenItemSpec(id=item_id, prompt=prompt, seed=seed, size=SIZE, alpha=alpha, text=text)
        )
    write_manifest(folder / "golden.yaml", specs)
    capture = [sys.executable, "-m", "pixelproof_evaluator", "capture", "--golden", str(folder)]
    capture += ["--stable", stable, "--generator", _generator_contract()]
    done = subprocess.run(
        capture, env=child_environment(), capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr
    return folder


def _table_exit_codes() -> dict[str, int]:
    """The exit status per verdict, as the recipe's table states it."""
    rows = re.findall(r"^\| (Pass|Fail|Inconclusive) \| (\d+)", DOC.read_text(), re.MULTILINE)
    return {verdict: int(code) for verdict, code in rows}


def test_the_table_gives_each_verdict_its_own_status() -> None:
    assert _table_exit_codes() == {"Pass": 0, "Fail": 3, "Inconclusive": 4}


# (stable faults, candidate faults) that make the evaluator reach each verdict.
CASES = {
    "Pass": ((), ()),
    # Stretched images: the format gate's size check fails the candidate.
    "Fail": ((), ("stretch=1.5",)),
    # A stable model that fails every request leaves no baseline: inconclusive.
    "Inconclusive": (("error_rate=1",), ()),
}


@pytest.mark.parametrize("verdict", sorted(CASES))
def test_the_recipe_command_exits_with_the_verdicts_status(
    refgen: Callable[..., str], stable: str, golden: Path, tmp_path: Path, verdict: str
) -> None:
    stable_faults, candidate_faults = CASES[verdict]
    stable_url = refgen(*stable_faults) if stable_faults else stable
    command = _evaluator_command(stable_url, refgen(*candidate_faults), golden, tmp_path / "out")
    termination = tmp_path / "termination-log"
    env = child_environment({"PIXELPROOF_TERMINATION_LOG": str(termination)})
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=270)
    summary = json.loads(termination.read_text())
    assert summary["verdict"] == verdict, (summary, done.stderr[-2000:])
    assert done.returncode == _table_exit_codes()[verdict]
    assert (tmp_path / "out" / "report.json").is_file()
