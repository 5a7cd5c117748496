"""Golden-set loaders: a folder (PVC or ConfigMap volume), a manifest path, and an https
archive pinned by sha256; every error names the item or file at fault."""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from pixelproof_evaluator.golden import GoldenSetError, load_golden_dir
from pixelproof_evaluator.golden_archive import load_golden_url
from pixelproof_evaluator.images import encode_png


def make_set(folder: Path, *, size: str = "32x32", image_size: tuple[int, int] = (32, 32)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    png = encode_png(np.full((image_size[1], image_size[0], 4), 200, dtype=np.uint8))
    (folder / "one.png").write_bytes(png)
    manifest = {
        "items": [
            {
                "id": "one",
                "prompt": "a grey square",
                "seed": 1,
                "size": size,
                "text": [{"text": "HELLO", "fontSize": 16}],
                "alpha": True,
                "tags": ["curated"],
                "reference": "one.png",
                "sha256": hashlib.sha256(png).hexdigest(),
            }
        ]
    }
    (folder / "golden.yaml").write_text(yaml.safe_dump(manifest))
    return folder


def edit(folder: Path, **changes: object) -> None:
    doc = yaml.safe_load((folder / "golden.yaml").read_text())
    doc["items"][0].update(changes)
    (folder / "golden.yaml").write_text(yaml.safe_dump(doc))


def test_loads_folder_and_manifest_path(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set")
    for path in (folder, folder / "golden.yaml"):
        golden = load_golden_dir(path)
        (item,) = golden.items
        assert (item.id, item.width, item.height) == ("one", 32, 32)
        assert item.spec.text[0].font_size == 16 and item.spec.alpha
    assert golden.select(["other"]) == []
    assert [i.id for i in golden.select(["curated"])] == ["one"]


def test_json_manifest(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set")
    doc = yaml.safe_load((folder / "golden.yaml").read_text())
    (folder / "golden.yaml").unlink()
    import json

    (folder / "golden.json").write_text(json.dumps(doc))
    assert load_golden_dir(folder).items[0].id == "one"


def test_missing_reference_names_the_item(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set")
    (folder / "one.png").unlink()
    with pytest.raises(
        GoldenSetError, match=r"golden item 'one': reference image .*one.png is missing"
    ):
        load_golden_dir(folder)


def test_wrong_checksum_names_the_item(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set")
    edit(folder, sha256="0" * 64)
    with pytest.raises(
        GoldenSetError, match=r"golden item 'one': reference one.png has sha256 .* pins 0{64}"
    ):
        load_golden_dir(folder)


def test_corrupt_png_reference_names_the_item(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set")
    data = (folder / "one.png").read_bytes()[:60]
    (folder / "one.png").write_bytes(data)
    edit(folder, sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(
        GoldenSetError, match=r"golden item 'one': reference one.png is not a usable PNG"
    ):
        load_golden_dir(folder)


def test_html_reference_is_not_a_png(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set")
    data = b"<!DOCTYPE html><html>oops</html>"
    (folder / "one.png").write_bytes(data)
    edit(folder, sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(GoldenSetError, match="an HTML page"):
        load_golden_dir(folder)


@pytest.mark.parametrize("size", ["8x8", "5000x512", "big", "512*512"])
def test_unsupported_size_names_the_item(tmp_path: Path, size: str) -> None:
    folder = make_set(tmp_path / "set")
    edit(folder, size=size)
    with pytest.raises(GoldenSetError, match=r"golden item 'one': size"):
        load_golden_dir(folder)


def test_reference_of_another_size_is_refused(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set", size="64x32")
    with pytest.raises(
        GoldenSetError, match=r"'one': reference one.png is 32x32, the item asks for 64x32"
    ):
        load_golden_dir(folder)


def test_invalid_field_names_the_item(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set")
    edit(folder, seed=-1)
    with pytest.raises(GoldenSetError, match=r"item 'one' seed"):
        load_golden_dir(folder)


def test_nested_reference_path_is_refused(tmp_path: Path) -> None:
    folder = make_set(tmp_path / "set")
    edit(folder, reference="images/one.png")
    with pytest.raises(GoldenSetError, match="flat file name"):
        load_golden_dir(folder)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(GoldenSetError, match="has no manifest"):
        load_golden_dir(tmp_path)
    with pytest.raises(GoldenSetError, match="does not exist"):
        load_golden_dir(tmp_path / "nope")


def _tar_gz(folder: Path, prefix: str = "golden-v1") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(folder.iterdir()):
            archive.add(path, arcname=f"{prefix}/{path.name}")
    return buffer.getvalue()


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, arcname=path.name)
    return buffer.getvalue()


@pytest.mark.parametrize("pack", [_tar_gz, _zip], ids=["tar.gz", "zip"])
def test_archive_url_with_pinned_sha256(tmp_path: Path, pack: object) -> None:
    data = pack(make_set(tmp_path / "set"))  # type: ignore[operator]
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return data

    url = "https://golden.example/poster.tar.gz"
    golden = load_golden_url(
        url, hashlib.sha256(data).hexdigest(), tmp_path / "unpacked", fetch=fetch
    )
    assert fetched == [url]
    assert golden.items[0].id == "one"


def test_archive_with_wrong_sha256_is_not_unpacked(tmp_path: Path) -> None:
    data = _tar_gz(make_set(tmp_path / "set"))
    dest = tmp_path / "unpacked"
    with pytest.raises(GoldenSetError, match=r"has sha256 [0-9a-f]{64}, expected f{64}"):
        load_golden_url("https://golden.example/x.tar.gz", "f" * 64, dest, fetch=lambda _: data)
    assert not dest.exists()


def test_archive_member_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        payload = b"x"
        info = tarfile.TarInfo("../evil.txt")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    data = buffer.getvalue()
    with pytest.raises(GoldenSetError, match="points outside the archive"):
        load_golden_url(
            "https://g.example/x.tgz",
            hashlib.sha256(data).hexdigest(),
            tmp_path / "d",
            fetch=lambda _: data,
        )
    assert not (tmp_path / "evil.txt").exists()


def test_archive_that_is_not_an_archive(tmp_path: Path) -> None:
    data = b"<html>not found</html>"
    with pytest.raises(GoldenSetError, match="neither a zip nor a tar"):
        load_golden_url(
            "https://g.example/x.tgz",
            hashlib.sha256(data).hexdigest(),
            tmp_path / "d",
            fetch=lambda _: data,
        )


def test_configmap_style_flat_folder(tmp_path: Path) -> None:
    """A ConfigMap volume holds keys as files behind ..data symlinks; flat names resolve."""
    source = make_set(tmp_path / "set")
    volume = tmp_path / "volume"
    data_dir = volume / "..2024_01_01"
    shutil.copytree(source, data_dir)
    (volume / "..data").symlink_to(data_dir.name)
    for name in ("golden.yaml", "one.png"):
        (volume / name).symlink_to(Path("..data") / name)
    assert load_golden_dir(volume).items[0].id == "one"
