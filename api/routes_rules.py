"""The rules' registers over HTTP: the unit register, owners' resolutions with their vote
arithmetic, and the dividends and subsidies they allow.

Who may do what: the unit register holds owner ids, so only members read it (every role: the
treasurer checks schedules, the supervisors and auditors check the vote) and only an admin
loads it; resolutions are entered by an admin or an approver (committee members) and read by
members; a dividend or subsidy is created by the treasurer and approved by a second member.
Nothing here is public: the public unit lookup (``api.routes_public``) shows amounts, never
owners.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import BooksDep, Member, Role, require_role
from api.errors import ERRORS
from ledger.money import fmt
from rules import allocate as allocation_service
from rules import resolution_register, units
from rules.allocate import AllocationIn, AllocationOut
from rules.resolution_register import ResolutionIn, ResolutionOut

router = APIRouter(prefix="/api/v1/communities/{slug}", tags=["rules"])

MemberDep = Annotated[Member, Depends(require_role())]
AdminDep = Annotated[Member, Depends(require_role(Role.ADMIN))]
EntersResolutionsDep = Annotated[Member, Depends(require_role(Role.ADMIN, Role.APPROVER))]
TreasurerDep = Annotated[Member, Depends(require_role(Role.TREASURER))]


class UnitIn(BaseModel):
    """One unit of the register (the CSV's columns). Values are checked by the register,
    which lists every bad row at once."""

    model_config = ConfigDict(extra="forbid")

    unit: Any = Field(description="unit code, e.g. 1-1-0101", examples=["1-1-0101"])
    owner: Any = Field(description="an opaque owner id (never shown publicly)")
    area: Any = Field(description='exclusive area in m², a decimal string, e.g. "89.30"')
    developer_unsold: Any = Field(default=False, description="true for an unsold developer unit")


class UnitOut(BaseModel):
    unit: str
    owner: str
    area: str
    developer_unsold: bool


class RegisterOut(BaseModel):
    units: int
    total_area: str = Field(description="m²")
    owners: int = Field(description="heads as 民法典 art. 278 counts them")
    items: list[UnitOut]


class ImportOut(BaseModel):
    added: int
    units: int
    total_area: str


@router.post(
    "/units",
    status_code=201,
    responses=ERRORS,
    summary="Add units to the register (all or none; every bad row listed)",
)
def import_units(
    slug: str,
    body: Annotated[list[UnitIn], Field(min_length=1, max_length=units.MAX_UNITS)],
    books: BooksDep,
    member: AdminDep,
) -> ImportOut:
    rows = units.parse_json([item.model_dump(exclude_unset=False) for item in body])
    summary = units.import_units(
        books=books, slug=member.slug, units=rows, actor=member.username, address=member.address
    )
    return ImportOut(added=summary.added, units=summary.units, total_area=fmt(summary.total_area))


@router.get("/units", responses=ERRORS, summary="The unit register, with owner ids (members)")
def list_units(slug: str, books: BooksDep, member: MemberDep) -> RegisterOut:
    from rules.vote import Voter

    with Session(books.engine) as session:
        rows = units.register(session, member.community_id)
    heads = {Voter(u.code, u.owner, u.area_centi, u.developer_unsold).head for u in rows}
    return RegisterOut(
        units=len(rows),
        total_area=fmt(units.area_of(sum(u.area_centi for u in rows))),
        owners=len(heads),
        items=[
            UnitOut(
                unit=u.code,
                owner=u.owner,
                area=fmt(units.area_of(u.area_centi)),
                developer_unsold=u.developer_unsold,
            )
            for u in rows
        ],
    )


@router.post(
    "/resolutions",
    status_code=201,
    responses=ERRORS,
    summary="Enter a resolution with its ballots; the service decides whether it passed",
)
def create_resolution(
    slug: str, body: ResolutionIn, books: BooksDep, member: EntersResolutionsDep
) -> ResolutionOut:
    return resolution_register.create(
        books=books, slug=member.slug, body=body, actor=member.username, address=member.address
    )


@router.get("/resolutions", responses=ERRORS, summary="The resolutions, with their figures")
def list_resolutions(slug: str, books: BooksDep, member: MemberDep) -> list[ResolutionOut]:
    return resolution_register.list_all(books=books, slug=member.slug)


@router.get(
    "/resolutions/{number}",
    responses=ERRORS,
    summary="One resolution: passed or not, the arithmetic, and each unit's ballot",
)
def get_resolution(slug: str, number: str, books: BooksDep, member: MemberDep) -> ResolutionOut:
    return resolution_register.get(books=books, slug=member.slug, number=number)


@router.post(
    "/resolutions/{number}/allocations",
    status_code=202,
    responses={
        200: {"model": AllocationOut, "description": "Replayed (same idempotency key)"},
        201: {"model": AllocationOut, "description": "Posted (if no approval were needed)"},
        **ERRORS,
    },
    summary="Create the dividend or subsidy a resolution allows, with its per-unit schedule",
)
def create_allocation(
    slug: str,
    number: str,
    body: AllocationIn,
    books: BooksDep,
    member: TreasurerDep,
    response: Response,
) -> AllocationOut:
    out, created = allocation_service.allocate(
        books=books,
        slug=member.slug,
        number=number,
        body=body,
        actor=member.username,
        address=member.address,
    )
    response.status_code = {"posted": 201, "pending": 202}.get(out.entry.status, 200)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return out
