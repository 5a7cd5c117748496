"""Reading campaign freeze ConfigMaps and the promoter, without a cluster."""

from __future__ import annotations

from datetime import UTC, datetime

from pixelproof.controller.freezes import promoted_by, read_freeze


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
