"""Income contracts, arrears and the budget over HTTP.

- ``POST/GET /contracts``: register a contract (admin or treasurer), list them (members); the
  signed contract and the papers behind it are documents (``POST /documents`` with
  ``contract``, ``GET /documents?contract=`` lists them: :mod:`api.routes_documents`);
- ``GET /receivables?date=``: each contract's due, received and overdue, aged (members);
- ``POST /budgets``: adopt a year's budget (admin or approver, as resolutions);
- ``GET /budgets/{year}/actual``: budget, actual and variance by account and period (members).

The work is in :mod:`rules.contracts` and :mod:`rules.budget`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from api import lang
from api.deps import BooksDep, Member, Role, require_role
from api.errors import ERRORS
from rules import budget, contracts
from rules.budget import ActualOut, BudgetIn, BudgetOut
from rules.contracts import ContractIn, ContractOut

router = APIRouter(prefix="/api/v1/communities/{slug}", tags=["contracts"])

MemberDep = Annotated[Member, Depends(require_role())]
RegistersDep = Annotated[Member, Depends(require_role(Role.ADMIN, Role.TREASURER))]
AdoptsDep = Annotated[Member, Depends(require_role(Role.ADMIN, Role.APPROVER))]


class ReceivableOut(BaseModel):
    number: str
    counterparty: str
    due: str
    received: str
    overdue: str
    ahead: str
    ageing: dict[str, str]
    compliant: bool


class ReceivablesOut(BaseModel):
    date: str
    contracts: list[ReceivableOut]


@router.post(
    "/contracts",
    status_code=201,
    responses=ERRORS,
    summary="Register an income contract (flagged when no passed business-use resolution)",
)
def add_contract(
    slug: str, body: ContractIn, books: BooksDep, member: RegistersDep, request: Request
) -> ContractOut:
    return contracts.add(
        books=books,
        slug=member.slug,
        body=body,
        actor=member.username,
        address=member.address,
        lang=lang.of_request(request),
    )


@router.get("/contracts", responses=ERRORS, summary="The income contracts, with compliance")
def list_contracts(
    slug: str, books: BooksDep, member: MemberDep, request: Request
) -> list[ContractOut]:
    return contracts.listing(books=books, slug=member.slug, lang=lang.of_request(request))


@router.get(
    "/receivables",
    responses=ERRORS,
    summary="Each contract's due, received and overdue amounts with ageing, at a date",
)
def receivables(
    slug: str,
    books: BooksDep,
    member: MemberDep,
    on: Annotated[date | None, Query(alias="date", description="default: today")] = None,
) -> ReceivablesOut:
    return ReceivablesOut.model_validate(
        contracts.receivables(books=books, slug=member.slug, on=on)
    )


@router.post(
    "/budgets",
    status_code=201,
    responses=ERRORS,
    summary="Adopt a year's budget (by account and month, quarter or year) under a resolution",
)
def set_budget(slug: str, body: BudgetIn, books: BooksDep, member: AdoptsDep) -> BudgetOut:
    return budget.set_budget(
        books=books, slug=member.slug, body=body, actor=member.username, address=member.address
    )


@router.get(
    "/budgets/{year}/actual",
    responses=ERRORS,
    summary="Budget, actual and variance (actual - budget) by account and period",
)
def budget_actual(
    slug: str,
    year: Annotated[int, Path(ge=2000, le=2999)],
    books: BooksDep,
    member: MemberDep,
) -> ActualOut:
    return budget.actuals(books=books, slug=member.slug, year=year)
