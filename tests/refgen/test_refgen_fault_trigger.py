"""fault_trigger makes every other knob apply only to prompts matching it, so a candidate can
be faulty on some real prompts and good on the whole golden set."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import numpy as np
import pytest

from pixelproof_refgen import Faults, RefGenServer
from pixelproof_testkit.refgen import decode, pixels

StartServer = Callable[..., RefGenServer]


def _post(client: httpx.Client, server: RefGenServer, prompt: str) -> httpx.Response:
    body = {"prompt": prompt, "seed": 3, "size": "128x128", "transparent": True}
    return client.post(server.generate_url, json=body)


def test_faults_apply_only_to_matching_prompts(
    start_server: StartServer, client: httpx.Client
) -> None:
    good = start_server()
    faulty = start_server(Faults(fault_trigger=r"(?i)\banniversary\b", error_rate=1.0))
    assert _post(client, faulty, "an Anniversary banner").status_code == 502
    other = _post(client, faulty, "a birthday banner")
    assert other.status_code == 200
    expected = _post(client, good, "a birthday banner")
    assert np.array_equal(pixels(decode(other.content)), pixels(decode(expected.content)))


def test_image_faults_follow_the_trigger(start_server: StartServer, client: httpx.Client) -> None:
    faulty = start_server(Faults(fault_trigger="sticker", drop_alpha=True))
    assert decode(_post(client, faulty, "a star sticker").content).mode == "RGB"
    assert decode(_post(client, faulty, "a star").content).mode == "RGBA"


def test_a_trigger_that_is_not_a_regex_is_refused(
    start_server: StartServer, client: httpx.Client
) -> None:
    with pytest.raises(ValueError, match="fault 'fault_trigger' must be a regular expression"):
        Faults(fault_trigger="(")
    server = start_server()
    reply = client.put(server.url + "/faults", json={"fault_trigger": "[", "blur": 2})
    assert reply.status_code == 400
    assert "fault_trigger" in reply.json()["error"]
