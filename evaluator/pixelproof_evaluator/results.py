"""Per-item results of one evaluation: what each model returned and how it scored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .checks.format import FormatResult, SizeResult
from .checks.typography import TypographyResult
from .client import GenerationResult
from .golden import GoldenItem
from .recorder.records import prompt_digest


def _failure(generation: GenerationResult, decoded: FormatResult | None) -> str | None:
    if generation.failure is not None:
        return generation.failure
    if decoded is not None and not decoded.decoded:
        return "decode"
    return None


@dataclass
class ModelResult:
    """One model's outputs and scores for one golden item."""

    generation: GenerationResult
    replay: GenerationResult | None = None
    format: FormatResult | None = None
    replay_format: FormatResult | None = None
    size: SizeResult | None = None
    lpips: float | None = None
    replay_distance: float | None = None
    delta_e: float | None = None
    sharpness: float | None = None
    ssim: float | None = None
    divergence: float | None = None
    """LPIPS between this output and stable's for the same prompt and seed."""
    preservation: float | None = None
    """Mean difference from the input outside the mask (inpaint items)."""
    input_delta_e: float | None = None
    """Delta E from the input where the task keeps colour (upscale, inpaint items)."""
    flagged: bool | None = None
    """Whether the classifier gate's classifier flagged the image."""
    typography: TypographyResult | None = None

    @property
    def failure(self) -> str | None:
        """Why the first generation gave no usable image: a client failure kind or decode."""
        return _failure(self.generation, self.format)

    @property
    def replay_failure(self) -> str | None:
        if self.replay is None:
            return None
        return _failure(self.replay, self.replay_format)

    @property
    def usable(self) -> bool:
        return self.failure is None

    def failure_detail(self) -> str | None:
        if self.generation.failure is not None:
            return f"{self.generation.failure}: {self.generation.detail}"
        if self.format is not None and self.format.error is not None:
            return f"decode: {self.format.error}"
        return None

    def to_json(self, *, private: bool = False) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "failure": self.failure,
            "failureDetail": self.failure_detail(),
            "latencyMs": self.generation.latency_ms,
            "attempts": self.generation.attempts,
            "httpStatus": self.generation.status,
        }
        if self.replay is not None:
            doc["replayFailure"] = self.replay_failure
        if self.format is not None:
            doc["format"] = {
                "decoded": self.format.decoded,
                "mode": self.format.mode,
                "hasAlpha": self.format.has_alpha,
                "alphaUsed": self.format.alpha_used,
                "alphaExpected": self.format.alpha_expected,
                "problem": self.format.alpha_problem,
            }
        if self.size is not None:
            doc["size"] = {
                "width": self.size.width,
                "height": self.size.height,
                "ok": self.size.size_ok,
                "aspectOk": self.size.aspect_ok,
                "problem": self.size.problem,
            }
        for key, value in (
            ("lpips", self.lpips),
            ("replayDistance", self.replay_distance),
            ("deltaE", self.delta_e),
            ("sharpnessRatio", self.sharpness),
            ("ssim", self.ssim),
            ("divergence", self.divergence),
            ("preservation", self.preservation),
            ("inputDeltaE", self.input_delta_e),
            ("flagged", self.flagged),
        ):
            doc[key] = value
        if self.typography is not None:
            # Quoted and recognised text is the user's prompt, so a private item shows scores only.
            doc["typography"] = {
                "passed": self.typography.passed,
                "recognised": [] if private else self.typography.recognised,
                "texts": [
                    {
                        "expected": None if private else t.expected,
                        "fontSize": t.font_size,
                        "matched": None if private else t.matched,
                        "cer": round(t.cer, 4),
                        "passed": t.passed,
                    }
                    for t in self.typography.texts
                ],
            }
        return doc


@dataclass
class ItemResult:
    item: GoldenItem
    stable: ModelResult
    candidate: ModelResult
    images: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        spec, private = self.item.spec, self.item.private
        return {
            "id": spec.id,
            "prompt": prompt_digest(spec.prompt) if private else spec.prompt,
            "seed": spec.seed,
            "size": self.item.size,
            "task": spec.task,
            "input": spec.input,
            "tags": spec.tags,
            "alpha": spec.alpha,
            "text": []
            if private
            else [t.model_dump(by_alias=True, exclude_none=True) for t in spec.text],
            "stable": self.stable.to_json(private=private),
            "candidate": self.candidate.to_json(private=private),
            "images": self.images,
        }
