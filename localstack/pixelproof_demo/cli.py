"""`pixelproof demo`: two rollouts on a complete local stack, shown live.

A good candidate and a faulty one are rolled out next to the same stable model. The faulty
one must be rolled back with the gate, value and threshold that caught it, and the good
one must reach 100 %; the exit status says whether both did."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from .manifests import (
    DEFAULT_STEPS,
    INPAINT_QUALITY_GATES,
    LIVE_TRAFFIC,
    QUALITY_GATES,
    REVIEW_DEADLINE,
    UPSCALE_QUALITY_GATES,
    live_steps,
    review_steps,
)
from .prerequisites import missing_prerequisites

NAMESPACE = "imagegen"


@dataclass(frozen=True)
class Task:
    good: str
    faulty: str
    default_fault: str
    quality_gates: dict[str, Any]


TASKS: dict[str, Task] = {
    "generate": Task("poster-gen-v2", "poster-gen-v3", "blur=1.5", QUALITY_GATES),
    "upscale": Task("upscaler-v2", "upscaler-v3", "wrong_scale=3", UPSCALE_QUALITY_GATES),
    "inpaint": Task("inpainter-v2", "inpainter-v3", "mask_bleed=0.3", INPAINT_QUALITY_GATES),
}
# A good model is not bit-exact across runs and GPUs: harmless pixel noise every gate must
# accept. Stable and good candidate drift alike, so they also cost the same to serve.
MODEL_DRIFT = {"replay_noise": 1.0}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pixelproof demo",
        description="Roll out a good and a faulty image model on a local stack "
        "(Kubernetes API emulator, operator, Prometheus, generators, evaluator).",
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fault of the faulty candidate, repeatable (default "
        + ", ".join(f"{t.default_fault} for {name}" for name, t in TASKS.items())
        + "); knobs: drop_alpha, garble_small_text, font_fallback, stretch, color_shift, "
        "blur, nondeterminism, miscompose, off_template, latency_ms, error_rate, "
        "crash_rate, corrupt_png, html_error, hang; for upscale and inpaint also "
        "wrong_scale, mask_bleed, colorspace_drift, ignore_exif, fail_unusual_modes, "
        "max_input_pixels",
    )
    p.add_argument(
        "--task",
        choices=sorted(TASKS),
        default="generate",
        help="what the models do: generate images from prompts (default), or upscale or "
        "inpaint input images",
    )
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep everything running after the rollouts end, for kubectl; Ctrl-C stops",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path(".demo"),
        help="folder for the HTML reports and the operator log (default .demo)",
    )
    p.add_argument(
        "--review",
        action="store_true",
        help=f"the good rollout pauses for a review after its evaluation "
        f"(promote it, or it promotes itself after {REVIEW_DEADLINE})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=240.0,
        help="seconds to wait for both rollouts to end (default 240)",
    )
    return p


def _faults(assignments: Sequence[str], task: Task) -> dict[str, Any]:
    from pixelproof_refgen.faults import Faults

    faults = Faults.from_cli(assignments or [task.default_fault])
    return faults.active()


def _outcome_lines(views: dict[str, Any], task: Task) -> tuple[bool, list[str]]:
    from .view import failing_gates

    good, faulty = views[task.good], views[task.faulty]
    lines = []
    faulty_ok = faulty.phase == "RolledBack"
    if faulty_ok:
        caught = failing_gates(faulty)
        named = "; ".join(f"{g.name} = {g.value} (threshold {g.threshold})" for g in caught)
        lines.append(f"{task.faulty}: RolledBack as expected, caught by {named or 'a gate'}")
        lines.append(f"  reason: {faulty.message}")
    else:
        lines.append(f"{task.faulty}: expected RolledBack, ended {faulty.phase}: {faulty.message}")
    good_ok = good.phase == "Succeeded" and good.weights == "0/100"
    if good_ok:
        lines.append(f"{task.good}: Succeeded as expected, candidate at 100 % ({good.message})")
    else:
        lines.append(
            f"{task.good}: expected Succeeded at 100 %, ended {good.phase} "
            f"with weights {good.weights}: {good.message}"
        )
    return faulty_ok and good_ok, lines


def run(args: argparse.Namespace, out: TextIO) -> int:
    from .display import RolloutDisplay
    from .stack import LocalStack
    from .view import describe

    task = TASKS[args.task]
    try:
        faults = _faults(args.fault, task)
    except ValueError as exc:
        print(f"pixelproof demo: {exc}", file=sys.stderr)
        return 2
    run_dir = (args.out / datetime.now().strftime("%Y%m%d-%H%M%S")).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=run_dir / "demo.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:5.1f}s] {text}", file=out, flush=True)

    say("starting Prometheus, the local Kubernetes API and the operator")
    with LocalStack(
        reports_dir=run_dir / "reports", keep_traffic=args.keep, task=args.task
    ) as stack:
        say(f"Kubernetes API at {stack.api_url}, Prometheus at {stack.prometheus_url}")
        say(
            "starting the stable generator; capturing the golden set from it and calibrating "
            "it (A/A) while the rollouts take their first steps"
        )
        app = stack.add_app(NAMESPACE, {**MODEL_DRIFT, "fault_seed": 1})
        say(
            f"applying ModelRollouts: {task.good} (good candidate) and "
            f"{task.faulty} (faults: {', '.join(f'{k}={v}' for k, v in faults.items())})"
        )
        if args.review:
            say(
                f"{task.good} pauses for a review after its evaluation: "
                f"kubectl pixelproof promote {task.good} -n {NAMESPACE}"
            )
        # Live traffic carries text prompts only: image-to-image rollouts are judged on
        # their golden inputs.
        live = args.task == "generate"
        steps = live_steps() if live else DEFAULT_STEPS
        if live:
            say(
                f"both mirror {LIVE_TRAFFIC['mirrorPercent']} % of their route's requests to a "
                "prompt recorder; after the golden set they are judged on the recorded prompts"
            )
        handles = [
            stack.add_rollout(
                app,
                task.good,
                {**MODEL_DRIFT, "fault_seed": 2},
                steps=review_steps(steps) if args.review else steps,
                quality_gates=task.quality_gates,
                live_traffic=LIVE_TRAFFIC if live else None,
            ),
            stack.add_rollout(
                app,
                task.faulty,
                faults,
                steps=steps,
                quality_gates=task.quality_gates,
                live_traffic=LIVE_TRAFFIC if live else None,
            ),
        ]
        deadline = time.monotonic() + args.timeout
        with RolloutDisplay(out) as display:
            while True:
                views = {h.name: describe(stack.rollout(h)) for h in handles}
                display.update(list(views.values()))
                if all(v.terminal for v in views.values()) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        ok, lines = _outcome_lines(views, task)
        if not all(v.terminal for v in views.values()):
            lines.insert(0, f"timed out after {args.timeout:g}s before both rollouts ended")
        for text in lines:
            say(text)
        reports = sorted({v.report for v in views.values() if v.report})
        say(f"HTML evaluation reports under {run_dir / 'reports'}:")
        for report in reports:
            print(f"  {report}", file=out)
        say(f"operator log: {run_dir / 'demo.log'}")
        if args.keep:
            _keep_running(stack, out, task.faulty)
    say("demo " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


def _keep_running(stack: Any, out: TextIO, faulty: str) -> None:
    kubeconfig = stack.kubeconfig_path
    print(
        "\nEverything keeps running. Explore with kubectl:\n"
        f"  export KUBECONFIG={kubeconfig}\n"
        f"  kubectl get modelrollouts -n {NAMESPACE}\n"
        f"  kubectl describe modelrollout {faulty} -n {NAMESPACE}\n"
        f"  kubectl get httproutes,deployments,jobs,configmaps -n {NAMESPACE}\n"
        f"  kubectl get events -n {NAMESPACE}\n"
        f"Prometheus: {stack.prometheus_url}/graph\n"
        "Press Ctrl-C to stop.",
        file=out,
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    problems = missing_prerequisites()
    if problems:
        print("pixelproof demo cannot start:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    return run(args, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
