"""Evaluator benchmark: LPIPS pairs/s batched vs one pair per call, OCR images/s, and the
wall time of a whole evaluation against the generator-bound ideal.

The ideal is what the generators alone impose: each model serves items x 2 requests (the
image and its seed replay) at latency_ms each, concurrency at a time, both models at once.

    python bench/bench_evaluator.py [--items 16] [--latency-ms 200] [--size 256x256]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.evaluate import EvaluateOptions, Models, evaluate
from pixelproof_evaluator.golden import ExpectedText, GoldenItemSpec, write_manifest
from pixelproof_refgen import Faults, RefGenServer, render
from pixelproof_refgen.request import GenerateRequest

BATCH = 8


def machine(device: str) -> str:
    text = f"{platform.platform()} | {platform.processor() or platform.machine()} | {os.cpu_count()} CPUs | device {device}"
    if device == "cuda":
        import torch

        text += f" ({torch.cuda.get_device_name(0)})"
    return text


def images(count: int, width: int, height: int) -> list[np.ndarray]:
    out = []
    for index in range(count):
        request = GenerateRequest(f'a poster that says "SALE {index}"', index, width, height)
        out.append(np.asarray(render(request).image.convert("RGB"), dtype=np.float32) / 255.0)
    return out


def bench_lpips(models: Models, width: int, height: int, pairs: int) -> None:
    scorer = dataclasses.replace(models.scorer, batch_size=BATCH)
    imgs = images(pairs + 1, width, height)
    data = [(imgs[i], imgs[i + 1]) for i in range(pairs)]
    scorer.distances(data[:2])
    if scorer.device == "cuda":
        import torch

        torch.cuda.synchronize()
    started = time.perf_counter()
    scorer.distances(data)
    batched = pairs / (time.perf_counter() - started)
    started = time.perf_counter()
    for pair in data:
        scorer.distances([pair])
    single = pairs / (time.perf_counter() - started)
    print(
        f"LPIPS {width}x{height} ({scorer.backbone}, {scorer.device}, batch {BATCH}; "
        f"the evaluator uses {models.scorer.batch_size} here): "
        f"batched {batched:.1f} pairs/s, one per call {single:.1f} pairs/s, ratio {batched / single:.2f}x"
    )


def bench_ocr(models: Models, width: int, height: int, count: int) -> None:
    engine = models.ocr
    imgs = [(img * 255).astype(np.uint8) for img in images(count, width, height)]
    engine.read(imgs[0])
    started = time.perf_counter()
    for img in imgs:
        engine.read(img)
    elapsed = time.perf_counter() - started
    print(
        f"OCR {width}x{height}: {count / elapsed:.2f} images/s ({elapsed / count * 1000:.0f} ms/image)"
    )


def bench_evaluation(
    models: Models, items: int, latency_ms: float, size: str, concurrency: int
) -> None:
    width, height = (int(v) for v in size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "golden"
        folder.mkdir()
        specs = []
        for index in range(items):
            prompt = f'poster {index} that says "OPEN DAILY"'
            blocks = render(GenerateRequest(prompt, index, width, height)).blocks
            specs.append(
                GoldenItemSpec(
                    id=f"item-{index}",
                    prompt=prompt,
                    seed=index,
                    size=size,
                    text=[ExpectedText(text=b.expected, font_size=b.size) for b in blocks],
                )
            )
        write_manifest(folder / "golden.yaml", specs)
        with RefGenServer(0) as reference:
            capture(folder, reference.url, GeneratorContract(timeout_seconds=60))
        gates = QualityGates.model_validate(
            {
                "lpips": {"maxMean": 0.05},
                "typography": {"minPassRate": 0.9},
                "determinism": {"maxReplayDistance": 0.01},
                "failureRate": {"max": 0.02},
                "versusStable": {"maxRegression": 0.01},
            }
        )
        faults = Faults(latency_ms=latency_ms)
        with RefGenServer(0, faults) as stable, RefGenServer(0, faults) as candidate:
            for typography in (False, True):
                options = EvaluateOptions(
                    stable_url=stable.url,
                    candidate_url=candidate.url,
                    contract=GeneratorContract(timeout_seconds=60),
                    gates=gates if typography else gates.model_copy(update={"typography": None}),
                    out=Path(tmp) / "report",
                    golden=folder,
                    concurrency=concurrency,
                )
                started = time.perf_counter()
                summary = evaluate(options, models)
                wall = time.perf_counter() - started
                ideal = items * 2 * latency_ms / 1000.0 / concurrency
                label = "with OCR" if typography else "without OCR"
                print(
                    f"evaluation {label}: {items} items {size}, generator {latency_ms:.0f} ms, "
                    f"concurrency {concurrency}: wall {wall:.2f} s, generator-bound ideal {ideal:.2f} s, "
                    f"ratio {wall / ideal:.2f}x (verdict {summary.verdict})"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--size", default="256x256")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=32)
    args = parser.parse_args()
    models = Models()
    print(machine(models.scorer.device))
    width, height = (int(v) for v in args.size.split("x"))
    bench_lpips(models, width, height, args.pairs)
    if (width, height) != (512, 512):
        bench_lpips(models, 512, 512, max(8, args.pairs // 2))
    bench_ocr(models, width, height, 8)
    bench_evaluation(models, args.items, args.latency_ms, args.size, args.concurrency)


if __name__ == "__main__":
    main()
