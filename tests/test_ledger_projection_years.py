"""The projection split by fiscal year (``ledger.projection``), and Fava over it
(``api.fava_mount``): a closed year's files are written once and never change; the whole history
and the open years' book each pass bean-check with the plugin, nothing counted twice; the open
years' Fava shows a post on the next request, even one made by another node; each closed year is
a Fava of its own under the community's slug; and the Fava apps kept are bounded.

The books (2025 closed on 2026-01-04, entries of both years interleaved in the chain)::

    seq 1  2024-12-31 opening  bank 50,000.00 / 3101-00
    seq 2  2025-02-10 income   bank 9,600.00 / 4301-01 parking     "二月停车费"
    seq 3  2025-03-28 reserve  5101-03 top-up 5,000.00 / bank
    seq 4  2026-01-02 cost     5201-02 audit 300.00 / bank         "一月审计费"   (open)
    seq 5  2025-12-30 cost     5201-02 audit 1,200.00 / bank       "年末审计费"
    seq 6  2025-12-31 closing  (posted by the close of 2025)
    seq 7+ 2026 entries posted afterwards                                          (open)
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

from beancount import loader
from beancount.core import data
from fastapi import FastAPI
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy import select
from sqlmodel import Session, col

from api.books import open_books
from api.fava_mount import FavaMount
from api.settings import Settings
from ledger import chart, journal
from ledger.books import Books
from ledger.models import Event
from ledger.projection import OPEN_ENTRIES, OPEN_FILE
from rules.community import create
from rules.periods import close
from tests.conftest import txn


def post(books: Books, slug: str, amount: str, **kwargs: object) -> None:
    posted = journal.post(books=books, slug=slug, draft=txn(amount, **kwargs), actor="treasurer")  # type: ignore[arg-type]
    if posted.pending:
        journal.approve(books=books, slug=slug, entry_id=posted.id, actor="chair")


RESERVE = {"debit": chart.USE_MAINTENANCE, "credit": chart.BANK, "kind": "reserve"}


def two_years(books: Books, slug: str) -> None:
    post(books, slug, "50000.00", credit=chart.OPENING, kind="opening", day=date(2024, 12, 31))
    post(books, slug, "9600.00", day=date(2025, 2, 10), narration="二月停车费")
    post(books, slug, "5000.00", day=date(2025, 3, 28), **RESERVE)  # type: ignore[arg-type]
    with freeze_time("2026-01-03"):
        cost = {"debit": chart.USE_AUDIT, "credit": chart.BANK, "kind": "cost"}
        post(books, slug, "300.00", day=date(2026, 1, 2), narration="一月审计费", **cost)
        post(books, slug, "1200.00", day=date(2025, 12, 30), narration="年末审计费", **cost)
    with freeze_time("2026-01-04"):
        close(books=books, slug=slug, period="2025", actor="chair")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def balances(path: Path) -> dict[str, Decimal]:
    """The balances beancount computes from ``path`` (with its includes), checked clean."""
    entries, errors, _options = loader.load_file(str(path))
    assert errors == [], [e.message for e in errors]
    out: dict[str, Decimal] = {}
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                amount = posting.units.number
                out[posting.account] = out.get(posting.account, Decimal(0)) + amount
    return {name: amount for name, amount in out.items() if amount}


def db_balances(books: Books, slug: str) -> dict[str, Decimal]:
    with Session(books.engine) as session:
        found = books.balances(session, books.community(session, slug).id, None)
    return {name: amount for name, amount in found.items() if amount}


def test_a_closed_year_is_written_once_and_both_books_pass_bean_check(
    books: Books, community: str
) -> None:
    two_years(books, community)
    projection = books.projection(community)
    folder = projection.directory
    year_entries = folder / "years" / "2025" / "entries.beancount"
    year_book = projection.year_path(2025)
    assert projection.fava_path() == folder / OPEN_FILE
    assert "二月停车费" in year_entries.read_text(encoding="utf-8")
    assert "一月审计费" not in year_entries.read_text(encoding="utf-8")
    open_text = (folder / OPEN_ENTRIES).read_text(encoding="utf-8")
    assert "一月审计费" in open_text and "二月停车费" not in open_text
    before = {path: digest(path) for path in (year_entries, year_book)}

    with freeze_time("2026-04-02"):
        cost = {"debit": chart.USE_AUDIT, "credit": chart.BANK, "kind": "cost"}
        post(books, community, "450.00", day=date(2026, 2, 3), narration="二月审计费", **cost)
        post(books, community, "800.00", day=date(2026, 3, 9), narration="三月停车费")
        post(books, community, "500.00", day=date(2026, 3, 10), **RESERVE)  # type: ignore[arg-type]
        close(books=books, slug=community, period="2026Q1", actor="chair")
    post(books, community, "120.00", day=date(2026, 4, 8), narration="四月停车费")
    books.rebuild_projection(community)

    assert {path: digest(path) for path in (year_entries, year_book)} == before
    # The whole history: the main file including the closed year's entries and the open
    # years' (never the carried balances), as the database has it.
    assert balances(projection.path) == db_balances(books, community)
    # The open years' book: the balances carried from 2025 plus 2026's entries, with the
    # rules' folds carried too (the plugin would otherwise find the bank overdrawn).
    assert balances(folder / OPEN_FILE) == db_balances(books, community)
    # 50,000 + 9,600 - 5,000 - 1,200
    assert balances(year_book)[chart.BANK] == Decimal("53400.00")


def test_a_changed_closed_year_is_kept_aside_rewritten_and_recorded(
    books: Books, community: str
) -> None:
    two_years(books, community)
    year_entries = books.projection(community).directory / "years" / "2025" / "entries.beancount"
    original = year_entries.read_bytes()
    year_entries.write_bytes(original.replace(b"9600.00 CNY", b"9800.00 CNY"))

    finding = books.rebuild_projection(community)

    assert finding.altered and finding.kept is not None
    assert finding.kept.startswith("years/2025/entries.beancount.altered-")
    assert year_entries.read_bytes() == original
    with Session(books.engine) as session:
        events = session.execute(
            select(Event).where(col(Event.action) == "projection-altered")
        ).scalars()
        assert [e.object_id for e in events] == [community]


def client_for(books: Books, apps_max: int = 8) -> tuple[TestClient, FavaMount]:
    mount = FavaMount(books, apps_max=apps_max)
    app = FastAPI()
    app.mount("/fava", mount)
    return TestClient(app), mount


def test_fava_serves_the_open_years_and_each_closed_year_under_the_slug(
    books: Books, community: str, data_dir: Path
) -> None:
    two_years(books, community)
    client, mount = client_for(books)

    assert client.get(f"/fava/{community}/journal/").status_code == 200
    assert shown(client, f"/fava/{community}", "一月审计费")
    assert not shown(client, f"/fava/{community}", "二月停车费")
    for page in ("income_statement", "journal"):
        year_page = client.get(f"/fava/{community}/2025/{page}/")
        assert year_page.status_code == 200, page
        # Fava's links stay under the community and the year
        assert '"base_url":"/fava/maple/2025/"' in year_page.text
    assert shown(client, f"/fava/{community}/2025", "二月停车费")
    assert not shown(client, f"/fava/{community}/2025", "一月审计费")
    errors = client.get(f"/fava/{community}/2025/api/errors").json()["data"]
    assert errors == []
    assert client.get(f"/fava/{community}/2024/journal/").status_code == 404

    # A post shows on the next request (not at Fava's next poll of api/changed) ...
    post(books, community, "70.00", day=date(2026, 1, 20), narration="一月临时停车")
    assert shown(client, f"/fava/{community}", "一月临时停车")
    # ... and so does one made by another node: its own data directory, the same database.
    other = open_books(Settings(data=data_dir.parent / "other-node", db=_db_url(books)))
    try:
        post(other, community, "90.00", day=date(2026, 1, 21), narration="另一节点的停车费")
    finally:
        other.dispose()
    assert shown(client, f"/fava/{community}", "另一节点的停车费")
    # A closed year's Fava is never reloaded: it never changes.
    assert not shown(client, f"/fava/{community}/2025", "另一节点的停车费")
    assert set(mount.kept()) == {(community, None), (community, 2025)}


def shown(client: TestClient, base: str, narration: str) -> bool:
    """Whether Fava's journal (what its journal page shows) holds ``narration``."""
    answer = client.get(f"{base}/api/journal")
    assert answer.status_code == 200
    return narration in repr(answer.json()["data"])


def _db_url(books: Books) -> str:
    return books.engine.url.render_as_string(hide_password=False)


def test_fava_apps_beyond_the_bound_are_dropped_and_rebuilt(books: Books, community: str) -> None:
    two_years(books, community)
    client, mount = client_for(books, apps_max=1)
    assert client.get(f"/fava/{community}/journal/").status_code == 200
    assert mount.kept() == [(community, None)]
    assert client.get(f"/fava/{community}/2025/journal/").status_code == 200
    assert mount.kept() == [(community, 2025)]  # the open years' app was dropped
    assert shown(client, f"/fava/{community}", "一月审计费")  # rebuilt on use
    assert mount.kept() == [(community, None)]


def test_rule_states_beyond_the_bound_are_dropped_and_refolded(
    books: Books, community: str
) -> None:
    create(books=books, slug="birch", name="白桦苑", start=date(2025, 1, 1))
    books.states_max = 1
    post(books, community, "100.00")
    post(books, "birch", "200.00")
    assert len(books._states) == 1
    post(books, community, "300.00")  # refolded from the journal: its chain goes on
    with Session(books.engine) as session:
        assert books.community(session, community).head_seq == 2
    assert db_balances(books, community)[chart.BANK] == Decimal("400.00")
