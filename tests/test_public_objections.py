"""Owners' objections (异议) under a published notice: filed without a login (JSON or the
notice page's own form), limited per unit and per address each day, listed for the members,
answered by an approver or admin, shown on the notice's live section by building only, flagged
when overdue, and their contacts erased after the set days, never public nor exported."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlmodel import Session, select

from api.app import create_app
from api.cli import main
from api.settings import Settings
from api.users import Role, add_member
from audit import notices
from audit.export import export
from ledger.models import Event, Objection, ObjectionCount
from rules import objections
from rules.config import DEFAULT_TEXT, DEFAULTS, SOURCES
from tests import disclosure_books as fixture

URL = "/public/maple/disclosures/2025Q1"
OBJECT = URL + "/objections"
API = "/api/v1/communities/maple/objections"
PHONE = "13800000000"
MAIL = "owner-zhang@example.com"
#: The fixture's period closed 2025-04-03 (CST): posted 30 days, to 2025-05-03.
FILED_ON = "2025-04-10 10:00:00+08:00"


def body(unit: str = "1-1-0101", contact: str = PHONE, **more: str) -> dict[str, str]:
    return {"unit": unit, "contact": contact, "concerns": "补贴物业费", "text": "金额不对", **more}


class World:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.built = fixture.build(fixture.open_at(data))
        self.books = self.built.books
        self.tokens: dict[str, str] = {}
        for role in (Role.APPROVER, Role.TREASURER, Role.SUPERVISOR):
            added = add_member(books=self.books, username=role.value, slug=fixture.SLUG, role=role)
            assert added.token
            self.tokens[role.value] = added.token
        self.app: FastAPI = create_app(
            Settings(data=data, secret="test-secret-not-for-production"), books=self.books
        )
        self.client = TestClient(self.app)
        # FastAPI builds its route models on the first request: before any frozen clock
        assert self.client.get(API, headers=self.bearer("supervisor")).status_code == 200

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def rows(self) -> list[Objection]:
        with Session(self.books.engine) as session:
            return list(session.exec(select(Objection).order_by(Objection.id)))  # type: ignore[arg-type]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    found = World(tmp_path / "data")
    yield found
    found.books.dispose()


@pytest.fixture
def filed_day(world: World) -> Iterator[None]:
    """The clock on the filing day (after the app's first request: see ``World``)."""
    with freeze_time(FILED_ON):
        yield


def test_the_settings_have_defaults_sources_and_a_place_in_the_template() -> None:
    assert (DEFAULTS.objection_answer_days, DEFAULTS.objection_contact_days) == (15, 90)
    assert "objection_answer_days" in SOURCES and "objection_contact_days" in SOURCES
    assert "objection_answer_days = 15" in DEFAULT_TEXT
    assert "objection_contact_days = 90" in DEFAULT_TEXT


def test_an_objection_is_filed_without_a_login_and_audited(world: World, filed_day: None) -> None:
    answer = world.client.post(OBJECT, json=body())
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"id": 1, "status": "open", "answer_due": "2025-04-25"}
    assert "no-store" in answer.headers["cache-control"]
    (row,) = world.rows()
    assert (row.unit, row.contact, row.period) == ("1-1-0101", PHONE, "2025Q1")
    with Session(world.books.engine) as session:
        (event,) = session.exec(select(Event).where(Event.action == "objection.file"))
    assert event.object_id == "1" and event.actor == "public"
    assert PHONE not in (event.details or "")  # the audit trail never keeps the contact
    assert "1-1-0101" in (event.details or "")


@pytest.mark.parametrize(
    ("sent", "status", "rule"),
    [
        (body(unit="9-9-9999"), 422, "objection-unit"),  # not in the register
        (body(contact="call me"), 422, None),
        (body(contact=""), 422, None),
        (body(text=""), 422, None),
        (body(concerns="a\u202eb"), 422, None),  # a bidirectional override
        ({**body(), "owner": "x"}, 422, None),
    ],
)
def test_a_bad_filing_is_refused_and_writes_nothing(
    world: World, filed_day: None, sent: dict[str, str], status: int, rule: str | None
) -> None:
    answer = world.client.post(OBJECT, json=sent)
    assert answer.status_code == status, answer.text
    if rule:
        assert answer.json()["detail"][0]["rule"] == rule
    assert world.rows() == []


def test_only_a_closed_period_takes_objections(world: World, filed_day: None) -> None:
    for url in (
        "/public/maple/disclosures/2025Q2/objections",
        "/public/nowhere/disclosures/2025Q1/objections",
    ):
        assert world.client.post(url, json=body()).status_code == 404
    refused = world.client.post(OBJECT, content=b"unit=1", headers={"content-type": "text/plain"})
    assert refused.status_code == 415 and refused.json()["detail"][0]["rule"] == "media-type"
    assert world.rows() == []


def test_filings_are_limited_per_unit_and_per_address_each_day(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(objections, "ADDRESS_PER_DAY", 8)  # the register has 4 units
    with freeze_time(FILED_ON):
        for _ in range(objections.UNIT_PER_DAY):
            assert world.client.post(OBJECT, json=body()).status_code == 201
        refused = world.client.post(OBJECT, json=body())
        assert refused.status_code == 429
        (problem,) = refused.json()["detail"]
        assert problem["rule"] == "objection-limit"
        assert problem["details"]["limit"] == objections.UNIT_PER_DAY
        assert len(world.rows()) == objections.UNIT_PER_DAY
        units = [u for u, _ in fixture.UNITS if u != "1-1-0101"]
        for unit in units:  # 5 + 3 = 8 from this address
            assert world.client.post(OBJECT, json=body(unit=unit)).status_code == 201
        other = world.client.post(OBJECT, json=body(unit=units[0]))
        assert other.status_code == 429
        assert other.json()["detail"][0]["details"]["scope"] == "address"
        assert len(world.rows()) == objections.ADDRESS_PER_DAY
        with Session(world.books.engine) as session:  # the counters are in the database
            counts = list(session.exec(select(ObjectionCount)))
        assert {c.scope for c in counts} == {"unit", "address"}
    with freeze_time("2025-04-11 10:00:00+08:00"):  # a new day
        assert world.client.post(OBJECT, json=body()).status_code == 201
        objections.sweep(world.books)
        with Session(world.books.engine) as session:
            days = {c.day for c in session.exec(select(ObjectionCount))}
        assert days == {date(2025, 4, 11)}  # past days' counters swept


def test_members_list_them_and_an_approver_answers(world: World) -> None:
    with freeze_time(FILED_ON):
        world.client.post(OBJECT, json=body())
        listed = world.client.get(API, headers=world.bearer("supervisor"))
        assert listed.status_code == 200
        (item,) = listed.json()
        assert (item["unit"], item["contact"], item["building"]) == ("1-1-0101", PHONE, "1")
        assert item["status"] == "open" and item["overdue"] is False
        assert world.client.get(API).status_code == 401
        treasurer = world.client.post(
            f"{API}/1/answer", json={"answer": "已核对"}, headers=world.bearer("treasurer")
        )
        assert treasurer.status_code == 403
        answered = world.client.post(
            f"{API}/1/answer", json={"answer": "已核对，金额无误"}, headers=world.bearer("approver")
        )
        assert answered.status_code == 200, answered.text
        out = answered.json()
        assert out["status"] == "answered" and out["answered_on"] == "2025-04-10"
        assert out["contact_until"] == "2025-07-09"  # 90 days after the answer
        again = world.client.post(
            f"{API}/1/answer", json={"answer": "再答"}, headers=world.bearer("approver")
        )
        assert again.status_code == 409
        assert again.json()["detail"][0]["rule"] == "objection-answered"
        missing = world.client.post(
            f"{API}/99/answer", json={"answer": "x"}, headers=world.bearer("approver")
        )
        assert missing.status_code == 404
    with Session(world.books.engine) as session:
        actions = [
            e.action for e in session.exec(select(Event).where(Event.object_type == "objection"))
        ]
    assert actions == ["objection.file", "objection.answer"]


def test_the_cli_lists_and_answers(world: World) -> None:
    with freeze_time(FILED_ON):
        world.client.post(OBJECT, json=body(contact=MAIL))
        runner = CliRunner()
        data = ["--lang", "en", "--data", str(world.data)]
        listed = runner.invoke(main, [*data, "objections", "list", "maple"])
        assert listed.exit_code == 0, listed.output
        assert MAIL in listed.output and '"open"' in listed.output
        refused = runner.invoke(
            main,
            [*data, "objections", "answer", "maple", "1", "--answer", "x", "--as", "treasurer"],
        )
        assert refused.exit_code == 2
        done = runner.invoke(
            main,
            [*data, "objections", "answer", "maple", "1", "--answer", "已更正", "--as", "approver"],
        )
        assert done.exit_code == 0, done.output
    (row,) = world.rows()
    assert (row.status, row.answer, row.answered_by) == ("answered", "已更正", "approver")


def _live_page(world: World, lang: str = "zh") -> ET.Element:
    page = world.client.get(f"{URL}?lang={lang}")
    assert page.status_code == 200
    return ET.fromstring(page.text)


def test_the_live_section_shows_the_building_never_the_unit_or_contact(world: World) -> None:
    with freeze_time(FILED_ON):
        world.client.post(OBJECT, json=body(unit="2-1-0101", contact=MAIL))
        world.client.post(OBJECT, json=body(unit="1-1-0102"))
        objections.answer(
            books=world.books,
            slug="maple",
            objection_id=2,
            body=objections.AnswerIn(answer="已核对"),
            actor="approver",
        )
        live = world.client.get(URL + "/live").json()
        assert live["posted_until"] == "2025-05-03"
        assert [
            {
                k: o[k]
                for k in ("id", "building", "concerns", "text", "status", "answer", "answered_on")
            }
            for o in live["objections"]
        ] == [
            {
                "id": 1,
                "building": "2",
                "concerns": "补贴物业费",
                "text": "金额不对",
                "status": "open",
                "answer": None,
                "answered_on": None,
            },
            {
                "id": 2,
                "building": "1",
                "concerns": "补贴物业费",
                "text": "金额不对",
                "status": "answered",
                "answer": "已核对",
                "answered_on": "2025-04-10",
            },
        ]
        page = world.client.get(URL)
        root = ET.fromstring(page.text)
        ns = "{http://www.w3.org/1999/xhtml}"
        (section,) = [s for s in root.iter(f"{ns}section") if s.get("id") == "live"]
        shown = ET.tostring(section, encoding="unicode")
        raw = world.client.get(URL + "/live").text
        for secret in ("2-1-0101", "1-1-0102", MAIL, PHONE):  # (the sealed schedule lists units)
            assert secret not in shown and secret not in raw
        assert MAIL not in page.text and PHONE not in page.text
        text = "".join(section.itertext())
        assert "本公示张贴至 2025-05-03" in text and "答复期限：2025-04-25" in text
        assert "已核对" in text and "2 栋" in text
        (form,) = section.iter(f"{ns}form")
        assert form.get("action") == OBJECT and form.get("method") == "post"
        # the stored bytes are the sealed statement alone
        stored = notices.notice(
            books=world.books, slug="maple", period="2025Q1", fmt="html", lang="zh"
        )
        assert b"objection" not in stored.body and "已核对".encode() not in stored.body


def test_an_unanswered_objection_is_flagged_once_overdue(world: World) -> None:
    with freeze_time(FILED_ON):
        world.client.post(OBJECT, json=body())
        assert objections.overdue(books=world.books, slug="maple") == []
    with freeze_time("2025-04-25 23:00:00+08:00"):  # the last day: still on time
        assert world.client.get(URL + "/live").json()["objections"][0]["overdue"] is False
    with freeze_time("2025-04-26 09:00:00+08:00"):
        live = world.client.get(URL + "/live").json()
        assert live["objections"][0]["overdue"] is True
        (late,) = objections.overdue(books=world.books, slug="maple")
        assert late.id == 1
        text = "".join(_live_page(world).itertext())
        assert "逾期未答复（答复期限 2025-04-25）" in text
        en = "".join(_live_page(world, "en").itertext())
        assert "OVERDUE: not answered by 2025-04-25" in en
        (item,) = world.client.get(API, headers=world.bearer("supervisor")).json()
        assert item["overdue"] is True


def test_contacts_are_erased_after_the_set_days(world: World) -> None:
    with freeze_time(FILED_ON):
        world.client.post(OBJECT, json=body())
        world.client.post(OBJECT, json=body(unit="1-1-0102", contact=MAIL))
        objections.answer(
            books=world.books,
            slug="maple",
            objection_id=1,
            body=objections.AnswerIn(answer="已核对"),
            actor="approver",
        )
    with freeze_time("2025-07-09 12:00:00+08:00"):  # the 90th day: still kept
        assert objections.sweep(world.books) == 0
        assert world.rows()[0].contact == PHONE
    with freeze_time("2025-07-10 12:00:00+08:00"):
        # start-up sweeps (the objections router's lifespan)
        with TestClient(world.app) as started:
            listed = started.get(API, headers=world.bearer("approver")).json()
        assert [o["contact"] for o in listed] == [None, MAIL]  # the unanswered one is kept
        rows = world.rows()
        assert rows[0].contact is None and rows[1].contact == MAIL


def test_a_contact_is_erased_on_an_answer_sweep_too(world: World) -> None:
    with freeze_time(FILED_ON):
        world.client.post(OBJECT, json=body())
        world.client.post(OBJECT, json=body(unit="1-1-0102", contact=MAIL))
        objections.answer(
            books=world.books,
            slug="maple",
            objection_id=1,
            body=objections.AnswerIn(answer="a"),
            actor="approver",
        )
    with freeze_time("2025-08-01 12:00:00+08:00"):
        answered = world.client.post(
            f"{API}/2/answer", json={"answer": "b"}, headers=world.bearer("approver")
        )
        assert answered.status_code == 200
        assert [r.contact for r in world.rows()] == [None, MAIL]


def test_contacts_are_never_exported(world: World) -> None:
    with freeze_time(FILED_ON):
        world.client.post(OBJECT, json=body(contact=MAIL))
        out = io.BytesIO()
        export(books=world.books, slug="maple", period="2025Q1", out=out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as package:
        for name in package.namelist():
            assert MAIL.encode() not in package.read(name), name


def test_the_notice_page_form_files_without_script(world: World) -> None:
    """The notice page's own form posts urlencoded to the same URL: a 303 back to the notice at
    the objection; a refusal is a page listing what to correct. A logged-in member's cookie
    makes the Origin check apply, and the form's own origin passes it."""
    with freeze_time(FILED_ON):
        form = {**body(), "lang": "en"}
        filed = world.client.post(OBJECT, data=form, follow_redirects=False)
        assert filed.status_code == 303
        assert filed.headers["location"] == f"{URL}?lang=en&filed=1#objection-1"
        shown = world.client.get(filed.headers["location"])
        assert 'id="objection-1"' in shown.text
        refused = world.client.post(OBJECT, data={**form, "unit": "9-9-9999"})
        assert refused.status_code == 422 and "text/html" in refused.headers["content-type"]
        assert (
            "9-9-9999" in refused.text
            and "default-src 'none'" in refused.headers["content-security-policy"]
        )
        world.client.cookies.set("commons_session", "x")
        foreign = world.client.post(
            OBJECT, data=form, headers={"Origin": "https://evil.example"}, follow_redirects=False
        )
        assert foreign.status_code == 403
        own = world.client.post(
            OBJECT, data=form, headers={"Origin": "http://testserver"}, follow_redirects=False
        )
        assert own.status_code == 303
        assert len(world.rows()) == 2
