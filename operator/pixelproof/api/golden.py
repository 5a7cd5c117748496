"""Where the golden set (prompts, seeds, reference images) comes from."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import ApiModel
from .patterns import DNS_SUBDOMAIN, FILE_NAME, HTTPS_URL, SHA256


class ConfigMapSource(ApiModel):
    """Small sets: the manifest and reference images as ConfigMap (binary) data."""

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    """ConfigMap, in the rollout's namespace, holding the manifest and reference images."""


class PvcSource(ApiModel):
    """Large sets: the manifest and images on a PersistentVolumeClaim."""

    claim_name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    """PersistentVolumeClaim, in the rollout's namespace, mounted read-only into the evaluator."""
    path: str = Field(default="/", description="Folder inside the volume that holds the manifest.")


class UrlSource(ApiModel):
    """An https archive (tar.gz or zip) pinned by its sha256."""

    href: str = Field(pattern=HTTPS_URL)
    """https URL of the archive."""
    sha256: str = Field(pattern=SHA256)
    """sha256 of the archive; the evaluator refuses an archive that does not match."""


class GoldenSetSource(ApiModel):
    """Where the golden set comes from: exactly one of configMap, pvc or url."""

    config_map: ConfigMapSource | None = None
    pvc: PvcSource | None = None
    url: UrlSource | None = None
    manifest: str = Field(
        default="golden.yaml",
        pattern=FILE_NAME,
        description="File name of the manifest inside the source.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> GoldenSetSource:
        if sum(x is not None for x in (self.config_map, self.pvc, self.url)) != 1:
            raise ValueError(GOLDEN_RULES[0]["message"])
        return self


GOLDEN_RULES = [
    {
        "rule": "(has(self.configMap) ? 1 : 0) + (has(self.pvc) ? 1 : 0) + (has(self.url) ? 1 : 0) == 1",
        "message": "goldenSet must name exactly one source: configMap, pvc or url",
    }
]
