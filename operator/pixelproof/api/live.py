"""Judging the candidate on real traffic: a share of live generate requests is mirrored to a
prompt recorder the operator runs for the rollout, and live evaluate steps replay what it
recorded on stable and candidate. A prompt log (a ConfigMap key, or a pinned https file)
stands in for mirroring where the router cannot mirror."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from .base import ApiModel
from .durations import RecorderRetention
from .errors import FieldError
from .evaluator_job import Resources
from .patterns import DNS_SUBDOMAIN, HTTPS_URL, SHA256

RECORDER_PORT = 8080
"""The port the recorder listens on, and its Service's port."""
SAMPLES_PATH = "/samples"
"""Where the recorder serves what it recorded, as JSON Lines (?count=N)."""
MIXED_MIRROR = -1
"""A route read back whose rules mirror different shares to the recorder."""

DEFAULT_MIRROR_PERCENT = 10
"""A tenth of live traffic fills a recorder of a few thousand prompts within minutes at
ordinary request rates, while copying as few users' prompts as that needs: the recorder
keeps only maxCount of them anyway, so mirroring more buys no better sample."""


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise FieldError(f"{pattern[:40]!r} is not a regular expression: {exc}") from exc
    return pattern


RedactPattern = Annotated[str, Field(min_length=1, max_length=512), AfterValidator(_compiles)]


class RecorderSpec(ApiModel):
    """The prompt recorder the operator runs for the rollout: a Deployment and Service named
    after it, owned by it, running the evaluator image's `record` command."""

    max_count: int = Field(
        default=2000,
        ge=10,
        le=100000,
        description="Most recorded requests kept; the oldest are dropped first.",
    )
    retention: RecorderRetention = Field(
        default="1h", description="How long a recorded request is kept, e.g. 1h."
    )
    redact: list[RedactPattern] = Field(
        default_factory=list,
        max_length=32,
        description="Regular expressions whose matches in prompts are replaced before they are stored.",
    )
    allow_prompt_text: bool = Field(
        default=False,
        description="Let the evaluator's report show recorded prompt text; without it the report names prompts by digest only.",
    )
    image: str | None = Field(
        default=None,
        min_length=1,
        description="Recorder container image; spec.evaluator.image when unset.",
    )
    resources: Resources = Field(default_factory=dict)
    """Container resources of the recorder (limits and requests)."""


class PromptLogConfigMap(ApiModel):
    """A prompt log (JSONL, one generator request body a line) in a ConfigMap key."""

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    """ConfigMap, in the rollout's namespace."""
    key: str = Field(min_length=1, max_length=253)
    """Key within the ConfigMap holding the JSONL prompt log."""


class PromptLogUrl(ApiModel):
    """A prompt log (JSONL) at an https URL, pinned by its sha256."""

    href: str = Field(pattern=HTTPS_URL)
    """https URL of the JSONL prompt log."""
    sha256: str = Field(pattern=SHA256)
    """sha256 of the file; the evaluator refuses a file that does not match."""


class PromptLogSource(ApiModel):
    """Recorded prompts from elsewhere, instead of mirroring: exactly one of configMap or url."""

    config_map: PromptLogConfigMap | None = None
    url: PromptLogUrl | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> PromptLogSource:
        if (self.config_map is None) == (self.url is None):
            raise ValueError(PROMPT_LOG_RULES[0]["message"])
        return self


class LiveTrafficSpec(ApiModel):
    """Opt-in: judge the candidate on real prompts. Without promptLog the router mirrors
    mirrorPercent of live requests to the rollout's recorder while the rollout runs."""

    mirror_percent: int = Field(
        default=DEFAULT_MIRROR_PERCENT,
        ge=1,
        le=100,
        description="Percent of live requests copied to the recorder (the responses are discarded). 10 fills a recorder within minutes while copying few users' prompts.",
    )
    recorder: RecorderSpec = Field(default_factory=RecorderSpec)
    """The recorder's settings: how many prompts it keeps, for how long, and what it redacts."""
    prompt_log: PromptLogSource | None = Field(
        default=None,
        description="Take live prompts from this log instead of mirroring: no recorder runs and no route is changed.",
    )

    @property
    def mirrors(self) -> bool:
        return self.prompt_log is None


PROMPT_LOG_RULES = [
    {
        "rule": "has(self.configMap) != has(self.url)",
        "message": "liveTraffic.promptLog needs exactly one of configMap or url",
    }
]


def recorder_name(rollout: str) -> str:
    """The recorder's Deployment and Service name for a rollout: a DNS-1035 label (a Service
    name starts with a letter and has no dots), unique to the rollout name."""
    base = "r-" + rollout if rollout[:1].isdigit() else rollout
    if "." not in rollout and len(base) <= 63 - len("-recorder"):
        return f"{base}-recorder"
    # Shortened, or dots turned to dashes, two names could meet: the digest keeps them apart.
    digest = hashlib.sha256(rollout.encode()).hexdigest()[:8]
    return f"{base.replace('.', '-')[:45].rstrip('-')}-{digest}-recorder"


def recorder_url(rollout: str, namespace: str) -> str:
    """The recorder's in-cluster base URL."""
    return f"http://{recorder_name(rollout)}.{namespace}.svc:{RECORDER_PORT}"


def samples_url(rollout: str, namespace: str) -> str:
    """Where a live evaluation reads the recorder's prompts."""
    return recorder_url(rollout, namespace) + SAMPLES_PATH
