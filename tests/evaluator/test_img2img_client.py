"""The evaluator's side of the image-to-image contract: input and mask sent as base64 JSON or
multipart form data to a real reference generator, the contract's field names and paths
honoured, and an input of hostile size refused, naming the item, before anything is sent."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from img2img_support import centred_mask, input_image, png, write_file
from PIL import Image

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract, GeneratorInputs
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.client import GeneratorClient
from pixelproof_evaluator.evaluate import EvaluateOptions, Models, evaluate
from pixelproof_evaluator.golden import GoldenItemSpec, read_manifest, write_manifest
from pixelproof_evaluator.request_body import InputTooLarge, RequestInputs
from pixelproof_refgen import RefGenServer
from pixelproof_testkit.polling import wait_for

PHOTO = png(input_image(48, 32, 7))
MASK = png(centred_mask(48, 32))


def _contract(**inputs: object) -> GeneratorContract:
    return GeneratorContract(timeout_seconds=30, inputs=GeneratorInputs.model_validate(inputs))


async def _send(url: str, contract: GeneratorContract, inputs: RequestInputs) -> bytes:
    async with GeneratorClient(url, contract) as client:
        result = await client.generate("a door", 3, "48x32", False, inputs=inputs)
    assert result.ok, result.detail
    assert result.body is not None
    return result.body


@pytest.mark.parametrize("encoding", ["base64", "multipart"])
def test_inpaint_input_and_mask_reach_the_generator(
    start_refgen: Callable[..., RefGenServer], encoding: str
) -> None:
    server = start_refgen()
    inputs = RequestInputs("door", "inpaint", PHOTO, MASK)
    body = asyncio.run(_send(server.url, _contract(encoding=encoding), inputs))
    out = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"), int)
    source = np.asarray(Image.open(io.BytesIO(PHOTO)).convert("RGB"), int)
    keep = np.asarray(centred_mask(48, 32)) == 0
    assert (out[keep] == source[keep]).all()
    assert (out[~keep] != source[~keep]).any()


@pytest.mark.parametrize("encoding", ["base64", "multipart"])
def test_item_params_are_sent(start_refgen: Callable[..., RefGenServer], encoding: str) -> None:
    server = start_refgen()
    inputs = RequestInputs("photo", "upscale", PHOTO, params={"scale": 3})
    body = asyncio.run(_send(server.url, _contract(encoding=encoding), inputs))
    assert Image.open(io.BytesIO(body)).size == (144, 96)


def test_field_names_and_paths_come_from_the_contract() -> None:
    contract = _contract(
        encoding="multipart", imageField="picture", maskField="holes", paths={"inpaint": "/v1/fill"}
    )

    async def built() -> tuple[str, str, bytes]:
        async with GeneratorClient("http://generator:8080", contract) as client:
            request = client.request(
                "a door", 3, "48x32", False, inputs=RequestInputs("door", "inpaint", PHOTO, MASK)
            )
            return str(request.url), request.headers["content-type"], request.content

    url, content_type, content = asyncio.run(built())
    assert url == "http://generator:8080/v1/fill"
    assert content_type.startswith("multipart/form-data")
    assert b'name="picture"' in content and b'name="holes"' in content
    assert b'name="prompt"' in content and PHOTO in content


def _hostile_set(folder: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (700, 700, 3), dtype=np.uint8)
    hostile = png(Image.fromarray(noise, "RGB"))
    assert len(hostile) > 1024 * 1024
    specs = [
        GoldenItemSpec(
            id="small",
            seed=1,
            task="upscale",
            params={"scale": 2},
            input="small.png",
            input_sha256=write_file(folder, "small.png", PHOTO),
        ),
        GoldenItemSpec(
            id="hostile",
            seed=2,
            task="upscale",
            params={"scale": 1},
            input="hostile.png",
            input_sha256=write_file(folder, "hostile.png", hostile),
        ),
    ]
    write_manifest(folder / "golden.yaml", specs)


def _requests_seen(server: RefGenServer) -> float:
    return sum(
        sample.value
        for metric in server.metrics.registry.collect()
        for sample in metric.samples
        if sample.name == "generate_evaluation_requests_total"
    )


def test_hostile_size_input_is_refused_before_sending(
    start_refgen: Callable[..., RefGenServer], models: Models, tmp_path: Path
) -> None:
    golden = tmp_path / "golden"
    golden.mkdir()
    _hostile_set(golden)
    stable, candidate = start_refgen(), start_refgen()
    contract = _contract(maxRequestBytes=1024 * 1024)
    result = capture(golden, stable.url, contract)
    assert result.captured == ["small"]
    assert "'hostile'" in result.failed["hostile"]
    assert "maxRequestBytes" in result.failed["hostile"]
    # The server counts a request once its answer is sent, which can be after the client
    # has read it: the count is waited on, or a late one would read as the evaluation's.
    seen_by_capture = wait_for(lambda: _requests_seen(stable), what="the capture's request")
    options = EvaluateOptions(
        stable_url=stable.url,
        candidate_url=candidate.url,
        contract=contract,
        gates=QualityGates.model_validate({"outputSize": {}}),
        out=tmp_path / "report",
        golden=golden,
    )
    # Capture could not give the hostile item a reference; its own input (a PNG of the
    # expected size) serves, so the set loads and the refusal is the client's.
    specs = [
        s.model_copy(update={"reference": s.input, "sha256": s.input_sha256})
        if s.id == "hostile"
        else s
        for s in read_manifest(golden / "golden.yaml").items
    ]
    write_manifest(golden / "golden.yaml", specs)
    with pytest.raises(InputTooLarge, match=r"golden item 'hostile': its upscale request is \d+"):
        evaluate(options, models)
    assert _requests_seen(stable) == seen_by_capture
    assert _requests_seen(candidate) == 0
