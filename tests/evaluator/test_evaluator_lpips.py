"""LPIPS offline: torchvision imports beside a CPU torch, the random backbone is seeded so
scores repeat, real AlexNet weights are pinned by sha256, batching changes nothing, and
distances from each image's features computed once are lpips.LPIPS's own numbers."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pixelproof_demo.environment import child_environment
from pixelproof_evaluator import perceptual
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.perceptual import LpipsWeightsError, build_scorer


def _pairs(count: int, side: int = 64) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(count):
        a = rng.random((side, side, 3), dtype=np.float32)
        b = np.clip(a + rng.normal(0, 0.1, a.shape).astype(np.float32), 0, 1)
        pairs.append((a, b))
    return pairs


def test_batched_scores_equal_one_pair_per_call(models: Models) -> None:
    scorer = models.scorer
    pairs = [*_pairs(5), (np.zeros((32, 48, 3), np.float32), np.ones((32, 48, 3), np.float32))]
    batched = scorer.distances(pairs)
    single = [scorer.distances([pair])[0] for pair in pairs]
    np.testing.assert_allclose(batched, single, rtol=1e-4, atol=1e-6)
    assert scorer.distances([(pairs[0][0], pairs[0][0])]) == [0.0]
    assert all(score > 0 for score in batched)


def _lpips(
    scorer: perceptual.LpipsScorer, left: list[np.ndarray], right: list[np.ndarray]
) -> list[float]:
    """lpips.LPIPS itself on batches of pairs, as the scorer scored them before it kept
    features: inputs scaled to [-1, 1], one forward pass over both sides."""
    import torch

    def tensor(images: list[np.ndarray]) -> torch.Tensor:
        stacked = np.ascontiguousarray(np.stack(images).transpose(0, 3, 1, 2))
        return torch.from_numpy(stacked) * 2.0 - 1.0

    with torch.inference_mode():
        scores = scorer.model(tensor(left), tensor(right)).flatten().tolist()
    return [max(0.0, float(score)) for score in scores]


def test_distances_from_features_are_lpips_to_the_last_bit(models: Models) -> None:
    scorer = models.scorer
    pairs = _pairs(4)
    reference = pairs[0][0]
    outputs = [second for _, second in pairs]
    expected = [_lpips(scorer, [output], [reference])[0] for output in outputs]
    # The reference goes through the network once and is compared with every output.
    [reference_features] = scorer.features([reference])
    output_features = scorer.features(outputs)
    pairs_of_features = [(f, reference_features) for f in output_features]
    assert scorer.feature_distances(pairs_of_features) == expected
    # As arrays, the way features cross from a check worker to the evaluator.
    arrays = [tuple(np.asarray(layer) for layer in f) for f, _ in pairs_of_features]
    reference_arrays = tuple(np.asarray(layer) for layer in reference_features)
    assert scorer.feature_distances([(a, reference_arrays) for a in arrays]) == expected
    assert scorer.distances([(output, reference) for output in outputs]) == expected
    assert scorer.feature_distances([(reference_features, reference_features)]) == [0.0]


def test_batched_features_are_lpips_on_the_batch_to_the_last_bit(models: Models) -> None:
    scorer = dataclasses.replace(models.scorer, batch_size=8)
    pairs = _pairs(5)
    left, right = [a for a, _ in pairs], [b for _, b in pairs]
    expected = _lpips(scorer, left, right)
    assert scorer.distances(pairs) == expected
    features = zip(scorer.features(left), scorer.features(right), strict=True)
    assert scorer.feature_distances(list(features)) == expected


def test_random_backbone_is_labelled_and_repeatable(
    models: Models, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(perceptual.WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    again = build_scorer()
    assert again.backbone == models.scorer.backbone == "alex-random"
    pairs = _pairs(2)
    assert again.distances(pairs) == pytest.approx(models.scorer.distances(pairs))


def test_weights_with_the_wrong_sha256_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "alexnet-owt-7be5be79.pth"
    fake.write_bytes(b"not the weights")
    monkeypatch.setenv(perceptual.WEIGHTS_ENV, str(fake))
    with pytest.raises(LpipsWeightsError, match=f"expected {perceptual.ALEXNET_SHA256}"):
        build_scorer()


def test_missing_weights_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(LpipsWeightsError, match="does not exist"):
        build_scorer(str(tmp_path / "nope.pth"))


def test_backbone_file_loads_into_the_lpips_network(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The real file cannot be downloaded here: a torchvision AlexNet state dict of the same
    layout stands in, with the pin pointed at its digest for this test only."""
    import torch
    import torchvision

    torch.manual_seed(3)
    state = torchvision.models.alexnet(weights=None).state_dict()
    path = tmp_path / "alexnet.pth"
    torch.save(state, path)
    monkeypatch.setattr(perceptual, "ALEXNET_SHA256", perceptual.file_sha256(path))
    scorer = build_scorer(str(path))
    assert scorer.backbone == "alex"
    loaded = scorer.model.net.slice1[0].weight.detach().cpu()
    assert torch.equal(loaded, state["features.0.weight"])


def test_torch_dynamo_is_not_imported_for_lpips_and_still_imports_when_used() -> None:
    """In a fresh process, as an evaluator starts: building the scorer leaves torch._dynamo
    unimported, torchvision's helper that needs it imports the real one on its first call,
    and an import of torch._dynamo afterwards gets the real package."""
    program = (
        "import sys\n"
        "from pixelproof_evaluator.perceptual import build_scorer\n"
        "scorer = build_scorer(device='cpu')\n"
        "assert 'torch._dynamo' not in sys.modules, 'torch._dynamo was imported'\n"
        "import importlib\n"
        "roi_align = importlib.import_module('torchvision.ops.roi_align')\n"
        "assert roi_align.is_compile_supported('cpu') is True\n"
        "import torch._dynamo\n"
        "from torch._dynamo.utils import is_compile_supported\n"
        "assert torch._dynamo.utils.is_compile_supported is is_compile_supported\n"
        "assert hasattr(torch._dynamo, 'disable')\n"
        "import numpy\n"
        "black = numpy.zeros((64, 64, 3), 'float32')\n"
        "print(scorer.distances([(black, black)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_environment(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0.0]"
