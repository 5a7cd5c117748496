"""How the evaluator is invoked: the arguments of `python -m pixelproof_evaluator evaluate`.

The operator writes them into the evaluator Job and the evaluator parses them back, both from
this one model, so the two sides cannot drift apart."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any, NoReturn

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pixelproof.errors import PixelproofError

from .base import ApiModel
from .quality import QualityGates
from .workloads import GeneratorContract

EVALUATOR_MODULE = ("python", "-m", "pixelproof_evaluator")
EVALUATE = "evaluate"
WEIGHTS_ENV = "PIXELPROOF_LPIPS_WEIGHTS"
TERMINATION_LOG_ENV = "PIXELPROOF_TERMINATION_LOG"
"""Where the evaluator writes its summary; the Job points it at the termination message."""
RUN_CONTEXT_ENV = {
    "rollout": "PIXELPROOF_ROLLOUT",
    "job": "PIXELPROOF_JOB",
    "step": "PIXELPROOF_STEP",
}
"""What the Job tells the evaluator about the run, for the top of its report."""

GOLDEN = "--golden"
GOLDEN_URL = "--golden-url"
GOLDEN_SHA256 = "--golden-sha256"
STABLE = "--stable"
CANDIDATE = "--candidate"
GENERATOR = "--generator"
GATES = "--gates"
TAGS = "--tags"
CONCURRENCY = "--concurrency"
OUT = "--out"
LPIPS_WEIGHTS = "--lpips-weights"
VERBOSE = "--verbose"
FAIL_EXIT_CODE = "--fail-exit-code"
INCONCLUSIVE_EXIT_CODE = "--inconclusive-exit-code"
LIVE_SOURCE = "--live-source"
LIVE_SOURCE_SHA256 = "--live-source-sha256"
LIVE_COUNT = "--live-count"
LIVE_MIN_COUNT = "--live-min-count"
ALLOW_PROMPT_TEXT = "--allow-prompt-text"
DEFAULT_LIVE_COUNT = 50
DEFAULT_LIVE_MIN_COUNT = 20


class InvocationError(PixelproofError, ValueError):
    """The arguments do not describe an evaluation the evaluator can run."""


class InvocationParser(argparse.ArgumentParser):
    """Raises instead of exiting, so a caller can still report why the arguments are wrong."""

    def error(self, message: str) -> NoReturn:
        raise InvocationError(f"{self.prog}: {message}")


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"count {text!r} is not a number") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"count {value} must be at least 1")
    return value


def _exit_code(text: str) -> int:
    try:
        code = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"exit status {text!r} is not a number") from exc
    if not 0 <= code <= 255:
        raise argparse.ArgumentTypeError(f"exit status {code} is outside 0..255")
    return code


def _compact(model: ApiModel) -> str:
    return json.dumps(model.to_wire(), separators=(",", ":"))


def _json_model(kind: type[GeneratorContract] | type[QualityGates], flag: str, text: str) -> Any:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvocationError(f"{flag} is not valid JSON: {exc}") from exc
    try:
        return kind.model_validate(doc)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise InvocationError(f"{flag} is invalid: {problems}") from exc


class EvaluatorInvocation(BaseModel):
    """One evaluation: the golden set (a folder or manifest, or a pinned archive URL) and/or a
    live source of recorded prompts, both models' base URLs, how to call them, the gates, and
    where the report goes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stable: str
    candidate: str
    gates: QualityGates
    out: str
    golden: str | None = None
    golden_url: str | None = None
    golden_sha256: str | None = None
    generator: GeneratorContract = Field(default_factory=GeneratorContract)
    tags: tuple[str, ...] = ()
    concurrency: int = Field(default=4, ge=1)
    lpips_weights: str | None = None
    verbose: bool = False
    # Runners that judge by exit status alone (an Argo Rollouts job metric) need a verdict
    # other than Pass to end the process unsuccessfully; the operator reads the summary instead.
    fail_exit_code: int = Field(default=0, ge=0, le=255)
    inconclusive_exit_code: int = Field(default=0, ge=0, le=255)
    # Recorded live prompts: the recorder's URL, an https JSON Lines file pinned by its digest,
    # or a mounted file or folder. Judged paired against stable, with or without a golden set.
    live_source: str | None = None
    live_source_sha256: str | None = Field(default=None, pattern=r"^[a-f0-9]{64}$")
    live_count: int = Field(default=DEFAULT_LIVE_COUNT, ge=1)
    live_min_count: int = Field(default=DEFAULT_LIVE_MIN_COUNT, ge=1)
    allow_prompt_text: bool = False
    """Whether reports and logs may show live prompts' text rather than their digest."""

    @model_validator(mode="after")
    def _one_golden_source(self) -> EvaluatorInvocation:
        golden_sources = (self.golden is not None) + (self.golden_url is not None)
        if golden_sources > 1 or (golden_sources == 0 and self.live_source is None):
            raise ValueError(f"give exactly one of {GOLDEN} and {GOLDEN_URL}, or a {LIVE_SOURCE}")
        if (self.golden_url is None) != (self.golden_sha256 is None):
            raise ValueError(f"{GOLDEN_SHA256} pins a {GOLDEN_URL} archive and needs one")
        pinned = self.live_source is not None and self.live_source.startswith("https://")
        if pinned != (self.live_source_sha256 is not None):
            raise ValueError(f"{LIVE_SOURCE_SHA256} pins an https {LIVE_SOURCE} and needs one")
        if self.live_min_count > self.live_count:
            raise ValueError(
                f"{LIVE_MIN_COUNT} {self.live_min_count} is more than {LIVE_COUNT} {self.live_count}"
            )
        return self

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        source = parser.add_mutually_exclusive_group()
        source.add_argument(GOLDEN, help="golden set folder or manifest file")
        source.add_argument(GOLDEN_URL, help="https URL of a golden set archive (tar.gz or zip)")
        parser.add_argument(GOLDEN_SHA256, help=f"pinned sha256 of the {GOLDEN_URL} archive")
        parser.add_argument(STABLE, required=True, help="base URL of the stable model's Service")
        parser.add_argument(
            CANDIDATE, required=True, help="base URL of the candidate model's Service"
        )
        parser.add_argument(GENERATOR, default="{}", help="GeneratorContract as JSON (camelCase)")
        parser.add_argument(GATES, required=True, help="QualityGates as JSON (camelCase)")
        parser.add_argument(
            TAGS, type=_tags, default=[], help="only items with any of these tags (a,b)"
        )
        parser.add_argument(CONCURRENCY, type=int, default=4, help="requests in flight per model")
        parser.add_argument(OUT, required=True, help="folder for report.json and report.html")
        parser.add_argument(LPIPS_WEIGHTS, help=f"AlexNet weights file (default: ${WEIGHTS_ENV})")
        parser.add_argument(VERBOSE, action="store_true")
        parser.add_argument(
            LIVE_SOURCE, help="recorder URL, https JSON Lines URL, or file/folder of live prompts"
        )
        parser.add_argument(LIVE_SOURCE_SHA256, help=f"pinned sha256 of an https {LIVE_SOURCE}")
        parser.add_argument(
            LIVE_COUNT,
            type=positive_count,
            default=DEFAULT_LIVE_COUNT,
            help=f"live prompts to replay (default {DEFAULT_LIVE_COUNT})",
        )
        parser.add_argument(
            LIVE_MIN_COUNT,
            type=positive_count,
            default=DEFAULT_LIVE_MIN_COUNT,
            help=f"fewer usable live prompts is Inconclusive (default {DEFAULT_LIVE_MIN_COUNT})",
        )
        parser.add_argument(
            ALLOW_PROMPT_TEXT,
            action="store_true",
            help="show live prompts' text in reports and logs, not only their sha256",
        )
        for flag, verdict in ((FAIL_EXIT_CODE, "Fail"), (INCONCLUSIVE_EXIT_CODE, "Inconclusive")):
            parser.add_argument(
                flag,
                type=_exit_code,
                default=0,
                help=f"exit status after writing a {verdict} verdict (default 0)",
            )

    @classmethod
    def from_namespace(cls, args: argparse.Namespace) -> EvaluatorInvocation:
        """From arguments parsed by a parser given `add_arguments`; the JSON flags checked."""
        generator = _json_model(GeneratorContract, GENERATOR, args.generator)
        gates = _json_model(QualityGates, GATES, args.gates)
        if args.concurrency < 1:
            raise InvocationError(f"{CONCURRENCY} must be at least 1")
        if args.golden_url is not None and not args.golden_sha256:
            raise InvocationError(f"{GOLDEN_URL} needs {GOLDEN_SHA256}")
        if args.golden is None and args.golden_url is None and args.live_source is None:
            raise InvocationError(f"give one of {GOLDEN}, {GOLDEN_URL} or {LIVE_SOURCE}")
        live_https = args.live_source is not None and args.live_source.startswith("https://")
        if live_https and not args.live_source_sha256:
            raise InvocationError(f"an https {LIVE_SOURCE} needs {LIVE_SOURCE_SHA256}")
        if args.live_min_count > args.live_count:
            raise InvocationError(
                f"{LIVE_MIN_COUNT} {args.live_min_count} is more than {LIVE_COUNT} {args.live_count}"
            )
        try:
            return cls(
                stable=args.stable,
                candidate=args.candidate,
                gates=gates,
                out=args.out,
                golden=args.golden,
                golden_url=args.golden_url,
                # Without an archive URL the digest pins nothing, and the evaluator ignores it.
                golden_sha256=args.golden_sha256 if args.golden_url is not None else None,
                generator=generator,
                tags=tuple(args.tags),
                concurrency=args.concurrency,
                lpips_weights=args.lpips_weights,
                verbose=args.verbose,
                fail_exit_code=args.fail_exit_code,
                inconclusive_exit_code=args.inconclusive_exit_code,
                live_source=args.live_source,
                # Only an https source can be pinned; otherwise the digest is ignored.
                live_source_sha256=args.live_source_sha256 if live_https else None,
                live_count=args.live_count,
                live_min_count=args.live_min_count,
                allow_prompt_text=args.allow_prompt_text,
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: "
                f"{str(e['msg']).removeprefix('Value error, ')}"
                for e in exc.errors()
            )
            raise InvocationError(problems) from exc

    @classmethod
    def from_argv(cls, argv: Sequence[str]) -> EvaluatorInvocation:
        """From the arguments after `evaluate`."""
        parser = InvocationParser(prog=" ".join([EVALUATOR_MODULE[-1], EVALUATE]))
        cls.add_arguments(parser)
        return cls.from_namespace(parser.parse_args(list(argv)))

    def to_argv(self) -> list[str]:
        """The arguments after `evaluate`."""
        argv: list[str] = []
        if self.golden is not None:
            argv = [GOLDEN, self.golden]
        elif self.golden_url is not None:
            argv = [GOLDEN_URL, self.golden_url, GOLDEN_SHA256, str(self.golden_sha256)]
        argv += [
            STABLE,
            self.stable,
            CANDIDATE,
            self.candidate,
            GENERATOR,
            _compact(self.generator),
            GATES,
            _compact(self.gates),
            OUT,
            self.out,
        ]
        if self.tags:
            argv += [TAGS, ",".join(self.tags)]
        argv += [CONCURRENCY, str(self.concurrency)]
        if self.lpips_weights is not None:
            argv += [LPIPS_WEIGHTS, self.lpips_weights]
        if self.verbose:
            argv.append(VERBOSE)
        if self.fail_exit_code:
            argv += [FAIL_EXIT_CODE, str(self.fail_exit_code)]
        if self.inconclusive_exit_code:
            argv += [INCONCLUSIVE_EXIT_CODE, str(self.inconclusive_exit_code)]
        if self.live_source is not None:
            argv += [LIVE_SOURCE, self.live_source]
            if self.live_source_sha256 is not None:
                argv += [LIVE_SOURCE_SHA256, self.live_source_sha256]
        if self.live_count != DEFAULT_LIVE_COUNT:
            argv += [LIVE_COUNT, str(self.live_count)]
        if self.live_min_count != DEFAULT_LIVE_MIN_COUNT:
            argv += [LIVE_MIN_COUNT, str(self.live_min_count)]
        if self.allow_prompt_text:
            argv.append(ALLOW_PROMPT_TEXT)
        return argv

    def to_command(self) -> list[str]:
        """The container command that runs this evaluation."""
        return [*EVALUATOR_MODULE, EVALUATE, *self.to_argv()]
