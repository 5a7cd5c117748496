"""Golden sets: prompts, seeds and reference images the candidate is judged against.

A golden set is a manifest (`golden.yaml`, YAML or JSON; golden_manifest.py) beside its
reference images. The images are named by flat file names so the same set works from a
ConfigMap volume (whose keys cannot hold folders), a PVC folder or an unpacked archive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .calibration import Calibration, CalibrationError, read_calibration
from .golden_files import GoldenSetError as GoldenSetError
from .golden_files import read_pinned
from .golden_files import sha256_hex as sha256_hex
from .golden_inputs import ItemInput, expected_size, input_of
from .golden_manifest import MANIFEST_NAMES as MANIFEST_NAMES
from .golden_manifest import MAX_SIDE as MAX_SIDE
from .golden_manifest import MIN_SIDE as MIN_SIDE
from .golden_manifest import ExpectedText as ExpectedText
from .golden_manifest import GoldenItemSpec as GoldenItemSpec
from .golden_manifest import GoldenManifest as GoldenManifest
from .golden_manifest import Task as Task
from .golden_manifest import find_manifest as find_manifest
from .golden_manifest import parse_size as parse_size
from .golden_manifest import read_manifest as read_manifest
from .golden_manifest import write_manifest as write_manifest
from .images import ImageDecodeError, decode_png


@dataclass(frozen=True)
class GoldenItem:
    spec: GoldenItemSpec
    width: int
    """Expected output width: the item's size, or its input's width times the scale."""
    height: int
    reference_png: bytes
    input: ItemInput | None = None
    request: Mapping[str, Any] = field(default_factory=dict)
    """Request fields beyond the contract's own that this item is generated with."""
    private: bool = False
    """The prompt is a user's: reports and reasons name the item, never its prompt's text."""

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True)
class GoldenSet:
    root: Path
    manifest_path: Path
    manifest: GoldenManifest
    items: list[GoldenItem]
    calibration: Calibration | None = None
    """The noise floor measured from the stable model, when the set was calibrated."""

    def select(self, tags: Sequence[str]) -> list[GoldenItem]:
        """Items carrying at least one of the tags; all items when no tags are given."""
        if not tags:
            return list(self.items)
        wanted = set(tags)
        return [item for item in self.items if wanted.intersection(item.spec.tags)]


def item_size(spec: GoldenItemSpec, item_input: ItemInput | None) -> tuple[int, int]:
    """The output size an item expects, which an explicit size must agree with."""
    if item_input is None:
        return parse_size(spec.size or "")
    width, height = expected_size(item_input, spec.scale)
    if spec.size is not None and parse_size(spec.size) != (width, height):
        raise GoldenSetError(
            f"golden item {spec.id!r}: size {spec.size} disagrees with its {spec.task} of a "
            f"{item_input.width}x{item_input.height} input, which gives {width}x{height}"
        )
    return width, height


def load_item(root: Path, spec: GoldenItemSpec, *, require_reference: bool = True) -> GoldenItem:
    item_input = input_of(root, spec)
    width, height = item_size(spec, item_input)
    if spec.reference is None:
        if require_reference:
            raise GoldenSetError(
                f"golden item {spec.id!r} has no reference image; capture one from the stable "
                "model with `pixelproof golden capture`"
            )
        return GoldenItem(spec, width, height, b"", item_input)
    data = read_pinned(root, spec.id, "reference", spec.reference, spec.sha256)
    try:
        image = decode_png(data, max_pixels=MAX_SIDE * MAX_SIDE)
    except ImageDecodeError as exc:
        raise GoldenSetError(
            f"golden item {spec.id!r}: reference {spec.reference} is not a usable PNG: {exc}"
        ) from exc
    if (image.width, image.height) != (width, height):
        raise GoldenSetError(
            f"golden item {spec.id!r}: reference {spec.reference} is {image.width}x{image.height}, "
            f"the item asks for {width}x{height}"
        )
    return GoldenItem(spec, width, height, data, item_input)


def load_golden_dir(path: Path, *, require_references: bool = True) -> GoldenSet:
    """A golden set from a folder (PVC, ConfigMap volume, unpacked archive) or a manifest path."""
    manifest_path = find_manifest(path)
    manifest = read_manifest(manifest_path)
    root = manifest_path.parent
    items = [load_item(root, spec, require_reference=require_references) for spec in manifest.items]
    try:
        calibration = read_calibration(root)
    except CalibrationError as exc:
        raise GoldenSetError(str(exc)) from exc
    return GoldenSet(root, manifest_path, manifest, items, calibration)
