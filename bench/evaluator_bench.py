"""What bench_evaluator.py measures with: the machine's description, LPIPS and OCR speeds,
golden sets of any size, recorded generators in processes of their own, and the peak
memory of this process and its children."""

from __future__ import annotations

import dataclasses
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.golden import ExpectedText, GoldenItemSpec, write_manifest
from pixelproof_evaluator.resources import usable_cores
from pixelproof_refgen import RefGenServer, render
from pixelproof_refgen.request import GenerateRequest

BATCH = 8
START_TIMEOUT_SECONDS = 60.0
RSS_EVERY_SECONDS = 0.05


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(device: str) -> str:
    text = (
        f"{platform.platform()} | {_cpu_model()} | {os.cpu_count()} CPUs, "
        f"{usable_cores()} usable | LPIPS on {device}"
    )
    if device == "cuda":
        import torch

        return text + f" ({torch.cuda.get_device_name(0)})"
    return text + " (no GPU)"


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
        f"OCR {width}x{height}, all threads: {count / elapsed:.2f} images/s "
        f"({elapsed / count * 1000:.0f} ms/image)"
    )


def write_golden(folder: Path, items: int, size: str) -> Path:
    """A golden set of posters with text, references captured from a good generator."""
    width, height = (int(v) for v in size.split("x"))
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
        capture(folder, reference.url, GeneratorContract(timeout_seconds=60), concurrency=8)
    return folder


class RecordedGenerator:
    """A generator in a process of its own that answers with the golden set's captured
    images after a fixed latency (recorded_generator.py says why it does not render)."""

    def __init__(self, golden: Path, latency_ms: float, *, replays_differ: bool = False) -> None:
        self.golden = golden
        self.latency_ms = latency_ms
        self.replays_differ = replays_differ
        self._folder = tempfile.TemporaryDirectory()
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def __enter__(self) -> RecordedGenerator:
        port_file = Path(self._folder.name) / "port"
        command = [sys.executable, str(Path(__file__).with_name("recorded_generator.py"))]
        command += [str(self.golden), "--latency-ms", str(self.latency_ms)]
        command += ["--port-file", str(port_file)]
        if self.replays_differ:
            command.append("--replays-differ")
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not port_file.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the recorded generator did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text().strip()}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
        self._folder.cleanup()

    def cpu_seconds(self) -> float:
        assert self._process is not None
        return _cpu_seconds(self._process.pid)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def evaluator_cpu_seconds() -> float:
    """CPU time used so far by this process and its check workers."""
    me = os.getpid()
    return _cpu_seconds(me) + sum(_cpu_seconds(p) for p in _children(me) if _is_worker(p))


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@dataclasses.dataclass
class Series:
    """Peak RSS of this process and of its check workers together."""

    main: int = 0
    workers: int = 0
    total: int = 0

    def sample(self) -> None:
        me = os.getpid()
        main = _rss_bytes(me)
        workers = sum(_rss_bytes(pid) for pid in _children(me) if _is_worker(pid))
        self.main = max(self.main, main)
        self.workers = max(self.workers, workers)
        self.total = max(self.total, main + workers)

    def describe(self) -> str:
        mib = 1024 * 1024
        return (
            f"{self.total / mib:.0f} MiB (this process {self.main / mib:.0f} MiB, "
            f"check workers {self.workers / mib:.0f} MiB)"
        )


@contextmanager
def peak_rss(series: Series) -> Iterator[None]:
    """Samples memory every 50 ms while the block runs."""
    done = threading.Event()

    def sample() -> None:
        while not done.wait(RSS_EVERY_SECONDS):
            series.sample()

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        series.sample()
