"""The bank statement over HTTP: import, proposals, reconciliation.

- ``POST .../bank/statements`` (treasurer): a statement of one account as JSON (its lines
  oldest first); answers how many lines were new, duplicates and matched, and the proposals
  for the rest. A file from the bank goes through ``commons bank import`` (a layout).
- ``GET .../bank/proposals`` (members): the lines still to confirm or dismiss, with drafts.
- ``POST .../bank/lines/{line}/confirm`` (treasurer): post the proposal's entry (as drafted or
  edited) through the ordinary posting path; 201 posted, 202 waiting for approval.
- ``POST .../bank/lines/{line}/dismiss`` (treasurer): set it aside, with a reason.
- ``GET .../bank/lines`` and ``GET .../bank/reconciliation?account=&date=`` (members).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from api.deps import BooksDep, Member, Role, entry_status, require_role
from api.errors import ERRORS
from ledger import clock
from rules import bank
from rules.bank import (
    ConfirmIn,
    ConfirmOut,
    DismissIn,
    ImportOut,
    LineOut,
    ProposalOut,
    ReconciliationOut,
    StatementIn,
)

router = APIRouter(prefix="/api/v1/communities/{slug}/bank", tags=["bank"])

MemberDep = Annotated[Member, Depends(require_role())]
TreasurerDep = Annotated[Member, Depends(require_role(Role.TREASURER))]
LineId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the statement line's id")]
AccountQuery = Annotated[str, Query(min_length=1, max_length=200, description="the bank account")]


@router.post(
    "/statements",
    status_code=201,
    responses=ERRORS,
    summary="Import a statement's lines; match them to entries; propose the rest",
)
def import_statement(
    slug: str, body: StatementIn, books: BooksDep, member: TreasurerDep
) -> ImportOut:
    reads = bank.lines_of_json(body, today=clock.today())
    return bank.import_lines(
        books=books,
        slug=member.slug,
        account=body.account,
        reads=reads,
        actor=member.username,
        source="api",
        address=member.address,
    )


@router.get("/proposals", responses=ERRORS, summary="Statement lines to confirm or dismiss")
def list_proposals(
    slug: str, books: BooksDep, member: MemberDep, account: str | None = None
) -> list[ProposalOut]:
    return bank.proposals(books=books, slug=member.slug, account=account)


@router.get("/lines", responses=ERRORS, summary="An account's statement lines, oldest first")
def list_lines(
    slug: str, books: BooksDep, member: MemberDep, account: AccountQuery
) -> list[LineOut]:
    return bank.lines(books=books, slug=member.slug, account=account)


@router.post(
    "/lines/{line}/confirm",
    status_code=202,
    responses={
        200: {"model": ConfirmOut, "description": "Replayed (confirmed before)"},
        201: {"model": ConfirmOut, "description": "Posted"},
        **ERRORS,
    },
    summary="Post a proposal's entry (as drafted, or edited) through the posting path",
)
def confirm_line(
    slug: str,
    line: LineId,
    books: BooksDep,
    member: TreasurerDep,
    response: Response,
    body: ConfirmIn | None = None,
) -> ConfirmOut:
    out, created = bank.confirm(
        books=books,
        slug=member.slug,
        line_id=line,
        draft=body.draft if body is not None else None,
        actor=member.username,
        address=member.address,
    )
    response.status_code = entry_status(out.entry.status)
    if not created:
        response.status_code = 200
    return out


@router.post(
    "/lines/{line}/dismiss",
    responses=ERRORS,
    summary="Set a proposal aside with a reason (it stays on the reconciliation)",
)
def dismiss_line(
    slug: str, line: LineId, body: DismissIn, books: BooksDep, member: TreasurerDep
) -> LineOut:
    return bank.dismiss(
        books=books,
        slug=member.slug,
        line_id=line,
        reason=body.reason,
        actor=member.username,
        address=member.address,
    )


@router.get(
    "/reconciliation",
    responses=ERRORS,
    summary="The bank reconciliation (银行存款余额调节表) of an account on a date",
)
def reconciliation(
    slug: str,
    books: BooksDep,
    member: MemberDep,
    account: AccountQuery,
    day: Annotated[date, Query(alias="date")],
) -> ReconciliationOut:
    return bank.reconcile(books=books, slug=member.slug, account=account, day=day)
