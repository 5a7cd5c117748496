"""Structural similarity to the golden reference (catalog F4, F5): SSIM or MS-SSIM from
pytorch-msssim, which needs no weights, so it is a second perceptual opinion that does not
depend on the LPIPS backbone. The gate holds the candidate's mean to a minimum."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pixelproof.api.quality import SsimGate

from ..images import DecodedImage
from .gate import GateResult, compare, fmt, no_data

if TYPE_CHECKING:
    from .evidence import Evidence

# MS-SSIM downsamples four times with an 11 px window, so a side must exceed (11 - 1) * 2**4.
MS_SSIM_MIN_SIDE = 161


def structural_similarity(
    output: DecodedImage, reference: DecodedImage, *, multiscale: bool
) -> float:
    import torch
    from pytorch_msssim import ms_ssim, ssim

    resized = output.resized(reference.width, reference.height)

    def tensor(image: DecodedImage) -> torch.Tensor:
        rgb = np.ascontiguousarray(image.rgb_on_backdrop().transpose(2, 0, 1))
        return torch.from_numpy(rgb).unsqueeze(0)

    measure = ms_ssim if multiscale else ssim
    with torch.inference_mode():
        value = measure(tensor(resized), tensor(reference), data_range=1.0, size_average=True)
    return float(value)


def gate_similarity(
    gate: SsimGate | None, output: DecodedImage, reference: DecodedImage
) -> float | None:
    """What the configured gate measures on this image; None when no gate asks, or the
    reference is too small for MS-SSIM."""
    if gate is None:
        return None
    if gate.multiscale and min(reference.width, reference.height) < MS_SSIM_MIN_SIDE:
        return None
    return structural_similarity(output, reference, multiscale=gate.multiscale)


def judge(gate: SsimGate, evidence: Evidence) -> GateResult:
    name = "msSsim" if gate.multiscale else "ssim"
    threshold = f"{name} mean >= {fmt(gate.min_mean)}"
    values = [r.candidate.ssim for r in evidence.results if r.candidate.ssim is not None]
    if not values:
        small = gate.multiscale and any(
            min(r.item.width, r.item.height) < MS_SSIM_MIN_SIDE for r in evidence.usable()
        )
        why = (
            f"images under {MS_SSIM_MIN_SIDE} px a side are too small for MS-SSIM"
            if small
            else "no candidate image decoded"
        )
        return GateResult([no_data(name, threshold, f"{name}: {why}")])
    mean = float(np.mean(values))
    stable = [r.stable.ssim for r in evidence.results if r.stable.ssim is not None]
    stable_note = f" (stable {fmt(float(np.mean(stable)))})" if stable else ""
    verdict = compare(
        name,
        mean,
        ">=",
        gate.min_mean,
        threshold=threshold,
        measured=f"{name} mean {fmt(mean)}{stable_note}",
        bound=f"minMean {fmt(gate.min_mean)} over {len(values)} items",
    )
    return GateResult([verdict], {f"{name}Mean": round(mean, 4)})
