"""The transactions API (docs/service.md): post, bulk post, list, get, approve, reject,
reverse, and balances as of a date. Routes are thin: they check who is asking and call
``ledger.journal``; every action passes the client's address to the audit trail."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from http import HTTPStatus
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from sqlmodel import Session

from api.deps import BooksDep, Member, Role, entry_status, require_role
from api.errors import ERRORS
from ledger import clock, journal, reading
from ledger.errors import LedgerError, Problem, ValidationFailed
from ledger.messages import msg, text_of
from ledger.models import Entry
from ledger.schemas import IsoDate, Money, TransactionIn, TransactionOut, clean_text

#: ``date`` is also a field name below; annotations use this alias.
Day = date

Body = TypeVar("Body", bound=BaseModel)

router = APIRouter(prefix="/api/v1/communities/{slug}", tags=["transactions"])

MemberDep = Annotated[Member, Depends(require_role())]
TreasurerDep = Annotated[Member, Depends(require_role(Role.TREASURER))]
TREASURER = frozenset({Role.TREASURER})
ApproverDep = Annotated[Member, Depends(require_role(Role.APPROVER))]


# --- request and response models ------------------------------------------------------------


#: Transactions per bulk request (about 350 bytes each: well inside the 1 MiB body limit).
MAX_BULK = 2000


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transactions: Annotated[list[TransactionIn], Field(min_length=1, max_length=MAX_BULK)]


class BulkOut(BaseModel):
    transactions: list[TransactionOut]


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str,
        BeforeValidator(partial(clean_text, max_length=1000, min_length=1, multiline=False)),
        Field(description="why, in words; kept with the entry and in the audit trail"),
    ]


class ReverseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: IsoDate | None = Field(
        default=None, description="the reversal's date (an open period); default today"
    )
    reason: Annotated[
        str,
        BeforeValidator(partial(clean_text, max_length=500, min_length=1, multiline=False)),
        Field(description="why the entry is reversed; kept in its narration and the audit trail"),
    ]


class TransactionPage(BaseModel):
    items: list[TransactionOut]
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page; null at the end"
    )


class BalanceOut(BaseModel):
    account: str
    code: str
    name_zh: str
    name_en: str
    balance: Money


class BalancesOut(BaseModel):
    date: Day
    balances: list[BalanceOut]


class BadCursor(LedgerError):
    status = HTTPStatus.BAD_REQUEST


# --- posting ---------------------------------------------------------------------------------

#: The posting routes read their body themselves, after the caller is known: a stranger gets
#: 401 and a member without the role 403 whatever the body, and only then is it validated
#: (422). A body parameter would be parsed by FastAPI before any dependency runs. The OpenAPI
#: document still describes the body (``_posting_doc``; ``api.app`` adds ``OPENAPI_MODELS``
#: to its components).
OPENAPI_MODELS: tuple[type[BaseModel], ...] = (TransactionIn, BulkIn)


def _posting_doc(body: type[BaseModel]) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{body.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


def _body(model: type[Body], raw: bytes) -> Body:
    """The request body as ``model``; a 422 in FastAPI's own shape when it is not one."""
    try:
        return model.model_validate_json(raw)
    except PydanticValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors, body=raw) from None


IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="used when the body has no idempotency_key; both and different is a 422",
    ),
]


def _with_key(body: TransactionIn, header: str | None) -> TransactionIn:
    """The body's key wins; the header fills in a missing one; two different keys are a 422."""
    if header is None:
        return body
    try:
        clean_text(header, max_length=200, min_length=1, multiline=False)
    except ValueError as exc:
        raise ValidationFailed(
            [Problem(text_of(exc), field="Idempotency-Key", rule="idempotency")]
        ) from None
    if body.idempotency_key is None:
        return body.model_copy(update={"idempotency_key": header})
    if body.idempotency_key != header:
        raise ValidationFailed(
            [
                Problem(
                    msg("routes_transactions.idempotency-key-header-body"),
                    field="idempotency_key",
                    rule="idempotency",
                    details={"header": header, "body": body.idempotency_key},
                )
            ]
        )
    return body


@router.post(
    "/transactions",
    status_code=201,
    response_model=TransactionOut,
    responses={
        202: {"model": TransactionOut, "description": "Stored pending a second member's approval"},
        **ERRORS,
    },
    summary="Post a transaction (201 posted, 202 pending approval)",
    openapi_extra=_posting_doc(TransactionIn),
)
def post_transaction(
    slug: str,
    member: TreasurerDep,
    raw: RawBody,
    books: BooksDep,
    response: Response,
    idempotency_key: IdempotencyHeader = None,
) -> TransactionOut:
    body = _body(TransactionIn, raw)
    result = journal.post(
        books=books,
        slug=member.slug,
        draft=_with_key(body, idempotency_key),
        actor=member.username,
        address=member.address,
    )
    response.status_code = entry_status(result.entry.status)
    if not result.created:
        response.headers["Idempotent-Replayed"] = "true"
    return result.entry


@router.post(
    "/transactions/bulk",
    status_code=201,
    response_model=BulkOut,
    responses={202: {"model": BulkOut, "description": "Posted, some pending approval"}, **ERRORS},
    summary="Post many transactions, all or nothing",
    openapi_extra=_posting_doc(BulkIn),
)
def post_bulk(
    slug: str, member: TreasurerDep, raw: RawBody, books: BooksDep, response: Response
) -> BulkOut:
    body = _body(BulkIn, raw)
    results = journal.post_many(
        books=books,
        slug=member.slug,
        drafts=body.transactions,
        actor=member.username,
        address=member.address,
    )
    response.status_code = 202 if any(r.pending for r in results) else 201
    return BulkOut(transactions=[r.entry for r in results])


# --- reading ---------------------------------------------------------------------------------


def _encode_cursor(entry: Entry) -> str:
    raw = json.dumps([entry.date.isoformat(), entry.created_at.isoformat(), entry.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


#: What a cursor this server issued holds: an ISO day, an aware ISO timestamp and an entry id
#: (a UUID). Anything else (a naive timestamp the database cannot compare, a NUL or a lone
#: surrogate the driver cannot bind, a long id) is refused before it reaches a query.
_CURSOR_DAY = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_CURSOR_AT = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,15}[+-][0-9]{2}:[0-9]{2}\Z")
_CURSOR_ID = re.compile(r"\A[0-9a-f-]{1,36}\Z")


def _decode_cursor(cursor: str) -> tuple[date, datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        day, created, entry_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not all(isinstance(v, str) for v in (day, created, entry_id)):
            raise ValueError("not text")
        if not (_CURSOR_DAY.match(day) and _CURSOR_AT.match(created)):
            raise ValueError("not ISO")
        if not _CURSOR_ID.match(entry_id):
            raise ValueError("not an entry id")
        at = datetime.fromisoformat(created)
        if at.tzinfo is None:  # pragma: no cover - the pattern requires an offset
            raise ValueError("naive")
        return date.fromisoformat(day), at, entry_id
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise BadCursor(
            [
                Problem(
                    msg("routes_transactions.paging-cursor-one-server"),
                    field="cursor",
                    rule="cursor",
                )
            ]
        ) from None


@router.get(
    "/transactions",
    responses=ERRORS,
    summary="List entries (posted, pending, rejected) with filters and cursor paging",
)
def list_transactions(
    slug: str,
    books: BooksDep,
    member: MemberDep,
    date_from: Annotated[IsoDate | None, Query(alias="from")] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to")] = None,
    account: Annotated[
        str | None,
        Query(max_length=200, description="an account, or a parent to include its children"),
    ] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    status: Literal["posted", "pending", "rejected"] | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> TransactionPage:
    filters = reading.Filters(date_from, date_to, account, kind, status)
    after = _decode_cursor(cursor) if cursor is not None else None
    with Session(books.engine) as session:
        rows, more = reading.entries_page(
            session, member.community_id, filters, after=after, limit=limit
        )
    items = [journal.to_out(entry, legs) for entry, legs in rows]
    last = rows[-1][0] if rows else None
    return TransactionPage(
        items=items, next_cursor=_encode_cursor(last) if more and last is not None else None
    )


@router.get("/transactions/{entry_id}", responses=ERRORS, summary="One entry")
def get_transaction(slug: str, entry_id: str, books: BooksDep, member: MemberDep) -> TransactionOut:
    return journal.get(books=books, slug=member.slug, entry_id=entry_id)


# --- approvals and corrections ---------------------------------------------------------------


@router.post(
    "/transactions/{entry_id}/approve",
    responses=ERRORS,
    summary="Approve a pending entry (an approver who did not enter it)",
)
def approve_transaction(
    slug: str, entry_id: str, books: BooksDep, member: ApproverDep
) -> TransactionOut:
    return journal.approve(
        books=books,
        slug=member.slug,
        entry_id=entry_id,
        actor=member.username,
        address=member.address,
    )


@router.post(
    "/transactions/{entry_id}/reject",
    responses=ERRORS,
    summary="Reject a pending entry for good, with a reason",
)
def reject_transaction(
    slug: str, entry_id: str, body: RejectIn, books: BooksDep, member: ApproverDep
) -> TransactionOut:
    return journal.reject(
        books=books,
        slug=member.slug,
        entry_id=entry_id,
        actor=member.username,
        reason=body.reason,
        address=member.address,
    )


@router.post(
    "/transactions/{entry_id}/reverse",
    status_code=201,
    response_model=TransactionOut,
    responses={
        202: {"model": TransactionOut, "description": "Stored pending a second member's approval"},
        **ERRORS,
    },
    summary="Enter the reversal of a posted entry (201 posted, 202 pending approval)",
)
def reverse_transaction(
    slug: str,
    entry_id: str,
    body: ReverseIn,
    books: BooksDep,
    member: TreasurerDep,
    response: Response,
) -> TransactionOut:
    result = journal.reverse(
        books=books,
        slug=member.slug,
        entry_id=entry_id,
        actor=member.username,
        reason=body.reason,
        on=body.date,
        address=member.address,
    )
    response.status_code = entry_status(result.entry.status)
    return result.entry


@router.get("/balances", responses=ERRORS, summary="Balance per account as of a date")
def balances(
    slug: str,
    books: BooksDep,
    member: MemberDep,
    on: Annotated[IsoDate | None, Query(alias="date", description="default: today")] = None,
) -> BalancesOut:
    day = on or clock.today()
    with Session(books.engine) as session:
        amounts = books.balances(session, member.community_id, day)
        accounts = books.accounts(session, member.community_id)
    rows = [
        BalanceOut(
            account=a.name,
            code=a.code,
            name_zh=a.name_zh,
            name_en=a.name_en,
            balance=amounts.get(a.name, Decimal("0.00")),
        )
        for a in sorted(accounts, key=lambda a: a.code)
    ]
    return BalancesOut(date=day, balances=rows)
