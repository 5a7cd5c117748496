"""The interface every traffic router honours, and what they share.

A route the rollout manages splits its traffic between stable and candidate only: any
other backend in it (a previous candidate the spec no longer names) is set to weight 0,
so the percentages in status are the real shares of that route's traffic."""

from __future__ import annotations

from typing import Protocol

from pixelproof.api.status import Weights
from pixelproof.engine.observations import RouterReading
from pixelproof.errors import PixelproofError

CONFLICT_RETRIES = 3
"""Writes that lose a race with another writer are re-read and retried this often."""


class RouterError(PixelproofError, RuntimeError):
    """The router's object is missing or does not route to both Services; the message says which."""


class Router(Protocol):
    owns_candidate_replicas: bool
    """True when the candidate's replica count is not pixelproof's to scale separately: the
    router sets it itself (weight follows replicas), or the platform's autoscaler does (KServe)."""

    async def set_weights(self, weights: Weights) -> None:
        """Route `weights` percent of traffic; raises RouterError naming what is missing."""
        ...

    async def read_weights(self) -> RouterReading:
        """The weights (and the mirror to the prompt recorder) live in the cluster now, or an
        error naming what is missing or wrong."""
        ...

    async def set_mirror(self, percent: int | None) -> None:
        """Mirror `percent` of the route's requests to the prompt recorder, or (None) stop;
        raises RouterError when the router cannot mirror."""
        ...

    async def clean_up(self, return_to_stable: bool) -> None:
        """The rollout is going away: put traffic back on stable when asked, and remove
        anything the router keeps on the objects it manages (a mirror included)."""
        ...


def shares(stable: float, candidate: float, others: float = 0) -> Weights:
    """Percent of traffic reaching stable and candidate when other backends share the
    same route: those others make the two add up to less than 100, which never matches
    the weights a step wants, so the next write sets them to zero."""
    total = stable + candidate + others
    if total <= 0:
        return Weights(stable=0, candidate=0)
    candidate_share = round(100 * candidate / total)
    if others == 0:
        return Weights(stable=100 - candidate_share, candidate=candidate_share)
    return Weights(stable=round(100 * stable / total), candidate=candidate_share)


def cannot_mirror(router: str) -> RouterError:
    return RouterError(
        f"the {router} router cannot mirror requests to the prompt recorder "
        "(spec.liveTraffic needs a gatewayAPI or istio router, or a promptLog)"
    )
