"""The request body of one golden item under the generator contract: JSON for generation, and
for image-to-image items JSON with base64 images or multipart/form-data with image files.

The body is built once, so its size is known before anything is sent: an input of hostile size
is refused here, naming the item, instead of being pushed at both models."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from pixelproof.api.workloads import GeneratorContract, GeneratorInputs

from .golden import GoldenItem
from .golden_files import GoldenSetError


class InputTooLarge(GoldenSetError):
    """An image-to-image request would be larger than the contract lets the evaluator send."""


@dataclass(frozen=True)
class RequestInputs:
    """What an image-to-image item sends besides prompt, seed and size."""

    item_id: str
    task: str
    image: bytes
    mask: bytes | None = None
    params: dict[str, Any] = field(default_factory=dict)


def request_inputs(item: GoldenItem) -> RequestInputs | None:
    """What an image-to-image item sends besides prompt, seed and size."""
    if item.input is None:
        return None
    spec = item.spec
    return RequestInputs(
        spec.id, spec.task, item.input.image_bytes, item.input.mask_bytes, dict(spec.params)
    )


def build_body(
    contract: GeneratorContract,
    prompt: str,
    seed: int,
    size: str,
    transparent: bool,
    fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The contract's fixed request fields, with the item's own fields taking precedence."""
    body = dict(contract.request)
    body.update(fields or {})
    body.update({"prompt": prompt, "seed": seed, "size": size, "transparent": transparent})
    return body


def _form_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def build_request(
    http: httpx.AsyncClient,
    base_url: str,
    contract: GeneratorContract,
    body: dict[str, Any],
    inputs: RequestInputs | None,
) -> httpx.Request:
    if inputs is None:
        return http.build_request("POST", base_url + contract.path, json=body)
    spec = contract.inputs or GeneratorInputs()
    url = base_url + spec.path_for(inputs.task)
    fields = {**body, **inputs.params}
    images = {spec.image_field: inputs.image}
    if inputs.mask is not None:
        images[spec.mask_field] = inputs.mask
    if spec.encoding == "base64":
        for name, data in images.items():
            fields[name] = base64.b64encode(data).decode("ascii")
        request = http.build_request("POST", url, json=fields)
    else:
        form = {name: _form_value(value) for name, value in fields.items()}
        files = {name: (name, data, "application/octet-stream") for name, data in images.items()}
        request = http.build_request("POST", url, data=form, files=files)
    # Read once, so the size is known and retries resend the same bytes.
    size = len(request.read())
    if size > spec.max_request_bytes:
        raise InputTooLarge(
            f"golden item {inputs.item_id!r}: its {inputs.task} request is {size} bytes "
            f"({spec.encoding}), over the generator contract's inputs.maxRequestBytes of "
            f"{spec.max_request_bytes}; nothing was sent"
        )
    return request
