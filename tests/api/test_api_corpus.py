"""Every corpus case gets the same verdict from every door, the expected first message, and
messages that stay short; the CRD and the models agree on every spec in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixelproof_testkit import doors
from pixelproof_testkit.spec_corpus import CASES, Case

MAX_MESSAGE = 320
UNREADABLE = object()


def _document(item: Case) -> object:
    """The case's document, or UNREADABLE for YAML too deep to load, which no client can
    send and so neither the API server nor the engine ever sees."""
    try:
        return item.document()
    except RecursionError:
        assert item.expect == "it nests too deeply"
        return UNREADABLE


@pytest.fixture(params=CASES, ids=lambda c: c.id)
def case(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Case, Path]:
    path = tmp_path / "rollout.yaml"
    path.write_text(request.param.text)
    return request.param, path


def test_every_file_door_gives_the_expected_verdict(case: tuple[Case, Path]) -> None:
    item, path = case
    for name, door in doors.FILE_DOORS.items():
        problems = door(path)
        if item.valid:
            assert problems == [], name
        else:
            assert problems, name
            assert item.expect in problems[0], (name, problems)
        # File doors name the file first; its length is the test's temporary folder's.
        messages = [p.removeprefix(f"{path}: ") for p in problems]
        assert all(len(m) <= MAX_MESSAGE for m in messages), (name, problems)


def test_the_engine_gives_the_same_verdict(case: tuple[Case, Path]) -> None:
    item, _ = case
    doc = _document(item)
    if doc is UNREADABLE:
        return
    problems = doors.engine(doc)
    if not item.engine:
        assert problems == []
        return
    assert bool(problems) == (not item.valid), problems
    if item.expect and item.expect.startswith("spec"):
        assert item.expect in problems[0]
    assert "spec.spec" not in "".join(problems)


def test_the_crd_and_the_models_agree_on_the_spec(case: tuple[Case, Path]) -> None:
    item, _ = case
    doc = _document(item)
    if doc is UNREADABLE:
        return
    spec = doc.get("spec") if isinstance(doc, dict) else None
    assert bool(doors.crd_spec(spec)) == bool(doors.model_spec(spec))


def test_the_corpus_covers_both_verdicts() -> None:
    assert sum(c.valid for c in CASES) >= 10
    assert sum(not c.valid for c in CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)
