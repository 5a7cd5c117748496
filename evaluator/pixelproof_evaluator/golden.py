"""Golden sets: prompts, seeds and reference images the candidate is judged against.

A golden set is a manifest (`golden.yaml`, YAML or JSON) beside its reference images. The
images are named by flat file names so the same set works from a ConfigMap volume (whose
keys cannot hold folders), a PVC folder or an unpacked archive."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from .calibration import Calibration, CalibrationError, read_calibration
from .errors import EvaluatorError
from .images import ImageDecodeError, decode_png

MANIFEST_NAMES = ("golden.yaml", "golden.yml", "golden.json")
MIN_SIDE = 16
MAX_SIDE = 4096
_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})$")
_FLAT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class GoldenSetError(EvaluatorError):
    """The golden set cannot be used; the message names the file or item at fault."""


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ExpectedText(_Model):
    text: str = Field(min_length=1)
    font_size: int | None = Field(default=None, gt=0)


class GoldenItemSpec(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=128)
    prompt: str = Field(min_length=1)
    seed: int = Field(ge=0)
    size: str
    text: list[ExpectedText] = Field(default_factory=list)
    alpha: bool = False
    tags: list[str] = Field(default_factory=list)
    reference: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[a-f0-9]{64}$")

    @field_validator("reference")
    @classmethod
    def _flat(cls, value: str | None) -> str | None:
        if value is not None and not _FLAT_NAME.match(value):
            raise ValueError(f"reference {value!r} must be a flat file name (no folders)")
        return value


class GoldenManifest(_Model):
    version: int = 1
    items: list[GoldenItemSpec] = Field(min_length=1)


def parse_size(size: str) -> tuple[int, int]:
    """WIDTHxHEIGHT within the sides every generator is asked to serve."""
    match = _SIZE.match(size)
    if match is None:
        raise ValueError(f"size {size!r} must look like WIDTHxHEIGHT, e.g. 512x512")
    width, height = int(match.group(1)), int(match.group(2))
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(
            f"size {size!r} is unsupported: each side must be {MIN_SIDE}-{MAX_SIDE} px"
        )
    return width, height


@dataclass(frozen=True)
class GoldenItem:
    spec: GoldenItemSpec
    width: int
    height: int
    reference_png: bytes
    request: Mapping[str, Any] = field(default_factory=dict)
    """Request fields beyond the contract's own that this item is generated with."""
    private: bool = False
    """The prompt is a user's: reports and reasons name the item, never its prompt's text."""

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def size(self) -> str:
        return self.spec.size


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


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_manifest(path: Path) -> Path:
    """A manifest file itself, or the manifest inside a folder."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise GoldenSetError(f"golden set {path} does not exist")
    for name in MANIFEST_NAMES:
        if (path / name).is_file():
            return path / name
    raise GoldenSetError(
        f"golden set {path} has no manifest (looked for {', '.join(MANIFEST_NAMES)})"
    )


def read_manifest(manifest_path: Path) -> GoldenManifest:
    try:
        text = manifest_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GoldenSetError(f"cannot read golden manifest {manifest_path}: {exc}") from exc
    try:
        doc = json.loads(text) if manifest_path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise GoldenSetError(
            f"golden manifest {manifest_path} is not valid YAML/JSON: {exc}"
        ) from exc
    try:
        manifest = GoldenManifest.model_validate(doc)
    except ValidationError as exc:
        raise GoldenSetError(
            f"golden manifest {manifest_path} is invalid: {_describe(exc, doc)}"
        ) from exc
    seen: set[str] = set()
    for item in manifest.items:
        if item.id in seen:
            raise GoldenSetError(
                f"golden manifest {manifest_path}: item id {item.id!r} appears twice"
            )
        seen.add(item.id)
        try:
            parse_size(item.size)
        except ValueError as exc:
            raise GoldenSetError(f"golden item {item.id!r}: {exc}") from exc
    return manifest


def _describe(exc: ValidationError, doc: object) -> str:
    """Validation errors prefixed with the id of the item they concern, when there is one."""
    parts = []
    for error in exc.errors():
        loc = error["loc"]
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
            raw = doc.get("items") if isinstance(doc, dict) else None
            if isinstance(raw, list) and loc[1] < len(raw) and isinstance(raw[loc[1]], dict):
                item_id = raw[loc[1]].get("id")
                if item_id is not None:
                    where = f"item {item_id!r} " + ".".join(str(p) for p in loc[2:])
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def load_item(root: Path, spec: GoldenItemSpec, *, require_reference: bool = True) -> GoldenItem:
    width, height = parse_size(spec.size)
    if spec.reference is None:
        if require_reference:
            raise GoldenSetError(
                f"golden item {spec.id!r} has no reference image; capture one from the stable "
                "model with `pixelproof golden capture`"
            )
        return GoldenItem(spec, width, height, b"")
    path = root / spec.reference
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise GoldenSetError(f"golden item {spec.id!r}: reference image {path} is missing") from exc
    except OSError as exc:
        raise GoldenSetError(
            f"golden item {spec.id!r}: cannot read reference {path}: {exc}"
        ) from exc
    if spec.sha256 is None:
        raise GoldenSetError(f"golden item {spec.id!r}: reference {spec.reference} has no sha256")
    digest = sha256_hex(data)
    if digest != spec.sha256:
        raise GoldenSetError(
            f"golden item {spec.id!r}: reference {spec.reference} has sha256 {digest}, "
            f"the manifest pins {spec.sha256}"
        )
    try:
        image = decode_png(data, max_pixels=MAX_SIDE * MAX_SIDE)
    except ImageDecodeError as exc:
        raise GoldenSetError(
            f"golden item {spec.id!r}: reference {spec.reference} is not a usable PNG: {exc}"
        ) from exc
    if (image.width, image.height) != (width, height):
        raise GoldenSetError(
            f"golden item {spec.id!r}: reference {spec.reference} is {image.width}x{image.height}, "
            f"the item asks for {spec.size}"
        )
    return GoldenItem(spec, width, height, data)


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


def write_manifest(manifest_path: Path, specs: Iterable[GoldenItemSpec], version: int = 1) -> None:
    doc = {
        "version": version,
        "items": [
            s.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False) for s in specs
        ],
    }
    if manifest_path.suffix == ".json":
        text = json.dumps(doc, indent=2) + "\n"
    else:
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    tmp = manifest_path.with_name(manifest_path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(manifest_path)
