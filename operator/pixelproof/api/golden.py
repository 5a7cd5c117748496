"""Where the golden set (prompts, seeds, reference images) comes from."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import ApiModel
from .workloads import DNS_SUBDOMAIN


class ConfigMapSource(ApiModel):
    """Small sets: the manifest and reference images as ConfigMap (binary) data."""

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)


class PvcSource(ApiModel):
    claim_name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    path: str = Field(default="/", description="Folder inside the volume that holds the manifest.")


class UrlSource(ApiModel):
    """An https archive (tar.gz or zip) pinned by its sha256."""

    href: str = Field(pattern=r"^https://")
    sha256: str = Field(pattern=r"^[a-f0-9]{64}$")


class GoldenSetSource(ApiModel):
    config_map: ConfigMapSource | None = None
    pvc: PvcSource | None = None
    url: UrlSource | None = None
    manifest: str = Field(
        default="golden.yaml",
        pattern=r"^[^/]+$",
        description="File name of the manifest inside the source.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> GoldenSetSource:
        if sum(x is not None for x in (self.config_map, self.pvc, self.url)) != 1:
            raise ValueError("goldenSet must name exactly one source: configMap, pvc or url")
        return self


GOLDEN_RULES = [
    {
        "rule": "(has(self.configMap) ? 1 : 0) + (has(self.pvc) ? 1 : 0) + (has(self.url) ? 1 : 0) == 1",
        "message": "goldenSet must name exactly one source: configMap, pvc or url",
    }
]
