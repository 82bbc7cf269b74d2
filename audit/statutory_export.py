"""The statutory statements of an audit package (:mod:`audit.statutory`), each a CSV and a sheet:
``balance_sheet`` (会民非01表), ``activities`` (会民非02表), ``cash_flows`` (会民非03表),
``distribution`` (共有收益分配表) and ``notes`` (附注), from the snapshot's one pass over the
chain, with what the notes read from the database (resolutions in force, related parties)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from audit.fold import Fold
from audit.statutory import activities_table, balance_sheet_table, cash_flows_table
from audit.statutory_notes import (
    Party,
    ResolutionNote,
    distribution_table,
    notes_lines,
    notes_table,
)
from audit.tables import Snapshot, Table
from ledger.models import Membership, PeriodClose, Resolution, User
from ledger.money import from_fen
from rules import rules_store
from rules.config import RuleSettings

#: The statement files a package holds (its manifest says so with ``"statements": 2``).
STATEMENT_FILES = ("balance_sheet", "activities", "cash_flows", "distribution", "notes")
STATEMENTS_VERSION = 2
MANAGER_SHARE = "5101-01"


def resolutions_in_force(session: Session, snap: Snapshot, fold: Fold) -> list[ResolutionNote]:
    period = snap.period
    rows = session.execute(
        select(Resolution)
        .where(col(Resolution.community_id) == snap.community.id)
        .where(col(Resolution.passed))
        .where(col(Resolution.effective_from) <= period.end)
        .order_by(col(Resolution.number))
    ).scalars()
    return [
        ResolutionNote(
            r.number, r.title, from_fen(r.budget_fen), from_fen(fold.spent.get(r.number, 0))
        )
        for r in rows
        if r.expires_on is None or r.expires_on >= period.start
    ]


def related_parties(session: Session, snap: Snapshot, fold: Fold) -> list[Party]:
    members = session.execute(
        select(col(User.username), col(Membership.role))
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.community_id) == snap.community.id)
        .order_by(col(User.username))
    ).all()
    parties = [Party(name, f"业主委员会成员（{role}），本小区业主") for name, role in members]
    managers = sorted(
        {
            item.txn.payee
            for item in snap.entries
            if item.txn.payee
            and any(snap.account(leg.account)[0].startswith(MANAGER_SHARE) for leg in item.txn.legs)
        }
    )
    parties += [Party(name, "物业服务人（管理共有部分并按约定分成）") for name in managers]
    return parties


def settings_at_end(session: Session, snap: Snapshot) -> RuleSettings:
    """The rules in force on the period's last day, as set when the period closed."""
    closed_at = session.execute(
        select(col(PeriodClose.closed_at))
        .where(col(PeriodClose.community_id) == snap.community.id)
        .where(col(PeriodClose.period) == snap.period.label)
    ).scalar()
    return rules_store.settings_on(session, snap.community.id, snap.period.end, until=closed_at)


def statutory_tables(session: Session, snap: Snapshot) -> list[Table]:
    fold = snap.fold
    assert fold is not None, "read_snapshot folds the statements' figures"
    name = snap.community.name
    notes = list(
        notes_lines(
            fold,
            name,
            resolutions_in_force(session, snap, fold),
            related_parties(session, snap, fold),
            settings_at_end(session, snap),
        )
    )
    return [
        balance_sheet_table(fold, name),
        activities_table(fold, name),
        cash_flows_table(fold, name),
        distribution_table(fold, name),
        notes_table(notes),
    ]
