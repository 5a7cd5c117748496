"""What the evaluator may use: the CPU cores it is allowed to run on, capped by its cgroup's
CPU quota, and its cgroup's memory limit. In a pod with `limits.cpu: 2` on a 64-core node
os.cpu_count() says 64, and 64 busy workers would only be throttled; in one with
`limits.memory: 4Gi` sixteen workers would be killed for memory."""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _quota(cpu_max: str) -> int | None:
    """Cores a cgroup v2 `cpu.max` ("QUOTA PERIOD", QUOTA "max" when unlimited) allows."""
    parts = cpu_max.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        quota, period = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    return max(1, math.ceil(quota / period)) if quota > 0 and period > 0 else None


def cgroup_cores(root: Path = CGROUP_ROOT) -> int | None:
    """The CPU quota of this process's cgroup (v2, else v1), None when there is none."""
    try:
        return _quota((root / "cpu.max").read_text())
    except OSError:
        pass
    try:
        quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
        period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
    except OSError:
        return None
    return _quota(f"{quota} {period}") if not quota.startswith("-") else None


def usable_cores(root: Path = CGROUP_ROOT) -> int:
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = cgroup_cores(root)
    cores = allowed or 1
    return max(1, min(cores, quota) if quota is not None else cores)


def cgroup_memory_bytes(root: Path = CGROUP_ROOT) -> int | None:
    """The memory limit of this process's cgroup (v2, else v1), None when there is none."""
    for name in ("memory.max", "memory/memory.limit_in_bytes"):
        try:
            text = (root / name).read_text().strip()
        except OSError:
            continue
        # cgroup v1 says "no limit" with a huge number rather than "max".
        return int(text) if text.isdigit() and int(text) < 2**62 else None
    return None
