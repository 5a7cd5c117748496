"""The full report: report.json with every per-item score, and report.html that a person can
open offline (thumbnails are files beside it) to see reference, stable, candidate and a
difference heatmap for each item."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pixelproof.api.evaluation import EvaluationSummary

from .perceptual import BACKBONE_RANDOM, RANDOM_BACKBONE_WARNING
from .report_live import live_section
from .results import ItemResult

IMAGE_FOLDER = "images"

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.4rem} table{border-collapse:collapse} td,th{padding:.3rem .5rem;vertical-align:top}
.Pass{color:#116b2d}.Fail{color:#b00020}.Inconclusive{color:#8a6100}
.gates td{border-bottom:1px solid #ddd}
.item{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.6rem}
.item.failed{border-color:#b00020;border-width:3px}
.item.failed figure img{outline:3px solid #b00020}
.flag{font-weight:bold}
.row{display:flex;gap:.6rem;flex-wrap:wrap}
figure{margin:0;text-align:center;font-size:.8rem}
figure img{width:200px;height:auto;image-rendering:auto;
 background:repeating-conic-gradient(#ddd 0% 25%,#fff 0% 50%) 50%/16px 16px}
.missing{width:200px;height:200px;display:flex;align-items:center;justify-content:center;
 background:#fbe9e9;color:#b00020;font-size:.75rem;padding:.4rem;box-sizing:border-box}
.scores{font-size:.85rem}
"""


def write_report(
    out: Path,
    summary: EvaluationSummary,
    results: Sequence[ItemResult],
    extra: dict[str, Any],
    live: Sequence[ItemResult] = (),
) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    doc = {"summary": summary.to_wire(), **extra, "items": [r.to_json() for r in results]}
    if live:
        doc["liveItems"] = [r.to_json() for r in live]
    json_path = out / "report.json"
    json_path.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    html_path = out / "report.html"
    html_path.write_text(render_html(summary, results, extra, live), encoding="utf-8")
    return json_path, html_path


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _figure(label: str, path: str | None, missing: str | None) -> str:
    if path is not None:
        return f'<figure><img src="{_esc(path)}" alt="{_esc(label)}"><figcaption>{_esc(label)}</figcaption></figure>'
    return f'<figure><div class="missing">{_esc(missing or "no image")}</div><figcaption>{_esc(label)}</figcaption></figure>'


def _with_floor(text: str, floor: float | None) -> str:
    return text if floor is None else f"{text} (floor {_num(floor)})"


def _model_scores(name: str, data: dict[str, Any], floors: dict[str, Any] | None = None) -> str:
    floors = floors or {}
    parts = [f"<b>{_esc(name)}</b>"]
    if data.get("failure"):
        parts.append(
            f'<span class="Fail">{_esc(data.get("failureDetail") or data["failure"])}</span>'
        )
    parts.append(_with_floor(f"LPIPS {_num(data.get('lpips'))}", floors.get("lpips")))
    parts.append(
        _with_floor(f"replay {_num(data.get('replayDistance'))}", floors.get("replayDistance"))
    )
    parts.append(_with_floor(f"ΔE {_num(data.get('deltaE'), 3)}", floors.get("deltaE")))
    sharpness = f"sharpness {_num(data.get('sharpnessRatio'), 3)}"
    parts.append(_with_floor(sharpness, floors.get("sharpnessDeficit")))
    latency = data.get("latencyMs")
    parts.append(f"{latency:.0f} ms" if latency is not None else "- ms")
    fmt = data.get("format") or {}
    if fmt.get("problem"):
        parts.append(f'<span class="Fail">{_esc(fmt["problem"])}</span>')
    size = data.get("size") or {}
    if size.get("problem"):
        parts.append(f'<span class="Fail">{_esc(size["problem"])}</span>')
    typo = data.get("typography")
    if typo:
        for text in typo["texts"]:
            cls = "Pass" if text["passed"] else "Fail"
            size_note = f" @{text['fontSize']}px" if text.get("fontSize") else ""
            parts.append(
                f'<span class="{cls}">text{_esc(size_note)} {_esc(text["expected"])!s} → '
                f"{_esc(text['matched'])} (CER {text['cer']:.2f})</span>"
            )
    return "<div>" + " · ".join(parts) + "</div>"


def _context(extra: dict[str, Any]) -> str:
    context: dict[str, str] = extra.get("context") or {}
    parts = [f"{_esc(key)} <b>{_esc(value)}</b>" for key, value in context.items()]
    return f'<p class="context">{" · ".join(parts)}</p>' if parts else ""


def _notes(summary: EvaluationSummary, extra: dict[str, Any]) -> str:
    notes = []
    if summary.backbone == BACKBONE_RANDOM:
        notes.append(f'<p class="Inconclusive">{_esc(RANDOM_BACKBONE_WARNING)}</p>')
    if extra.get("calibration"):
        notes.append(f"<p>Gates: {_esc(extra['calibration'])}</p>")
    return "".join(notes)


def item_problems(r: ItemResult) -> list[str]:
    """Why an item counts as failed, for the flag on its images."""
    c = r.candidate
    problems = []
    if not c.usable:
        problems.append(c.failure_detail() or "no usable image")
    if c.format is not None and c.format.alpha_problem:
        problems.append(c.format.alpha_problem)
    if c.size is not None and c.size.problem:
        problems.append(c.size.problem)
    if c.typography is not None:
        problems += [
            f"text {t.expected!r} read as {t.matched!r} (CER {t.cer:.2f})"
            for t in c.typography.texts
            if not t.passed
        ]
    return problems


def worst_first(results: Sequence[ItemResult], failed: set[str]) -> list[ItemResult]:
    """Failed items first, then by the candidate's LPIPS, highest first; no image is worst."""

    def badness(r: ItemResult) -> tuple[bool, float]:
        lpips = r.candidate.lpips
        return (r.item.id in failed, float("inf") if lpips is None else lpips)

    return sorted(results, key=badness, reverse=True)


def render_html(
    summary: EvaluationSummary,
    results: Sequence[ItemResult],
    extra: dict[str, Any],
    live: Sequence[ItemResult] = (),
) -> str:
    gate_rows = "".join(
        f"<tr><td>{_esc(g.name)}{' (dry run)' if g.dry_run else ''}</td>"
        f'<td class="{g.verdict}">{g.verdict}</td>'
        f"<td>{_num(g.value)}</td><td>{_esc(g.threshold or '')}</td><td>{_esc(g.reason)}</td></tr>"
        for g in summary.gates
    )
    failed = set(summary.failed_items)
    floors: dict[str, dict[str, Any]] = extra.get("calibrationFloors") or {}
    items = []
    for r in worst_first(results, failed):
        data = r.to_json()
        stable, candidate = data["stable"], data["candidate"]
        figures = "".join(
            [
                _figure("reference", r.images.get("reference"), None),
                _figure("stable", r.images.get("stable"), stable.get("failureDetail")),
                _figure("candidate", r.images.get("candidate"), candidate.get("failureDetail")),
                _figure(
                    "difference (candidate vs reference)",
                    r.images.get("heatmap"),
                    "no candidate image",
                ),
            ]
        )
        tags = ", ".join(r.item.spec.tags)
        css = "item failed" if r.item.id in failed else "item"
        flag = (
            f'<p class="Fail flag">failed: {_esc("; ".join(item_problems(r)))}</p>'
            if r.item.id in failed
            else ""
        )
        items.append(
            f'<section class="{css}" id="{_esc(r.item.id)}"><h3>{_esc(r.item.id)}</h3>{flag}'
            f"<p>{_esc(r.item.spec.prompt)} — seed {r.item.spec.seed}, {_esc(r.item.size)}"
            f"{', alpha' if r.item.spec.alpha else ''}{f' — tags: {_esc(tags)}' if tags else ''}</p>"
            f'<div class="row">{figures}</div><div class="scores">'
            f"{_model_scores('stable', stable)}"
            f"{_model_scores('candidate', candidate, floors.get(r.item.id))}</div></section>"
        )
    meta = "".join(
        f"<tr><td>{_esc(k)}</td><td>{_esc(json.dumps(v, default=str))}</td></tr>"
        for k, v in extra.items()
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>pixelproof evaluation: {summary.verdict}</title><style>{_STYLE}</style></head><body>"
        f"{_context(extra)}"
        f'<h1>Evaluation verdict: <span class="{summary.verdict}">{summary.verdict}</span></h1>'
        f"<p>{_esc(summary.reason)}</p>"
        f"<p>{summary.items} items · LPIPS backbone {_esc(summary.backbone or '-')} · "
        f"{_num(summary.duration_seconds, 3)} s</p>"
        f"{_notes(summary, extra)}"
        "<h2>Gates</h2><table class=gates><tr><th>gate</th><th>verdict</th><th>value</th>"
        f"<th>threshold</th><th>reason</th></tr>{gate_rows}</table>"
        f"<h2>Run</h2><table>{meta}</table>"
        f"{'<h2>Items</h2>' + ''.join(items) if results else ''}"
        f"{live_section(live, failed)}</body></html>"
    )
