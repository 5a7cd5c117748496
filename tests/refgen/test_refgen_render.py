"""The renderer and the image faults, called directly (no HTTP)."""

from __future__ import annotations

import io
import itertools

import numpy as np
from PIL import Image

from pixelproof_refgen import FONT_SIZES, Faults, GenerateRequest, render
from pixelproof_refgen.faults import Decisions
from pixelproof_refgen.typography import drop_brand_tokens, garble, quoted_texts
from pixelproof_testkit.refgen import POSTER, decode, pixels

REQUEST = GenerateRequest(POSTER, seed=42, width=512, height=512)


def laplacian_variance(image: Image.Image) -> float:
    gray = np.asarray(image.convert("L"), dtype=np.float32)
    lap = (
        -4 * gray[1:-1, 1:-1] + gray[:-2, 1:-1] + gray[2:, 1:-1] + gray[1:-1, :-2] + gray[1:-1, 2:]
    )
    return float(lap.var())


def mean_hue_vector(image: Image.Image) -> complex:
    hsv = np.asarray(image.convert("RGB").convert("HSV"), dtype=np.float64)
    angle = hsv[..., 0] / 256.0 * 2 * np.pi
    weight = hsv[..., 1] / 255.0
    return complex((weight * np.cos(angle)).mean(), (weight * np.sin(angle)).mean())


def test_same_prompt_and_seed_give_identical_bytes() -> None:
    assert render(REQUEST).png() == render(REQUEST).png()


def test_seed_and_prompt_both_change_the_image() -> None:
    base = pixels(render(REQUEST).image)
    other_seed = pixels(render(GenerateRequest(POSTER, 43, 512, 512)).image)
    other_prompt = pixels(render(GenerateRequest(POSTER + " at dusk", 42, 512, 512)).image)
    assert np.abs(base - other_seed).mean() > 10
    assert np.abs(base - other_prompt).mean() > 10


def test_quoted_text_is_drawn_at_every_size_inside_the_image() -> None:
    rendering = render(REQUEST)
    assert [b.size for b in rendering.blocks] == list(FONT_SIZES)
    for block in rendering.blocks:
        assert block.drawn == block.expected == "Fresh Lemonade"
        left, top, right, bottom = block.box
        assert 0 <= left < right <= 512 and 0 <= top < bottom <= 512


def test_panels_do_not_overlap() -> None:
    boxes = sorted((b.box for b in render(REQUEST).blocks), key=lambda box: box[1])
    for upper, lower in itertools.pairwise(boxes):
        assert upper[3] <= lower[1]


def test_later_texts_give_way_when_the_image_is_too_small() -> None:
    long_texts = 'a flyer: "Grand Opening Weekend" and "Two Coffees For The Price Of One"'
    blocks = render(GenerateRequest(long_texts, 1, 256, 256)).blocks
    assert blocks, "something must still be drawn"
    assert {b.expected for b in blocks} == {"Grand Opening Weekend"}
    assert 16 in {b.size for b in blocks}


def test_quoted_texts_accepts_straight_and_curly_quotes() -> None:
    assert quoted_texts('a "Summer  Sale" sign and “Open Daily” and ""') == [
        "Summer Sale",
        "Open Daily",
    ]


def test_opaque_request_gives_rgb_and_transparent_gives_real_alpha() -> None:
    assert render(REQUEST).image.mode == "RGB"
    transparent = render(GenerateRequest(POSTER, 42, 512, 512, transparent=True))
    alpha = np.asarray(decode(transparent.png()).getchannel("A"))
    assert (alpha == 0).mean() > 0.2, "background must be transparent"
    assert (alpha == 255).mean() > 0.1, "shapes and text panels must be opaque"


def test_drop_alpha_answers_rgb_for_a_transparent_request() -> None:
    request = GenerateRequest(POSTER, 42, 512, 512, transparent=True)
    image = decode(render(request, Faults(drop_alpha=True)).png())
    assert image.mode == "RGB"


def test_blur_lowers_the_laplacian_variance() -> None:
    sharp = laplacian_variance(render(REQUEST).image)
    blurred = laplacian_variance(render(REQUEST, Faults(blur=2.5)).image)
    assert blurred < sharp * 0.2


def test_color_shift_moves_mean_hue_and_raises_saturation() -> None:
    clean, shifted = render(REQUEST).image, render(REQUEST, Faults(color_shift=0.6)).image
    hue_clean, hue_shifted = mean_hue_vector(clean), mean_hue_vector(shifted)
    turned = abs(np.angle(hue_shifted / hue_clean, deg=True))
    assert turned > 20
    saturation = [np.asarray(i.convert("HSV"))[..., 1].mean() for i in (clean, shifted)]
    assert saturation[1] > saturation[0] * 1.2


def test_color_shift_keeps_alpha() -> None:
    request = GenerateRequest(POSTER, 42, 256, 256, transparent=True)
    clean = render(request).image.getchannel("A")
    shifted = render(request, Faults(color_shift=0.5)).image.getchannel("A")
    assert np.array_equal(np.asarray(clean), np.asarray(shifted))


def test_stretch_changes_size_and_aspect_ratio() -> None:
    image = decode(render(REQUEST, Faults(stretch=1.5)).png())
    assert image.size == (768, 512)


def test_garble_small_text_changes_only_text_under_the_threshold() -> None:
    blocks = {b.size: b for b in render(REQUEST, Faults(garble_small_text=30)).blocks}
    assert blocks[64].drawn == blocks[40].drawn == "Fresh Lemonade"
    for size in (24, 16):
        assert blocks[size].drawn != "Fresh Lemonade"
        assert blocks[size].expected == "Fresh Lemonade"


def test_garble_is_deterministic_and_changes_a_large_share_of_characters() -> None:
    text = "Grand Opening Weekend Special"
    assert garble(text, 5, 16) == garble(text, 5, 16)
    changed = sum(a != b for a, b in zip(garble(text, 5, 16), text, strict=False))
    assert changed >= len(text) // 4


def test_font_fallback_changes_the_glyphs_in_the_text_panels() -> None:
    clean, fallback = render(REQUEST), render(REQUEST, Faults(font_fallback="serif"))
    box = clean.blocks[0].box
    diff = np.abs(pixels(clean.image.crop(box)) - pixels(fallback.image.crop(box)))
    assert diff.mean() > 5
    assert [b.drawn for b in fallback.blocks] == [b.drawn for b in clean.blocks]


def test_off_template_drops_brand_tokens_from_the_drawn_text() -> None:
    assert drop_brand_tokens("ACME Summer Sale by BIGCO.") == "Summer Sale by"
    request = GenerateRequest('a poster "ACME Summer Sale"', 3, 512, 512)
    clean = render(request).blocks
    off = render(request, Faults(off_template=True)).blocks
    assert {b.drawn for b in clean} == {"ACME Summer Sale"}
    assert {b.drawn for b in off} == {"Summer Sale"}


def test_miscompose_changes_only_prompts_with_the_marker() -> None:
    faults = Faults(miscompose="[uncurated]")
    assert render(REQUEST, faults).png() == render(REQUEST).png()
    odd = GenerateRequest(POSTER + " [uncurated]", 42, 512, 512)
    clean, bad = render(odd), render(odd, faults)
    assert np.abs(pixels(clean.image) - pixels(bad.image)).mean() > 10
    assert [b.drawn for b in bad.blocks] == [b.drawn for b in clean.blocks]


def test_nondeterminism_renders_another_seed() -> None:
    replay = render(REQUEST, Faults(nondeterminism=1.0), Decisions(seed_perturbation=12345))
    assert replay.seed != REQUEST.seed
    assert np.abs(pixels(replay.image) - pixels(render(REQUEST).image)).mean() > 10


def test_replay_noise_is_small_and_differs_per_call() -> None:
    faults = Faults(replay_noise=2.0)
    first = pixels(render(REQUEST, faults, Decisions(noise_seed=1)).image)
    second = pixels(render(REQUEST, faults, Decisions(noise_seed=2)).image)
    assert 0 < np.abs(first - second).mean() < 4


def test_png_encoding_of_an_image_with_alpha_round_trips() -> None:
    request = GenerateRequest(POSTER, 9, 128, 96, transparent=True)
    rendering = render(request)
    decoded = Image.open(io.BytesIO(rendering.png()))
    assert decoded.format == "PNG" and decoded.size == (128, 96) and decoded.mode == "RGBA"
    assert np.array_equal(np.asarray(decoded), np.asarray(rendering.image))
