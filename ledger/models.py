"""The tables. The database is the book of record: entries and postings are append-only
(a correction is a reversing entry), amounts are integer fen, and the database enforces what it
can: unique (community, seq), unique (community, idempotency key), one reversal per entry,
foreign keys and non-null amounts.

Layers follow the SQLModel habit: table models here; request and response models in
``ledger.schemas`` (``TransactionIn``, ``TransactionOut``) and beside the routes (``api/``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint, and_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel


class Community(SQLModel, table=True):
    """An owners' committee's books. ``head_seq``/``head_hash`` are the chain head; posting
    locks this row, which serialises writers of one community on every backend."""

    id: str = Field(primary_key=True, max_length=36)
    slug: str = Field(unique=True, index=True, max_length=40)
    name: str = Field(max_length=200)
    created_at: datetime
    head_seq: int = Field(default=0)
    head_hash: str = Field(max_length=64)
    #: Bumped when something the rules depend on changes (resolutions, closes, units).
    rev: int = Field(default=0)
    #: The first day of the books: nothing may be dated before it; periods close in order
    #: from it; opening balances are dated the day before.
    start_date: date | None = None
    #: The audit trail's chain head (``ledger.events``): last event seq and its hash.
    event_seq: int = Field(default=0)
    event_head: str | None = Field(default=None, max_length=64)


class Account(SQLModel, table=True):
    """One account of the chart: beancount name, 民非 code, names, dates, restricted or not."""

    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=36)
    name: str = Field(max_length=200)
    code: str = Field(max_length=20)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    restricted: bool = False
    open_date: date
    close_date: date | None = None


class Entry(SQLModel, table=True):
    """A transaction. ``status`` is ``posted`` (in the books, with seq and hash), ``pending``
    (awaiting a second member's approval; not in the books) or ``rejected`` (never will be)."""

    __table_args__ = (
        UniqueConstraint("community_id", "seq"),
        UniqueConstraint("community_id", "idempotency_key"),
        Index("ix_entry_community_status_date", "community_id", "status", "date"),
        Index("ix_entry_community_kind_payee_date", "community_id", "kind", "payee_key", "date"),
    )

    id: str = Field(primary_key=True, max_length=36)
    community_id: str = Field(foreign_key="community.id", max_length=36)
    seq: int | None = None
    status: str = Field(max_length=10)
    date: date
    payee: str = Field(max_length=200)
    #: The payee as the four-eyes rule compares it (``ledger.four_eyes.payee_key``).
    payee_key: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    narration: str = Field(max_length=1000)
    kind: str = Field(max_length=20)
    entered_by: str = Field(max_length=100)
    approved_by: str | None = Field(default=None, max_length=100)
    resolution: str | None = Field(default=None, max_length=40)
    documents: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    reverses: str | None = Field(default=None, foreign_key="entry.id", unique=True, max_length=36)
    idempotency_key: str | None = Field(default=None, max_length=200)
    request_hash: str = Field(max_length=64)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)
    created_at: datetime
    posted_at: datetime | None = None
    rejected_by: str | None = Field(default=None, max_length=100)
    rejected_reason: str | None = Field(default=None, max_length=1000)
    #: The income contract a receipt cites (``rules.contracts``); None for everything else.
    contract: str | None = Field(default=None, max_length=40)


class Posting(SQLModel, table=True):
    """One leg of an entry: a signed amount in fen (positive debit, negative credit).
    ``community_id`` is its entry's: every query reaches a leg through (community, entry)."""

    __table_args__ = (Index("ix_posting_entry_community", "entry_id", "community_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", max_length=36)
    entry_id: str = Field(foreign_key="entry.id", max_length=36)
    account_id: int = Field(foreign_key="account.id", index=True)
    position: int
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))


class Event(SQLModel, table=True):
    """The audit trail: who did what to which object, when, from where. Append-only. A
    community's events form a hash chain of their own (``seq``, ``prev_hash``, ``hash``);
    events of no community (logins, the operator's user commands) are a separate log."""

    __table_args__ = (UniqueConstraint("community_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str | None = Field(default=None, foreign_key="community.id", index=True)
    at: datetime
    actor: str = Field(max_length=100)
    action: str = Field(max_length=40)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=100)
    address: str | None = Field(default=None, max_length=100)
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    seq: int | None = None
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class RulesText(SQLModel, table=True):
    """A community's rules file as set (``commons rules set``): each setting is a new row,
    the latest is in force; ``data/<slug>/rules.toml`` is written from it for people to read."""

    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=36)
    number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    set_by: str = Field(max_length=100)
    set_at: datetime


# --- members, roles and tokens (the service) ----------------------------------------------


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=100)
    password_hash: str | None = Field(default=None, max_length=300)
    created_at: datetime
    disabled: bool = False


class Membership(SQLModel, table=True):
    """A user's role in one community; a user may hold several roles in several communities."""

    __table_args__ = (UniqueConstraint("user_id", "community_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=36)
    role: str = Field(max_length=20)


class ApiToken(SQLModel, table=True):
    """An API token, stored only as its SHA-256; shown once when created."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    label: str = Field(default="", max_length=100)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    #: A token scoped to one community works only there (None: every community of its user).
    community_id: str | None = Field(default=None, foreign_key="community.id", max_length=36)


class UserSession(SQLModel, table=True):
    """A browser session, kept on the server: the cookie carries only a random id, stored here
    as its SHA-256. Logout, a password change, disabling the user or removing a role ends it
    (``ended_at``); its CSRF token is bound to it."""

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf: str = Field(max_length=64)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    address: str | None = Field(default=None, max_length=100)
    ended_at: datetime | None = None
    ended_why: str | None = Field(default=None, max_length=40)


class LoginFailure(SQLModel, table=True):
    """A refused login, for the throttle (per account and per address, across processes)."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, index=True)
    address: str | None = Field(default=None, max_length=100, index=True)
    at: datetime = Field(index=True)


class ServerKey(SQLModel, table=True):
    """A key the service's processes share (the login form's CSRF key, ``api.sessions``):
    made once by the first process that needs it, so that a form served by one node is
    accepted by any other on the same database. Not readable through any route."""

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    created_at: datetime


class StoredNotice(SQLModel, table=True):
    """A closed period's public notice as rendered once (per format and language), with its
    hash: every node serves the stored bytes. What may change after the close (payments since,
    objections) is never part of it."""

    __table_args__ = (UniqueConstraint("community_id", "period", "format", "lang"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=36)
    period: str = Field(max_length=30)
    format: str = Field(max_length=10)
    lang: str = Field(max_length=5)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    head_seq: int
    created_at: datetime


# --- unit register, resolutions, allocations, periods (the rules) -------------------------


class Unit(SQLModel, table=True):
    """A unit of the register. ``owner`` is an opaque owner id, never shown publicly.
    ``area_centi`` is the exclusive area in hundredths of a square metre (exact)."""

    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=36)
    code: str = Field(max_length=40)
    owner: str = Field(max_length=100)
    area_centi: int = Field(sa_column=Column(BigInteger, nullable=False))
    developer_unsold: bool = False


class Resolution(SQLModel, table=True):
    """An owners' resolution (民法典 art. 278) with its budget, purpose and computed tally."""

    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=36)
    number: str = Field(max_length=40)
    title: str = Field(max_length=200)
    matter: int
    voted_on: date
    effective_from: date
    expires_on: date | None = None
    budget_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    purpose: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    allocation: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    passed: bool
    tally: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=100)
    created_at: datetime


class Ballot(SQLModel, table=True):
    """One unit's vote on a resolution; ``community_id`` is the resolution's."""

    __table_args__ = (
        UniqueConstraint("resolution_id", "unit_id"),
        Index("ix_ballot_resolution_community", "resolution_id", "community_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", max_length=36)
    resolution_id: int = Field(foreign_key="resolution.id")
    unit_id: int = Field(foreign_key="unit.id")
    vote: str = Field(max_length=10)


class AllocationLine(SQLModel, table=True):
    """One line of a dividend or subsidy schedule, stored with its entry (and its entry's
    ``community_id``)."""

    __table_args__ = (
        UniqueConstraint("entry_id", "unit_id"),
        Index("ix_allocationline_entry_community", "entry_id", "community_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", max_length=36)
    entry_id: str = Field(foreign_key="entry.id", max_length=36)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    area_centi: int = Field(sa_column=Column(BigInteger, nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))


class PeriodClose(SQLModel, table=True):
    """A closed period: nothing dated inside it can be posted or reversed afterwards."""

    __table_args__ = (UniqueConstraint("community_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=36)
    period: str = Field(max_length=10)
    start: date
    end: date
    closed_at: datetime
    closed_by: str = Field(max_length=100)
    head_seq: int
    head_hash: str = Field(max_length=64)


# --- income contracts and the budget (where the income comes from) -------------------------


class Contract(SQLModel, table=True):
    """An income contract for a common part (经营合同): who pays, for which space, under which
    resolution, for which term, how much on which schedule, into which income account.
    ``amount_fen`` is one instalment (None: metered income, recognised as received).
    ``every`` is month, quarter, half, year or once; ``manager_share`` a fraction as text."""

    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=36)
    number: str = Field(max_length=40)
    counterparty: str = Field(max_length=200)
    space: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    resolution: str | None = Field(default=None, max_length=40)
    start: date
    end: date
    deposit_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    every: str = Field(max_length=10)
    amount_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    due_day: int
    in_advance: bool
    income_account: str = Field(max_length=200)
    manager_share: str | None = Field(default=None, max_length=10)
    created_by: str = Field(max_length=100)
    created_at: datetime


class BudgetLine(SQLModel, table=True):
    """One line of a year's budget as adopted by a resolution: an account, a period (a month
    ``2026-03``, a quarter ``2026Q1`` or the year ``2026``) and an amount. Setting a year's
    budget again adds a new ``version``; the latest version of a year is in force."""

    __table_args__ = (UniqueConstraint("community_id", "year", "version", "account", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=36)
    year: int
    version: int
    resolution: str = Field(max_length=40)
    account: str = Field(max_length=200)
    period: str = Field(max_length=10)
    start: date
    end: date
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    set_by: str = Field(max_length=100)
    set_at: datetime


# --- bank statements and documents (the evidence behind the entries) -----------------------


class BankLine(SQLModel, table=True):
    """One line of a bank statement as imported: money in (positive, a debit to the bank
    account) or out, the bank's running balance after it, and what the bank says of it.
    Keyed by (community, account, date, reference, amount): a statement imported again adds
    nothing. ``entry_id`` is the posted (or pending) entry it was matched to or confirmed as;
    ``status`` is ``open`` (a proposal), ``matched`` or ``dismissed`` (with a reason)."""

    __table_args__ = (
        UniqueConstraint("community_id", "account", "date", "reference", "amount_fen"),
        Index("ix_bankline_community_account_date", "community_id", "account", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", max_length=36)
    account: str = Field(max_length=200)
    date: date
    #: The line's place among the account's lines of one day (statement order, oldest first).
    position: int
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    balance_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    counterparty: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=100)
    memo: str = Field(default="", max_length=500)
    status: str = Field(default="open", max_length=10)
    entry_id: str | None = Field(default=None, foreign_key="entry.id", index=True, max_length=36)
    dismissed_reason: str | None = Field(default=None, max_length=1000)
    source: str = Field(default="", max_length=200)
    imported_by: str = Field(max_length=100)
    imported_at: datetime
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: datetime | None = None


class Document(SQLModel, table=True):
    """An uploaded document (invoice, receipt, contract, minutes, ballot): its bytes, stored
    once per community under their SHA-256, with the type its content shows."""

    __table_args__ = (UniqueConstraint("community_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=36)
    sha256: str = Field(max_length=64)
    name: str = Field(max_length=200)
    type: str = Field(max_length=40)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str = Field(max_length=100)
    uploaded_at: datetime


class DocumentLink(SQLModel, table=True):
    """A document behind an entry, a resolution or a contract (one of the three per row: the
    contract by its number, as entries cite it). ``community_id`` is the document's."""

    __table_args__ = (
        UniqueConstraint("document_id", "entry_id", "resolution", "contract"),
        Index("ix_documentlink_document_community", "document_id", "community_id"),
        Index("ix_documentlink_entry_community", "entry_id", "community_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", max_length=36)
    document_id: int = Field(foreign_key="document.id")
    entry_id: str | None = Field(default=None, foreign_key="entry.id", max_length=36)
    resolution: str | None = Field(default=None, max_length=40)
    contract: str | None = Field(default=None, max_length=40)
    linked_by: str = Field(max_length=100)
    linked_at: datetime


# --- objections under a published notice (异议) --------------------------------------------


class Objection(SQLModel, table=True):
    """An owner's objection to a closed period's notice: the unit filing it, a contact for the
    answer (cleared ``objection_contact_days`` after the answer: ``contact_until``), the figure
    or line it concerns and the text; ``status`` is ``open`` or ``answered``. Publicly only the
    building (the unit code before its first ``-``), the status and the answer are shown."""

    __table_args__ = (Index("ix_objection_community_period", "community_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", max_length=36)
    period: str = Field(max_length=10)
    unit: str = Field(max_length=40)
    contact: str | None = Field(default=None, max_length=100)
    concerns: str = Field(max_length=200)
    text: str = Field(max_length=2000)
    status: str = Field(default="open", max_length=10)
    filed_at: datetime
    answer_due: date
    answer: str | None = Field(default=None, max_length=2000)
    answered_by: str | None = Field(default=None, max_length=100)
    answered_at: datetime | None = None
    answered_on: date | None = None
    contact_until: date | None = None


class ObjectionCount(SQLModel, table=True):
    """Objections filed on a day (CST) per unit (``scope = "unit"``) or per address
    (``scope = "address"``) in a community: the daily limits hold across processes. Rows of
    past days are deleted by the sweep."""

    __table_args__ = (UniqueConstraint("community_id", "scope", "key", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", max_length=36)
    scope: str = Field(max_length=10)
    key: str = Field(max_length=100)
    day: date
    count: int = Field(default=0)


# --- joins ---------------------------------------------------------------------------------


def keyed(child: Any, column: str, parent: Any, parent_column: str = "id") -> ColumnElement[bool]:
    """The join of ``child``'s rows to their ``parent``'s (``child.column =
    parent.parent_column``) on their community as well: every table of a community's rows
    has ``community_id``, and a database distributed by it joins two such tables on one shard
    only when the join names it (docs/deploy.md). ``keyed(Posting, "entry_id", Entry)``."""
    return and_(
        child.community_id == parent.community_id,
        getattr(child, column) == getattr(parent, parent_column),
    )
