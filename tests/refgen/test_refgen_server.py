"""The HTTP contract, serving faults and metrics of a real server on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import UnidentifiedImageError
from prometheus_client.parser import text_string_to_metric_families

from pixelproof.api.workloads import EVALUATION_HEADER
from pixelproof_refgen import Faults, RefGenServer
from pixelproof_refgen.fonts import FONT_DIR_ENV, load_font
from pixelproof_testkit.refgen import POSTER, decode, pixels

BODY = {"prompt": POSTER, "seed": 7, "size": "256x192", "steps": 30, "guidance": 7.5}
StartServer = Callable[..., RefGenServer]


def metric(server: RefGenServer, client: httpx.Client, name: str, **labels: str) -> float:
    text = client.get(server.url + "/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def test_generate_answers_png_of_the_requested_size(
    start_server: StartServer, client: httpx.Client
) -> None:
    server = start_server()
    response = client.post(server.generate_url, json=BODY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = decode(response.content)
    assert image.size == (256, 192) and image.mode == "RGB"


def test_replay_over_http_is_byte_identical(
    start_server: StartServer, client: httpx.Client
) -> None:
    server = start_server()
    first = client.post(server.generate_url, json=BODY).content
    assert client.post(server.generate_url, json=BODY).content == first


def test_concurrent_replays_are_byte_identical(start_server: StartServer) -> None:
    server = start_server()
    body = {**BODY, "prompt": 'a "Summer Sale" banner and "Open Daily" sign', "size": "256x256"}

    def fetch(_: int) -> bytes:
        with httpx.Client(timeout=30) as c:
            return c.post(server.generate_url, json=body).content

    with ThreadPoolExecutor(8) as pool:
        answers = set(pool.map(fetch, range(24)))
    assert len(answers) == 1


def test_transparent_request_answers_rgba(start_server: StartServer, client: httpx.Client) -> None:
    server = start_server()
    response = client.post(server.generate_url, json={**BODY, "transparent": True})
    assert decode(response.content).mode == "RGBA"


def test_custom_path_and_health(start_server: StartServer, client: httpx.Client) -> None:
    server = start_server(path="/v1/images")
    assert client.get(server.url + "/healthz").status_code == 200
    assert client.post(server.url + "/v1/images", json=BODY).status_code == 200
    assert client.post(server.url + "/generate", json=BODY).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"seed": 1, "size": "64x64"}, 400, "prompt"),
        ({"prompt": "  ", "size": "64x64"}, 400, "prompt"),
        ({"prompt": "x", "size": "big"}, 400, "size"),
        ({"prompt": "x", "size": "4096x512"}, 422, "size"),
        ({"prompt": "x", "size": "2049x2048"}, 422, "size"),
        ({"prompt": "x", "size": "8x8"}, 400, "size"),
        ({"prompt": "x", "seed": "7"}, 400, "seed"),
        ({"prompt": "x", "seed": -1}, 400, "seed"),
        ({"prompt": "x", "transparent": "yes"}, 400, "transparent"),
        (["prompt"], 400, "body"),
    ],
)
def test_bad_requests_get_a_json_error_naming_the_field(
    start_server: StartServer, client: httpx.Client, body: object, status: int, field: str
) -> None:
    server = start_server()
    response = client.post(server.generate_url, json=body)
    assert response.status_code == status
    assert response.json()["field"] == field
    assert metric(server, client, "generate_requests_total", code=str(status)) == 1


def test_invalid_json_is_a_400(start_server: StartServer, client: httpx.Client) -> None:
    server = start_server()
    response = client.post(server.generate_url, content=b"{not json")
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


def test_faults_replaced_over_put_while_running(
    start_server: StartServer, client: httpx.Client
) -> None:
    server = start_server(Faults(blur=2.0))
    assert client.get(server.url + "/faults").json()["blur"] == 2.0
    blurred = client.post(server.generate_url, json=BODY).content
    answer = client.put(server.url + "/faults", json={"stretch": 1.5})
    assert answer.status_code == 200
    assert answer.json()["blur"] == 0.0 and answer.json()["stretch"] == 1.5
    assert server.faults == Faults(stretch=1.5)
    assert decode(client.post(server.generate_url, json=BODY).content).size == (384, 192)
    client.put(server.url + "/faults", json={})
    clean = client.post(server.generate_url, json=BODY).content
    assert clean != blurred
    assert np.abs(pixels(decode(clean)) - pixels(decode(blurred))).mean() > 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"blurr": 1}, "unknown fault 'blurr'"),
        ({"error_rate": 1.5}, "between 0 and 1"),
        ({"drop_alpha": "yes"}, "true or false"),
        ({"font_fallback": "comic"}, "serif"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_faults_are_refused_and_leave_faults_as_they_were(
    start_server: StartServer, client: httpx.Client, payload: object, message: str
) -> None:
    server = start_server(Faults(blur=1.0))
    response = client.put(server.url + "/faults", json=payload)
    assert response.status_code == 400 and message in response.json()["error"]
    assert server.faults == Faults(blur=1.0)


def test_error_rate_gives_502s_at_about_the_rate(
    start_server: StartServer, client: httpx.Client
) -> None:
    server = start_server(Faults(error_rate=0.3, fault_seed=11))
    small = {**BODY, "size": "32x32"}
    codes = [client.post(server.generate_url, json=small).status_code for _ in range(200)]
    share = codes.count(502) / len(codes)
    assert 0.2 <= share <= 0.4
    assert set(codes) == {200, 502}
    assert metric(server, client, "generate_requests_total", code="502") == codes.count(502)
    assert metric(server, client, "generate_images_total") == codes.count(200)


def test_fault_decisions_repeat_for_the_same_fault_seed(
    start_server: StartServer, client: httpx.Client
) -> None:
    small = {**BODY, "size": "32x32"}
    runs = []
    for _ in range(2):
        server = start_server(Faults(error_rate=0.5, fault_seed=3))
        runs.append([client.post(server.generate_url, json=small).status_code for _ in range(30)])
    assert runs[0] == runs[1]


def test_crash_closes_the_connection_without_an_answer(
    start_server: StartServer, client: httpx.Client
) -> None:
    server = start_server(Faults(crash_rate=1.0))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(server.generate_url, json=BODY)
    assert metric(server, client, "generate_requests_total", code="200") == 0


def test_corrupt_png_fails_to_decode(start_server: StartServer, client: httpx.Client) -> None:
    server = start_server(Faults(corrupt_png=1.0))
    response = client.post(server.generate_url, json=BODY)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    with pytest.raises(UnidentifiedImageError):
        decode(response.content)


def test_html_error_is_served_as_a_png(start_server: StartServer, client: httpx.Client) -> None:
    server = start_server(Faults(html_error=1.0))
    response = client.post(server.generate_url, json=BODY)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content.lstrip().lower().startswith(b"<!doctype html")
    with pytest.raises(UnidentifiedImageError):
        decode(response.content)


def test_hang_outlasts_a_short_client_timeout(
    start_server: StartServer, client: httpx.Client
) -> None:
    server = start_server(Faults(hang=1.0))
    with pytest.raises(httpx.ReadTimeout):
        client.post(server.generate_url, json=BODY, timeout=0.5)
    server.set_faults(Faults())
    assert client.post(server.generate_url, json=BODY, timeout=5).status_code == 200


def test_latency_is_added_and_counted_as_gpu_time(
    start_server: StartServer, client: httpx.Client
) -> None:
    server = start_server(Faults(latency_ms=250))
    response = client.post(server.generate_url, json=BODY)
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.25
    assert metric(server, client, "generate_gpu_seconds_total") >= 0.25
    assert metric(server, client, "generate_request_duration_seconds_sum") >= 0.25
    assert metric(server, client, "generate_request_duration_seconds_bucket", le="0.2") == 0
    assert metric(server, client, "generate_request_duration_seconds_bucket", le="+Inf") == 1


def test_metrics_count_requests_by_code(start_server: StartServer, client: httpx.Client) -> None:
    server = start_server()
    for _ in range(3):
        client.post(server.generate_url, json=BODY)
    client.post(server.generate_url, json={"size": "64x64"})
    assert metric(server, client, "generate_requests_total", code="200") == 3
    assert metric(server, client, "generate_requests_total", code="400") == 1
    assert metric(server, client, "generate_images_total") == 3
    assert metric(server, client, "generate_request_duration_seconds_count") == 4
    assert 0 < metric(server, client, "generate_gpu_seconds_total") < 5


def test_each_server_has_its_own_registry(start_server: StartServer, client: httpx.Client) -> None:
    first, second = start_server(), start_server()
    client.post(first.generate_url, json=BODY)
    assert metric(first, client, "generate_images_total") == 1
    assert metric(second, client, "generate_images_total") == 0


def test_stop_frees_the_port_and_ends_hanging_requests(client: httpx.Client) -> None:
    server = RefGenServer(0, Faults(hang=1.0)).start()
    url = server.generate_url
    with pytest.raises(httpx.ReadTimeout):
        client.post(url, json=BODY, timeout=0.3)
    server.stop()
    with pytest.raises(httpx.ConnectError):
        client.post(url, json=BODY, timeout=2)


def test_missing_fonts_give_a_500_naming_the_font_file(
    start_server: StartServer, client: httpx.Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(FONT_DIR_ENV, str(tmp_path))
    load_font.cache_clear()
    try:
        server = start_server()
        response = client.post(server.generate_url, json=BODY)
    finally:
        monkeypatch.undo()
        load_font.cache_clear()
    assert response.status_code == 500
    assert str(tmp_path / "DejaVuSans-Bold.ttf") in response.json()["error"]
    assert metric(server, client, "generate_requests_total", code="500") == 1


def test_evaluation_requests_stay_out_of_serving_metrics(
    start_server: StartServer, client: httpx.Client
) -> None:
    server = start_server()
    body = {"prompt": 'poster "SALE"', "seed": 1, "size": "64x64"}
    client.post(server.generate_url, json=body)
    client.post(server.generate_url, json=body, headers={EVALUATION_HEADER: "true"})
    client.post(server.generate_url, json=body, headers={EVALUATION_HEADER: "true"})
    assert metric(server, client, "generate_requests_total", code="200") == 1
    assert metric(server, client, "generate_request_duration_seconds_count") == 1
    assert metric(server, client, "generate_images_total") == 1
    assert metric(server, client, "generate_evaluation_requests_total", code="200") == 2
