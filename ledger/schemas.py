"""Request and response models for transactions, shared by the API, the CLI and the journal.

Amounts travel as strings (``"1234.50"``), beancount-signed: positive debits, negative credits.
Type-level checks live here (formats, lengths, characters); the journal checks meaning
(balance, accounts, dates) and the rules check what the owners allowed.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from ledger.messages import Invalid, msg
from ledger.money import fmt, parse_amount
from ledger.txn import KINDS

#: Kinds only the service writes: a reversal (``reverse``), a year's closing entry (the
#: close of its last period) and a contract's accrual (the close of a period); never typed.
GENERATED = frozenset({"reversal", "closing", "accrual"})

#: Bidirectional-text controls can make a record read differently from what it stores
#: ("Trojan Source"); books refuse them, with the other control characters.
_BIDI = {
    "\u061c",
    "\u200e",
    "\u200f",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
}


def _forbidden(allowed: str) -> re.Pattern[str]:
    """One pattern for every character ``clean_text`` refuses, except ``allowed``: Unicode's
    control characters (Cc: U+0000-001F, U+007F-009F, fixed by the standard), lone
    surrogates (Cs: U+D800-DFFF) and the bidirectional controls."""
    ranges = [(0x00, 0x1F), (0x7F, 0x9F), (0xD800, 0xDFFF)] + [(ord(c), ord(c)) for c in _BIDI]
    refused = [chr(c) for low, high in ranges for c in range(low, high + 1)]
    return re.compile("[" + "".join(re.escape(ch) for ch in refused if ch not in allowed) + "]")


_FORBIDDEN = _forbidden("\t\n")
_FORBIDDEN_ONE_LINE = _forbidden("\t")


def clean_text(
    value: object, *, max_length: int, min_length: int = 0, multiline: bool = True
) -> str:
    """Plain text for the books: a string within its length, without control characters
    (newlines and tabs are allowed where ``multiline``) or bidirectional overrides."""
    if not isinstance(value, str):
        raise Invalid(msg("schemas.must-string"))
    if len(value) > max_length:
        raise Invalid(
            msg("schemas.at-most-characters-got", max_length=max_length, value=len(value))
        )
    if len(value) < min_length:
        raise Invalid(msg("schemas.at-least-character-s", min_length=min_length))
    found = (_FORBIDDEN if multiline else _FORBIDDEN_ONE_LINE).search(value)
    if found is not None:
        raise Invalid(msg("schemas.contains-control-character-u", code=ord(found.group())))
    if value.count("\n") >= 20:
        raise Invalid(msg("schemas.at-most-lines"))
    return value


#: A date as the books write it: ISO ``YYYY-MM-DD`` and nothing else. Pydantic alone would
#: also take ``0`` or ``1700000000`` (seconds since 1970), ``2025-01-01T00:00`` and, in a
#: query string, numbers: a typo must not become 1 January 1970.
_ISO_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def iso_date(value: object) -> date:
    """A date from JSON, a form or a query string: ``YYYY-MM-DD`` text (a ``date`` from
    Python code is taken as is; a ``datetime`` is not a date)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Invalid(msg("schemas.day-calendar", value=value)) from None
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise Invalid(msg("schemas.date-written-yyyy-mm", shown=shown))


def unit_code(value: object) -> str:
    """A unit code (``1-1-0101``, ``3号楼-1201``): 1 to 40 letters, ASCII digits, ``-``, ``_``
    and ``.``, starting with a letter or digit. Codes go into URLs, file names, CSV cells and
    the public disclosure: no spaces, slashes, quotes, controls or formula characters."""
    if not isinstance(value, str):
        raise Invalid(msg("schemas.unit-code-text-such", type=type(value).__name__))
    try:
        text = clean_text(value, max_length=40, min_length=1, multiline=False)
    except ValueError as exc:
        raise Invalid(msg("schemas.unit-code", value=value[:40], exc=exc)) from None
    for ch in text:
        if not (ch.isalpha() or ("0" <= ch <= "9") or ch in "-_."):
            raise Invalid(msg("schemas.unit-code-u-allowed", text=text, ch=ch, code=ord(ch)))
    if not (text[0].isalpha() or "0" <= text[0] <= "9"):
        raise Invalid(msg("schemas.unit-code-must-start", text=text))
    return text


def _text(max_length: int, min_length: int = 0, multiline: bool = True) -> BeforeValidator:
    return BeforeValidator(
        partial(clean_text, max_length=max_length, min_length=min_length, multiline=multiline)
    )


IsoDate = Annotated[date, BeforeValidator(iso_date)]
UnitCode = Annotated[str, BeforeValidator(unit_code)]
Money = Annotated[
    Decimal,
    BeforeValidator(parse_amount),
    PlainSerializer(fmt, return_type=str, when_used="always"),
]
Payee = Annotated[str, _text(200)]
Narration = Annotated[str, _text(1000, 1)]
AccountName = Annotated[str, _text(200, 1, multiline=False)]
ResolutionRef = Annotated[str, _text(40, 1, multiline=False)]
ContractRef = Annotated[str, _text(40, 1, multiline=False)]
DocumentRef = Annotated[str, _text(100, 1, multiline=False), Field(pattern=r"^[^|]*$")]
IdempotencyKey = Annotated[str, _text(200, 1, multiline=False)]


class PostingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: AccountName
    amount: Money


class TransactionIn(BaseModel):
    """A transaction as a treasurer submits it (the API body, a CLI file, a JSONL line)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "date": "2025-03-31",
                "payee": "停车场",
                "narration": "3月地面停车费",
                "kind": "income",
                "postings": [
                    {"account": "Assets:1002-银行存款:01-基本户", "amount": "9600.00"},
                    {"account": "Income:4301-共有收益:01-停车费", "amount": "-9600.00"},
                ],
                "documents": ["收据 0032"],
                "idempotency_key": "2025-03-parking",
            }
        },
    )

    date: IsoDate
    payee: Payee = ""
    narration: Narration
    kind: Annotated[
        str, Field(pattern="^(" + "|".join(k for k in KINDS if k not in GENERATED) + ")$")
    ]
    postings: Annotated[list[PostingIn], Field(min_length=2, max_length=200)]
    resolution: ResolutionRef | None = None
    documents: Annotated[list[DocumentRef], Field(max_length=20)] = []
    idempotency_key: IdempotencyKey | None = None
    #: The income contract a receipt cites (``rules.contracts``). Left out of the dump (and so
    #: of the request hash) when absent, so requests stored before it hash as they did.
    contract: Annotated[ContractRef | None, Field(exclude_if=lambda v: v is None)] = None

    def fingerprint_body(self) -> dict[str, Any]:
        """What makes two requests "the same" for idempotency: everything but the key.
        Equal to ``model_dump(mode="json", exclude={"idempotency_key"})`` (a test keeps it
        so, since stored request hashes depend on it), built by hand at a tenth the cost."""
        return {
            "date": self.date.isoformat(),
            "payee": self.payee,
            "narration": self.narration,
            "kind": self.kind,
            "postings": [{"account": p.account, "amount": fmt(p.amount)} for p in self.postings],
            "resolution": self.resolution,
            "documents": list(self.documents),
            **({"contract": self.contract} if self.contract is not None else {}),
        }


class PostingOut(BaseModel):
    account: str
    amount: Money


class TransactionOut(BaseModel):
    id: str
    seq: int | None
    status: str
    date: date
    payee: str
    narration: str
    kind: str
    postings: list[PostingOut]
    entered_by: str
    approved_by: str | None
    resolution: str | None
    documents: list[str]
    reverses: str | None
    idempotency_key: str | None
    prev_hash: str | None
    hash: str | None
    created_at: datetime
    posted_at: datetime | None
    rejected_by: str | None = None
    rejected_reason: str | None = None
    #: The income contract a receipt cites.
    contract: str | None = None
    #: On the answer to a post that waits for approval: why, naming the earlier entries
    #: counted with it (spending to one payee within the approval window).
    approval_note: str | None = None
