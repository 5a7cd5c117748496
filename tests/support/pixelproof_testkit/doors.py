"""Every way a ModelRollout is judged, each reduced to its verdict: the error messages it
gives (empty when it accepts the document). None where a door cannot see the document."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pixelproof.api.crd_validation import crd_spec_errors
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.wire import to_wire
from pixelproof.engine import Observations, decide, parse_spec
from pixelproof.kubectl_plugin.cli import main as kubectl_main
from pixelproof.lint import lint_file
from pixelproof.simulation.cli import main as simulate_main

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def lint(path: Path) -> list[str]:
    """`pixelproof lint`, each message without the file and rollout it begins with."""
    return [p.split(": ", 2)[-1] for p in lint_file(path)]


def kubectl_lint(path: Path) -> list[str]:
    out, err = io.StringIO(), io.StringIO()
    code = kubectl_main(["lint", str(path)], out, err)
    problems = err.getvalue().splitlines()
    assert code == (1 if problems else 0)
    return problems


def simulate(path: Path) -> list[str]:
    """`pixelproof simulate`: exit status 2 and the problems on stderr for an invalid file."""
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = simulate_main([str(path), "--max-ticks", "3"])
    problems = err.getvalue().splitlines()
    assert (code == 2) == bool(problems), (code, problems)
    return problems


def engine(doc: Any) -> list[str]:
    """decide(parse_spec(...)) as the operator calls it, with what the API server stored."""
    spec = doc.get("spec") if isinstance(doc, dict) else None
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    decision = decide(
        parse_spec(spec),
        None,
        Observations(generation=1),
        NOW,
        name=meta.get("name"),  # type: ignore[arg-type]  # whatever the document holds
        namespace=meta.get("namespace", "default"),
    )
    stalled = [c for c in decision.status.get("conditions", []) if c["type"] == "Stalled"]
    if stalled and stalled[0]["reason"] == "InvalidSpec":
        return [decision.status["message"]]
    return []


def model_spec(spec: Any) -> list[str]:
    """The models' verdict on a spec as the API server receives it."""
    wire = to_wire(spec, ("spec",))
    if wire.problems or wire.value is None:
        return wire.problems or ["spec: required"]
    try:
        ModelRolloutSpec.model_validate(wire.value, strict=True)
    except ValidationError as exc:
        return [str(exc)]
    return []


def crd_spec(spec: Any) -> list[str]:
    return crd_spec_errors(spec)


FILE_DOORS: dict[str, Callable[[Path], list[str]]] = {
    "lint": lint,
    "kubectl lint": kubectl_lint,
    "simulate": simulate,
}
