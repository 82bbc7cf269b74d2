"""Beancount text: round trips and injection. Whatever a payee or narration holds, the
projection parses back to the same single entry with the same text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from beancount import loader
from beancount.core import data
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ledger import chart, journal
from ledger.books import Books
from ledger.render import parse_entries, render_projected, render_txn, txn_from_entry, with_chain
from ledger.schemas import TransactionIn
from ledger.txn import Leg, Txn
from tests.conftest import txn

# Text a treasurer may type: anything but control and bidi characters (those are refused).
_CHARS = st.characters(
    blacklist_categories=("Cc", "Cs"),
    blacklist_characters="\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)
_PIECES = _CHARS | st.sampled_from(['"', "\\", "\n", "\t", "\\n", '\\"', ";", "*", "停车费"])
ALLOWED = st.lists(_PIECES, max_size=30).map("".join).filter(lambda s: s.count("\n") < 20)

AMOUNTS = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2, allow_nan=False
)


@given(
    payee=ALLOWED,
    narration=ALLOWED,
    amount=AMOUNTS,
    docs=st.lists(
        ALLOWED.filter(
            lambda s: s and "|" not in s and "\n" not in s and "\t" not in s and s == s.strip()
        ),
        max_size=3,
    ),
)
@settings(max_examples=300, deadline=None)
def test_render_parse_render_is_identity(
    payee: str, narration: str, amount: Decimal, docs: list[str]
) -> None:
    original = Txn(
        id="00000000-0000-0000-0000-000000000001",
        seq=7,
        date=date(2025, 3, 31),
        payee=payee,
        narration=narration,
        kind="income",
        legs=(Leg(chart.BANK, amount), Leg(chart.INCOME_PARKING, -amount)),
        entered_by="treasurer",
        documents=tuple(docs),
    )
    text = render_txn(original)
    entries, errors = parse_entries(text)
    assert errors == []
    assert len(entries) == 1
    parsed, _prev, _hash = txn_from_entry(entries[0])  # type: ignore[arg-type]
    assert parsed == original
    assert render_txn(parsed) == text


INJECTIONS = [
    'He said "hi"',
    "back\\slash\\",
    "trailing backslash \\",
    'quote then newline "\n2020-01-01 open Assets:Evil CNY',
    "\n2020-01-01 open Assets:Evil CNY\n",
    '"\n2020-01-01 * "evil" "x"\n  Assets:Evil 1.00 CNY\n  Income:Evil -1.00 CNY\n',
    'option "operating_currency" "USD"',
    'plugin "beancount.plugins.auto_accounts"',
    "tab\tseparated",
    "; a comment",
    'include "/etc/passwd"',
    "零宽\u200b字符",
    "\u2028line separator\u2029",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_stays_inside_its_entry(books: Books, community: str, text: str) -> None:
    draft = txn("12.34", narration=text, payee=text[:200])
    journal.post(books=books, slug=community, draft=draft, actor="t")
    entries, errors, options = loader.load_file(str(books.projection(community).path))
    assert errors == []
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    assert len(txns) == 1
    assert (txns[0].narration, txns[0].payee) == (text, text[:200])
    opens = {e.account for e in entries if isinstance(e, data.Open)}
    assert not any("Evil" in account for account in opens)
    assert options["operating_currency"] == ["CNY"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("narration", "bell\x07", "control character U+0007"),
        ("narration", "right-to-left \u202e override", "control character U+202E"),
        ("narration", "rlm \u200f mark", "control character U+200F"),
        ("narration", "nul \x00", "control character U+0000"),
        ("narration", "cr \r lf", "control character U+000D"),
        ("narration", "x" * 1001, "at most 1000 characters"),
        ("narration", "\n".join(["l"] * 25), "at most 20 lines"),
    ],
)
def test_unsafe_text_is_refused_with_a_clear_message(field: str, value: str, message: str) -> None:
    body = txn("1.00").model_dump(mode="json")
    body[field] = value
    with pytest.raises(ValidationError) as refused:
        TransactionIn.model_validate(body)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1.001", "at most two decimal places"),
        (1.5, "not floats"),
        ("1e3", "not an amount"),  # an exponent reads as 1e3 to a person, not 1000
        ("1000.", "not an amount"),
        ("1000000000000000", "exceeds the limit"),
        ("NaN", "not an amount"),
        ("12 USD", "not an amount"),
        ("", "not an amount"),
    ],
)
def test_amounts_are_two_place_decimals(amount: object, message: str) -> None:
    body = txn("1.00").model_dump(mode="json")
    body["postings"][0]["amount"] = amount
    with pytest.raises(ValidationError) as refused:
        TransactionIn.model_validate(body)
    assert message in str(refused.value)


def test_negative_zero_is_zero() -> None:
    body = txn("1.00").model_dump(mode="json")
    body["postings"][0]["amount"] = "-0.00"
    parsed = TransactionIn.model_validate(body)
    assert str(parsed.postings[0].amount) == "0.00"


@settings(max_examples=60, deadline=None)
@given(
    payee=st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30),
    narration=st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30),
    fen=st.integers(min_value=1, max_value=10**12),
    resolution=st.none() | st.sampled_from(["2025-01", "R-7"]),
    documents=st.lists(st.sampled_from(["收据 0032", "invoice-7.pdf"]), max_size=3),
    key=st.none() | st.text(min_size=1, max_size=10).filter(str.isalnum),
)
def test_fingerprint_body_is_the_models_json_dump(
    payee: str,
    narration: str,
    fen: int,
    resolution: str | None,
    documents: list[str],
    key: str | None,
) -> None:
    """Stored request hashes depend on this dict: the hand-built one must stay equal to what
    pydantic dumps, whatever fields TransactionIn grows."""
    amount = Decimal(fen).scaleb(-2)
    try:
        draft = txn(str(amount), narration=narration, payee=payee, key=key, resolution=resolution)
    except ValidationError:
        return  # text the model refuses (bidirectional controls): nothing to fingerprint
    draft = draft.model_copy(update={"documents": documents})
    expected = draft.model_dump(mode="json", exclude={"idempotency_key"})
    assert draft.fingerprint_body() == expected
    assert journal.fingerprint(draft) == journal.fingerprint(
        draft.model_copy(update={"idempotency_key": "another"})
    )


@given(
    payee=ALLOWED,
    narration=ALLOWED,
    legs=st.lists(AMOUNTS, min_size=1, max_size=5),
    seq=st.none() | st.integers(min_value=1, max_value=10**9),
    resolution=st.none() | st.sampled_from(["2025-01", 'R "7"\n']),
)
@settings(max_examples=200, deadline=None)
def test_projected_text_from_the_canonical_text_is_render_projected(
    payee: str, narration: str, legs: list[Decimal], seq: int | None, resolution: str | None
) -> None:
    """A fresh post composes its projection text from the canonical text it hashed; that
    must be exactly what rendering from the fields gives (newlines in text included)."""
    txn = Txn(
        id="e-1",
        seq=seq,
        date=date(2025, 3, 31),
        payee=payee,
        narration=narration,
        kind="income",
        legs=tuple(Leg(chart.BANK, amount) for amount in legs),
        entered_by="t",
        resolution=resolution,
    )
    expected = render_projected(txn, "a" * 64, "b" * 64)
    assert with_chain(render_txn(txn), len(txn.legs), "a" * 64, "b" * 64) == expected
