"""The reference generator's image-to-image endpoints: /upscale, /inpaint and /edit under the
default generator contract (base64 JSON or multipart), and each image-to-image fault knob
doing to the pixels what it claims."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from pixelproof_refgen import Faults, RefGenServer
from pixelproof_refgen.render import render
from pixelproof_refgen.request import GenerateRequest


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _photo(width: int = 48, height: int = 32) -> Image.Image:
    return render(GenerateRequest('a sign "OPEN"', 5, width, height)).image.convert("RGB")


def _mask(width: int = 48, height: int = 32) -> Image.Image:
    mask = np.zeros((height, width), np.uint8)
    mask[8:24, 12:36] = 255
    return Image.fromarray(mask, "L")


def _b64(image: Image.Image) -> str:
    return base64.b64encode(_png(image)).decode()


def _post(client: httpx.Client, server: RefGenServer, task: str, **body: Any) -> httpx.Response:
    return client.post(f"{server.url}/{task}", json={"prompt": "a door", "seed": 3, **body})


def _image(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content))


def test_upscale_multiplies_the_size_by_scale(
    start_server: Callable[..., RefGenServer], client: httpx.Client
) -> None:
    server = start_server()
    out = _image(_post(client, server, "upscale", image=_b64(_photo()), scale=3))
    assert out.size == (144, 96)


def test_inpaint_repaints_inside_the_mask_only(
    start_server: Callable[..., RefGenServer], client: httpx.Client
) -> None:
    server = start_server()
    photo, mask = _photo(), _mask()
    out = _image(_post(client, server, "inpaint", image=_b64(photo), mask=_b64(mask)))
    changed = np.abs(np.asarray(out, int) - np.asarray(photo, int)).sum(axis=-1) > 0
    inside = np.asarray(mask) > 0
    assert not changed[~inside].any()
    assert changed[inside].mean() > 0.5


def test_multipart_bodies_are_served_like_base64_ones(
    start_server: Callable[..., RefGenServer], client: httpx.Client
) -> None:
    server = start_server()
    photo = _png(_photo())
    as_json = _post(client, server, "edit", image=base64.b64encode(photo).decode())
    as_form = client.post(
        f"{server.url}/edit",
        data={"prompt": "a door", "seed": "3"},
        files={"image": ("image", photo, "image/png")},
    )
    assert _image(as_form).size == (48, 32)
    assert as_form.content == as_json.content


PHOTO = _b64(_photo())


@pytest.mark.parametrize(
    ("task", "body", "field"),
    [
        ("upscale", {"image": "not base64!"}, "image"),
        ("inpaint", {"image": PHOTO}, "mask"),
        ("upscale", {"image": base64.b64encode(b"<html>").decode()}, "image"),
        ("upscale", {"image": PHOTO, "scale": 0}, "scale"),
    ],
)
def test_bad_requests_name_the_field(
    start_server: Callable[..., RefGenServer],
    client: httpx.Client,
    task: str,
    body: dict[str, Any],
    field: str,
) -> None:
    reply = _post(client, start_server(), task, **body)
    assert reply.status_code == 400
    assert reply.json()["field"] == field


def _pixels(image: Image.Image) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.asarray(image.convert("RGB"), dtype=np.int64)


def test_wrong_scale_and_ignore_exif_change_the_output_size(
    start_server: Callable[..., RefGenServer], client: httpx.Client
) -> None:
    wrong = start_server(Faults(wrong_scale=3.0))
    assert _image(_post(client, wrong, "upscale", image=_b64(_photo()), scale=2)).size == (144, 96)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    _photo().transpose(Image.Transpose.ROTATE_90).save(buffer, "JPEG", exif=exif.tobytes())
    rotated = base64.b64encode(buffer.getvalue()).decode()
    good, ignoring = start_server(), start_server(Faults(ignore_exif=True))
    assert _image(_post(client, good, "upscale", image=rotated, scale=1)).size == (48, 32)
    assert _image(_post(client, ignoring, "upscale", image=rotated, scale=1)).size == (32, 48)


def test_mask_bleed_and_colorspace_drift_change_what_must_stay(
    start_server: Callable[..., RefGenServer], client: httpx.Client
) -> None:
    photo, mask = _photo(), _mask()
    outside = np.asarray(mask) == 0
    bleeding = start_server(Faults(mask_bleed=0.5))
    out = _image(_post(client, bleeding, "inpaint", image=_b64(photo), mask=_b64(mask)))
    assert np.abs(_pixels(out) - _pixels(photo))[outside].mean() > 5
    drifting = start_server(Faults(colorspace_drift=True))
    lifted = _image(_post(client, drifting, "upscale", image=_b64(photo), scale=1))
    assert _pixels(lifted).mean() > _pixels(photo).mean() + 10


def test_alpha_and_unusual_modes_and_large_inputs(
    start_server: Callable[..., RefGenServer], client: httpx.Client
) -> None:
    rgba = _photo().convert("RGBA")
    rgba.putalpha(128)
    good = start_server()
    assert _image(_post(client, good, "upscale", image=_b64(rgba), scale=1)).mode == "RGBA"
    dropping = start_server(Faults(drop_alpha=True))
    assert _image(_post(client, dropping, "upscale", image=_b64(rgba), scale=1)).mode == "RGB"
    grey = _b64(_photo().convert("L"))
    assert _image(_post(client, good, "upscale", image=grey, scale=1)).mode == "RGB"
    picky = start_server(Faults(fail_unusual_modes=True))
    assert _post(client, picky, "upscale", image=grey, scale=1).status_code == 500
    small = start_server(Faults(max_input_pixels=1000))
    with pytest.raises(httpx.RemoteProtocolError):
        _post(client, small, "upscale", image=_b64(_photo()), scale=1)
