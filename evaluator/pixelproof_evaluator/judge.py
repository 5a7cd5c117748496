"""The judge: every configured quality gate gets a verdict with a reason naming the gate, the
value and the threshold, and the evaluation gets one overall verdict.

A gate without data is inconclusive, never a pass. When the stable model itself cannot
serve most items the environment is broken, so failures of the candidate to serve are
inconclusive rather than held against it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import wilcoxon

from pixelproof.api.evaluation import GateVerdict, SummaryVerdict
from pixelproof.api.quality import QualityGates, VersusStableGate

from .checks.failures import FailureStats, failure_stats
from .checks.latency import latency_stats
from .results import ItemResult, ModelResult

# Above this share of failed requests the stable model is not a usable baseline.
STABLE_HEALTHY_MAX_FAILURE = 0.5
# A candidate output that never arrived is as far from the reference as LPIPS goes.
MISSING_OUTPUT_DISTANCE = 1.0


@dataclass
class Judgement:
    verdict: SummaryVerdict
    reason: str
    gates: list[GateVerdict]
    scores: dict[str, float] = field(default_factory=dict)
    failed_items: list[str] = field(default_factory=list)


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _gate(
    name: str, verdict: SummaryVerdict, value: float | None, threshold: str, reason: str
) -> GateVerdict:
    return GateVerdict(name=name, verdict=verdict, value=value, threshold=threshold, reason=reason)


def model_failures(
    results: Sequence[ItemResult], pick: Callable[[ItemResult], ModelResult]
) -> FailureStats:
    outcomes: list[str | None] = []
    for result in results:
        model = pick(result)
        outcomes.append(model.failure)
        if model.replay is not None:
            outcomes.append(model.replay_failure)
    return failure_stats(outcomes)


def _kinds(stats: FailureStats) -> str:
    return ", ".join(f"{kind}: {count}" for kind, count in sorted(stats.by_kind.items()))


class Judge:
    def __init__(self, gates: QualityGates, results: Sequence[ItemResult]) -> None:
        self.gates = gates
        self.results = results
        self.stable_failures = model_failures(results, lambda r: r.stable)
        self.candidate_failures = model_failures(results, lambda r: r.candidate)
        rate = self.stable_failures.rate
        self.stable_healthy = rate is not None and rate <= STABLE_HEALTHY_MAX_FAILURE
        self.scores: dict[str, float] = {}

    def usable(self) -> list[ItemResult]:
        return [r for r in self.results if r.candidate.usable]

    def judge(self) -> Judgement:
        verdicts: list[GateVerdict] = []
        if not self.results:
            return Judgement("inconclusive", "no golden items were evaluated", [])
        if not self.stable_healthy:
            verdicts.append(self._stable_gate())
        g = self.gates
        if g.failure_rate is not None:
            verdicts.append(self._failure_rate(g.failure_rate.max))
        if g.format is not None:
            if g.format.alpha:
                verdicts.append(self._alpha())
            if g.format.size:
                verdicts.append(self._size())
        if g.lpips is not None:
            verdicts.extend(self._lpips(g.lpips.max_mean, g.lpips.max_item))
        if g.typography is not None:
            verdicts.append(
                self._typography(g.typography.min_pass_rate, g.typography.max_char_error_rate)
            )
        if g.determinism is not None:
            verdicts.append(self._determinism(g.determinism.max_replay_distance))
        if g.color is not None:
            verdicts.append(self._color(g.color.max_delta_e))
        if g.sharpness is not None:
            verdicts.append(self._sharpness(g.sharpness.min_ratio))
        if g.latency is not None:
            verdicts.extend(
                self._latency(g.latency.max_p50_ms, g.latency.max_p95_ms, g.latency.max_regression)
            )
        if g.versus_stable is not None:
            verdicts.append(self._versus_stable(g.versus_stable))
        self._common_scores()
        return Judgement(*overall(verdicts), verdicts, self.scores, self._failed_items())

    def _common_scores(self) -> None:
        for key, stats in (
            ("failureRate", self.candidate_failures),
            ("stableFailureRate", self.stable_failures),
        ):
            if stats.rate is not None:
                self.scores[key] = round(stats.rate, 4)
        for key, pick in (("lpipsMean", "candidate"), ("stableLpipsMean", "stable")):
            values = [
                getattr(r, pick).lpips for r in self.results if getattr(r, pick).lpips is not None
            ]
            if values:
                self.scores[key] = round(float(np.mean(values)), 4)
        self._tag_scores()

    def _stable_gate(self) -> GateVerdict:
        stats = self.stable_failures
        rate = stats.rate if stats.rate is not None else 1.0
        return _gate(
            "stable",
            "inconclusive",
            rate,
            f"<= {STABLE_HEALTHY_MAX_FAILURE}",
            f"stable model failed {stats.failed} of {stats.requests} requests ({_kinds(stats)}): "
            "no usable baseline",
        )

    def _failure_rate(self, maximum: float) -> GateVerdict:
        stats = self.candidate_failures
        rate = stats.rate or 0.0
        threshold = f"<= {_fmt(maximum)}"
        detail = f"{stats.failed} of {stats.requests} candidate requests failed" + (
            f" ({_kinds(stats)})" if stats.failed else ""
        )
        if rate <= maximum:
            return _gate(
                "failureRate",
                "pass",
                rate,
                threshold,
                f"failureRate {_fmt(rate)} <= max {_fmt(maximum)}: {detail}",
            )
        if not self.stable_healthy:
            return _gate(
                "failureRate",
                "inconclusive",
                rate,
                threshold,
                f"failureRate {_fmt(rate)} > max {_fmt(maximum)}, but the stable model failed too: {detail}",
            )
        return _gate(
            "failureRate",
            "fail",
            rate,
            threshold,
            f"failureRate {_fmt(rate)} > max {_fmt(maximum)}: {detail}",
        )

    def _alpha(self) -> GateVerdict:
        expecting = [r for r in self.usable() if r.item.spec.alpha]
        if not expecting:
            return _gate("format.alpha", "pass", None, "alpha used", "no golden item expects alpha")
        bad = [
            r
            for r in expecting
            if r.candidate.format is not None and not r.candidate.format.alpha_ok
        ]
        share = len(bad) / len(expecting)
        if not bad:
            return _gate(
                "format.alpha",
                "pass",
                0.0,
                "alpha used",
                f"all {len(expecting)} items that expect alpha have it",
            )
        first = bad[0]
        problem = first.candidate.format.alpha_problem if first.candidate.format else None
        return _gate(
            "format.alpha",
            "fail",
            share,
            "alpha used",
            f"format.alpha: {len(bad)} of {len(expecting)} items that expect alpha lack it "
            f"(e.g. {first.item.id}: {problem})",
        )

    def _size(self) -> GateVerdict:
        checked = [r for r in self.usable() if r.candidate.size is not None]
        if not checked:
            return _gate(
                "format.size",
                "inconclusive",
                None,
                "requested size",
                "format.size: no candidate image decoded",
            )
        bad = [r for r in checked if r.candidate.size is not None and not r.candidate.size.size_ok]
        if not bad:
            return _gate(
                "format.size",
                "pass",
                0.0,
                "requested size",
                f"all {len(checked)} images have the requested size",
            )
        first = bad[0]
        problem = first.candidate.size.problem if first.candidate.size else None
        return _gate(
            "format.size",
            "fail",
            len(bad) / len(checked),
            "requested size",
            f"format.size: {len(bad)} of {len(checked)} images off (e.g. {first.item.id}: {problem})",
        )

    def _lpips(self, max_mean: float, max_item: float | None) -> list[GateVerdict]:
        scored = [
            (r.item.id, r.candidate.lpips) for r in self.results if r.candidate.lpips is not None
        ]
        if not scored:
            return [
                _gate(
                    "lpips",
                    "inconclusive",
                    None,
                    f"mean <= {_fmt(max_mean)}",
                    "lpips: no candidate image decoded",
                )
            ]
        mean = float(np.mean([s for _, s in scored]))
        verdict: SummaryVerdict = "pass" if mean <= max_mean else "fail"
        sign = "<=" if verdict == "pass" else ">"
        gates = [
            _gate(
                "lpips",
                verdict,
                mean,
                f"mean <= {_fmt(max_mean)}",
                f"lpips mean {_fmt(mean)} {sign} maxMean {_fmt(max_mean)} over {len(scored)} items",
            )
        ]
        if max_item is not None:
            worst_id, worst = max(scored, key=lambda pair: pair[1])
            ok = worst <= max_item
            gates.append(
                _gate(
                    "lpips.item",
                    "pass" if ok else "fail",
                    worst,
                    f"each <= {_fmt(max_item)}",
                    f"lpips worst item {worst_id} {_fmt(worst)} {'<=' if ok else '>'} maxItem {_fmt(max_item)}",
                )
            )
        return gates

    def _tag_scores(self) -> None:
        by_tag: dict[str, list[float]] = defaultdict(list)
        for r in self.results:
            if r.candidate.lpips is not None:
                for tag in r.item.spec.tags:
                    by_tag[tag].append(r.candidate.lpips)
        for tag, values in by_tag.items():
            self.scores[f"lpipsMean.{tag}"] = round(float(np.mean(values)), 4)

    def _typography(self, min_pass_rate: float, max_cer: float) -> GateVerdict:
        with_text = [
            r for r in self.usable() if r.item.spec.text and r.candidate.typography is not None
        ]
        threshold = f"passRate >= {_fmt(min_pass_rate)}"
        if not with_text:
            return _gate(
                "typography",
                "inconclusive",
                None,
                threshold,
                "typography: no golden item with expected text was read",
            )
        passed = sum(
            1 for r in with_text if r.candidate.typography and r.candidate.typography.passed
        )
        rate = passed / len(with_text)
        by_size: dict[str, list[bool]] = defaultdict(list)
        for r in with_text:
            for text in r.candidate.typography.texts if r.candidate.typography else []:
                by_size[str(text.font_size) if text.font_size else "any"].append(text.passed)
        sizes = ", ".join(
            f"{size}px {sum(v)}/{len(v)}"
            for size, v in sorted(by_size.items(), key=lambda kv: _size_key(kv[0]))
        )
        for size, v in by_size.items():
            self.scores[f"typographyPassRate.{size}px"] = round(sum(v) / len(v), 4)
        self.scores["typographyPassRate"] = round(rate, 4)
        ok = rate >= min_pass_rate
        reason = (
            f"typography pass rate {_fmt(rate)} {'>=' if ok else '<'} minPassRate {_fmt(min_pass_rate)} "
            f"(maxCharErrorRate {_fmt(max_cer)}; by font size: {sizes})"
        )
        if not ok:
            worst = max(
                with_text,
                key=lambda r: r.candidate.typography.worst_cer if r.candidate.typography else 0.0,
            )
            if worst.candidate.typography:
                text = max(worst.candidate.typography.texts, key=lambda t: t.cer)
                reason += (
                    f"; worst {worst.item.id}: expected {text.expected!r}, read {text.matched!r}"
                )
        return _gate("typography", "pass" if ok else "fail", rate, threshold, reason)

    def _determinism(self, tolerance: float) -> GateVerdict:
        scored = [
            (r.item.id, r.candidate.replay_distance)
            for r in self.results
            if r.candidate.replay_distance is not None
        ]
        threshold = f"replay <= {_fmt(tolerance)}"
        if not scored:
            return _gate(
                "determinism",
                "inconclusive",
                None,
                threshold,
                "determinism: no item was generated twice",
            )
        worst_id, worst = max(scored, key=lambda pair: pair[1])
        self.scores["replayDistanceMax"] = round(worst, 4)
        ok = worst <= tolerance
        return _gate(
            "determinism",
            "pass" if ok else "fail",
            worst,
            threshold,
            f"determinism: worst replay distance {_fmt(worst)} ({worst_id}) {'<=' if ok else '>'} "
            f"maxReplayDistance {_fmt(tolerance)} over {len(scored)} items",
        )

    def _color(self, max_delta_e: float) -> GateVerdict:
        values = [r.candidate.delta_e for r in self.results if r.candidate.delta_e is not None]
        threshold = f"deltaE <= {_fmt(max_delta_e)}"
        if not values:
            return _gate(
                "color", "inconclusive", None, threshold, "color: no candidate image decoded"
            )
        mean = float(np.mean(values))
        self.scores["deltaEMean"] = round(mean, 3)
        stable = [r.stable.delta_e for r in self.results if r.stable.delta_e is not None]
        stable_note = f" (stable {_fmt(float(np.mean(stable)))})" if stable else ""
        ok = mean <= max_delta_e
        return _gate(
            "color",
            "pass" if ok else "fail",
            mean,
            threshold,
            f"color: mean delta E {_fmt(mean)}{stable_note} {'<=' if ok else '>'} maxDeltaE {_fmt(max_delta_e)}",
        )

    def _sharpness(self, min_ratio: float) -> GateVerdict:
        values = [r.candidate.sharpness for r in self.results if r.candidate.sharpness is not None]
        threshold = f"ratio >= {_fmt(min_ratio)}"
        if not values:
            return _gate(
                "sharpness",
                "inconclusive",
                None,
                threshold,
                "sharpness: no candidate image with a textured reference",
            )
        ratio = float(np.median(values))
        self.scores["sharpnessRatio"] = round(ratio, 4)
        ok = ratio >= min_ratio
        return _gate(
            "sharpness",
            "pass" if ok else "fail",
            ratio,
            threshold,
            f"sharpness: median Laplacian variance ratio {_fmt(ratio)} {'>=' if ok else '<'} minRatio {_fmt(min_ratio)}",
        )

    def _latency(
        self, max_p50: float | None, max_p95: float | None, max_regression: float | None
    ) -> list[GateVerdict]:
        def latencies(pick: str) -> list[float]:
            values = []
            for r in self.results:
                model: ModelResult = getattr(r, pick)
                if model.usable and model.generation.latency_ms is not None:
                    values.append(model.generation.latency_ms)
            return values

        candidate = latency_stats(latencies("candidate"))
        stable = latency_stats(latencies("stable"))
        if candidate.p50_ms is not None and candidate.p95_ms is not None:
            self.scores["latencyP50Ms"] = round(candidate.p50_ms, 1)
            self.scores["latencyP95Ms"] = round(candidate.p95_ms, 1)
        if stable.p50_ms is not None:
            self.scores["stableLatencyP50Ms"] = round(stable.p50_ms, 1)
        gates = []
        for name, limit, value in (
            ("latency.p50", max_p50, candidate.p50_ms),
            ("latency.p95", max_p95, candidate.p95_ms),
        ):
            if limit is None:
                continue
            threshold = f"<= {_fmt(limit)} ms"
            if value is None:
                gates.append(
                    _gate(
                        name,
                        "inconclusive",
                        None,
                        threshold,
                        f"{name}: no successful candidate request",
                    )
                )
                continue
            ok = value <= limit
            gates.append(
                _gate(
                    name,
                    "pass" if ok else "fail",
                    value,
                    threshold,
                    f"{name} {value:.0f} ms {'<=' if ok else '>'} {_fmt(limit)} ms",
                )
            )
        if max_regression is not None:
            threshold = f"<= +{_fmt(max_regression * 100)}% vs stable p50"
            if candidate.p50_ms is None or not stable.p50_ms:
                gates.append(
                    _gate(
                        "latency.regression",
                        "inconclusive",
                        None,
                        threshold,
                        "latency.regression: missing p50 of a model",
                    )
                )
            else:
                change = candidate.p50_ms / stable.p50_ms - 1.0
                ok = change <= max_regression
                gates.append(
                    _gate(
                        "latency.regression",
                        "pass" if ok else "fail",
                        change,
                        threshold,
                        f"latency.regression: candidate p50 {candidate.p50_ms:.0f} ms vs stable "
                        f"{stable.p50_ms:.0f} ms ({change * 100:+.1f}%) {'<=' if ok else '>'} +{max_regression * 100:.1f}%",
                    )
                )
        return gates

    def _versus_stable(self, gate: VersusStableGate) -> GateVerdict:
        paired: list[tuple[ItemResult, float]] = []
        for r in self.results:
            if r.stable.lpips is None:
                continue
            candidate = (
                r.candidate.lpips if r.candidate.lpips is not None else MISSING_OUTPUT_DISTANCE
            )
            paired.append((r, candidate - r.stable.lpips))
        threshold = f"regression <= {_fmt(gate.max_regression)} (p < {_fmt(gate.significance)})"
        if len(paired) < gate.min_items:
            return _gate(
                "versusStable",
                "inconclusive",
                None,
                threshold,
                f"versusStable: only {len(paired)} paired items, need minItems {gate.min_items}",
            )
        groups: dict[str, list[float]] = {"all items": [d for _, d in paired]}
        by_tag: dict[str, list[float]] = defaultdict(list)
        for r, d in paired:
            for tag in r.item.spec.tags:
                by_tag[tag].append(d)
        for tag, values in by_tag.items():
            if len(values) >= gate.min_items and len(values) < len(paired):
                groups[f"tag {tag}"] = values
        # Several groups are tested at once: Bonferroni keeps the false-alarm rate at the
        # declared significance, so a good candidate is not rolled back by chance.
        alpha = gate.significance / len(groups)
        worst: tuple[str, float, float] | None = None
        for label, values in groups.items():
            median, p_value = paired_regression(values, gate.max_regression)
            if label == "all items":
                self.scores["versusStableMedianDelta"] = round(median, 4)
                self.scores["versusStablePValue"] = round(p_value, 4)
            if (
                p_value < alpha
                and median > gate.max_regression
                and (worst is None or p_value < worst[2])
            ):
                worst = (label, median, p_value)
        if worst is not None:
            label, median, p_value = worst
            return _gate(
                "versusStable",
                "fail",
                median,
                threshold,
                f"versusStable ({label}): candidate LPIPS worse than stable by median {_fmt(median)} > "
                f"maxRegression {_fmt(gate.max_regression)}, Wilcoxon p={_fmt(p_value)} < {_fmt(alpha)}",
            )
        median = self.scores.get("versusStableMedianDelta", 0.0)
        return _gate(
            "versusStable",
            "pass",
            median,
            threshold,
            f"versusStable: no significant regression beyond maxRegression {_fmt(gate.max_regression)} "
            f"(median delta {_fmt(median)} over {len(paired)} items)",
        )

    def _failed_items(self) -> list[str]:
        failed = []
        for r in self.results:
            c = r.candidate
            bad = (
                not c.usable
                or (c.format is not None and not c.format.alpha_ok)
                or (c.size is not None and not c.size.size_ok)
                or (c.typography is not None and not c.typography.passed)
            )
            if bad:
                failed.append(r.item.id)
        return failed


def paired_regression(deltas: Sequence[float], margin: float) -> tuple[float, float]:
    """Median of candidate-minus-stable deltas, and the one-sided Wilcoxon signed-rank p-value
    for 'the candidate is worse by more than margin'."""
    values = np.asarray(deltas, dtype=np.float64)
    shifted = values - margin
    median = float(np.median(values))
    if np.allclose(shifted, 0.0):
        return median, 1.0
    result = wilcoxon(shifted, alternative="greater", zero_method="wilcox")
    p_value = float(result.pvalue)
    return median, 1.0 if np.isnan(p_value) else p_value


def _size_key(size: str) -> tuple[int, str]:
    return (int(size), size) if size.isdigit() else (1 << 30, size)


def overall(verdicts: Sequence[GateVerdict]) -> tuple[SummaryVerdict, str]:
    if not verdicts:
        return "inconclusive", "no quality gates are configured"
    failed = [v for v in verdicts if v.verdict == "fail"]
    if failed:
        return "fail", "; ".join(v.reason for v in failed)
    pending = [v for v in verdicts if v.verdict == "inconclusive"]
    if pending:
        return "inconclusive", "; ".join(v.reason for v in pending)
    return "pass", f"all {len(verdicts)} gates passed"
