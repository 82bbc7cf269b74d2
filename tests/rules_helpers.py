"""Helpers for the rules tests: owners' resolutions written the way the register side does
(a ``Resolution`` row, ``Community.rev`` bumped in the same transaction, then the directive
appended to the projection; see rules/facts.py), and small ledger builders."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import col

from ledger import clock
from ledger.books import Books
from ledger.db import writer
from ledger.models import Community, Resolution
from ledger.money import to_fen


def add_resolution(
    books: Books,
    slug: str,
    number: str = "2025-01",
    *,
    purpose: tuple[str, ...] = ("upgrade",),
    budget: str = "50000.00",
    passed: bool = True,
    voted_on: date = date(2025, 1, 10),
    effective_from: date = date(2025, 1, 10),
    expires_on: date | None = None,
    title: str = "电梯改造",
    matter: int = 9,
) -> None:
    with writer(books.engine) as session:
        community = session.execute(
            select(Community).where(col(Community.slug) == slug).with_for_update()
        ).scalar_one()
        row = Resolution(
            community_id=community.id,
            number=number,
            title=title,
            matter=matter,
            voted_on=voted_on,
            effective_from=effective_from,
            expires_on=expires_on,
            budget_fen=to_fen(Decimal(budget)),
            purpose=json.dumps(list(purpose), ensure_ascii=False),
            passed=passed,
            tally="{}",
            created_by="chair",
            created_at=datetime(2025, 1, 10, tzinfo=clock.CST),
        )
        session.add(row)
        community.rev += 1
        session.add(community)
    books.rebuild_projection(slug)


def set_rules_text(books: Books, slug: str, text: str, *, actor: str = "admin") -> None:
    """Set a community's rules the one way they change: ``rules.rules_store.set_rules``
    (a hand edit of ``rules.toml`` changes nothing)."""
    from rules.rules_store import set_rules

    set_rules(books=books, slug=slug, text=text, actor=actor)


def forget_rules(books: Books, slug: str) -> None:
    """Books from before the rules were kept in the database: no ``rulestext`` row, so the
    first read imports ``rules.toml``."""
    from sqlalchemy import delete

    from ledger.models import RulesText

    with writer(books.engine) as session:
        community = session.execute(
            select(Community).where(col(Community.slug) == slug)
        ).scalar_one()
        session.execute(delete(RulesText).where(col(RulesText.community_id) == community.id))
