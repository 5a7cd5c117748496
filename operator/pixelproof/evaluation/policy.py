"""Which images and ServiceAccounts evaluator Jobs may run with.

The Job's image and ServiceAccount come from the rollout spec, so without a limit anyone
who may create a ModelRollout runs any image under any ServiceAccount of the namespace,
with the operator's right to create Jobs. The operator's configuration names what is
allowed; an empty list allows anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pixelproof.api.rollout import ModelRolloutSpec

DEFAULT_SERVICE_ACCOUNT = "default"
"""The ServiceAccount Kubernetes gives a pod that names none."""


def image_allowed(image: str, prefixes: Sequence[str]) -> bool:
    """Whether the image reference starts with one of the prefixes at a boundary.

    A prefix without "/" names a registry host, so only "/" may follow it
    (`registry.example` allows `registry.example/x:1`, not `registry.example.evil/x`).
    A prefix with "/" names a registry path or a repository: "/", ":" (a tag) or "@"
    (a digest) may follow it, so `ghcr.io/pixelproof/pixelproof-evaluator` allows its
    tags and digests but not `ghcr.io/pixelproof/pixelproof-evaluator-other`."""
    if not prefixes:
        return True
    for prefix in prefixes:
        if prefix.endswith("/"):
            if image.startswith(prefix):
                return True
            continue
        if not image.startswith(prefix):
            continue
        rest = image[len(prefix) :]
        boundaries = ("/", ":", "@") if "/" in prefix else ("/",)
        if rest == "" or rest.startswith(boundaries):
            return True
    return False


@dataclass(frozen=True)
class EvaluatorPolicy:
    service_accounts: tuple[str, ...] = ()
    image_prefixes: tuple[str, ...] = ()

    def problems(self, spec: ModelRolloutSpec) -> list[str]:
        """What the spec's evaluator asks for that the policy forbids, each naming its field."""
        evaluator = spec.evaluator
        if evaluator is None:
            return []
        found = []
        account = evaluator.service_account_name or DEFAULT_SERVICE_ACCOUNT
        if self.service_accounts and account not in self.service_accounts:
            shown = (
                repr(evaluator.service_account_name)
                if evaluator.service_account_name
                else f"unset (the namespace's {DEFAULT_SERVICE_ACCOUNT!r} ServiceAccount)"
            )
            found.append(
                f"spec.evaluator.serviceAccountName: {shown} is not allowed by the operator's "
                f"--evaluator-service-accounts; allowed: {', '.join(self.service_accounts)}"
            )
        if not image_allowed(evaluator.image, self.image_prefixes):
            found.append(
                f"spec.evaluator.image: {evaluator.image!r} is not allowed by the operator's "
                f"--evaluator-image-prefixes; allowed: {', '.join(self.image_prefixes)}"
            )
        return found
