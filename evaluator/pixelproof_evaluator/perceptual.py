"""LPIPS (AlexNet) distances, batched, on the GPU when there is one.

The evaluator runs without network access. The real AlexNet backbone is loaded from a
file pinned by its sha256; without one, a seeded random backbone with LPIPS's shipped
linear heads still ranks distortions consistently, and every score says which was used."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import threading
import types
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pixelproof.api.evaluator_invocation import WEIGHTS_ENV

from .errors import EvaluatorError
from .lpips_weights import ALEXNET_FILE, ALEXNET_SHA256, file_sha256

RANDOM_BACKBONE_SEED = 20240611
BACKBONE_REAL = "alex"
BACKBONE_RANDOM = "alex-random"
RANDOM_BACKBONE_WARNING = (
    "LPIPS runs with the seeded random AlexNet backbone (no pinned weights file found): "
    "scores rank distortions but are not comparable with published LPIPS values"
)

_TORCHVISION_OPS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_workaround_lock = threading.Lock()
_torchvision_library: Any = None


def warn_random_backbone(backbone: str) -> None:
    if backbone == BACKBONE_RANDOM:
        print(f"warning: {RANDOM_BACKBONE_WARNING}", file=sys.stderr)


class LpipsWeightsError(EvaluatorError):
    """The configured AlexNet weights file is missing, unreadable or not the pinned one."""


def _torchvision_extension_loads() -> bool:
    import torch

    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return False
    for location in spec.submodule_search_locations:
        finder = importlib.machinery.FileFinder(
            location,
            (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
        )
        ext = finder.find_spec("_C")
        if ext is None or ext.origin is None:
            continue
        try:
            torch.ops.load_library(ext.origin)  # type: ignore[no-untyped-call]
        except (OSError, RuntimeError):
            return False
        return True
    return False


def prepare_torchvision() -> None:
    """A CUDA torchvision next to a CPU torch cannot load its C extension, and its import
    then fails registering fake kernels for ops that were never defined. The evaluator
    needs only torchvision's pure-Python models, so define those op schemas first."""
    global _torchvision_library
    import sys

    import torch

    with _workaround_lock:
        if "torchvision" in sys.modules or _torchvision_library is not None:
            return
        if _torchvision_extension_loads():
            return
        library = torch.library.Library("torchvision", "DEF")  # type: ignore[no-untyped-call]
        for schema in _TORCHVISION_OPS:
            library.define(schema)  # type: ignore[no-untyped-call]
        _torchvision_library = library


_DYNAMO = "torch._dynamo"
_DYNAMO_UTILS = "torch._dynamo.utils"


def _is_compile_supported(device_type: str) -> bool:
    from torch._dynamo.utils import is_compile_supported

    return bool(is_compile_supported(device_type))


@contextmanager
def _dynamo_imported_on_use() -> Iterator[None]:
    """Importing torchvision imports torch._dynamo, for one helper of its roi_align op that
    LPIPS never calls: 1 s of a 2.5 s start on a quiet core, paid by every evaluator process
    and check worker. While torchvision imports, that helper's module is a stand-in whose
    function imports the real one on first call; afterwards torch._dynamo imports as ever."""
    if _DYNAMO in sys.modules:
        yield
        return
    import torch

    package = types.ModuleType(_DYNAMO)
    package.__path__ = []
    utils = types.ModuleType(_DYNAMO_UTILS)
    utils.is_compile_supported = _is_compile_supported  # type: ignore[attr-defined]
    stand_ins = {_DYNAMO: package, _DYNAMO_UTILS: utils}
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
        if torch.__dict__.get("_dynamo") is package:
            del torch.__dict__["_dynamo"]


def resolve_weights(explicit: str | None) -> Path | None:
    """The backbone file: a flag, else the environment, else the torch hub cache."""
    configured = explicit or os.environ.get(WEIGHTS_ENV)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise LpipsWeightsError(f"LPIPS AlexNet weights file {path} does not exist")
        return path
    torch_home = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch"))
    cached = torch_home / "hub" / "checkpoints" / ALEXNET_FILE
    return cached if cached.is_file() else None


# Batches pay on a GPU. On CPU, bench/bench_evaluator.py measured batches of 8 no faster at
# 256x256 (0.85x-1.12x of one pair per call) and slower at 512x512 (0.62x-0.71x), on 2 cores.
BATCH_SIZES = {"cuda": 8, "cpu": 1}
CPU_THREADS = 1


LayerFeatures = tuple[Any, ...]
"""One image's AlexNet features, a tensor per layer normalised as LPIPS normalises them: the
distance between two of them is LPIPS between the two images, to the last bit, so an image
compared several times (a reference, a first generation) goes through the network once."""


@dataclass
class LpipsScorer:
    model: Any
    device: str
    backbone: str
    batch_size: int = 8

    def distances(
        self, pairs: Sequence[tuple[NDArray[np.float32], NDArray[np.float32]]]
    ) -> list[float]:
        """LPIPS per pair of RGB arrays in [0, 1]; pairs of one shape run together in batches."""
        for index, (first, second) in enumerate(pairs):
            if first.shape != second.shape:
                raise ValueError(
                    f"pair {index} has mismatched shapes {first.shape} and {second.shape}"
                )
        left = self.features([first for first, _ in pairs])
        right = self.features([second for _, second in pairs])
        return self.feature_distances(list(zip(left, right, strict=True)))

    def features(self, images: Sequence[NDArray[np.float32]]) -> list[LayerFeatures]:
        """Each RGB array's features, images of one shape run together in batches."""
        import torch
        from lpips import normalize_tensor

        results: list[LayerFeatures] = [()] * len(images)
        with torch.inference_mode():
            for chunk in self._chunks([image.shape for image in images]):
                batch = self._tensor([images[i] for i in chunk])
                layers = [
                    normalize_tensor(out) for out in self.model.net(self.model.scaling_layer(batch))
                ]
                for row, i in enumerate(chunk):
                    results[i] = tuple(layer[row : row + 1] for layer in layers)
        return results

    def feature_distances(
        self, pairs: Sequence[tuple[LayerFeatures, LayerFeatures]]
    ) -> list[float]:
        """LPIPS per pair of `features`, summed over the layers as LPIPS.forward sums them."""
        import torch

        results: list[float] = [0.0] * len(pairs)
        shapes = [tuple(layer.shape for layer in first) for first, _ in pairs]
        with torch.inference_mode():
            for chunk in self._chunks(shapes):
                total: Any = 0
                for layer, lin in enumerate(self.model.lins):
                    left = torch.cat([self._on_device(pairs[i][0][layer]) for i in chunk])
                    right = torch.cat([self._on_device(pairs[i][1][layer]) for i in chunk])
                    total += lin((left - right) ** 2).mean([2, 3], keepdim=True)
                for i, score in zip(chunk, total.flatten().tolist(), strict=True):
                    results[i] = max(0.0, float(score))
        return results

    def _chunks(self, shapes: Sequence[tuple[Any, ...]]) -> list[list[int]]:
        """Indices grouped by shape, in batches of up to `batch_size`."""
        by_shape: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for index, shape in enumerate(shapes):
            by_shape[shape].append(index)
        return [
            indices[start : start + self.batch_size]
            for indices in by_shape.values()
            for start in range(0, len(indices), self.batch_size)
        ]

    def _on_device(self, layer: Any) -> Any:
        """A layer of features as computed here, or as an array from another process."""
        import torch

        return torch.as_tensor(layer, device=self.device)

    def _tensor(self, images: list[NDArray[np.float32]]) -> Any:
        import torch

        stacked = np.stack(images).transpose(0, 3, 1, 2)
        return torch.from_numpy(np.ascontiguousarray(stacked)).to(self.device) * 2.0 - 1.0


def _load_backbone(model: Any, path: Path) -> None:
    import torch

    digest = file_sha256(path)
    if digest != ALEXNET_SHA256:
        raise LpipsWeightsError(
            f"LPIPS AlexNet weights {path} have sha256 {digest}, expected {ALEXNET_SHA256} "
            f"(torchvision {ALEXNET_FILE})"
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    mapped = {}
    for name in model.net.state_dict():
        _, layer, param = name.split(".")
        mapped[name] = state[f"features.{layer}.{param}"]
    model.net.load_state_dict(mapped)


def build_scorer(weights: str | None = None, device: str | None = None) -> LpipsScorer:
    prepare_torchvision()
    import warnings

    import torch

    with _workaround_lock, _dynamo_imported_on_use():
        import lpips

    path = resolve_weights(weights)
    torch.manual_seed(RANDOM_BACKBONE_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = lpips.LPIPS(net="alex", pnet_rand=True, verbose=False)
    backbone = BACKBONE_RANDOM
    if path is not None:
        _load_backbone(model, path)
        backbone = BACKBONE_REAL
    chosen = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if chosen == "cpu":
        # oneDNN sums in an order that follows its thread count, which moves scores in the
        # last float bit from one node to the next; one thread keeps them the same everywhere,
        # and the check workers supply the parallelism.
        torch.set_num_threads(CPU_THREADS)
    model = model.to(chosen).eval()
    return LpipsScorer(model, chosen, backbone, batch_size=BATCH_SIZES.get(chosen, 1))
