"""The body of an image-to-image request (``/edit``, ``/inpaint``, ``/upscale``): JSON with
the input image and mask as base64 strings, or multipart/form-data with them as files and the
other fields as form values. Errors name the field."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from .request import MAX_SEED, BadRequest

TASKS = ("edit", "inpaint", "upscale")
IMAGE_FIELD = "image"
MASK_FIELD = "mask"
MAX_SCALE = 8


@dataclass(frozen=True)
class ImageRequest:
    task: str
    prompt: str
    seed: int
    image: bytes
    mask: bytes | None = None
    scale: int = 1


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequest("body", "multipart body could not be parsed")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise BadRequest("body", "a multipart part has no name")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            fields[name] = data
            continue
        text = data.decode("utf-8", errors="replace")
        try:
            fields[name] = json.loads(text)
        except json.JSONDecodeError:
            fields[name] = text
    return fields


def _image(fields: dict[str, Any], name: str) -> bytes | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise BadRequest(name, f"{name} must be a base64 string or a file")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadRequest(name, f"{name} is not valid base64: {error}") from None


def parse_image_request(task: str, content_type: str, body: bytes) -> ImageRequest:
    if content_type.startswith("multipart/form-data"):
        fields = _multipart(content_type, body)
    else:
        try:
            fields = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BadRequest("body", f"body is not valid JSON: {error}") from None
        if not isinstance(fields, dict):
            raise BadRequest("body", "request body must be a JSON object")
    prompt = fields.get("prompt", "")
    if not isinstance(prompt, str):
        raise BadRequest("prompt", "prompt must be a string")
    seed = fields.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise BadRequest("seed", f"seed must be an integer between 0 and {MAX_SEED}, got {seed!r}")
    scale = fields.get("scale", 2 if task == "upscale" else 1)
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
        raise BadRequest("scale", f"scale must be an integer 1-{MAX_SCALE}, got {scale!r}")
    image = _image(fields, IMAGE_FIELD)
    if image is None:
        raise BadRequest(IMAGE_FIELD, f"{IMAGE_FIELD} is required for {task}")
    mask = _image(fields, MASK_FIELD)
    if mask is None and task == "inpaint":
        raise BadRequest(MASK_FIELD, f"{MASK_FIELD} is required for inpaint")
    return ImageRequest(task, prompt, seed, image, mask, scale)
