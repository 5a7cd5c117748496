"""LPIPS for checked items, batched across them. Every image goes through the network once
however many pairs it is in: the reference is compared with both models' outputs, each
first image with the reference, with stable's and with its own replay. A first image
checked apart from its replay keeps its features (and a replay its own) until the two
pieces of the item meet (`replay_scores`), so the first image is neither decoded nor put
through the network a second time for the seed-replay distance.

A replay whose pixels are its first image's is at distance 0 by LPIPS's definition, and is
not put through the network at all: a deterministic model's replays, the common case, then
cost a decode and a hash."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .checks.determinism import DIFFERENT_SIZE_DISTANCE
from .checks.lpips import sized_like
from .images import DecodedImage
from .item_checks import ROLES, CheckedItem, Role
from .perceptual import LayerFeatures, LpipsScorer
from .timeline import span

FEATURE_BYTES_PER_PIXEL = 42
"""What an image's LPIPS features take, a pixel (AlexNet's five layers, float32)."""


@dataclass(frozen=True)
class ImageFeatures:
    """An image's LPIPS features as plain arrays, which cross to another process as they
    are, and the image's size, which a replay must match to be compared."""

    width: int
    height: int
    layers: LayerFeatures
    pixels: bytes
    """A digest of the image's pixels, to know a replay that is the same image."""


def pixel_digest(image: DecodedImage) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(image.rgba).data, digest_size=16).digest()


def portable(image: DecodedImage, layers: LayerFeatures) -> ImageFeatures:
    arrays = tuple(np.asarray(layer.cpu()) for layer in layers)
    return ImageFeatures(image.width, image.height, arrays, pixel_digest(image))


def _same_image(a: DecodedImage, b: DecodedImage) -> bool:
    return a.rgba.shape == b.rgba.shape and bool(np.array_equal(a.rgba, b.rgba))


def score_lpips(scorer: LpipsScorer, checked: Sequence[CheckedItem]) -> None:
    """LPIPS to the reference, to stable and between replays, batched over all the items
    given; the images are dropped once scored, the features kept for `replay_scores`."""
    with span("lpips", ",".join(c.item.id for c in checked)):
        _score(scorer, checked)


def _score(scorer: LpipsScorer, checked: Sequence[CheckedItem]) -> None:
    images: dict[int, DecodedImage] = {}

    def key(image: DecodedImage) -> int:
        images.setdefault(id(image), image)
        return id(image)

    pairs: list[tuple[int, int]] = []
    targets: list[tuple[CheckedItem, Role, str]] = []
    for c in checked:
        for role, output, reference in c.to_reference:
            pairs.append((key(sized_like(output, reference)), key(reference)))
            targets.append((c, role, "lpips"))
        for role, output, stable in c.to_stable:
            pairs.append((key(sized_like(output, stable)), key(stable)))
            targets.append((c, role, "divergence"))
        for role, first, replay in c.to_replay:
            if (first.width, first.height) != (replay.width, replay.height):
                c.model(role).replay_distance = DIFFERENT_SIZE_DISTANCE
                continue
            if _same_image(first, replay):
                c.model(role).replay_distance = 0.0
                continue
            pairs.append((key(first), key(replay)))
            targets.append((c, role, "replay_distance"))
        for _, image in c.to_keep:
            key(image)
    features = _prepared(checked)
    keys = [k for k in images if k not in features]
    computed = scorer.features([images[k].rgb_on_backdrop() for k in keys])
    features.update(zip(keys, computed, strict=True))
    scores = scorer.feature_distances([(features[a], features[b]) for a, b in pairs])
    for (c, role, field), score in zip(targets, scores, strict=True):
        model = c.model(role)
        setattr(model, field, score)
        if field == "lpips" and c.live:
            # Live, the reference is stable's output: the distance to it is the divergence.
            model.divergence = score
    for c in checked:
        c.features = {role: portable(image, features[id(image)]) for role, image in c.to_keep}
        c.prepared = None
        c.to_reference.clear()
        c.to_replay.clear()
        c.to_stable.clear()
        c.to_keep.clear()


def _prepared(checked: Sequence[CheckedItem]) -> dict[int, LayerFeatures]:
    """The features of references prepared ahead (reference_prep.py), by image."""
    return {
        id(c.prepared.image): c.prepared.features.layers for c in checked if c.prepared is not None
    }


def identical_replays(firsts: Mapping[Role, ImageFeatures], replays: CheckedItem) -> None:
    """Scores the replays that are their first images pixel for pixel at 0, and takes them
    out of what is still to be put through the network."""
    same = {
        role
        for role, image in replays.to_keep
        if (first := firsts.get(role)) is not None
        and (first.width, first.height) == (image.width, image.height)
        and first.pixels == pixel_digest(image)
    }
    for role in same:
        replays.model(role).replay_distance = 0.0
    replays.to_keep[:] = [(role, image) for role, image in replays.to_keep if role not in same]


def replay_scores(
    scorer: LpipsScorer, firsts: Mapping[Role, ImageFeatures], replays: CheckedItem
) -> None:
    """Each replay's distance to its first image, from the features the first images' piece
    kept (`firsts`) and the replays' own, into the replays' results; the replays' features
    are dropped."""
    pairs: list[tuple[LayerFeatures, LayerFeatures]] = []
    scored: list[Role] = []
    for role in ROLES:
        mine, theirs = firsts.get(role), replays.features.get(role)
        if mine is None or theirs is None:
            continue
        if (mine.width, mine.height) != (theirs.width, theirs.height):
            replays.model(role).replay_distance = DIFFERENT_SIZE_DISTANCE
            continue
        if mine.pixels == theirs.pixels:
            replays.model(role).replay_distance = 0.0
            continue
        pairs.append((mine.layers, theirs.layers))
        scored.append(role)
    for role, score in zip(scored, scorer.feature_distances(pairs), strict=True):
        replays.model(role).replay_distance = score
    replays.features.clear()


def join_replays(first: CheckedItem, replays: CheckedItem) -> None:
    """Folds what the replays' piece found, its distances included, into the first
    generations' results."""
    for role in ROLES:
        model, replayed = first.model(role), replays.model(role)
        model.replay = replayed.replay
        model.replay_format = replayed.replay_format
        model.replay_distance = replayed.replay_distance
    first.features.clear()
