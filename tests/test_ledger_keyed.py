"""Every statement of the posting path names its community (docs/deploy.md, "Distributing by
community on Citus"): each statement that touches a community's table names that table's
``community_id`` (the ``community`` table: its ``id``) where it finds rows, so a database
distributed by community runs it on one shard. A new query that finds a community's rows by
another key alone (an entry's id, a slug) fails here, on SQLite and on PostgreSQL.

The statements are caught where the driver gets them: SQLAlchemy's ``before_cursor_execute``
for what goes through it, and the driver's cursor for the posting path's prepared statements
(``ledger.prepared`` runs them past SQLAlchemy's events)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import SQLModel

from api.books import open_books
from api.settings import Settings
from ledger import chart, journal, prepared
from ledger.books import Books
from ledger.schemas import TransactionIn
from rules import documents, resolution_register
from rules.allocate import AllocationIn, allocate
from rules.community import create
from rules.units import import_units, parse_json
from tests.conftest import BOOKS_START, txn
from tests.test_rules_resolutions import UNITS, body

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

#: Tables copied to every worker (docs/deploy.md): read by user, not by community.
REFERENCE = frozenset(
    {"user", "membership", "apitoken", "usersession", "loginfailure", "serverkey"}
)


def populate(books: Books, slug: str) -> dict[str, str]:
    """A community with a row in each table that reaches its community through a parent:
    postings (income and a dividend), allocation lines, ballots and document links (to an
    entry, a resolution). Returns the entries' ids."""
    create(books=books, slug=slug, name="枫林苑", start=BOOKS_START)
    import_units(books=books, slug=slug, units=parse_json(UNITS), actor="admin")
    income = journal.post(
        books=books,
        slug=slug,
        draft=txn("50000.00", day=date(2025, 12, 1), key="income"),
        actor="treasurer",
    )
    resolution_register.create(books=books, slug=slug, body=body(), actor="chair")
    request = AllocationIn(date=date(2025, 12, 5), kind="dividend", idempotency_key="d")
    dividend, _ = allocate(books=books, slug=slug, number="2025-03", body=request, actor="t")
    journal.approve(books=books, slug=slug, entry_id=dividend.entry.id, actor="chair")
    documents.add(books=books, slug=slug, body=PDF, name="a.pdf", actor="t", entry=income.id)
    documents.add(books=books, slug=slug, body=PDF, name="a.pdf", actor="t", resolution="2025-03")
    return {"income": income.id, "dividend": dividend.entry.id}


class _Recording:
    """A driver cursor that notes each statement it runs."""

    def __init__(self, cursor: Any, statements: list[str]) -> None:
        self._cursor, self._statements = cursor, statements

    def execute(self, sql: str, *args: Any) -> Any:
        self._statements.append(sql)
        return self._cursor.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        self._statements.append(sql)
        return self._cursor.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


@contextmanager
def captured(engines: Sequence[Engine], monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement sent through ``engines`` inside the block."""
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    driver_cursor = prepared._cursor
    monkeypatch.setattr(
        prepared, "_cursor", lambda connection: _Recording(driver_cursor(connection), statements)
    )
    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before)
        monkeypatch.setattr(prepared, "_cursor", driver_cursor)


def _touched(sql: str) -> set[str]:
    """The tables a statement reads or writes."""
    names = re.findall(r'\b(?:FROM|JOIN|INTO|UPDATE)\s+"?(\w+)"?', sql, flags=re.IGNORECASE)
    return {name.lower() for name in names} & set(SQLModel.metadata.tables)


#: ``table.community_id`` (``community.id``), an alias's (``entry_1``) too; or a parameter
#: (``?``, ``%(name)s``, with PostgreSQL's cast).
_KEY = r'"?(\w+?)(?:_\d+)?"?\."?(community_id|id)"?'
_PARAM = r"(?:\?|%\(\w+\)s(?:::\w+(?:\(\d+\))?)?)"
_EQUAL = re.compile(rf"(?:{_KEY}|({_PARAM})) = (?:{_KEY}|({_PARAM}))")


def _pinned(sql: str) -> set[str]:
    """The tables a statement holds to one community: those whose key is equal to a
    parameter, and those whose key is equal to a pinned table's (a join on the community),
    and so on."""
    pinned: set[str] = set()
    joins: list[tuple[str, str]] = []
    for left, left_column, left_param, right, right_column, right_param in _EQUAL.findall(sql):
        keys = [
            table
            for table, column in ((left, left_column), (right, right_column))
            if table and column == ("id" if table == "community" else "community_id")
        ]
        if len(keys) == 1 and (left_param or right_param):
            pinned.add(keys[0])
        elif len(keys) == 2:
            joins.append((keys[0], keys[1]))
    grown = True
    while grown:
        grown = False
        for one, other in joins:
            if (one in pinned) != (other in pinned):
                pinned |= {one, other}
                grown = True
    return pinned


def unkeyed(statements: Sequence[str]) -> list[str]:
    """The statements that touch a community's table without holding it to one community:
    an ``INSERT`` that gives no ``community_id``, or another statement in which the table's
    ``community_id`` (the ``community`` table's ``id``) is not equal to a parameter, directly
    or through joins on the community (``posting.community_id = entry.community_id``): a join
    of a leg to its entry on ``entry_id`` alone is caught even when the leg's account is
    joined on the community."""
    found = []
    for sql in statements:
        flat = " ".join(sql.split())
        insert = re.match(r"\s*INSERT\b", flat, flags=re.IGNORECASE) is not None
        pinned = set() if insert else _pinned(flat)
        for table in sorted(_touched(flat) - REFERENCE):
            if insert:
                columns = flat.split("(", 1)[1].split(")", 1)[0]
                keyed = "community_id" in columns.replace('"', "").split(", ")
            else:
                keyed = table in pinned
            if not keyed:
                found.append(f"{table}: {flat}")
    return found


def test_the_check_finds_a_statement_that_is_not_keyed() -> None:
    """The check itself: a leg looked up by its entry alone, or a community by its slug,
    is caught; the same keyed by community passes."""
    assert unkeyed(
        [
            "SELECT posting.amount_fen FROM posting WHERE posting.entry_id = ?",
            "SELECT community.id FROM community WHERE community.slug = ? FOR UPDATE",
            "UPDATE entry SET seq=? WHERE entry.id = ?",
            "INSERT INTO posting (entry_id, amount_fen) VALUES (?, ?)",
            'SELECT "user".id FROM "user" WHERE "user".username = ?',
            "SELECT account.name FROM entry JOIN posting ON posting.entry_id = entry.id "
            "JOIN account ON account.community_id = posting.community_id "
            "AND account.id = posting.account_id WHERE entry.community_id = ?",
        ]
    ) == [
        "posting: SELECT posting.amount_fen FROM posting WHERE posting.entry_id = ?",
        "community: SELECT community.id FROM community WHERE community.slug = ? FOR UPDATE",
        "entry: UPDATE entry SET seq=? WHERE entry.id = ?",
        "posting: INSERT INTO posting (entry_id, amount_fen) VALUES (?, ?)",
        "account: SELECT account.name FROM entry JOIN posting ON posting.entry_id = entry.id "
        "JOIN account ON account.community_id = posting.community_id "
        "AND account.id = posting.account_id WHERE entry.community_id = ?",
        "posting: SELECT account.name FROM entry JOIN posting ON posting.entry_id = entry.id "
        "JOIN account ON account.community_id = posting.community_id "
        "AND account.id = posting.account_id WHERE entry.community_id = ?",
    ]
    assert not unkeyed(
        [
            "SELECT posting.amount_fen FROM posting JOIN entry ON posting.community_id = "
            "entry.community_id AND posting.entry_id = entry.id WHERE entry.community_id = ?",
            "SELECT community.id FROM community WHERE community.id = %(id)s::VARCHAR FOR UPDATE",
            "SELECT entry_1.id FROM entry AS entry_1 JOIN allocationline ON "
            "allocationline.community_id = entry_1.community_id WHERE "
            "allocationline.community_id = %(community_id_1)s::VARCHAR",
            "INSERT INTO posting (community_id, entry_id, amount_fen) VALUES (?, ?, ?)",
        ]
    )


def _spend(amount: str, payee: str, day: date, key: str | None = None) -> TransactionIn:
    return txn(
        amount,
        debit=chart.COST_DIRECT,
        credit=chart.BANK,
        kind="cost",
        payee=payee,
        narration="维修",
        day=day,
        key=key,
    )


def _caught(
    engines: Sequence[Engine],
    monkeypatch: pytest.MonkeyPatch,
    steps: Sequence[Callable[[], object]],
) -> list[str]:
    with captured(engines, monkeypatch) as statements:
        for step in steps:
            step()
    assert statements  # the capture sees the posting path's statements at all
    return statements


def test_every_statement_of_the_posting_path_names_its_community(
    any_books: Books, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Posts (with the four-eyes window counting a payee's spending, an idempotency key
    replayed, a batch), an approval, a reversal of a dividend with its per-unit lines, a
    rejection, a post whose state is caught up from what another process wrote, one whose
    state is folded afresh (every rule's facts), and the projection of another process
    brought up to the database: every statement names its community."""
    ids = populate(any_books, "maple")
    populate(any_books, "oak")  # a second community beside it: the keys must tell them apart
    books = any_books
    # Another process on the same database, with its own projection (its first query of
    # each slug finds the community's id; later ones use it).
    url = books.engine.url.render_as_string(hide_password=False)
    other = open_books(Settings(data=tmp_path / "other", db=url))
    try:
        for each in (books, other):
            journal.post(books=each, slug="maple", draft=txn("1.00"), actor="t")
        day = date(2025, 12, 8)
        pending = journal.post(
            books=books, slug="maple", draft=_spend("6000.00", "修缮公司", day), actor="t"
        )
        assert pending.pending
        with books.engine.connect() as connection:
            community_id = books.community_id(connection, "maple")
        statements = _caught(
            [books.engine, other.engine],
            monkeypatch,
            [
                lambda: journal.post(
                    books=books, slug="maple", draft=_spend("10.00", "修缮公司", day), actor="t"
                ),
                lambda: journal.post(
                    books=books,
                    slug="maple",
                    draft=txn("50000.00", day=date(2025, 12, 1), key="income"),
                    actor="treasurer",
                ),
                lambda: journal.post_many(
                    books=books,
                    slug="maple",
                    drafts=[txn("2.00", key="b1"), _spend("3.00", "物业", day, key="b2")],
                    actor="t",
                ),
                lambda: journal.approve(
                    books=books, slug="maple", entry_id=pending.id, actor="chair"
                ),
                lambda: journal.reverse(
                    books=books, slug="maple", entry_id=ids["dividend"], actor="t", reason="错"
                ),
                lambda: journal.reject(
                    books=books,
                    slug="maple",
                    entry_id=journal.post(
                        books=books, slug="maple", draft=_spend("7000.00", "X", day), actor="t"
                    ).id,
                    actor="chair",
                    reason="重复",
                ),
                lambda: journal.get(books=books, slug="maple", entry_id=ids["income"]),
                # the other process: its state caught up, its projection brought level
                lambda: journal.post(books=other, slug="maple", draft=txn("4.00"), actor="t"),
                # the other process's projection written afresh (its header: the accounts,
                # the facts, the budget, the documents), and caught up before a read
                lambda: other.rebuild_projection("maple"),
                lambda: journal.post(books=books, slug="maple", draft=txn("6.00"), actor="t"),
                lambda: other.catch_up("maple"),
                # this process's state folded afresh: every rule's facts read again
                lambda: books.invalidate(community_id),
                lambda: journal.post(books=books, slug="maple", draft=txn("5.00"), actor="t"),
            ],
        )
        assert unkeyed(statements) == []
        touched = set().union(*(_touched(" ".join(s.split())) for s in statements))
        assert {"community", "entry", "posting", "allocationline", "event"} <= touched
    finally:
        other.dispose()
