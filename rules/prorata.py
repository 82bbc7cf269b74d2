"""Dividends and subsidies are computed, not typed: splits of money over the unit register.

Two modes, chosen by the resolution (``Resolution.allocation``):

- **total**: a given total split over the register by exclusive area (民法典 art. 283, the
  default when owners agreed nothing else) or equally per unit. The largest-remainder method
  makes the parts add up to the total exactly: every unit gets the floor of its exact share (in
  the rounding step: a fen, or a whole yuan), and the steps left over go one each to the units
  with the largest remainders, ties broken by unit code. So each part is within one step of its
  exact share, and the same register and total always give the same schedule.
- **rate**: so much per m² (or per unit), each part rounded by the resolution's rule, the total
  being the sum of the parts. ``fen`` rounds half up to the fen; ``yuan_floor`` pays whole yuan
  rounded down, as the Zigong community did (docs/domain.md, "Real figures"): 127.38 m² at
  9 yuan/m² is 1,146.42 yuan, paid 1,146.

Who takes part: every unit of the register, developer-unsold units included (they are the
developer's exclusive parts, and art. 283 distributes by exclusive area whoever holds it). A
community that wants otherwise says so in the resolution's total or in a later correction.

Exact arithmetic throughout: areas in hundredths of a m², money in fen, rates as
:class:`fractions.Fraction` of their decimal text; never a float.

    >>> units = [Recipient(1, "A", 12738), Recipient(2, "B", 8930)]
    >>> [p.amount_fen for p in split_rate(units, Decimal("9"), basis="area", rounding="yuan_floor")]
    [114600, 80300]
    >>> [p.amount_fen for p in split_total(units, 100, basis="unit")]
    [50, 50]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from math import floor
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, model_validator

from ledger.messages import Invalid, msg

Mode = Literal["total", "rate"]
Basis = Literal["area", "unit"]
Rounding = Literal["fen", "yuan_floor"]
#: The step of each rounding rule, in fen.
STEP = {"fen": 1, "yuan_floor": 100}
MAX_RATE = Decimal("1000000")


def parse_rate(value: object) -> Decimal:
    """A rate: a positive decimal string (yuan per m² or per unit), at most four places."""
    if isinstance(value, bool | float) or not isinstance(value, str | int | Decimal):
        raise Invalid(msg("prorata.rate-decimal-string-such"))
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(msg("prorata.rate", value=value)) from None
    exponent = rate.as_tuple().exponent
    if not rate.is_finite() or not isinstance(exponent, int) or exponent < -4:
        raise Invalid(msg("prorata.rate-has-at-most", value=value))
    if not 0 < rate <= MAX_RATE:
        raise Invalid(msg("prorata.rate-positive-at-most", max_rate=MAX_RATE, value=value))
    return rate


Rate = Annotated[
    Decimal, BeforeValidator(parse_rate), PlainSerializer(lambda d: f"{d:f}", return_type=str)
]


class AllocationSetting(BaseModel):
    """How a resolution's dividend or subsidy is computed (its ``allocation``)."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode
    basis: Basis = "area"
    rate: Rate | None = None
    rounding: Rounding = "fen"

    @model_validator(mode="after")
    def _rate_iff_rate_mode(self) -> Self:
        if self.mode == "rate" and self.rate is None:
            raise Invalid(msg("prorata.mode-rate-needs-rate"))
        if self.mode == "total" and self.rate is not None:
            raise Invalid(msg("prorata.mode-total-takes-no"))
        return self

    def describe(self) -> str:
        per = "m²" if self.basis == "area" else "户"
        rounding = "按分四舍五入" if self.rounding == "fen" else "取整到元(舍去角分)"
        if self.mode == "rate":
            return f"每{per} {self.rate:f} 元, {rounding}"
        return f"总额按{'专有面积' if self.basis == 'area' else '户数'}分摊(最大余数法), {rounding}"


@dataclass(frozen=True)
class Recipient:
    """A unit that takes part: its id, code and exclusive area (centi-m²)."""

    unit_id: int
    code: str
    area_centi: int


@dataclass(frozen=True)
class Part:
    """One line of a schedule."""

    unit_id: int
    code: str
    area_centi: int
    amount_fen: int


def _weight(recipient: Recipient, basis: Basis) -> int:
    return recipient.area_centi if basis == "area" else 1


def split_total(
    recipients: Sequence[Recipient], total_fen: int, *, basis: Basis, step_fen: int = 1
) -> list[Part]:
    """``total_fen`` split over ``recipients`` by area or per unit, in steps of ``step_fen``,
    by the largest-remainder method: the parts add up to the total exactly."""
    if total_fen < 0 or step_fen <= 0 or total_fen % step_fen:
        raise Invalid(msg("prorata.total-fen-whole-number", total_fen=total_fen, step_fen=step_fen))
    weights = [_weight(r, basis) for r in recipients]
    whole = sum(weights)
    if whole <= 0:
        raise Invalid(msg("prorata.nothing-split-over-register"))
    steps = total_fen // step_fen
    floors = [steps * w // whole for w in weights]
    remainders = [steps * w % whole for w in weights]
    left = steps - sum(floors)
    order = sorted(range(len(recipients)), key=lambda i: (-remainders[i], recipients[i].code))
    for i in order[:left]:
        floors[i] += 1
    return [
        Part(r.unit_id, r.code, r.area_centi, n * step_fen)
        for r, n in zip(recipients, floors, strict=True)
    ]


def split_rate(
    recipients: Sequence[Recipient], rate: Decimal, *, basis: Basis, rounding: Rounding
) -> list[Part]:
    """``rate`` yuan per m² (``area``) or per unit, each part rounded by ``rounding``."""
    per_yuan = Fraction(rate)
    out: list[Part] = []
    for r in recipients:
        exact_fen = per_yuan * (r.area_centi if basis == "area" else 100)  # yuan×100 = fen
        if rounding == "fen":
            amount = floor(exact_fen + Fraction(1, 2))  # half up (amounts are positive)
        else:
            amount = floor(exact_fen / 100) * 100
        out.append(Part(r.unit_id, r.code, r.area_centi, amount))
    return out


def schedule(
    setting: AllocationSetting, recipients: Sequence[Recipient], total_fen: int | None
) -> list[Part]:
    """The schedule a resolution's setting gives: ``total_fen`` is required in total mode and
    must be ``None`` in rate mode (the caller checks and explains)."""
    if setting.mode == "total":
        if total_fen is None:
            raise Invalid(msg("prorata.total-mode-needs-total"))
        return split_total(
            recipients, total_fen, basis=setting.basis, step_fen=STEP[setting.rounding]
        )
    if total_fen is not None or setting.rate is None:
        raise Invalid(msg("prorata.rate-mode-takes-no"))
    return split_rate(recipients, setting.rate, basis=setting.basis, rounding=setting.rounding)
