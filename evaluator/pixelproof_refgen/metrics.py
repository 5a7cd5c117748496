"""Prometheus metrics of one generator server, in a registry of its own.

GPU time is simulated: this generator renders on the CPU, so ``generate_gpu_seconds_total``
counts render time plus injected latency, which is what a GPU-bound model would spend.

Requests marked with the evaluation header are not serving traffic: they are counted only in
``generate_evaluation_requests_total``, so metric gates judge what users get.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# Fine enough to read p50 and p95 anywhere between 10 ms and 10 s.
DURATION_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3,
    0.4, 0.5, 0.65, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.5, 8.0, 10.0, 15.0, 30.0,
)  # fmt: skip


ANSWERED_CODES = ("200", "400", "411", "413", "422", "500", "502")
"""The status codes a generate request can be answered with here."""


class GeneratorMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "generate_requests",
            "Generate requests answered, by HTTP status code.",
            ["code"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "generate_request_duration_seconds",
            "Time from receiving a generate request to the end of its answer.",
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.gpu_seconds = Counter(
            "generate_gpu_seconds",
            "Simulated GPU time: render time plus injected latency of rendered images.",
            registry=self.registry,
        )
        self.evaluation_requests = Counter(
            "generate_evaluation_requests",
            "Generate requests from the evaluator answered, by HTTP status code.",
            ["code"],
            registry=self.registry,
        )
        self.images = Counter(
            "generate_images",
            "Images rendered and sent.",
            registry=self.registry,
        )
        # Every code this server answers with is exported at zero from the start: rate()
        # counts nothing up to a series' first sample, and a 5xx series born with its
        # first error would hide the errors before its first scrape from the error rate.
        for code in ANSWERED_CODES:
            self.requests.labels(code=code)
            self.evaluation_requests.labels(code=code)
