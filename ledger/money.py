"""Money: ``Decimal`` yuan with two places (fen), CNY only, never float.

The database stores integer fen, which is exact on every backend; everything else speaks
``Decimal`` quantized to 0.01.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ledger.messages import Invalid, msg

CURRENCY = "CNY"
FEN = Decimal("0.01")
#: A sane ceiling for one posting: one hundred billion yuan. Larger is a typo or an attack.
MAX_AMOUNT = Decimal("100000000000.00")


#: An amount as people and programs write it: ASCII digits, an optional minus and at most one
#: point (at most two places, checked after with its own message). Python's ``Decimal`` (and
#: so pydantic's) would also take ``1_000``, ``1e2``, ``+5``, full-width ``１`` and
#: Arabic-Indic ``١``: text that reads differently to a person than to the books.
AMOUNT_TEXT = re.compile(r"\A-?(0|[1-9][0-9]*)(\.[0-9]+)?\Z")


class AmountError(Invalid):
    """An amount that is not a two-place decimal within the limits."""


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_amount(value: object) -> Decimal:
    """Parse a money value from JSON or text: a string such as ``"1234.50"`` or ``"-0.5"``
    (ASCII digits, at most one point and two places; spaces around it are ignored), or a
    JSON integer.

    Floats are refused: ``0.1`` in a float is not a tenth of a yuan (a JSON number with a
    point or an exponent arrives as a float). A ``Decimal`` from Python code is taken as is.
    """
    if isinstance(value, bool | float):
        raise AmountError(msg("money.amounts-are-decimal-strings"))
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip(" ")
        if len(text) > 24 or not AMOUNT_TEXT.match(text):
            raise AmountError(msg("money.amount-write-ascii-digits", value=_short(value)))
        try:
            amount = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise AmountError(msg("money.amount", value=_short(value))) from None
    else:
        raise AmountError(msg("money.amount", value=_short(value)))
    if not amount.is_finite():
        raise AmountError(msg("money.finite-amount", value=_short(value)))
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise AmountError(msg("money.at-most-two-decimal", value=_short(value)))
    if abs(amount) > MAX_AMOUNT:
        raise AmountError(
            msg("money.amount-exceeds-limit-yuan", value=_short(value), max_amount=MAX_AMOUNT)
        )
    amount = amount.quantize(FEN)
    if amount.is_zero():
        amount = Decimal("0.00")  # negative zero is zero
    return amount


def to_fen(amount: Decimal) -> int:
    """Yuan to integer fen; the amount must already have at most two places."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise AmountError(msg("money.has-more-than-two", amount=amount))
    return int(fen)


def from_fen(fen: int) -> Decimal:
    """Integer fen to two-place yuan."""
    return (Decimal(fen) / 100).quantize(FEN)


def quantize(amount: Decimal) -> Decimal:
    """Round half up to the fen (for computed figures such as shares)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def fmt(amount: Decimal) -> str:
    """Plain two-place text, as in JSON and beancount: ``1234.50``."""
    return f"{amount.quantize(FEN):f}"


def fmt_cny(amount: Decimal) -> str:
    """The Chinese way for people: ``¥12,345.60`` (negative: ``-¥12,345.60``)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount.quantize(FEN)):,.2f}"
