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
from pixelproof.api.workloads import GeneratorContract, GeneratorInputs

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
            "outputSize": st.fixed_dictionaries({"maxOffRate": _fraction}),
            "preservation": st.fixed_dictionaries({"maxMeanError": st.floats(0.5, 255)}),
            "inputColor": st.fixed_dictionaries({"maxNoiseMultiple": st.floats(0.5, 100)}),
            "robustness": st.fixed_dictionaries({"maxLpipsExcess": st.floats(0.01, 1)}),
            "versusStable": st.fixed_dictionaries(
                {"maxRegression": _fraction}, optional={"minItems": st.integers(3, 100)}
            ),
        },
    ),
)
_field = st.from_regex(r"\A[a-z_][a-z0-9_]{0,10}\Z")
_inputs = st.builds(
    lambda encoding, image, mask, edit, limit: GeneratorInputs.model_validate(
        {
            "encoding": encoding,
            "imageField": image,
            "maskField": mask,
            "paths": {"edit": edit},
            "maxRequestBytes": limit,
        }
    ),
    st.sampled_from(["base64", "multipart"]),
    _field,
    _field,
    _path,
    st.integers(1024, 1024**3),
)
_generator = st.builds(
    lambda path, port, timeout, request, inputs: GeneratorContract(
        path=path, port=port, timeout_seconds=timeout, request=request, inputs=inputs
    ),
    _path,
    st.integers(1, 65535),
    st.floats(min_value=0.5, max_value=3600),
    st.dictionaries(_word, st.one_of(st.integers(), _word, st.booleans()), max_size=3),
    st.none() | _inputs,
)


_live = st.one_of(
    st.just({}),
    st.builds(lambda url: {"live_source": url + "/samples"}, _url),
    st.builds(lambda path: {"live_source": path}, _path),
    st.builds(
        lambda word: {
            "live_source": f"https://example.com/{word}.jsonl",
            "live_source_sha256": "cd" * 32,
        },
        _word,
    ),
)


@st.composite
def invocations(draw: st.DrawFn) -> EvaluatorInvocation:
    live = draw(_live)
    kind = draw(st.integers(0, 2 if live else 1))
    source = (
        {"golden": draw(_path)}
        if kind == 0
        else {"golden_url": "https://example.com/" + draw(_word), "golden_sha256": "ab" * 32}
        if kind == 1
        else {}
    )
    if live:
        minimum = draw(st.integers(1, 100))
        live |= {
            "live_min_count": minimum,
            "live_count": draw(st.integers(minimum, 500)),
            "allow_prompt_text": draw(st.booleans()),
        }
    return EvaluatorInvocation(
        **source,
        **live,
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
        (
            ["--gates", "{}", "--generator", '{"inputs": {"encoding": "form"}}'],
            "--generator is invalid: inputs.encoding",
        ),
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


def test_live_source_alone_or_beside_a_golden_set() -> None:
    models = ["--stable", "http://s", "--candidate", "http://c", "--gates", "{}", "--out", "/r"]
    live = EvaluatorInvocation.from_argv(["--live-source", "http://rec:8080/samples", *models])
    assert (live.golden, live.golden_url, live.live_source) == (
        None,
        None,
        "http://rec:8080/samples",
    )
    assert (live.live_count, live.live_min_count, live.allow_prompt_text) == (50, 20, False)
    both = EvaluatorInvocation.from_argv(
        ["--golden", "/g", "--live-source", "/prompts", "--live-count", "30", *models]
    )
    assert (both.golden, both.live_source, both.live_count) == ("/g", "/prompts", 30)
    assert "--live-count" in both.to_argv() and "--live-min-count" not in both.to_argv()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give one of --golden, --golden-url or --live-source"),
        (
            ["--live-source", "https://x/p.jsonl"],
            "an https --live-source needs --live-source-sha256",
        ),
        (
            ["--live-source", "/p", "--live-count", "5"],
            "--live-min-count 20 is more than --live-count 5",
        ),
        (["--live-source", "/p", "--live-count", "0"], "count 0 must be at least 1"),
        (
            ["--live-source", "https://x/p.jsonl", "--live-source-sha256", "nothex"],
            "live_source_sha256: String should match pattern",
        ),
    ],
)
def test_bad_live_arguments_name_the_flag(extra: list[str], message: str) -> None:
    models = ["--stable", "http://s", "--candidate", "http://c", "--gates", "{}", "--out", "/r"]
    with pytest.raises(InvocationError, match=message):
        EvaluatorInvocation.from_argv([*models, *extra])


def test_image_inputs_travel_in_the_generator_contract() -> None:
    contract = GeneratorContract.model_validate(
        {"inputs": {"encoding": "multipart", "imageField": "init_image", "maskField": "mask_image"}}
    )
    invocation = EvaluatorInvocation(
        golden="/golden",
        stable="http://s",
        candidate="http://c",
        gates=QualityGates(),
        out="/r",
        generator=contract,
    )
    parsed = EvaluatorInvocation.from_argv(invocation.to_argv())
    assert parsed.generator.inputs is not None
    assert parsed.generator.inputs.encoding == "multipart"
    assert parsed.generator.inputs.image_field == "init_image"
    assert parsed.generator.inputs.paths.upscale == "/upscale"


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
