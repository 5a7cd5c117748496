"""The recorder's /metrics in the Prometheus text format, written out directly: a handful of
counters and gauges do not need a client library's registry in the recorder's process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "pixelproof_recorder_"


@dataclass(frozen=True)
class RecorderCounts:
    recorded: int
    refreshed: int
    rejected: Mapping[str, int]
    ignored: Mapping[str, int]
    dropped: Mapping[str, int]
    sample_size: int
    sample_max: int


def _family(name: str, kind: str, help_text: str, samples: Mapping[str, int] | int) -> list[str]:
    lines = [f"# HELP {PREFIX}{name} {help_text}", f"# TYPE {PREFIX}{name} {kind}"]
    if isinstance(samples, int):
        return [*lines, f"{PREFIX}{name} {samples}"]
    return lines + [
        f'{PREFIX}{name}{{reason="{reason}"}} {value}' for reason, value in sorted(samples.items())
    ]


def exposition(counts: RecorderCounts) -> str:
    families = [
        _family(
            "recorded_total", "counter", "Distinct requests added to the sample.", counts.recorded
        ),
        _family("refreshed_total", "counter", "Repeats of a kept request.", counts.refreshed),
        _family("rejected_total", "counter", "Requests refused, by reason.", counts.rejected),
        _family(
            "ignored_total", "counter", "Requests answered but never recorded.", counts.ignored
        ),
        _family("dropped_total", "counter", "Records dropped from the sample.", counts.dropped),
        _family("sample_size", "gauge", "Records in the sample now.", counts.sample_size),
        _family("sample_max", "gauge", "The sample's maximum size.", counts.sample_max),
    ]
    return "\n".join(line for family in families for line in family) + "\n"
