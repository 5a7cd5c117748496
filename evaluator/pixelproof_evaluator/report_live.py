"""The report's live-traffic section: per recorded prompt, stable | candidate | where they
differ, worst first. Prompts appear by their sha256 unless prompt text is allowed."""

from __future__ import annotations

import html
from collections.abc import Sequence

from .live_items import shown_prompt
from .results import ItemResult


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def worst_live_first(results: Sequence[ItemResult], failed: set[str]) -> list[ItemResult]:
    """Failed prompts first, then by divergence from stable, highest first; none is worst."""

    def badness(r: ItemResult) -> tuple[bool, float]:
        value = r.candidate.divergence
        return (r.item.id in failed, float("inf") if value is None else value)

    return sorted(results, key=badness, reverse=True)


def _figure(label: str, path: str | None, missing: str) -> str:
    if path is None:
        return f'<figure><div class="missing">{_esc(missing)}</div><figcaption>{_esc(label)}</figcaption></figure>'
    return f'<figure><img src="{_esc(path)}" alt="{_esc(label)}"><figcaption>{_esc(label)}</figcaption></figure>'


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def live_section(results: Sequence[ItemResult], failed: set[str]) -> str:
    if not results:
        return ""
    sections = []
    for r in worst_live_first(results, failed):
        stable, candidate = r.stable, r.candidate
        figures = "".join(
            [
                _figure("stable", r.images.get("stable"), stable.failure_detail() or "no image"),
                _figure(
                    "candidate", r.images.get("candidate"), candidate.failure_detail() or "no image"
                ),
                _figure("difference (candidate vs stable)", r.images.get("heatmap"), "no pair"),
            ]
        )
        css = "item failed" if r.item.id in failed else "item"
        served = "" if stable.usable else " — stable could not serve it; not judged"
        sections.append(
            f'<section class="{css}" id="{_esc(r.item.id)}"><h3>{_esc(r.item.id)}</h3>'
            f"<p>{_esc(shown_prompt(r.item))} — seed {r.item.spec.seed}, {_esc(r.item.spec.size)}"
            f'{served}</p><div class="row">{figures}</div><div class="scores">divergence '
            f"{_number(candidate.divergence)} · stable replay {_number(stable.replay_distance)} · "
            f"candidate replay {_number(candidate.replay_distance)} · ΔE "
            f"{_number(candidate.delta_e)} · sharpness {_number(candidate.sharpness)}</div></section>"
        )
    return f"<h2>Live traffic ({len(results)} prompts)</h2>{''.join(sections)}"
