"""The rules' registers over HTTP: the unit register, owners' resolutions with their vote
arithmetic, and the dividends and subsidies they allow.

Who may do what: the rules file is read by members and set by an admin (kept in the
database: every setting is numbered, with its SHA-256, who set it and when, and an event);
the unit register holds owner ids, so only members read it (every role: the
treasurer checks schedules, the supervisors and auditors check the vote) and only an admin
loads it; resolutions are entered by an admin or an approver (committee members) and read by
members; a dividend or subsidy is created by the treasurer and approved by a second member.
Nothing here is public: the public unit lookup (``api.routes_public``) shows amounts, never
owners.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api import lang
from api.deps import BooksDep, Member, Role, entry_status, require_role
from api.errors import ERRORS
from ledger.errors import Problem, ValidationFailed
from ledger.messages import msg
from ledger.money import fmt
from rules import allocate as allocation_service
from rules import resolution_register, rules_store, units
from rules.allocate import AllocationIn, AllocationOut
from rules.payout import PayoutIn, PayoutOut
from rules.payout import payout as payout_service
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
    slug: str, body: ResolutionIn, books: BooksDep, member: EntersResolutionsDep, request: Request
) -> ResolutionOut:
    return resolution_register.create(
        books=books,
        slug=member.slug,
        body=body,
        actor=member.username,
        address=member.address,
        lang=lang.of_request(request),
    )


@router.get("/resolutions", responses=ERRORS, summary="The resolutions, with their figures")
def list_resolutions(
    slug: str, books: BooksDep, member: MemberDep, request: Request
) -> list[ResolutionOut]:
    return resolution_register.list_all(
        books=books, slug=member.slug, lang=lang.of_request(request)
    )


@router.get(
    "/resolutions/{number}",
    responses=ERRORS,
    summary="One resolution: passed or not, the arithmetic, and each unit's ballot",
)
def get_resolution(
    slug: str, number: str, books: BooksDep, member: MemberDep, request: Request
) -> ResolutionOut:
    return resolution_register.get(
        books=books, slug=member.slug, number=number, lang=lang.of_request(request)
    )


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
    response.status_code = entry_status(out.entry.status)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return out


# --- the rules file ----------------------------------------------------------------------------


class RulesTextOut(BaseModel):
    """The rules in force: the text as set (TOML), its number, SHA-256, who set it and when."""

    number: int = Field(description="1 for the first setting, then one more for each")
    sha256: str = Field(description="SHA-256 of the text's UTF-8 bytes")
    set_by: str
    set_at: datetime
    text: str = Field(description="the rules file: [[version]]s, each with its effective_from")

    @classmethod
    def of(cls, out: rules_store.RulesOut) -> RulesTextOut:
        return cls(
            number=out.number,
            sha256=out.sha256,
            set_by=out.set_by,
            set_at=out.set_at,
            text=out.text,
        )


class RulesSetOut(RulesTextOut):
    changed: bool = Field(description="false when the text was already in force (nothing stored)")


_EXAMPLE_RULES = (
    '[[version]]\neffective_from = 2000-01-01\napproval_threshold = "5000.00"\n\n'
    '[[version]]\neffective_from = 2026-01-01\nresolution_threshold = "5000.00"\n'
)

#: The body is the rules file itself, as ``text/plain`` (UTF-8 TOML), read after the caller is
#: known (401/403 before 422), as the posting routes do.
_RULES_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the whole rules file, UTF-8 TOML (the Content-Type is not checked)",
        "content": {"text/plain": {"schema": {"type": "string"}, "example": _EXAMPLE_RULES}},
    }
}


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.get("/rules", responses=ERRORS, summary="The rules in force, with who set them and when")
def get_rules(slug: str, books: BooksDep, member: MemberDep) -> RulesTextOut:
    return RulesTextOut.of(rules_store.in_force(books=books, slug=member.slug))


@router.put(
    "/rules",
    responses=ERRORS,
    summary="Set the rules file (admin): in force from the next post on",
    description="The body is the whole rules file as text/plain. Refused with 422 (rule "
    "`rules-file`, naming the version and the key) when it does not parse, and with 409 "
    "(rule `closed-period`) when it changes the rules in force on a day of a closed period: "
    "a new version may take effect only after the last closed period's end. Setting the text "
    "in force again stores nothing (`changed: false`).",
    openapi_extra=_RULES_DOC,
)
def put_rules(
    slug: str, member: AdminDep, raw: Annotated[bytes, Depends(_raw_body)], books: BooksDep
) -> RulesSetOut:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            [
                Problem(
                    msg("routes_rules.rules-file-utf-text", exc=exc),
                    field="body",
                    rule="rules-file",
                )
            ]
        ) from None
    out, changed = rules_store.set_rules(
        books=books, slug=member.slug, text=text, actor=member.username, address=member.address
    )
    return RulesSetOut(**RulesTextOut.of(out).model_dump(), changed=changed)


@router.post(
    "/resolutions/{number}/payouts",
    status_code=202,
    responses={
        200: {"model": PayoutOut, "description": "Replayed (same idempotency key)"},
        201: {"model": PayoutOut, "description": "Posted (under the approval threshold)"},
        **ERRORS,
    },
    summary="Pay out what a resolution's dividend still owes, unit by unit",
)
def create_payout(
    slug: str,
    number: str,
    body: PayoutIn,
    books: BooksDep,
    member: TreasurerDep,
    response: Response,
) -> PayoutOut:
    out, created = payout_service(
        books=books,
        slug=member.slug,
        number=number,
        body=body,
        actor=member.username,
        address=member.address,
    )
    response.status_code = entry_status(out.entry.status)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return out
