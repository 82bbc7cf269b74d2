"""Owners' objections (异议) to the published notices, for the committee and the supervisors.

- ``GET /objections``: every objection, with its unit and (until erased) its contact, its
  answer due and whether it is overdue (any member: the committee and the supervisory
  committee);
- ``POST /objections/{id}/answer``: answer it (an approver or admin).

Objections are filed on the public notice (``api.routes_public``); the work is in
:mod:`rules.objections`. At start-up the contacts kept past their days are erased (this
router's lifespan runs :func:`rules.objections.sweep`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Path, Query

from api.deps import BooksDep, Member, Role, require_role
from api.errors import ERRORS
from rules import objections
from rules.objections import AnswerIn, ObjectionOut

log = logging.getLogger(__name__)


@asynccontextmanager
async def _sweep_at_start(app: FastAPI) -> AsyncIterator[None]:
    books = getattr(app.state, "books", None)
    if books is not None:
        erased = await anyio.to_thread.run_sync(lambda: objections.sweep(books))
        if erased:
            log.info("objections: %d contact(s) kept past their days erased", erased)
    yield


router = APIRouter(
    prefix="/api/v1/communities/{slug}", tags=["objections"], lifespan=_sweep_at_start
)

MemberDep = Annotated[Member, Depends(require_role())]
AnswersDep = Annotated[Member, Depends(require_role(Role.ADMIN, Role.APPROVER))]


@router.get(
    "/objections",
    responses=ERRORS,
    summary="Owners' objections to the notices, with their units, contacts and deadlines",
)
def list_objections(
    slug: str,
    books: BooksDep,
    member: MemberDep,
    period: Annotated[str | None, Query(max_length=10, description="one period only")] = None,
) -> list[ObjectionOut]:
    return objections.listing(books=books, slug=member.slug, period=period)


@router.post(
    "/objections/{objection_id}/answer",
    responses=ERRORS,
    summary="Answer an owner's objection (shown on the notice; the contact is erased later)",
)
def answer_objection(
    slug: str,
    objection_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: AnswerIn,
    books: BooksDep,
    member: AnswersDep,
) -> ObjectionOut:
    return objections.answer(
        books=books,
        slug=member.slug,
        objection_id=objection_id,
        body=body,
        actor=member.username,
        address=member.address,
    )
