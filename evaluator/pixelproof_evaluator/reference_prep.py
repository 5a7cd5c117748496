"""An item's reference made ready before its first images exist: decoded and put through
LPIPS's network. While an evaluation's first requests are out the checks have nothing else
to do, so the items asked for then have their references prepared meanwhile, and their
checks start with the reference-side work done."""

from __future__ import annotations

from dataclasses import dataclass

from .golden import GoldenItem
from .images import DecodedImage, decode_png
from .item_checks import MAX_PIXELS
from .item_lpips import ImageFeatures, portable
from .perceptual import LpipsScorer
from .timeline import span


@dataclass(frozen=True)
class PreparedReference:
    image: DecodedImage
    features: ImageFeatures


def prepare_reference(item: GoldenItem, scorer: LpipsScorer) -> PreparedReference:
    with span("prepare reference", item.id):
        image = decode_png(item.reference_png, max_pixels=MAX_PIXELS)
        [layers] = scorer.features([image.rgb_on_backdrop()])
        return PreparedReference(image, portable(image, layers))
