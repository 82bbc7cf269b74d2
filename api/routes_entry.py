"""The treasurer's entry page ``/entry/{slug}``: a plain server-rendered form with presets for
the common kinds, account pickers from the community's chart and unsigned amounts (the debit
account gains, the credit account gives); the refusals are shown next to the form in words.
Approvers see the entries pending approval with approve and reject buttons.

Every post follows post/redirect/get, so reloading the page never posts twice; the form also
carries an idempotency key generated when it was rendered, so a double click posts once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import BooksDep, Member, Role
from api.pages import browser_member, csrf_ok, csrf_token, flash, render, take_flash
from ledger import chart, clock, journal, reading
from ledger.errors import LedgerError, Problem
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
) -> HTMLResponse:
    with Session(books.engine) as session:
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
        flash=take_flash(request),
        pending=pending,
        recent=recent,
        is_treasurer=member.has(Role.TREASURER),
        is_approver=member.has(Role.APPROVER),
        csrf=csrf_token(request),
    )


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
def entry_page(slug: str, request: Request, books: BooksDep, preset: str | None = None) -> Response:
    member = browser_member(request, books, slug, Role.TREASURER, Role.APPROVER)
    if isinstance(member, Response):
        return member
    return _page(request, books, member, form=_blank_form(preset))


def draft_of(form: dict[str, str]) -> TransactionIn | list[Problem]:
    """The transaction a filled-in form describes, or what is wrong with the form."""
    problems: list[Problem] = []
    preset = PRESET_BY_KEY.get(form["preset"])
    if preset is None:
        return [Problem("choose a kind from the list", field="preset")]
    debit = form["debit"] or preset.debit
    credit = form["credit"] or preset.credit
    if debit == credit:
        problems.append(
            Problem("debit and credit are the same account; nothing would move", field="credit")
        )
    try:
        amount = parse_amount(form["amount"].replace(",", "").replace("，", ""))
        if amount <= 0:
            problems.append(
                Problem("enter the amount without a sign; the page derives it", field="amount")
            )
    except AmountError as exc:
        problems.append(Problem(str(exc), field="amount"))
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
                str(e["msg"]),
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
    if not csrf_ok(request, csrf):
        return render(
            request,
            "message.html",
            403,
            heading="403",
            message="表单已过期，请刷新重试。The form expired; reload and try again.",
        )
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
    entry = result.entry
    if entry.status == "pending":
        flash(request, f"已提交，等待另一位委员审批。Stored; waiting for approval ({entry.id}).")
    else:
        flash(
            request, f"已记账 #{entry.seq}：{entry.narration} {amount} 元。Posted as #{entry.seq}."
        )
    return RedirectResponse(f"/entry/{member.slug}", status_code=303)


@router.post("/entry/{slug}/pending/{entry_id}/approve", response_class=HTMLResponse)
def approve_entry(
    slug: str, entry_id: str, request: Request, books: BooksDep, csrf: FormField = ""
) -> Response:
    member = browser_member(request, books, slug, Role.APPROVER)
    if isinstance(member, Response):
        return member
    if not csrf_ok(request, csrf):
        return render(
            request, "message.html", 403, heading="403", message="表单已过期 The form expired"
        )
    try:
        out = journal.approve(
            books=books,
            slug=member.slug,
            entry_id=entry_id,
            actor=member.username,
            address=member.address,
        )
        flash(request, f"已批准并记账 #{out.seq}。Approved and posted as #{out.seq}.")
    except LedgerError as exc:
        flash(request, "; ".join(p.message for p in exc.problems), error=True)
    return RedirectResponse(f"/entry/{member.slug}", status_code=303)


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
    if not csrf_ok(request, csrf):
        return render(
            request, "message.html", 403, heading="403", message="表单已过期 The form expired"
        )
    if not reason.strip():
        flash(request, "驳回需要理由。A rejection needs a reason.", error=True)
        return RedirectResponse(f"/entry/{member.slug}", status_code=303)
    try:
        # The API's rule for a reason (``RejectIn``): one line, no control or bidi characters.
        reason = clean_text(reason.strip(), max_length=1000, min_length=1, multiline=False)
    except ValueError as exc:
        flash(request, f"驳回理由无效。The reason was refused: {exc}", error=True)
        return RedirectResponse(f"/entry/{member.slug}", status_code=303)
    try:
        journal.reject(
            books=books,
            slug=member.slug,
            entry_id=entry_id,
            actor=member.username,
            reason=reason,
            address=member.address,
        )
        flash(request, "已驳回。Rejected; it will never reach the books.")
    except LedgerError as exc:
        flash(request, "; ".join(p.message for p in exc.problems), error=True)
    return RedirectResponse(f"/entry/{member.slug}", status_code=303)
