"""The rules are part of the books: kept in the database (``rulestext``), changed only by
``set_rules`` (``commons rules set``, ``PUT .../rules``) with an event saying who, when and what,
never inside a closed period; ``rules.toml`` is written from the database and never read back
(but once, to import the file of books from before the table).

The reported problem: a hand edit of ``rules.toml`` changed the rules silently, nobody recorded
who changed them or when, and a version could take effect inside a closed period, changing the
basis of a figure already published."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from api.books import open_books
from api.cli import main
from api.settings import Settings
from api.users import Role, add_member
from audit.export import export
from audit.verify_export import verify_export
from ledger import chart, journal
from ledger.backup import backup, restore
from ledger.books import Books
from ledger.errors import PeriodLocked, RuleViolations, ValidationFailed
from ledger.models import Community, Event, RulesText
from ledger.schemas import TransactionIn
from rules.community import create
from rules.config import DEFAULT_TEXT
from rules.periods import close
from rules.rules_store import set_rules, sha256_of
from rules.ruleset import of
from tests.api_helpers import SLUG, Login, api
from tests.conftest import BOOKS_START, txn
from tests.rules_helpers import forget_rules

OWNED = DEFAULT_TEXT.replace("civil_defence_owned = false", "civil_defence_owned = true")
BROKEN = DEFAULT_TEXT.replace(
    'resolution_threshold = "10000.00"', 'resolution_threshold = "ten thousand"'
)
WHY_BROKEN = (
    "rules.toml [[version]] #1 (effective 2000-01-01) resolution_threshold: "
    "not a number: 'ten thousand'"
)
#: The owners lowered the resolution threshold from April (after the closed 2025Q1).
APRIL = (
    DEFAULT_TEXT + '\n[[version]]\neffective_from = 2025-04-01\nresolution_threshold = "50.00"\n'
)
#: The same change dated March: inside the closed 2025Q1.
MARCH = (
    DEFAULT_TEXT + '\n[[version]]\neffective_from = 2025-03-01\nresolution_threshold = "50.00"\n'
)


def _civil_defence(key: str, day: date = date(2025, 1, 5)) -> TransactionIn:
    return txn("800.00", credit=chart.INCOME_CIVIL_DEFENCE, day=day, key=key)


def _settings(books: Books, slug: str) -> list[tuple[int, str, str, str]]:
    with Session(books.engine) as session:
        community = books.community(session, slug)
        rows = session.execute(
            select(RulesText)
            .where(col(RulesText.community_id) == community.id)
            .order_by(col(RulesText.number))
        ).scalars()
        return [(r.number, r.set_by, r.sha256, r.text) for r in rows]


def _rules_events(books: Books, slug: str) -> list[tuple[str, str, dict[str, object]]]:
    with Session(books.engine) as session:
        community = books.community(session, slug)
        rows = session.execute(
            select(Event)
            .where(col(Event.community_id) == community.id)
            .where(col(Event.object_type) == "rules")
            .order_by(col(Event.id))
        ).scalars()
        return [(e.actor, e.action, json.loads(e.details)) for e in rows]


def _rev(books: Books, slug: str) -> int:
    with Session(books.engine) as session:
        return books.community(session, slug).rev


def _closed_q1(books: Books, slug: str) -> None:
    """2025Q1 closed: 100.00 income, 60.00 of it set aside for the maintenance fund."""
    journal.post(books=books, slug=slug, draft=txn("100.00", key="q1"), actor="treasurer")
    top_up = txn("60.00", debit=chart.USE_MAINTENANCE, credit=chart.BANK, kind="reserve", key="r")
    journal.post(books=books, slug=slug, draft=top_up, actor="treasurer")
    close(books=books, slug=slug, period="2025Q1", actor="chair")


# --- the reported problem ----------------------------------------------------------------------


def test_a_hand_edit_of_rules_toml_changes_nothing(books: Books, community: str) -> None:
    with pytest.raises(RuleViolations, match="civil defence"):
        journal.post(books=books, slug=community, draft=_civil_defence("a"), actor="t")
    path = books.rules_path(community)
    path.write_text(OWNED, encoding="utf-8")
    os.utime(path, (1, 2_000_000_000))  # a new mtime, which the old code took as a new file
    with pytest.raises(RuleViolations, match="civil defence"):
        journal.post(books=books, slug=community, draft=_civil_defence("a"), actor="t")
    # another process starting now reads the same rules: the database's, not the file
    other = open_books(Settings(data=books.data_dir))
    try:
        assert of(other).file(community).at(date(2025, 1, 5)).civil_defence_owned is False
        with pytest.raises(RuleViolations, match="civil defence"):
            journal.post(books=other, slug=community, draft=_civil_defence("a"), actor="t")
    finally:
        other.dispose()
    assert [(n, who) for n, who, _sha, _text in _settings(books, community)] == [(1, "system")]
    shown = CliRunner().invoke(
        main, ["--lang", "en", "--data", str(books.data_dir), "rules", "show", community]
    )
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == DEFAULT_TEXT


def test_rules_set_applies_from_the_next_post_with_an_event(
    books: Books, community: str, tmp_path: Path
) -> None:
    """``commons rules set`` (another process: the CLI's own books) changes the rules for this
    process's next post, and the event says who set which text, with its SHA-256."""
    with pytest.raises(RuleViolations, match="civil defence"):
        journal.post(books=books, slug=community, draft=_civil_defence("a"), actor="t")
    for name in ("chair", "x"):
        add_member(books=books, username=name, slug=community, role=Role.ADMIN)
    rev = _rev(books, community)
    file = tmp_path / "owned.toml"
    file.write_text(OWNED, encoding="utf-8")
    data = ["--lang", "en", "--data", str(books.data_dir)]
    result = CliRunner().invoke(
        main, [*data, "rules", "set", community, str(file), "--as", "chair"]
    )
    assert result.exit_code == 0, result.output
    assert f"rules of {community}: #2 in force (sha256 {sha256_of(OWNED)}), set by chair" in (
        result.output
    )
    posted = journal.post(books=books, slug=community, draft=_civil_defence("a"), actor="t")
    assert posted.entry.status == "posted"
    assert _settings(books, community)[1] == (2, "chair", sha256_of(OWNED), OWNED)
    assert _rev(books, community) == rev + 1
    assert _rules_events(books, community)[-1] == (
        "chair",
        "rules-set",
        {"number": 2, "sha256": sha256_of(OWNED), "text": OWNED},
    )
    written = books.rules_path(community)
    assert written.read_text(encoding="utf-8") == OWNED
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    shown = CliRunner().invoke(main, [*data, "rules", "show", community])
    assert shown.stdout == OWNED
    again = CliRunner().invoke(main, [*data, "rules", "set", community, str(file), "--as", "x"])
    assert again.exit_code == 0 and "unchanged: #2" in again.output
    assert len(_settings(books, community)) == 2


def test_a_version_inside_a_closed_period_is_refused_and_nothing_written(
    books: Books, community: str
) -> None:
    _closed_q1(books, community)
    before = (_settings(books, community), _rules_events(books, community), _rev(books, community))
    file_before = books.rules_path(community).read_bytes()
    with pytest.raises(PeriodLocked) as refused:
        set_rules(books=books, slug=community, text=MARCH, actor="chair")
    (problem,) = refused.value.problems
    assert problem.rule == "closed-period"
    assert problem.text.render("en") == (
        "rules.toml [[version]] #2 (effective 2025-03-01) changes resolution_threshold in force "
        "on 2025-03-01, on or before the end of the closed period 2025Q1 (2025-01-01 to "
        "2025-03-31); the rules of a closed period cannot change: add a [[version]] effective "
        "from 2025-04-01 or later instead"
    )
    assert problem.details["settings"] == {
        "resolution_threshold": {"old": "10000.00", "new": "50.00"}
    }
    # changing a setting of the first version reaches back into the closed period too
    with pytest.raises(PeriodLocked, match=r"#1 \(effective 2000-01-01\) changes approval_thr"):
        set_rules(
            books=books,
            slug=community,
            text=DEFAULT_TEXT.replace('"5000.00"', '"4000.00"'),
            actor="chair",
        )
    after = (_settings(books, community), _rules_events(books, community), _rev(books, community))
    assert after == before
    assert books.rules_path(community).read_bytes() == file_before
    # from the day after the closed period it is a change like any other
    out, changed = set_rules(books=books, slug=community, text=APRIL, actor="chair")
    assert (out.number, changed) == (2, True)
    cost = txn("60.00", debit=chart.USE_AUDIT, credit=chart.BANK, kind="cost", key="c")
    cost.date = date(2025, 4, 2)
    with pytest.raises(RuleViolations, match="resolution"):
        journal.post(books=books, slug=community, draft=cost, actor="treasurer")


def test_a_broken_file_is_refused_naming_the_key(
    books: Books, community: str, tmp_path: Path
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        set_rules(books=books, slug=community, text=BROKEN, actor="chair")
    (problem,) = refused.value.problems
    assert (problem.rule, problem.field, problem.text.render("en")) == (
        "rules-file",
        "text",
        WHY_BROKEN,
    )
    add_member(books=books, username="c", slug=community, role=Role.ADMIN)
    file = tmp_path / "broken.toml"
    file.write_text(BROKEN, encoding="utf-8")
    data = ["--lang", "en", "--data", str(books.data_dir)]
    result = CliRunner().invoke(main, [*data, "rules", "set", community, str(file), "--as", "c"])
    assert result.exit_code == 1
    assert "refused (422" in result.output and WHY_BROKEN in result.output
    assert [n for n, *_ in _settings(books, community)] == [1]
    assert books.rules_path(community).read_text(encoding="utf-8") == DEFAULT_TEXT


# --- several processes on one database ---------------------------------------------------------


@pytest.fixture
def two_nodes(any_books: Books, tmp_path: Path) -> Iterator[tuple[Books, Books]]:
    """Two services on the same database, each with its own data directory."""
    url = any_books.engine.url.render_as_string(hide_password=False)
    other = open_books(Settings(data=tmp_path / "node-b", db=url))
    yield any_books, other
    other.dispose()


def test_two_nodes_agree_on_the_rules_after_a_set(two_nodes: tuple[Books, Books]) -> None:
    a, b = two_nodes
    create(books=a, slug="maple", name="枫林苑", actor="chair", start=BOOKS_START)
    journal.post(books=a, slug="maple", draft=txn("10.00", key="a1"), actor="t")
    journal.post(books=b, slug="maple", draft=txn("10.00", key="b1"), actor="t")  # warm
    with pytest.raises(RuleViolations, match="civil defence"):
        journal.post(books=b, slug="maple", draft=_civil_defence("cd"), actor="t")
    set_rules(books=a, slug="maple", text=OWNED, actor="chair")
    posted = journal.post(books=b, slug="maple", draft=_civil_defence("cd"), actor="t")
    assert posted.entry.status == "posted"
    day = date(2025, 1, 5)
    assert of(b).file("maple").at(day) == of(a).file("maple").at(day)
    assert of(b).version("maple") == of(a).version("maple") == 2
    assert (b.rules_path("maple")).read_text(encoding="utf-8") == OWNED
    set_rules(books=b, slug="maple", text=DEFAULT_TEXT, actor="chair")
    with pytest.raises(RuleViolations, match="civil defence"):
        journal.post(books=a, slug="maple", draft=_civil_defence("cd2"), actor="t")
    assert [n for n, *_ in _settings(a, "maple")] == [1, 2, 3]


# --- books from before the table ---------------------------------------------------------------


def test_old_books_import_their_rules_file_once(any_books: Books) -> None:
    """The posting path imports inside its own transaction, on either backend."""
    books, community = any_books, "maple"
    create(books=books, slug=community, name="枫林苑", start=BOOKS_START)
    forget_rules(books, community)
    books.rules_path(community).write_text(OWNED, encoding="utf-8")
    posted = journal.post(books=books, slug=community, draft=_civil_defence("a"), actor="t")
    assert posted.entry.status == "posted"
    assert _settings(books, community) == [(1, "system", sha256_of(OWNED), OWNED)]
    assert _rules_events(books, community)[-1] == (
        "system",
        "rules-import",
        {"number": 1, "sha256": sha256_of(OWNED), "text": OWNED},
    )
    books.rules_path(community).write_text(DEFAULT_TEXT, encoding="utf-8")
    journal.post(books=books, slug=community, draft=_civil_defence("b"), actor="t")


def test_an_import_in_a_refused_post_is_not_kept(books: Books, community: str) -> None:
    """The posting path imports inside its own transaction: a refused post leaves no import,
    and the next one imports (and the rules it judged by were the file's)."""
    forget_rules(books, community)
    with pytest.raises(RuleViolations, match="civil defence"):
        journal.post(books=books, slug=community, draft=_civil_defence("a"), actor="t")
    assert _settings(books, community) == []
    journal.post(books=books, slug=community, draft=txn("1.00", key="ok"), actor="t")
    assert [(n, who) for n, who, *_ in _settings(books, community)] == [(1, "system")]
    journal.post(books=books, slug=community, draft=txn("1.00", key="ok2"), actor="t")
    assert of(books).version(community) == 1


def test_a_new_community_starts_with_the_defaults_set_by_its_creator(books: Books) -> None:
    create(books=books, slug="elm", name="榆树苑", actor="chair", start=BOOKS_START)
    assert _settings(books, "elm") == [(1, "chair", sha256_of(DEFAULT_TEXT), DEFAULT_TEXT)]
    assert [(who, action) for who, action, _ in _rules_events(books, "elm")] == [
        ("chair", "rules-set")
    ]
    assert books.rules_path("elm").read_text(encoding="utf-8") == DEFAULT_TEXT


# --- the export and the backup -------------------------------------------------------------------


def _package(books: Books, slug: str, period: str) -> zipfile.ZipFile:
    out = io.BytesIO()
    export(books=books, slug=slug, period=period, out=out)
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


def test_the_export_carries_the_text_in_force(books: Books, community: str) -> None:
    _closed_q1(books, community)
    set_rules(books=books, slug=community, text=APRIL, actor="chair")
    books.rules_path(community).write_text("# edited by hand\n", encoding="utf-8")
    q1 = _package(books, community, "2025Q1")
    assert q1.read("rules.toml").decode() == DEFAULT_TEXT  # in force when 2025Q1 closed
    history = list(csv.reader(io.StringIO(q1.read("rules_history.csv").decode("utf-8-sig"))))
    assert history[0] == ["编号", "设定时间(UTC)", "设定人", "SHA-256", "规则文本"]
    assert [(r[0], r[2], r[3], r[4]) for r in history[1:]] == [
        ("1", "system", sha256_of(DEFAULT_TEXT), DEFAULT_TEXT)
    ]
    q2 = _package(books, community, "2025Q2")
    assert q2.read("rules.toml").decode() == APRIL
    history = list(csv.reader(io.StringIO(q2.read("rules_history.csv").decode("utf-8-sig"))))
    assert [(r[0], r[2], r[4]) for r in history[1:]] == [
        ("1", "system", DEFAULT_TEXT),
        ("2", "chair", APRIL),
    ]
    for package in (q1, q2):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as copy:
            for info in package.infolist():
                copy.writestr(info, package.read(info))
        report = verify_export(io.BytesIO(buffer.getvalue()), bean_check=True)
        assert report.ok, report.problems


def test_verify_export_names_rules_that_are_not_the_last_setting(
    books: Books, community: str
) -> None:
    from tests.test_audit_export_verify import reseal

    out = io.BytesIO()
    export(books=books, slug=community, period="2025Q1", out=out)
    forged = reseal(out.getvalue(), {"rules.toml": OWNED.encode()})
    report = verify_export(io.BytesIO(forged))
    assert report.problems == ["rules.toml: not the last setting of rules_history.csv (#1)"]


def test_backup_carries_the_rules_rows(books: Books, community: str, tmp_path: Path) -> None:
    set_rules(books=books, slug=community, text=OWNED, actor="chair")
    books.rules_path(community).write_text("# edited by hand\n", encoding="utf-8")
    backup(books=books, slug=community, out=tmp_path / "maple.tar.gz")
    target = open_books(Settings(data=tmp_path / "restored"))
    try:
        restore(books=target, archive=tmp_path / "maple.tar.gz")
        assert _settings(target, community) == _settings(books, community)
        assert target.rules_path(community).read_text(encoding="utf-8") == OWNED
        posted = journal.post(books=target, slug=community, draft=_civil_defence("a"), actor="t")
        assert posted.entry.status == "posted"
    finally:
        target.dispose()


# --- over HTTP ---------------------------------------------------------------------------------


def test_the_rules_routes(client: TestClient, members: dict[str, Login], api_books: Books) -> None:
    client.headers["Accept-Language"] = "en"  # the words asserted below
    read = client.get(f"{api()}/rules", headers=members["auditor"].bearer)
    assert read.status_code == 200, read.text
    body = read.json()
    assert (body["number"], body["text"], body["sha256"]) == (
        1,
        DEFAULT_TEXT,
        sha256_of(DEFAULT_TEXT),
    )
    admin = {**members["admin"].bearer, "Content-Type": "text/plain; charset=utf-8"}
    denied = client.put(
        f"{api()}/rules", content=OWNED.encode(), headers=members["treasurer"].bearer
    )
    assert denied.status_code == 403
    put = client.put(f"{api()}/rules", content=OWNED.encode(), headers=admin)
    assert put.status_code == 200, put.text
    assert (put.json()["number"], put.json()["set_by"], put.json()["changed"]) == (2, "admin", True)
    again = client.put(f"{api()}/rules", content=OWNED.encode(), headers=admin)
    assert (again.json()["number"], again.json()["changed"]) == (2, False)
    broken = client.put(f"{api()}/rules", content=BROKEN.encode(), headers=admin)
    assert broken.status_code == 422
    assert broken.json()["detail"][0]["rule"] == "rules-file"
    assert WHY_BROKEN in broken.json()["detail"][0]["message"]
    with Session(api_books.engine) as session:
        community = session.execute(
            select(Community).where(col(Community.slug) == SLUG)
        ).scalar_one()
        event = (
            session.execute(
                select(Event)
                .where(col(Event.community_id) == community.id)
                .where(col(Event.action) == "rules-set")
                .order_by(col(Event.id).desc())
            )
            .scalars()
            .first()
        )
    assert event is not None and (event.actor, event.address) == ("admin", "testclient")
    assert client.get(f"{api()}/rules", headers=members["auditor"].bearer).json()["text"] == OWNED


def test_a_closed_period_change_over_http_is_a_409(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    _closed_q1(api_books, SLUG)
    admin = {**members["admin"].bearer, "Content-Type": "text/plain"}
    refused = client.put(f"{api()}/rules", content=MARCH.encode(), headers=admin)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"][0]["rule"] == "closed-period"
    assert client.get(f"{api()}/rules", headers=admin).json()["number"] == 1


def test_old_books_with_a_broken_file_are_refused_until_it_is_fixed(
    books: Books, community: str
) -> None:
    """A change compares with the rules in force, so the file is imported first: a broken one
    is named (version, key and file), and nothing is written."""
    from rules.config import RulesFileError

    forget_rules(books, community)
    books.rules_path(community).write_text(BROKEN, encoding="utf-8")
    with pytest.raises(RulesFileError) as refused:
        set_rules(books=books, slug=community, text=OWNED, actor="chair")
    assert WHY_BROKEN in str(refused.value) and str(books.rules_path(community)) in str(
        refused.value
    )
    assert _settings(books, community) == []
    books.rules_path(community).unlink()
    out, changed = set_rules(books=books, slug=community, text=OWNED, actor="chair")
    assert (out.number, changed) == (2, True)
    assert [(n, who) for n, who, *_ in _settings(books, community)] == [(1, "system"), (2, "chair")]
