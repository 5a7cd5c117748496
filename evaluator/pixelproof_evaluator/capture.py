"""Capture: build or refresh a golden set's reference images (and their sha256s) by asking
the stable model, the one whose output is accepted as good today.

A reply is stored only if it passes the same format and size checks a candidate must pass,
so a broken stable model cannot poison the golden set."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from pixelproof.api.workloads import GeneratorContract

from .checker import MAX_AREA_FACTOR
from .checks.format import check_format, check_size
from .client import GeneratorClient, RetryPolicy
from .golden import (
    MANIFEST_NAMES,
    GoldenItemSpec,
    GoldenSetError,
    find_manifest,
    parse_size,
    read_manifest,
    sha256_hex,
    write_manifest,
)
from .prompt_list import read_prompt_list


@dataclass
class CaptureResult:
    captured: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


async def _capture_one(
    client: GeneratorClient, root: Path, spec: GoldenItemSpec
) -> tuple[GoldenItemSpec | None, str | None]:
    width, height = parse_size(spec.size)
    result = await client.generate(spec.prompt, spec.seed, spec.size, spec.alpha)
    if result.body is None:
        return None, f"{result.failure}: {result.detail}"
    fmt, image = check_format(
        result.body, alpha_expected=spec.alpha, max_pixels=MAX_AREA_FACTOR * width * height
    )
    if image is None:
        return None, f"decode: {fmt.error}"
    if not fmt.alpha_ok:
        return None, f"format: {fmt.alpha_problem}"
    size = check_size(image.width, image.height, width, height)
    if not size.size_ok:
        return None, f"size: {size.problem}"
    name = spec.reference or f"{spec.id}.png"
    (root / name).write_bytes(result.body)
    return spec.model_copy(update={"reference": name, "sha256": sha256_hex(result.body)}), None


async def capture_async(
    golden: Path,
    stable_url: str,
    contract: GeneratorContract,
    *,
    tags: Sequence[str] = (),
    concurrency: int = 4,
    only_missing: bool = False,
    retry: RetryPolicy | None = None,
) -> CaptureResult:
    manifest_path = find_manifest(golden)
    manifest = read_manifest(manifest_path)
    root = manifest_path.parent
    wanted = set(tags)
    specs = list(manifest.items)
    outcome = CaptureResult()
    chosen: list[int] = []
    for index, spec in enumerate(specs):
        if wanted and not wanted.intersection(spec.tags):
            continue
        if only_missing and spec.reference and (root / spec.reference).is_file():
            outcome.skipped.append(spec.id)
            continue
        chosen.append(index)
    async with GeneratorClient(
        stable_url, contract, concurrency=concurrency, retry=retry
    ) as client:
        done = await asyncio.gather(*(_capture_one(client, root, specs[i]) for i in chosen))
    for index, (updated, error) in zip(chosen, done, strict=True):
        if updated is None:
            outcome.failed[specs[index].id] = error or "unknown error"
        else:
            specs[index] = updated
            outcome.captured.append(updated.id)
    write_manifest(manifest_path, specs, manifest.version)
    return outcome


def capture(
    golden: Path,
    stable_url: str,
    contract: GeneratorContract,
    *,
    tags: Sequence[str] = (),
    concurrency: int = 4,
    only_missing: bool = False,
) -> CaptureResult:
    return asyncio.run(
        capture_async(
            golden,
            stable_url,
            contract,
            tags=tags,
            concurrency=concurrency,
            only_missing=only_missing,
        )
    )


def add_capture_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--golden", type=Path, required=True, help="golden set folder or manifest file"
    )
    parser.add_argument("--stable", required=True, help="base URL of the stable model")
    parser.add_argument("--generator", default="{}", help="GeneratorContract as JSON (camelCase)")
    parser.add_argument("--tags", default="", help="only items with any of these tags (a,b)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--only-missing", action="store_true", help="keep references that exist")
    parser.add_argument(
        "--prompts",
        type=Path,
        help="start from a prompt list (.jsonl or .csv): write golden.yaml into --golden first",
    )


def start_from_prompts(golden: Path, prompts: Path) -> Path:
    """Writes the manifest a prompt list describes into the golden folder; refuses to
    overwrite a manifest that is already there."""
    specs = read_prompt_list(prompts)
    golden.mkdir(parents=True, exist_ok=True)
    existing = [golden / name for name in MANIFEST_NAMES if (golden / name).exists()]
    if existing:
        raise GoldenSetError(f"{existing[0]} exists; capture it without --prompts")
    manifest = golden / MANIFEST_NAMES[0]
    write_manifest(manifest, specs)
    return manifest


def parse_generator(text: str) -> GeneratorContract | None:
    """The --generator flag of the golden commands; None, after saying why, when invalid."""
    try:
        return GeneratorContract.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        print(f"error: --generator is invalid: {exc}", file=sys.stderr)
        return None


def run_capture(args: argparse.Namespace) -> int:
    contract = parse_generator(args.generator)
    if contract is None:
        return 2
    tags = [t.strip() for t in args.tags.split(",") if t.strip()]
    try:
        if args.prompts is not None:
            start_from_prompts(args.golden, args.prompts)
        result = capture(
            args.golden,
            args.stable,
            contract,
            tags=tags,
            concurrency=args.concurrency,
            only_missing=args.only_missing,
        )
    except GoldenSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"captured {len(result.captured)} references, kept {len(result.skipped)}, failed {len(result.failed)}"
    )
    for item_id, error in sorted(result.failed.items()):
        print(f"  {item_id}: {error}", file=sys.stderr)
    return 1 if result.failed else 0
