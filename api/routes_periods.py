"""Closing periods over HTTP: ``POST /api/v1/communities/{slug}/periods/{period}/close``
(approver). The work is :func:`rules.periods.close`; this answers the closed period(s) with the
chain head, or 409/422 with the reason (pending entries, a reserve shortfall in yuan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import BooksDep, Member, Role, require_role
from api.errors import ERRORS
from rules.periods import close

router = APIRouter(prefix="/api/v1/communities/{slug}", tags=["periods"])

ApproverDep = Annotated[Member, Depends(require_role(Role.APPROVER))]


class ReserveOut(BaseModel):
    period: str
    income: str
    manager_share: str
    direct_costs: str
    net_income: str
    set_aside: str
    share: str
    comparison: str
    required: str
    applies: bool
    fund_balance: str
    fund_floor: str
    shortfall: str


class ClosedOut(BaseModel):
    period: str
    start: str
    end: str
    head_seq: int = Field(description="the chain's sequence number when it closed")
    head_hash: str = Field(description="the chain head when it closed")
    closed_by: str
    closed_at: str
    reserve: ReserveOut


class CloseOut(BaseModel):
    closed: list[ClosedOut]


@router.post("/periods/{period}/close", responses=ERRORS, summary="Close a quarter or a year")
def close_period(slug: str, period: str, books: BooksDep, member: ApproverDep) -> CloseOut:
    """Close ``period`` (``2025Q1``; ``2025`` closes its open quarters in order). Refused with
    409 while entries dated in it are pending or when it is already closed, and with 422 while
    the reserve for the maintenance fund falls short (the shortfall in yuan)."""
    done = close(
        books=books, slug=slug, period=period, actor=member.username, address=member.address
    )
    return CloseOut.model_validate({"closed": [item.as_dict() for item in done]})
