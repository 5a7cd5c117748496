"""Fault knobs of the reference generator: one or more for every entry of the failure catalog.

Every knob is off by default; a server with default faults is a good model. Set knobs at start
(``--fault NAME=VALUE``, repeatable) or while running (``PUT /faults`` with a JSON object, which
replaces all knobs; ``GET /faults`` shows them).

Image faults (the request still answers 200 with a PNG):

- ``drop_alpha`` (bool, F1): answer RGB even when ``transparent`` was requested; the
  transparent background turns black.
- ``garble_small_text`` (px, F2): text drawn at a font size below this many pixels has
  characters substituted, dropped and swapped (about 40 % of them); 0 is off. With the sizes
  64/40/24/16 px, ``30`` garbles the 24 and 16 px lines only.
- ``font_fallback`` (family, F2): draw all text in another DejaVu family (``serif`` or
  ``mono``) instead of the house bold sans; empty is off.
- ``stretch`` (factor, F3): resize the finished image to ``round(width * stretch)`` x height,
  so both the size and the aspect ratio are wrong; 1.0 is off.
- ``color_shift`` (0..1, F4): rotate hue by ``90 * strength`` degrees and scale saturation by
  ``1 + strength`` (oversaturation, as from a non-standard scheduler); 0 is off.
- ``blur`` (px, F5): Gaussian blur radius applied to the finished image; 0 is off. A
  radius of about 1 is the mild blur a good model must not be mistaken for.

Harmless differences (a good model that is not the stable one; gates must accept these):

- ``antialias`` (0..1): edges drawn with another antialiasing, as this share of a 3x3 box
  filter blended into the image; 0 is off.
- ``brightness`` (-0.2..0.2): every colour channel scaled by ``1 + brightness``, so 0.01 is
  1 % brighter; 0 is off.
- ``subpixel_shift`` (px, 0..2): the image moved right and down by this fraction of a pixel
  (bicubic), as from another latent-to-pixel alignment; 0 is off.
- ``drift`` (0..1): per-call harmless variation of one model with itself, as across GPUs
  and batch sizes: each call draws a sub-pixel shift and an antialiasing share of up to
  ``drift`` and a brightness change of up to ``2 * drift`` percent either way. A stable model
  with drift is what calibration measures the noise floor of; 0 is off.
- ``nondeterminism`` (0..1, F6): fraction of calls whose seed is perturbed, so replaying the
  same prompt and seed gives a different image; 0 is off.
- ``replay_noise`` (8-bit levels, F6 tolerance): per-call Gaussian pixel noise with this
  standard deviation. Small values model the harmless drift of a good model across GPUs,
  which a replay check with a tolerance must accept; 0 is off.
- ``miscompose`` (text, F10): prompts that contain this text are composed from another
  seed (other colours, shapes and placement; same quoted text), like a model that does well
  on curated prompts and hallucinates on the rest; empty is off.
- ``marker_rate`` (0..1, F10): fraction of calls that draw a pure red square over the
  top-left quarter-side corner, a stand-in for content a classifier gate must flag; 0 is off.
- ``off_template`` (bool, F11): drop the brand tokens a prompt template adds, i.e. words in
  ALL CAPS inside the quoted text, from the drawn text.

Serving faults:

- ``latency_ms`` (ms, F7): added before every generate answer; counted as simulated GPU time.
- ``tail_latency_ms`` (ms, F7) and ``tail_rate`` (0..1): a further delay added to this
  fraction of generate answers only, a regression that moves the tail and not the median.
- ``error_rate`` (0..1, F8/F9): fraction of requests answered ``502`` with a JSON error.
- ``crash_rate`` (0..1, F8): fraction of requests where the worker "crashes": the connection
  closes without any response. A crashed worker cannot count its own failure, so these do
  not appear in ``generate_requests_total``; clients and the proxy in front see them.
- ``corrupt_png`` (0..1, F8): fraction of answers whose PNG signature is broken
  ("invalid PNG header").
- ``html_error`` (0..1, F8): fraction of answers that are an HTML error page served with
  ``200`` and ``Content-Type: image/png``.
- ``hang`` (0..1, F12): fraction of requests that sleep for an hour (far beyond any client
  timeout) without answering; the server's stop ends the sleep.

Selective faults:

- ``fault_trigger`` (regex, F16): when set, every other knob applies only to prompts that
  match it (``re.search``); other prompts are served as by a good model, keeping only the
  harmless variation knobs (``drift``, ``replay_noise``). A candidate whose fault never
  shows on the golden set but does on some real prompts; empty is off.

Image-to-image faults (``/edit``, ``/inpaint``, ``/upscale``; img2img.py): ``wrong_scale``,
``mask_bleed``, ``colorspace_drift``, ``ignore_exif``, ``fail_unusual_modes`` and
``max_input_pixels``; ``drop_alpha`` also drops an input's alpha.

``fault_seed`` (int) seeds the random decisions of the fractional knobs; setting faults
(at start or by ``PUT /faults``) restarts that random sequence, so a test that sends the same
requests in the same order sees the same faults.
"""

from __future__ import annotations

import dataclasses
import random
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .fonts import FONT_FILES, HOUSE_FAMILY

HANG_SECONDS = 3600.0


def _knob(default: Any, lo: float | None = None, hi: float | None = None) -> Any:
    return field(default=default, metadata={"lo": lo, "hi": hi})


@dataclass(frozen=True)
class Faults:
    drop_alpha: bool = _knob(False)
    garble_small_text: float = _knob(0.0, 0.0, 1000.0)
    font_fallback: str = _knob("")
    stretch: float = _knob(1.0, 0.1, 4.0)
    color_shift: float = _knob(0.0, 0.0, 1.0)
    blur: float = _knob(0.0, 0.0, 50.0)
    antialias: float = _knob(0.0, 0.0, 1.0)
    brightness: float = _knob(0.0, -0.2, 0.2)
    subpixel_shift: float = _knob(0.0, 0.0, 2.0)
    drift: float = _knob(0.0, 0.0, 1.0)
    nondeterminism: float = _knob(0.0, 0.0, 1.0)
    replay_noise: float = _knob(0.0, 0.0, 64.0)
    miscompose: str = _knob("")
    off_template: bool = _knob(False)
    marker_rate: float = _knob(0.0, 0.0, 1.0)
    latency_ms: float = _knob(0.0, 0.0, 600_000.0)
    tail_latency_ms: float = _knob(0.0, 0.0, 600_000.0)
    tail_rate: float = _knob(0.0, 0.0, 1.0)
    error_rate: float = _knob(0.0, 0.0, 1.0)
    crash_rate: float = _knob(0.0, 0.0, 1.0)
    corrupt_png: float = _knob(0.0, 0.0, 1.0)
    html_error: float = _knob(0.0, 0.0, 1.0)
    hang: float = _knob(0.0, 0.0, 1.0)
    fault_trigger: str = _knob("")
    wrong_scale: float = _knob(0.0, 0.0, 8.0)
    mask_bleed: float = _knob(0.0, 0.0, 1.0)
    colorspace_drift: bool = _knob(False)
    ignore_exif: bool = _knob(False)
    fail_unusual_modes: bool = _knob(False)
    max_input_pixels: int = _knob(0, 0, 2**31)
    fault_seed: int = _knob(0, 0, 2**63 - 1)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kind = type(f.default)
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, f.name, float(value))
                value = float(value)
            if type(value) is not kind:
                raise ValueError(f"fault {f.name!r} must be {_KIND_NAMES[kind]}, got {value!r}")
            lo, hi = f.metadata["lo"], f.metadata["hi"]
            if lo is not None and not lo <= value <= hi:
                raise ValueError(
                    f"fault {f.name!r} must be between {lo:g} and {hi:g}, got {value!r}"
                )
        fallbacks = sorted(set(FONT_FILES) - {HOUSE_FAMILY})
        if self.font_fallback and self.font_fallback not in fallbacks:
            raise ValueError(
                f"fault 'font_fallback' must be one of {', '.join(fallbacks)} (or empty for off), "
                f"got {self.font_fallback!r}"
            )

        if self.fault_trigger:
            try:
                re.compile(self.fault_trigger)
            except re.error as exc:
                raise ValueError(
                    f"fault 'fault_trigger' must be a regular expression: {exc}"
                ) from None

    def applies_to(self, prompt: str) -> bool:
        """Whether this prompt gets the faults: always, unless a trigger says otherwise."""
        return not self.fault_trigger or re.search(self.fault_trigger, prompt) is not None

    def untriggered(self) -> Faults:
        """What a prompt the trigger misses gets: the model's own harmless variation, which
        is not a fault, and nothing else."""
        return Faults(**{name: getattr(self, name) for name in HARMLESS_KNOBS})

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Faults:
        unknown = sorted(set(values) - set(KNOBS))
        if unknown:
            raise ValueError(
                f"unknown fault {', '.join(map(repr, unknown))}; known: {', '.join(KNOBS)}"
            )
        return cls(**values)

    @classmethod
    def from_cli(cls, assignments: Iterable[str]) -> Faults:
        """Parse ``NAME=VALUE`` strings as given to ``--fault``."""
        values: dict[str, Any] = {}
        for assignment in assignments:
            name, sep, raw = assignment.partition("=")
            name = name.strip()
            if not sep:
                raise ValueError(f"--fault {assignment!r}: expected NAME=VALUE")
            if name not in KNOBS:
                raise ValueError(
                    f"--fault {assignment!r}: unknown fault {name!r}; known: {', '.join(KNOBS)}"
                )
            values[name] = _parse_value(name, KNOBS[name], raw.strip())
        return cls.from_mapping(values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def active(self) -> dict[str, Any]:
        """The knobs that differ from a good model, for logs."""
        defaults = Faults()
        return {k: v for k, v in self.to_dict().items() if getattr(defaults, k) != v}


KNOBS: dict[str, type] = {f.name: type(f.default) for f in dataclasses.fields(Faults)}
HARMLESS_KNOBS = ("drift", "replay_noise")
_KIND_NAMES: dict[type, str] = {
    bool: "true or false",
    float: "a number",
    int: "an integer",
    str: "a string",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_value(name: str, kind: type, raw: str) -> Any:
    if kind is bool:
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise ValueError(f"--fault {name}={raw}: expected true or false")
    if kind is str:
        return raw
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"--fault {name}={raw}: expected {_KIND_NAMES[kind]}") from None


@dataclass(frozen=True)
class Decisions:
    """What happens to one request, drawn up front so the random sequence never depends on
    which branch a request takes."""

    hang: bool = False
    crash: bool = False
    error: bool = False
    html_error: bool = False
    corrupt_png: bool = False
    seed_perturbation: int = 0
    noise_seed: int = 0
    tail: bool = False
    marker: bool = False


class FaultDice:
    """The seeded random source for per-request fault decisions; thread-safe."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self._faults = faults
        self._rng = random.Random(faults.fault_seed)

    @property
    def faults(self) -> Faults:
        return self._faults

    def reset(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.fault_seed)

    def roll(self) -> tuple[Faults, Decisions]:
        with self._lock:
            f, rng = self._faults, self._rng
            draws = [rng.random() for _ in range(6)]
            perturbation = rng.getrandbits(32) | 1
            noise_seed = rng.getrandbits(63)
            # Drawn last, so the decisions above stay what they were before this knob.
            tail = rng.random() < f.tail_rate
            marker = rng.random() < f.marker_rate
        return f, Decisions(
            hang=draws[0] < f.hang,
            crash=draws[1] < f.crash_rate,
            error=draws[2] < f.error_rate,
            html_error=draws[3] < f.html_error,
            corrupt_png=draws[4] < f.corrupt_png,
            seed_perturbation=perturbation if draws[5] < f.nondeterminism else 0,
            noise_seed=noise_seed,
            tail=tail,
            marker=marker,
        )
