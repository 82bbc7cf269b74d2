"""Dividend and subsidy splits: the Zigong example, rounding rules, and the largest-remainder
method's guarantees for any register and total (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.prorata import AllocationSetting, Recipient, schedule, split_rate, split_total


def test_zigong_127_38_m2_at_9_yuan_gets_1146_yuan_in_whole_yuan() -> None:
    """Zigong (docs/domain.md, "Real figures"): 127.38 m² at 9 yuan/m² was paid 1,146 yuan (1,146.42 rounded down)."""
    (part,) = split_rate(
        [Recipient(1, "1-1-0101", 12738)], Decimal("9"), basis="area", rounding="yuan_floor"
    )
    assert part.amount_fen == 114600


def test_fen_rounding_is_half_up() -> None:
    units = [Recipient(1, "A", 12738), Recipient(2, "B", 5), Recipient(3, "C", 4)]
    parts = split_rate(units, Decimal("0.1"), basis="area", rounding="fen")
    # 12.738 → 12.74; 0.005 → 0.01 (half up); 0.004 → 0.00
    assert [p.amount_fen for p in parts] == [1274, 1, 0]


def test_per_unit_rate() -> None:
    units = [Recipient(1, "A", 12738), Recipient(2, "B", 5000)]
    parts = split_rate(units, Decimal("200.555"), basis="unit", rounding="fen")
    assert [p.amount_fen for p in parts] == [20056, 20056]
    floored = split_rate(units, Decimal("200.555"), basis="unit", rounding="yuan_floor")
    assert [p.amount_fen for p in floored] == [20000, 20000]


def test_a_total_by_area_adds_up_and_ties_go_by_unit_code() -> None:
    units = [Recipient(3, "C", 100), Recipient(1, "A", 100), Recipient(2, "B", 100)]
    parts = split_total(units, 100, basis="area")  # 1.00 yuan over three equal units
    assert {p.code: p.amount_fen for p in parts} == {"A": 34, "B": 33, "C": 33}


def test_a_total_in_whole_yuan_splits_in_whole_yuan() -> None:
    units = [Recipient(1, "A", 8930), Recipient(2, "B", 12738), Recipient(3, "C", 10521)]
    parts = split_total(units, 1_000_000, basis="area", step_fen=100)
    assert sum(p.amount_fen for p in parts) == 1_000_000
    assert all(p.amount_fen % 100 == 0 for p in parts)
    assert [p.amount_fen for p in parts] == [277400, 395700, 326900]


def test_the_setting_decides_the_mode() -> None:
    units = [Recipient(1, "A", 12738)]
    rate = AllocationSetting.model_validate({"mode": "rate", "rate": "9", "rounding": "yuan_floor"})
    assert schedule(rate, units, None)[0].amount_fen == 114600
    with pytest.raises(ValueError):
        schedule(rate, units, 100)
    total = AllocationSetting.model_validate({"mode": "total"})
    assert schedule(total, units, 12345)[0].amount_fen == 12345
    with pytest.raises(ValueError):
        schedule(total, units, None)


@pytest.mark.parametrize(
    "raw",
    [
        {"mode": "rate"},
        {"mode": "total", "rate": "9"},
        {"mode": "rate", "rate": "0"},
        {"mode": "rate", "rate": 9.5},
        {"mode": "rate", "rate": "1.23456"},
        {"mode": "rate", "rate": "9", "rounding": "jiao"},
    ],
)
def test_bad_settings_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        AllocationSetting.model_validate(raw)


registers = st.lists(st.integers(min_value=1, max_value=5_000_000), min_size=1, max_size=60).map(
    lambda areas: [Recipient(i, f"U{i:03d}", a) for i, a in enumerate(areas)]
)


@given(registers, st.integers(min_value=0, max_value=10**11), st.sampled_from(["area", "unit"]))
def test_a_total_split_adds_up_and_each_part_is_within_a_fen(
    register: list[Recipient], total: int, basis: str
) -> None:
    parts = split_total(register, total, basis=basis)  # type: ignore[arg-type]
    assert sum(p.amount_fen for p in parts) == total
    weights = [r.area_centi if basis == "area" else 1 for r in register]
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert abs(part.amount_fen - exact) < 1


@given(registers, st.integers(min_value=0, max_value=10**9))
def test_a_whole_yuan_split_adds_up_and_each_part_is_within_a_yuan(
    register: list[Recipient], yuan: int
) -> None:
    parts = split_total(register, yuan * 100, basis="area", step_fen=100)
    assert sum(p.amount_fen for p in parts) == yuan * 100
    whole = sum(r.area_centi for r in register)
    for part, unit in zip(parts, register, strict=True):
        assert part.amount_fen % 100 == 0
        assert abs(part.amount_fen - Fraction(yuan * 100 * unit.area_centi, whole)) < 100


@given(
    registers,
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("1000"), places=4),
    st.sampled_from(["fen", "yuan_floor"]),
)
def test_a_rate_split_is_each_part_rounded_within_one_step(
    register: list[Recipient], rate: Decimal, rounding: str
) -> None:
    parts = split_rate(register, rate, basis="area", rounding=rounding)  # type: ignore[arg-type]
    for part, unit in zip(parts, register, strict=True):
        exact = Fraction(rate) * unit.area_centi  # in fen
        if rounding == "fen":
            assert abs(part.amount_fen - exact) <= Fraction(1, 2)
        else:
            assert part.amount_fen % 100 == 0 and 0 <= exact - part.amount_fen < 100
