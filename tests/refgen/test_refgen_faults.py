"""Parsing and validation of fault knobs."""

from __future__ import annotations

import pytest

from pixelproof_refgen.faults import KNOBS, FaultDice, Faults


def test_cli_assignments_parse_by_knob_type() -> None:
    faults = Faults.from_cli(
        ["blur=2.5", "error_rate=0.3", "drop_alpha=true", "font_fallback=mono", "fault_seed=9"]
    )
    assert faults == Faults(
        blur=2.5, error_rate=0.3, drop_alpha=True, font_fallback="mono", fault_seed=9
    )
    assert faults.active() == {
        "blur": 2.5,
        "error_rate": 0.3,
        "drop_alpha": True,
        "font_fallback": "mono",
        "fault_seed": 9,
    }


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("blur", "expected NAME=VALUE"),
        ("sharpen=1", "unknown fault 'sharpen'"),
        ("blur=lots", "expected a number"),
        ("drop_alpha=maybe", "expected true or false"),
        ("stretch=0", "between 0.1 and 4"),
        ("hang=2", "between 0 and 1"),
    ],
)
def test_bad_cli_assignments_name_the_knob(assignment: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Faults.from_cli([assignment])


def test_mapping_round_trips_and_ints_become_floats() -> None:
    faults = Faults.from_mapping({"latency_ms": 200, "color_shift": 0.4})
    assert faults.latency_ms == 200.0 and isinstance(faults.latency_ms, float)
    assert Faults.from_mapping(faults.to_dict()) == faults
    assert set(faults.to_dict()) == set(KNOBS)


def test_bool_is_not_a_number() -> None:
    with pytest.raises(ValueError, match="must be a number"):
        Faults.from_mapping({"blur": True})


def test_dice_rates_and_reset_repeat_the_sequence() -> None:
    dice = FaultDice(Faults(error_rate=0.25, nondeterminism=0.5, fault_seed=4))
    first = [dice.roll()[1] for _ in range(400)]
    assert 0.18 < sum(d.error for d in first) / 400 < 0.32
    assert 0.4 < sum(d.seed_perturbation != 0 for d in first) / 400 < 0.6
    assert not any(d.hang or d.crash or d.corrupt_png or d.html_error for d in first)
    dice.reset(Faults(error_rate=0.25, nondeterminism=0.5, fault_seed=4))
    assert [dice.roll()[1] for _ in range(400)] == first
