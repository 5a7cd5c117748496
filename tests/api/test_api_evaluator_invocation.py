"""The evaluator's invocation: what the operator writes into the Job is what the evaluator
parses back, and bad arguments are refused with the flag they concern."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixelproof.api.evaluator_invocation import (
    EVALUATE,
    EVALUATOR_MODULE,
    EvaluatorInvocation,
    InvocationError,
)
from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=12).filter(
    lambda s: not s.startswith("-")
)
_path = st.builds(lambda parts: "/" + "/".join(parts), st.lists(_word, min_size=1, max_size=3))
_url = st.builds(lambda host, port: f"http://{host}.ns.svc:{port}", _word, st.integers(1, 65535))
_fraction = st.floats(min_value=0, max_value=1, allow_nan=False)
_gates = st.builds(
    lambda doc: QualityGates.model_validate(doc),
    st.fixed_dictionaries(
        {},
        optional={
            "lpips": st.fixed_dictionaries({"maxMean": _fraction}, optional={"maxItem": _fraction}),
            "failureRate": st.fixed_dictionaries({"max": _fraction}),
            "format": st.fixed_dictionaries({"alpha": st.booleans(), "size": st.booleans()}),
            "latency": st.fixed_dictionaries(
                {}, optional={"maxP50Ms": st.floats(1, 1e5), "maxRegression": _fraction}
            ),
            "versusStable": st.fixed_dictionaries(
                {"maxRegression": _fraction}, optional={"minItems": st.integers(3, 100)}
            ),
        },
    ),
)
_generator = st.builds(
    lambda path, port, timeout, request: GeneratorContract(
        path=path, port=port, timeout_seconds=timeout, request=request
    ),
    _path,
    st.integers(1, 65535),
    st.floats(min_value=0.5, max_value=3600),
    st.dictionaries(_word, st.one_of(st.integers(), _word, st.booleans()), max_size=3),
)


@st.composite
def invocations(draw: st.DrawFn) -> EvaluatorInvocation:
    source = (
        {"golden": draw(_path)}
        if draw(st.booleans())
        else {"golden_url": "https://example.com/" + draw(_word), "golden_sha256": "ab" * 32}
    )
    return EvaluatorInvocation(
        **source,
        stable=draw(_url),
        candidate=draw(_url),
        generator=draw(_generator),
        gates=draw(_gates),
        out=draw(_path),
        tags=tuple(draw(st.lists(_word, max_size=4))),
        concurrency=draw(st.none() | st.integers(1, 256)),
        candidate_replicas=draw(st.none() | st.integers(0, 64)),
        lpips_weights=draw(st.none() | _path),
        verbose=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None)
@given(invocations())
def test_arguments_round_trip(invocation: EvaluatorInvocation) -> None:
    argv = invocation.to_argv()
    assert EvaluatorInvocation.from_argv(argv) == invocation
    assert invocation.to_command() == [*EVALUATOR_MODULE, EVALUATE, *argv]


def test_defaults_are_the_evaluators_defaults() -> None:
    models = ["--stable", "http://s", "--candidate", "http://c"]
    parsed = EvaluatorInvocation.from_argv(
        ["--golden", "/golden", *models, "--gates", "{}", "--out", "/reports"]
    )
    assert parsed.generator == GeneratorContract()
    assert (parsed.tags, parsed.concurrency, parsed.verbose) == ((), None, False)
    assert (parsed.candidate_replicas, parsed.effective_concurrency) == (None, 4)
    assert parsed.golden_sha256 is None and parsed.lpips_weights is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--gates", "{"], "--gates is not valid JSON"),
        (["--gates", '{"lpips": {"maxMean": 2}}'], "--gates is invalid: lpips.maxMean"),
        (["--gates", "{}", "--generator", '{"port": 0}'], "--generator is invalid: port"),
        (["--gates", "{}", "--concurrency", "0"], "--concurrency must be at least 1"),
        (["--gates", "{}", "--concurrency", "x"], "invalid int value"),
        (["--gates", "{}", "--candidate-replicas", "-1"], "--candidate-replicas must not be"),
    ],
)
def test_bad_arguments_name_the_flag(extra: list[str], message: str) -> None:
    base = ["--golden", "/golden", "--stable", "http://s", "--candidate", "http://c"]
    with pytest.raises(InvocationError, match=message):
        EvaluatorInvocation.from_argv([*base, "--out", "/reports", *extra])


def test_a_golden_archive_needs_its_digest_and_excludes_a_folder() -> None:
    models = ["--stable", "http://s", "--candidate", "http://c", "--gates", "{}", "--out", "/r"]
    with pytest.raises(InvocationError, match="--golden-url needs --golden-sha256"):
        EvaluatorInvocation.from_argv(["--golden-url", "https://example.com/g.tgz", *models])
    with pytest.raises(InvocationError, match="not allowed with argument"):
        EvaluatorInvocation.from_argv(["--golden", "/g", "--golden-url", "https://x/g", *models])
    with pytest.raises(ValueError, match="exactly one of --golden and --golden-url"):
        EvaluatorInvocation(stable="s", candidate="c", gates=QualityGates(), out="/r")


@pytest.mark.parametrize(
    ("flags", "concurrency"),
    [
        ([], 4),
        (["--candidate-replicas", "3"], 3),
        (["--candidate-replicas", "0"], 1),
        (["--concurrency", "8", "--candidate-replicas", "3"], 8),
        (["--concurrency", "2"], 2),
    ],
)
def test_the_concurrency_follows_the_candidates_ready_replicas_unless_given(
    flags: list[str], concurrency: int
) -> None:
    base = ["--golden", "/g", "--stable", "http://s", "--candidate", "http://c"]
    parsed = EvaluatorInvocation.from_argv([*base, "--gates", "{}", "--out", "/r", *flags])
    assert parsed.effective_concurrency == concurrency
