"""The transactions API (DESIGN.md, Interfaces): post, bulk post, list, get, approve, reject,
reverse, and balances as of a date. Routes are thin: they check who is asking and call
``ledger.journal``; every action passes the client's address to the audit trail."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from http import HTTPStatus
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import and_, or_, select
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from api.deps import BEARER_SCHEME, BooksDep, Member, Role, authorize, require_role
from api.errors import ERRORS
from api.heap import collector_paused
from api.inline import inline_or_threaded
from ledger import clock, journal
from ledger.books import Books
from ledger.errors import LedgerError, Problem, ValidationFailed
from ledger.models import Account, Entry, Posting
from ledger.money import from_fen
from ledger.schemas import Money, TransactionIn, TransactionOut, clean_text
from ledger.txn import Leg

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

    date: Day | None = Field(default=None, description="the reversal's date; default today")


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

#: The posting routes are the hot path, so FastAPI resolves nothing for them but the path:
#: one worker thread checks the caller (``authorize``), then validates the body (pydantic
#: straight from the JSON bytes), then posts; a single post runs on the event loop itself
#: unless it would wait for a lock (``api.inline``). As dependencies and a body parameter this took
#: two thread hops and FastAPI's parameter machinery, a fifth of a one-transaction request
#: (profiled). A side effect is the order of refusals: 401/403/404 before a 422, as a client
#: would expect. The OpenAPI document describes the body, header and bearer scheme as before
#: (``_posting_doc``); ``api.app`` adds ``OPENAPI_MODELS`` to its components.
OPENAPI_MODELS: tuple[type[BaseModel], ...] = (TransactionIn, BulkIn)


def _posting_doc(body: type[BaseModel], *, key_header: bool) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{body.__name__}"}
    doc: dict[str, Any] = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "security": [{BEARER_SCHEME: []}],
    }
    if key_header:
        doc["parameters"] = [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 200},
                "description": "used when the body has no idempotency_key; both and different "
                "is a 422",
            }
        ]
    return doc


def _body(model: type[Body], raw: bytes) -> Body:
    """The request body as ``model``; a 422 in FastAPI's own shape when it is not one."""
    try:
        return model.model_validate_json(raw)
    except PydanticValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors, body=raw) from None


def _status_of(entry: TransactionOut) -> int:
    return {"posted": 201, "pending": 202}.get(entry.status, 200)


def _with_key(body: TransactionIn, header: str | None) -> TransactionIn:
    """The body's key wins; the header fills in a missing one; two different keys are a 422."""
    if header is None:
        return body
    try:
        clean_text(header, max_length=200, min_length=1, multiline=False)
    except ValueError as exc:
        raise ValidationFailed(
            [Problem(str(exc), field="Idempotency-Key", rule="idempotency")]
        ) from None
    if body.idempotency_key is None:
        return body.model_copy(update={"idempotency_key": header})
    if body.idempotency_key != header:
        raise ValidationFailed(
            [
                Problem(
                    "the Idempotency-Key header and the body's idempotency_key differ; send one",
                    field="idempotency_key",
                    rule="idempotency",
                    details={"header": header, "body": body.idempotency_key},
                )
            ]
        )
    return body


def _json(model: BaseModel, status: int, headers: dict[str, str] | None = None) -> Response:
    """The answer as JSON bytes straight from the model's serializer: FastAPI would dump the
    model, re-validate it against the response model and serialize it again (a bulk answer
    holds hundreds of entries). The route still declares its ``response_model``."""
    return Response(
        model.model_dump_json(), status_code=status, media_type="application/json", headers=headers
    )


@router.post(
    "/transactions",
    status_code=201,
    response_model=TransactionOut,
    responses={
        202: {"model": TransactionOut, "description": "Stored pending a second member's approval"},
        **ERRORS,
    },
    summary="Post a transaction (201 posted, 202 pending approval)",
    openapi_extra=_posting_doc(TransactionIn, key_header=True),
)
async def post_transaction(slug: str, request: Request) -> Response:
    books: Books = request.app.state.books
    raw = await request.body()

    def work() -> Response:
        member = authorize(request, books, slug, TREASURER)
        draft = _with_key(_body(TransactionIn, raw), request.headers.get("idempotency-key"))
        result = journal.post(
            books=books, slug=slug, draft=draft, actor=member.username, address=member.address
        )
        headers = None if result.created else {"Idempotent-Replayed": "true"}
        return _json(result.entry, _status_of(result.entry), headers)

    return await inline_or_threaded(books, work)


@router.post(
    "/transactions/bulk",
    status_code=201,
    response_model=BulkOut,
    responses={202: {"model": BulkOut, "description": "Posted, some pending approval"}, **ERRORS},
    summary="Post many transactions, all or nothing",
    openapi_extra=_posting_doc(BulkIn, key_header=False),
)
async def post_bulk(slug: str, request: Request) -> Response:
    books: Books = request.app.state.books
    raw = await request.body()

    def work() -> Response:
        member = authorize(request, books, slug, TREASURER)
        body = _body(BulkIn, raw)
        with collector_paused():
            results = journal.post_many(
                books=books,
                slug=slug,
                drafts=body.transactions,
                actor=member.username,
                address=member.address,
            )
        status = 202 if any(r.pending for r in results) else 201
        return _json(BulkOut.model_construct(transactions=[r.entry for r in results]), status)

    return await run_in_threadpool(work)


# --- reading ---------------------------------------------------------------------------------


def _encode_cursor(entry: Entry) -> str:
    raw = json.dumps([entry.date.isoformat(), entry.created_at.isoformat(), entry.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[date, datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        day, created, entry_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(entry_id, str):
            raise ValueError(entry_id)
        return date.fromisoformat(day), datetime.fromisoformat(created), entry_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadCursor(
            [
                Problem(
                    "the paging cursor is not one this server issued; start again without it",
                    field="cursor",
                    rule="cursor",
                )
            ]
        ) from None


def _account_ids(session: Session, community_id: str, account: str) -> list[int]:
    """The account and its sub-accounts; 422 when the name matches nothing."""
    rows = session.execute(
        select(col(Account.id), col(Account.name)).where(col(Account.community_id) == community_id)
    ).all()
    ids = [i for i, name in rows if name == account or name.startswith(account + ":")]
    if not ids:
        raise ValidationFailed(
            [
                Problem(
                    f"unknown account {account!r}",
                    field="account",
                    rule="known-account",
                    details={"account": account},
                )
            ]
        )
    return ids


@router.get(
    "/transactions",
    responses=ERRORS,
    summary="List entries (posted, pending, rejected) with filters and cursor paging",
)
def list_transactions(
    slug: str,
    books: BooksDep,
    member: MemberDep,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    account: Annotated[
        str | None,
        Query(max_length=200, description="an account, or a parent to include its children"),
    ] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    status: Literal["posted", "pending", "rejected"] | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> TransactionPage:
    with Session(books.engine) as session:
        query = select(Entry).where(col(Entry.community_id) == member.community_id)
        if date_from is not None:
            query = query.where(col(Entry.date) >= date_from)
        if date_to is not None:
            query = query.where(col(Entry.date) <= date_to)
        if kind is not None:
            query = query.where(col(Entry.kind) == kind)
        if status is not None:
            query = query.where(col(Entry.status) == status)
        if account is not None:
            ids = _account_ids(session, member.community_id, account)
            having = select(col(Posting.entry_id)).where(col(Posting.account_id).in_(ids))
            query = query.where(col(Entry.id).in_(having))
        if cursor is not None:
            day, created, last_id = _decode_cursor(cursor)
            query = query.where(
                or_(
                    col(Entry.date) > day,
                    and_(col(Entry.date) == day, col(Entry.created_at) > created),
                    and_(
                        col(Entry.date) == day,
                        col(Entry.created_at) == created,
                        col(Entry.id) > last_id,
                    ),
                )
            )
        query = query.order_by(col(Entry.date), col(Entry.created_at), col(Entry.id))
        entries = list(session.execute(query.limit(limit + 1)).scalars())
        more = len(entries) > limit
        entries = entries[:limit]
        legs = _legs(session, [e.id for e in entries])
        items = [journal.to_out(e, legs.get(e.id, [])) for e in entries]
    return TransactionPage(
        items=items, next_cursor=_encode_cursor(entries[-1]) if more and entries else None
    )


def _legs(session: Session, entry_ids: list[str]) -> dict[str, list[Leg]]:
    out: dict[str, list[Leg]] = {i: [] for i in entry_ids}
    if not entry_ids:
        return out
    rows = session.execute(
        select(col(Posting.entry_id), col(Account.name), col(Posting.amount_fen))
        .join(Account, col(Account.id) == col(Posting.account_id))
        .where(col(Posting.entry_id).in_(entry_ids))
        .order_by(col(Posting.entry_id), col(Posting.position))
    )
    for entry_id, name, fen in rows:
        out[entry_id].append(Leg(name, from_fen(fen)))
    return out


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
    responses=ERRORS,
    summary="Post the reversal of a posted entry",
)
def reverse_transaction(
    slug: str,
    entry_id: str,
    books: BooksDep,
    member: TreasurerDep,
    body: ReverseIn | None = None,
) -> TransactionOut:
    result = journal.reverse(
        books=books,
        slug=member.slug,
        entry_id=entry_id,
        actor=member.username,
        on=body.date if body else None,
        address=member.address,
    )
    return result.entry


@router.get("/balances", responses=ERRORS, summary="Balance per account as of a date")
def balances(
    slug: str,
    books: BooksDep,
    member: MemberDep,
    on: Annotated[date | None, Query(alias="date", description="default: today")] = None,
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
