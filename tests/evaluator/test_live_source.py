"""Live prompts come from the recorder, a mounted file or folder, or an https file pinned by
its sha256; a source that does not match its pin, or is not in the record format, is
refused with a message naming it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from live_support import record
from recorder_support import recorder

from pixelproof_evaluator.live_source import LiveSourceError, load_live_records, with_count

LINES = [
    {
        "prompt": f"prompt {i}",
        "seed": i,
        "width": 128,
        "height": 128,
        "transparent": i == 2,
        "fields": {"steps": 20},
        "recordedAt": f"2026-05-01T12:0{i}:00Z",
    }
    for i in range(5)
]


def _jsonl(lines: list[dict[str, object]]) -> bytes:
    return ("\n".join(json.dumps(line) for line in lines) + "\n").encode()


def test_the_recorder_is_a_source() -> None:
    with recorder() as rec:
        record(rec.url, ["a", "b", "c"], steps=30)
        records = load_live_records(rec.url + "/samples", 2)
    assert len(records) == 2
    assert all(r.fields == {"steps": 30} and r.size == "128x128" for r in records)
    assert with_count("http://r/samples?count=9&x=1", 3) == "http://r/samples?x=1&count=3"


def test_a_mounted_file_or_folder_is_a_source(tmp_path: Path) -> None:
    (tmp_path / "day1.jsonl").write_bytes(_jsonl(LINES[:3]))
    (tmp_path / "day2.jsonl").write_bytes(_jsonl(LINES[3:]))
    (tmp_path / ".ignored.jsonl").write_bytes(b"not a record\n")
    newest = load_live_records(str(tmp_path), 3)
    assert [r.prompt for r in newest] == ["prompt 4", "prompt 3", "prompt 2"]
    assert newest[2].transparent and newest[2].fields == {"steps": 20}
    single = load_live_records(str(tmp_path / "day1.jsonl"), 10)
    assert len(single) == 3


def test_an_https_source_must_match_its_pin() -> None:
    # No https server runs here: the download is replaced, the digest check is real.
    data = _jsonl(LINES)
    pin = hashlib.sha256(data).hexdigest()
    fetched = load_live_records("https://prompts.example/live.jsonl", 10, pin, fetch=lambda _: data)
    assert len(fetched) == 5
    tampered = data.replace(b"prompt 1", b"prompt X")
    with pytest.raises(LiveSourceError, match=f"has sha256 .*, --live-source-sha256 pins {pin}"):
        load_live_records("https://prompts.example/live.jsonl", 10, pin, fetch=lambda _: tampered)
    with pytest.raises(LiveSourceError, match="needs --live-source-sha256"):
        load_live_records("https://prompts.example/live.jsonl", 10, None, fetch=lambda _: data)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"prompt": "p", "seed": 1, "width": 128}\n', "line 1: height must be an integer"),
        (b'{"prompt": "p", "width": 128, "height": 128}\nnot json\n', "line 2"),
        (b'{"prompt": "", "width": 128, "height": 128}\n', "prompt is required"),
    ],
)
def test_a_source_not_in_the_record_format_names_the_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(LiveSourceError, match=message):
        load_live_records(str(path), 10)


def test_a_missing_source_says_so(tmp_path: Path) -> None:
    with pytest.raises(LiveSourceError, match="does not exist"):
        load_live_records(str(tmp_path / "nowhere"), 10)
    with pytest.raises(LiveSourceError, match=r"holds no \.jsonl file"):
        load_live_records(str(tmp_path), 10)
