"""Recorded live prompts as evaluation items: no reference image, so stable's output for the
same prompt and seed stands in for one, and what the candidate is held to (alpha, size, the
text the prompt quotes) is what stable delivered."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .golden import ExpectedText, GoldenItem, GoldenItemSpec
from .images import DecodedImage
from .recorder.records import LiveRecord, prompt_digest

if TYPE_CHECKING:
    from .results import ModelResult

LIVE_TAG = "live"
# Straight and typographic double quotes; single quotes are too often apostrophes.
_QUOTED = re.compile(r'"([^"\n]{1,200})"|\u201c([^\u201d\n]{1,200})\u201d')


def quoted_text(prompt: str) -> list[ExpectedText]:
    """The strings a prompt quotes: what the image is asked to spell."""
    found = (a or b for a, b in _QUOTED.findall(prompt))
    return [ExpectedText(text=text.strip()) for text in found if text.strip()]


def live_item(record: LiveRecord, *, private: bool) -> GoldenItem:
    digest = record.prompt_digest()
    spec = GoldenItemSpec(
        id="live-" + digest.removeprefix("sha256:") + f"-{record.seed}",
        prompt=record.prompt,
        seed=record.seed,
        size=record.size,
        text=quoted_text(record.prompt),
        alpha=record.transparent,
        tags=[LIVE_TAG],
    )
    return GoldenItem(
        spec, record.width, record.height, b"", request=dict(record.fields), private=private
    )


def live_items(records: Sequence[LiveRecord], *, private: bool) -> list[GoldenItem]:
    """One item per distinct request; a source may repeat one, the recorder never does."""
    items: dict[str, GoldenItem] = {}
    for record in records:
        item = live_item(record, private=private)
        items.setdefault(item.id, item)
    return list(items.values())


def shown_prompt(item: GoldenItem) -> str:
    return prompt_digest(item.spec.prompt) if item.private else item.spec.prompt


def like_output(item: GoldenItem, stable: DecodedImage | None) -> GoldenItem:
    """The item as stable answered it: alpha expected only where stable used it, and
    stable's size as the size to match."""
    if stable is None:
        return item
    alpha = item.spec.alpha and stable.has_alpha and stable.alpha_used
    spec = item.spec.model_copy(update={"alpha": alpha, "size": f"{stable.width}x{stable.height}"})
    return dataclasses.replace(item, spec=spec, width=stable.width, height=stable.height)


def hold_to_stable_text(stable: ModelResult, candidate: ModelResult) -> None:
    """Text stable did not render is asked too much of the candidate: it is not judged."""
    if stable.typography is None or not stable.typography.passed:
        candidate.typography = None
