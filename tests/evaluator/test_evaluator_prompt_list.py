"""A golden set can start from a plain prompt list, and `pixelproof golden` names itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixelproof_evaluator.cli import golden_main
from pixelproof_evaluator.golden import GoldenSetError, load_golden_dir
from pixelproof_evaluator.prompt_list import read_prompt_list
from pixelproof_refgen import RefGenServer

CSV = '''prompt,seed,size,text,alpha,tags
"a shop poster that says ""SUMMER SALE""",11,64x64,SUMMER SALE|50% OFF,false,curated;text
a star sticker,14,64x64,,true,alpha
'''


def test_csv_rows_become_items_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "prompts.csv"
    path.write_text(CSV, encoding="utf-8")
    poster, sticker = read_prompt_list(path)
    assert (poster.id, poster.seed, poster.size) == ("item-1", 11, "64x64")
    assert [t.text for t in poster.text] == ["SUMMER SALE", "50% OFF"]
    assert poster.tags == ["curated", "text"] and not poster.alpha
    assert sticker.alpha and sticker.text == [] and sticker.tags == ["alpha"]


def test_jsonl_rows_take_lists_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text(
        '{"prompt": "a moon", "tags": ["a", "b"], "id": "moon"}\n\n{"prompt": "a sun", "seed": 4}\n',
        encoding="utf-8",
    )
    moon, sun = read_prompt_list(path)
    assert (moon.id, moon.seed, moon.size, moon.tags) == ("moon", 1, "512x512", ["a", "b"])
    assert (sun.id, sun.seed) == ("item-3", 4)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.jsonl", '{"seed": 1}\n', "line 1: no prompt"),
        ("p.jsonl", '{"prompt": "x", "size": "9x9"}\n', "unsupported"),
        ("p.jsonl", "[1]\n", "expected an object"),
        ("p.txt", "a prompt\n", "must be .jsonl or .csv"),
        ("p.csv", "prompt,id\na,x\nb,x\n", "ids appear twice: x"),
    ],
)
def test_a_bad_prompt_list_names_the_line(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GoldenSetError, match=message):
        read_prompt_list(path)


def test_capture_from_a_prompt_list_writes_manifest_and_references(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.csv"
    prompts.write_text(CSV, encoding="utf-8")
    golden = tmp_path / "golden"
    with RefGenServer(0) as stable:
        argv = ["capture", "--golden", str(golden), "--prompts", str(prompts)]
        assert golden_main([*argv, "--stable", stable.url]) == 0
        # A second start from the list would overwrite the manifest, and is refused.
        assert golden_main([*argv, "--stable", stable.url]) == 1
    loaded = load_golden_dir(golden)
    assert [item.id for item in loaded.items] == ["item-1", "item-2"]
    assert all(item.reference_png for item in loaded.items)


def test_golden_help_names_the_program(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("capture", "calibrate"):
        with pytest.raises(SystemExit):
            golden_main([command, "--help"])
        assert capsys.readouterr().out.startswith(f"usage: pixelproof golden {command}")
