"""The treasurer's entry page ``/entry/{slug}``: a plain server-rendered form with presets for
the common kinds, account pickers from the community's chart and unsigned amounts (the debit
account gains, the credit account gives); the refusals are shown next to the form in words.
Approvers see the entries pending approval with approve and reject buttons, each entry with what
the decision needs (``api.pending_view``: lines in Chinese with 借/贷, the cited resolution's
budget, the documents, who entered it and when).

Every post follows post/redirect/get, so reloading the page never posts twice; the form also
carries an idempotency key generated when it was rendered, so a double click posts once. The
redirect names the entry (``?done=<id>``) and the page says what state it is in now, read from
the books (nothing is kept between requests).

Every post carries a CSRF token (``api.pages.form_refusal``): the entry form the session's, and
each approve and reject button one bound to its action and entry, so a token read from one
form cannot approve another entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import BooksDep, Member, Role
from api.pages import bound_csrf, browser_member, csrf_token, form_refusal, render
from api.pending_view import describe
from ledger import chart, clock, journal, reading
from ledger.errors import LedgerError, Problem, ValidationFailed
from ledger.messages import msg, validation_text
from ledger.models import Community, Entry
from ledger.money import AmountError, parse_amount
from ledger.schemas import TransactionIn, clean_text
from ledger.txn import Leg

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Preset:
    key: str
    label_zh: str
    label_en: str
    kind: str
    debit: str
    credit: str


PRESETS: tuple[Preset, ...] = (
    Preset("parking", "停车费收入", "Parking receipt", "income", chart.BANK, chart.INCOME_PARKING),
    Preset("rent", "架空层租金", "Pilotis rent", "income", chart.BANK, chart.INCOME_PILOTIS),
    Preset("room-rent", "公共用房租金", "Room rent", "income", chart.BANK, chart.INCOME_ROOMS),
    Preset("ads", "广告费收入", "Advertising income", "income", chart.BANK, chart.INCOME_ADS),
    Preset(
        "manager-share",
        "物业成本分成",
        "Manager's cost share",
        "cost",
        chart.COST_MANAGER_SHARE,
        chart.BANK,
    ),
    Preset("upgrade", "设施改造维修", "Upgrade", "upgrade", chart.USE_UPGRADE, chart.BANK),
    Preset(
        "reserve",
        "补充专项维修资金",
        "Transfer to the maintenance fund",
        "reserve",
        chart.USE_MAINTENANCE,
        chart.BANK,
    ),
    Preset("other-cost", "其他支出", "Other cost", "cost", chart.COST_DIRECT, chart.BANK),
)
PRESET_BY_KEY = {p.key: p for p in PRESETS}


def _blank_form(preset: str | None = None) -> dict[str, str]:
    return {
        "preset": preset if preset in PRESET_BY_KEY else PRESETS[0].key,
        "debit": "",
        "credit": "",
        "amount": "",
        "date": clock.today().isoformat(),
        "payee": "",
        "narration": "",
        "documents": "",
        "resolution": "",
        "idempotency_key": f"entry-{uuid.uuid4()}",
    }


def _page(
    request: Request,
    books: BooksDep,
    member: Member,
    *,
    form: dict[str, str],
    problems: list[Problem] | None = None,
    status: int = 200,
    notice: dict[str, Any] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    with Session(books.engine) as session:
        if notice is None and done:
            notice = _notice_of(session.get(Entry, done), member.community_id)
        community = session.get(Community, member.community_id)
        today = clock.today()
        accounts = [
            a
            for a in books.accounts(session, member.community_id)
            if a.close_date is None or a.close_date >= today
        ]
        pending = reading.pending(session, member.community_id)
        recent = [
            _recent(e, legs) for e, legs in reading.latest_posted(session, member.community_id)
        ]
    return render(
        request,
        "entry.html",
        status,
        slug=member.slug,
        community_name=community.name if community else member.slug,
        presets=PRESETS,
        accounts=sorted(accounts, key=lambda a: a.code),
        form=form,
        problems=problems or [],
        flash=notice,
        pending=describe(books, member.slug, pending),
        tokens={
            e.id: {
                "approve": bound_csrf(request, "approve", member.slug, e.id),
                "reject": bound_csrf(request, "reject", member.slug, e.id),
            }
            for e in pending
        },
        recent=recent,
        is_treasurer=member.has(Role.TREASURER),
        is_approver=member.has(Role.APPROVER),
        csrf=csrf_token(request),
    )


def _notice_of(entry: Entry | None, community_id: str) -> dict[str, Any] | None:
    """What the page says about the entry a post redirected with: its state now."""
    if entry is None or entry.community_id != community_id:
        return None
    if entry.status == "pending":
        message = msg("entry.stored", id=entry.id)
    elif entry.status == "rejected":
        message = msg("entry.rejected")
    elif entry.approved_by:
        message = msg("entry.approved", seq=entry.seq)
    else:
        message = msg("entry.posted", seq=entry.seq, narration=entry.narration)
    return {"message": message, "error": False}


def _done(member: Member, entry_id: str) -> RedirectResponse:
    return RedirectResponse(f"/entry/{member.slug}?done={entry_id}", status_code=303)


def _recent(entry: Entry, legs: list[Leg]) -> dict[str, Any]:
    moved = sum((leg.amount for leg in legs if leg.amount > 0), Decimal("0.00"))
    return {
        "seq": entry.seq,
        "date": entry.date,
        "payee": entry.payee,
        "narration": entry.narration,
        "amount": f"{moved:,.2f}",
    }


@router.get("/entry/{slug}", response_class=HTMLResponse)
def entry_page(
    slug: str,
    request: Request,
    books: BooksDep,
    preset: str | None = None,
    done: Annotated[str | None, Query(max_length=36)] = None,
) -> Response:
    member = browser_member(request, books, slug, Role.TREASURER, Role.APPROVER)
    if isinstance(member, Response):
        return member
    return _page(request, books, member, form=_blank_form(preset), done=done)


def draft_of(form: dict[str, str]) -> TransactionIn | list[Problem]:
    """The transaction a filled-in form describes, or what is wrong with the form."""
    problems: list[Problem] = []
    preset = PRESET_BY_KEY.get(form["preset"])
    if preset is None:
        return [Problem(msg("routes_entry.choose-kind-from-list"), field="preset")]
    debit = form["debit"] or preset.debit
    credit = form["credit"] or preset.credit
    if debit == credit:
        problems.append(Problem(msg("routes_entry.debit-credit-are-same"), field="credit"))
    try:
        amount = parse_amount(form["amount"].replace(",", "").replace("，", ""))
        if amount <= 0:
            problems.append(Problem(msg("routes_entry.enter-amount-without-sign"), field="amount"))
    except AmountError as exc:
        problems.append(Problem(exc.text, field="amount"))
        amount = Decimal("0.00")
    if problems:
        return problems
    documents = [d.strip() for d in form["documents"].replace("；", ";").split(";") if d.strip()]
    body = {
        "date": form["date"],
        "payee": form["payee"].strip(),
        "narration": form["narration"].strip(),
        "kind": preset.kind,
        "postings": [
            {"account": debit, "amount": str(amount)},
            {"account": credit, "amount": str(-amount)},
        ],
        "resolution": form["resolution"].strip() or None,
        "documents": documents,
        "idempotency_key": form["idempotency_key"] or None,
    }
    try:
        return TransactionIn.model_validate(body)
    except ValidationError as exc:
        return [
            Problem(
                validation_text(e, ".".join(str(p) for p in e["loc"]) or None),
                field=".".join(str(p) for p in e["loc"]) or None,
                rule=str(e["type"]),
            )
            for e in exc.errors()
        ]


FormField = Annotated[str, Form(max_length=1000)]


@router.post("/entry/{slug}", response_class=HTMLResponse)
def submit_entry(
    slug: str,
    request: Request,
    books: BooksDep,
    csrf: FormField = "",
    preset: FormField = "",
    debit: FormField = "",
    credit: FormField = "",
    amount: FormField = "",
    date: FormField = "",
    payee: FormField = "",
    narration: FormField = "",
    documents: FormField = "",
    resolution: FormField = "",
    idempotency_key: FormField = "",
) -> Response:
    member = browser_member(request, books, slug, Role.TREASURER)
    if isinstance(member, Response):
        return member
    refused = form_refusal(request, csrf)
    if refused is not None:
        return refused
    form = {
        "preset": preset,
        "debit": debit,
        "credit": credit,
        "amount": amount,
        "date": date,
        "payee": payee,
        "narration": narration,
        "documents": documents,
        "resolution": resolution,
        "idempotency_key": idempotency_key,
    }
    draft = draft_of(form)
    if isinstance(draft, list):
        return _page(request, books, member, form=form, problems=draft, status=422)
    try:
        result = journal.post(
            books=books,
            slug=member.slug,
            draft=draft,
            actor=member.username,
            address=member.address,
        )
    except LedgerError as exc:
        return _page(
            request, books, member, form=form, problems=exc.problems, status=exc.status.value
        )
    return _done(member, result.entry.id)


@router.post("/entry/{slug}/pending/{entry_id}/approve", response_class=HTMLResponse)
def approve_entry(
    slug: str, entry_id: str, request: Request, books: BooksDep, csrf: FormField = ""
) -> Response:
    member = browser_member(request, books, slug, Role.APPROVER)
    if isinstance(member, Response):
        return member
    refused = form_refusal(request, csrf, "approve", member.slug, entry_id)
    if refused is not None:
        return refused
    try:
        out = journal.approve(
            books=books,
            slug=member.slug,
            entry_id=entry_id,
            actor=member.username,
            address=member.address,
        )
    except LedgerError as exc:
        return _refused(request, books, member, exc)
    return _done(member, out.id)


def _refused(request: Request, books: BooksDep, member: Member, exc: LedgerError) -> Response:
    """The page again, saying why an approval or rejection was refused, with its status."""
    notice = {"message": msg("common.list", items=[p.text for p in exc.problems]), "error": True}
    return _page(request, books, member, form=_blank_form(), notice=notice, status=exc.status.value)


@router.post("/entry/{slug}/pending/{entry_id}/reject", response_class=HTMLResponse)
def reject_entry(
    slug: str,
    entry_id: str,
    request: Request,
    books: BooksDep,
    csrf: FormField = "",
    reason: FormField = "",
) -> Response:
    member = browser_member(request, books, slug, Role.APPROVER)
    if isinstance(member, Response):
        return member
    refused = form_refusal(request, csrf, "reject", member.slug, entry_id)
    if refused is not None:
        return refused
    if not reason.strip():
        problem = Problem(msg("routes_entry.rejection-needs-reason"), field="reason")
        return _refused(request, books, member, ValidationFailed([problem]))
    try:
        # The API's rule for a reason (``RejectIn``): one line, no control or bidi characters.
        reason = clean_text(reason.strip(), max_length=1000, min_length=1, multiline=False)
    except ValueError as exc:
        problem = Problem(msg("routes_entry.reason-was-refused", exc=exc), field="reason")
        return _refused(request, books, member, ValidationFailed([problem]))
    try:
        out = journal.reject(
            books=books,
            slug=member.slug,
            entry_id=entry_id,
            actor=member.username,
            reason=reason,
            address=member.address,
        )
    except LedgerError as exc:
        return _refused(request, books, member, exc)
    return _done(member, out.id)
