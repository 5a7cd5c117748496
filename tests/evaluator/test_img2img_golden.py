"""Image-to-image golden items: inputs and masks pinned by sha256 and decoded with Pillow, the
output size they expect, clear errors naming the item, and the robustness variants
`pixelproof golden robustness` derives (each really the awkward kind it claims to be)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from img2img_support import centred_mask, input_image, png, write_file, write_img2img_golden
from PIL import Image

from pixelproof_evaluator.golden import (
    GoldenItemSpec,
    GoldenSetError,
    load_golden_dir,
    read_manifest,
    write_manifest,
)
from pixelproof_evaluator.robustness_set import VARIANTS, add_robustness_items


def _one_item(folder: Path, **fields: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"id": "photo", "seed": 1, **fields}
    path = folder / "golden.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "items": [doc]}), encoding="utf-8")
    return path


def _upscale_fields(folder: Path, data: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "task": "upscale",
        "input": "photo.png",
        "inputSha256": write_file(folder, "photo.png", data),
        "params": {"scale": 3},
        **extra,
    }


def test_upscale_item_expects_the_input_size_times_the_scale(tmp_path: Path) -> None:
    _one_item(tmp_path, **_upscale_fields(tmp_path, png(input_image(40, 24, 1))))
    golden = load_golden_dir(tmp_path, require_references=False)
    item = golden.items[0]
    assert (item.width, item.height) == (120, 72)
    assert item.size == "120x72"
    assert item.input is not None and item.input.format == "PNG"


def test_expected_size_follows_the_exif_orientation(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    _one_item(folder, **_upscale_fields(folder, png(input_image(40, 24, 1))))
    add_robustness_items(folder, ["photo"], ["exif-rotated"])
    items = {i.id: i for i in load_golden_dir(folder, require_references=False).items}
    rotated = Image.open(folder / "photo--exif-rotated.input.jpg")
    assert rotated.size == (24, 40), "the pixels are stored turned"
    assert (items["photo--exif-rotated"].width, items["photo--exif-rotated"].height) == (120, 72)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<!DOCTYPE html><html><body>502</body></html>", "not a decodable image (an HTML page)"),
        (png(input_image(32, 32, 1))[:80], "not a decodable image"),
        (b"", "input is empty"),
    ],
)
def test_malformed_input_is_refused_naming_the_item(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    _one_item(tmp_path, **_upscale_fields(tmp_path, data))
    with pytest.raises(GoldenSetError) as caught:
        load_golden_dir(tmp_path, require_references=False)
    assert "golden item 'photo'" in str(caught.value)
    assert expected in str(caught.value)


def test_input_whose_sha256_differs_from_the_manifest_is_refused(tmp_path: Path) -> None:
    _one_item(tmp_path, **_upscale_fields(tmp_path, png(input_image(32, 32, 1))))
    (tmp_path / "photo.png").write_bytes(png(input_image(32, 32, 2)))
    with pytest.raises(GoldenSetError, match=r"golden item 'photo': input photo.png has sha256"):
        load_golden_dir(tmp_path, require_references=False)


def test_mask_of_another_size_is_refused(tmp_path: Path) -> None:
    _one_item(
        tmp_path,
        task="inpaint",
        prompt="a red door",
        input="photo.png",
        inputSha256=write_file(tmp_path, "photo.png", png(input_image(48, 32, 1))),
        mask="mask.png",
        maskSha256=write_file(tmp_path, "mask.png", png(centred_mask(32, 32))),
    )
    with pytest.raises(GoldenSetError, match=r"'photo': mask is 32x32, the input is 48x32"):
        load_golden_dir(tmp_path, require_references=False)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"task": "inpaint", "input": "a.png"}, "an inpaint item needs a mask"),
        ({"task": "upscale", "input": "a.png"}, "needs params.scale"),
        ({"task": "edit"}, "a edit item needs an input image"),
        ({"prompt": "x", "size": "64x64", "input": "a.png"}, "input and mask need task"),
        ({"task": "edit", "input": "../a.png"}, "must be a flat file name"),
    ],
)
def test_manifest_errors_name_the_item(
    tmp_path: Path, fields: dict[str, Any], expected: str
) -> None:
    path = _one_item(tmp_path, **fields)
    with pytest.raises(GoldenSetError) as caught:
        read_manifest(path)
    assert "item 'photo'" in str(caught.value)
    assert expected in str(caught.value)


def test_size_that_disagrees_with_the_input_is_refused(tmp_path: Path) -> None:
    _one_item(tmp_path, **_upscale_fields(tmp_path, png(input_image(40, 24, 1)), size="80x48"))
    with pytest.raises(GoldenSetError, match=r"size 80x48 disagrees .* gives 120x72"):
        load_golden_dir(tmp_path, require_references=False)


def test_generate_items_are_written_without_image_to_image_fields(tmp_path: Path) -> None:
    path = tmp_path / "golden.yaml"
    write_manifest(path, [GoldenItemSpec(id="a", prompt="a cat", seed=1, size="64x64")])
    written = yaml.safe_load(path.read_text(encoding="utf-8"))["items"][0]
    assert "task" not in written and "params" not in written
    assert read_manifest(path).items[0].task == "generate"


def test_robustness_helper_derives_each_awkward_kind(tmp_path: Path) -> None:
    write_img2img_golden(tmp_path, robustness=False)
    ids = add_robustness_items(
        tmp_path, ["up-wide", "inpaint-wide"], list(VARIANTS), large_side=200
    )
    assert len(ids) == 2 * len(VARIANTS)
    specs = {s.id: s for s in read_manifest(tmp_path / "golden.yaml").items}
    opened = {
        name: Image.open(io.BytesIO((tmp_path / str(specs[f"up-wide--{name}"].input)).read_bytes()))
        for name in VARIANTS
    }
    assert opened["jpeg"].format == "JPEG"
    assert opened["grayscale"].mode == "L"
    assert opened["palette"].mode == "P"
    assert opened["cmyk"].mode == "CMYK"
    assert opened["16bit"].mode == "I;16"
    assert opened["exif-rotated"].getexif()[0x0112] == 6
    assert opened["alpha"].mode == "RGBA" and specs["up-wide--alpha"].alpha
    assert max(opened["tiny"].size) == 16 and max(opened["large"].size) == 200
    assert "robustness" in specs["inpaint-wide--cmyk"].tags
    golden = load_golden_dir(tmp_path, require_references=False)
    by_id = {item.id: item for item in golden.items}
    # Every variant loads, and an inpaint variant's mask follows its input's size.
    large = by_id["inpaint-wide--large"].input
    assert large is not None and large.mask is not None
    assert large.mask.shape == (large.height, large.width)
    sixteen, eight = by_id["up-wide--16bit"].input, by_id["up-wide--grayscale"].input
    assert sixteen is not None and eight is not None
    # Scaled to 8 bits, the 16-bit input shows the same greys as the 8-bit one (clipped, it
    # would be white wherever the grey is above 0).
    difference = sixteen.image.rgba[..., 0].astype(int) - eight.image.rgba[..., 0].astype(int)
    assert abs(difference).max() <= 1
