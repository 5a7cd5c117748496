"""Reading campaign freeze ConfigMaps and the promoter, without a cluster."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

from pixelproof.controller.freezes import campaign_freezes, promoted_by, read_freeze
from pixelproof.kube import ApiError, KubeApi


def _manager(name: str, time: str, annotation: str = "pixelproof.dev/promote") -> dict[str, object]:
    return {
        "manager": name,
        "operation": "Update",
        "time": time,
        "fieldsV1": {"f:metadata": {"f:annotations": {f"f:{annotation}": {}}}},
    }


def test_the_promote_by_annotation_names_the_promoter() -> None:
    meta = {
        "annotations": {"pixelproof.dev/promote": "t1", "pixelproof.dev/promote-by": "alice"},
        "managedFields": [_manager("kubectl-annotate", "2026-12-01T09:00:00Z")],
    }
    assert promoted_by(meta) == "alice"


def test_without_it_the_last_writer_of_the_promote_annotation() -> None:
    meta = {
        "annotations": {"pixelproof.dev/promote": "t2"},
        "managedFields": [
            _manager("kubectl-annotate", "2026-12-01T09:00:00Z"),
            _manager("argocd-server", "2026-12-01T10:00:00Z"),
            _manager("kopf", "2026-12-01T11:00:00Z", annotation="kopf.pixelproof.dev/last"),
        ],
    }
    assert promoted_by(meta) == "argocd-server"
    assert promoted_by({"annotations": {}}) is None


def test_a_freeze_config_map_reads_or_names_its_problem() -> None:
    good = read_freeze(
        {
            "metadata": {"name": "black-friday", "namespace": "ops"},
            "data": {"start": "2026-11-27T00:00:00+01:00", "end": "2026-11-30T00:00:00+01:00"},
        }
    )
    assert good.source == "ops/black-friday" and good.problem is None
    assert good.start == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    backwards = read_freeze(
        {
            "metadata": {"name": "oops", "namespace": "ops"},
            "data": {"start": "2026-11-30T00:00:00Z", "end": "2026-11-27T00:00:00Z"},
        }
    )
    assert backwards.problem == "data: Value error, a freeze's end must be after its start"
    missing = read_freeze({"metadata": {"name": "empty", "namespace": "ops"}})
    assert missing.problem == "data.start: Field required"


class _Api:
    """Lists freeze ConfigMaps in one namespace; elsewhere the API refuses as it is told."""

    def __init__(self, refusals: dict[str, int]) -> None:
        self.refusals = refusals
        self.selectors: list[str | None] = []

    async def list(self, res: Any, namespace: str, *, label_selector: str | None = None) -> Any:
        self.selectors.append(label_selector)
        if namespace in self.refusals:
            raise ApiError(self.refusals[namespace], "Forbidden", "no")
        return [
            {
                "metadata": {"name": "release", "namespace": namespace},
                "data": {"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"},
            }
        ]


def test_freezes_that_cannot_be_listed_hold_traffic_and_a_missing_namespace_has_none() -> None:
    api = _Api({"ops": 403})
    found = asyncio.run(campaign_freezes(cast(KubeApi, api), "imagegen", "ops"))
    assert [f.source for f in found] == ["imagegen/release", "ops/*"]
    assert found[1].problem == "cannot list freezes: 403 Forbidden: no"
    assert api.selectors == ["pixelproof.dev/freeze=true"] * 2
    gone = asyncio.run(campaign_freezes(cast(KubeApi, _Api({"ops": 404})), "imagegen", "ops"))
    assert [f.source for f in gone] == ["imagegen/release"]
    alone = asyncio.run(campaign_freezes(cast(KubeApi, _Api({})), "imagegen", "imagegen"))
    assert len(alone) == 1
