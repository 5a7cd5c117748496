"""The stable and candidate generators, and the HTTP contract both honour."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import ApiModel
from .patterns import DNS_LABEL, DNS_SUBDOMAIN, URL_PATH

EVALUATION_HEADER = "X-Pixelproof-Evaluation"
"""Set on every request the evaluator sends. Generators keep these requests out of their
serving metrics: the evaluator's bursts on a one-replica candidate would otherwise read as
a latency regression to the metric gates and roll a good model back."""


class StableRef(ApiModel):
    """The model serving today. pixelproof never scales or edits its Deployment."""

    deployment: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    """Deployment of the stable model, in the rollout's namespace."""
    service: str = Field(pattern=DNS_LABEL, max_length=63)
    """Service in front of the stable Deployment; the router sends stable's share of traffic here."""


class CandidateRef(ApiModel):
    """The model under test. Its capacity is set here, independent of its traffic weight,
    because GPUs are scarce and a 1 % step must not need the stable model's fleet."""

    deployment: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    """Deployment of the candidate model; pixelproof scales it and scales it down after a rollback."""
    service: str = Field(pattern=DNS_LABEL, max_length=63)
    """Service in front of the candidate Deployment; the router sends candidate's share of traffic here."""
    replicas: int = Field(default=1, ge=1, le=1000)
    """Candidate replicas while the rollout runs, whatever its traffic weight."""


FIELD_NAME = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024


class TaskPaths(ApiModel):
    """HTTP paths both models serve the image-to-image tasks on."""

    edit: str = Field(default="/edit", pattern=URL_PATH)
    """Path for golden items with task edit."""
    inpaint: str = Field(default="/inpaint", pattern=URL_PATH)
    """Path for golden items with task inpaint."""
    upscale: str = Field(default="/upscale", pattern=URL_PATH)
    """Path for golden items with task upscale."""


class GeneratorInputs(ApiModel):
    """How image-to-image golden items (edit, inpaint, upscale) send their input image and
    mask: as base64 strings in the JSON body, or as files of a multipart/form-data body whose
    other fields carry prompt, seed, size, the item's params and the fixed request fields."""

    encoding: Literal["base64", "multipart"] = "base64"
    """base64: JSON body with the images as base64 strings; multipart: multipart/form-data with the images as files."""
    image_field: str = Field(default="image", pattern=FIELD_NAME, max_length=128)
    """Body field (JSON key or form field) that carries the input image."""
    mask_field: str = Field(default="mask", pattern=FIELD_NAME, max_length=128)
    """Body field that carries the inpainting mask (white where the model repaints)."""
    paths: TaskPaths = Field(default_factory=TaskPaths)
    """HTTP path per image-to-image task; generate items use the contract's path."""
    max_request_bytes: int = Field(
        default=DEFAULT_MAX_REQUEST_BYTES, ge=1024, le=1024 * 1024 * 1024
    )
    """Largest request body the evaluator sends; an item whose encoded input is larger is refused, naming it, before any request."""

    def path_for(self, task: str) -> str:
        path: str = getattr(self.paths, task)
        return path


class GeneratorContract(ApiModel):
    """How to ask either model for an image: POST {path} with the fixed request fields
    plus prompt, seed and size from each golden item; the reply body is the image.
    Image-to-image items also send their input (and mask) as `inputs` describes.
    Evaluator requests carry the X-Pixelproof-Evaluation header."""

    path: str = Field(default="/generate", pattern=URL_PATH)
    """HTTP path both models serve image generation on."""
    port: int = Field(default=80, ge=1, le=65535)
    """Port of both Services that the evaluator sends requests to."""
    request: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
    )
    """Fixed JSON fields sent with every evaluator request, next to each golden item's prompt, seed and size."""
    timeout_seconds: float = Field(default=60, gt=0, le=3600)
    """Seconds the generator may take over one image before the request counts as failed;
    time the evaluator holds a reply back for its own memory budget does not count."""
    inputs: GeneratorInputs | None = None
    """How edit, inpaint and upscale items send their input image and mask; unset, as base64 JSON fields image and mask to /edit, /inpaint and /upscale."""
