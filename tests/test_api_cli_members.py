"""The command line acts as a member, and four eyes hold there too: ``--as USER`` must name an
active member of the community holding the command's role (else exit 2, nothing written);
approve, reject and close also need that member's own credentials (``$COMMONS_TOKEN`` or
``--password-stdin``); the operator's ``commons user`` commands are recorded as
``operator:<OS user>``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlmodel import Session, col

from api.cli import main
from api.users import Role, add_member, revoke_tokens, user_by_password
from ledger import clock, journal
from ledger.books import Books
from ledger.models import Entry, Event, PeriodClose, Resolution, Unit, User
from ledger.schemas import TransactionIn
from tests.api_helpers import SLUG, Login, spend, txn

#: Nothing from the environment: no actor, no token, unless a test says so.
CLEAN = {"COMMONS_ACTOR": None, "COMMONS_TOKEN": None, "COMMONS_DB": None}

RESOLUTION = {
    "number": "2025-03",
    "title": "2025年度公共收益分红",
    "matter": 9,
    "voted_on": "2025-11-30",
    "effective_from": "2025-12-01",
    "budget": "40000.00",
    "purpose": ["dividend"],
    "allocation": {"mode": "rate", "basis": "area", "rate": "0.50", "rounding": "fen"},
    "ballots": [{"unit": "1-1-0101", "vote": "yes"}],
}


@dataclass(frozen=True)
class World:
    """The test's books: a posted and a pending entry, a unit and a resolution, the files."""

    data: Path
    books: Books
    members: dict[str, Login]
    posted: str
    pending: str
    files: Path

    def run(
        self, *args: str, env: Mapping[str, str | None] | None = None, stdin: str | None = None
    ) -> Result:
        runner = CliRunner(env={**CLEAN, **(env or {})})
        return runner.invoke(main, ["--lang", "en", "--data", str(self.data), *args], input=stdin)

    def written(self) -> tuple[int, ...]:
        """Rows of every table a writing command adds to, and the export file."""
        with Session(self.books.engine) as session:
            counts = tuple(
                int(session.execute(select(func.count()).select_from(table)).scalar_one())
                for table in (Event, Entry, Unit, Resolution, PeriodClose)
            )
            statuses = tuple(
                session.execute(select(col(Entry.status)).order_by(col(Entry.id))).scalars()
            )
        return (*counts, len(statuses), hash(statuses), int((self.files / "out.zip").exists()))


@pytest.fixture
def world(api_books: Books, members: dict[str, Login], tmp_path: Path) -> World:
    from rules.resolution_register import ResolutionIn, create
    from rules.units import UnitIn, import_units

    import_units(
        books=api_books,
        slug=SLUG,
        units=[UnitIn("1-1-0101", "owner-1", Decimal("100.00"), False)],
        actor="admin",
    )
    create(books=api_books, slug=SLUG, body=ResolutionIn.model_validate(RESOLUTION), actor="admin")
    income = TransactionIn.model_validate(txn("20000.00", "in"))
    posted = journal.post(books=api_books, slug=SLUG, draft=income, actor="treasurer")
    out = TransactionIn.model_validate(spend("6000.00", "out"))
    pending = journal.post(books=api_books, slug=SLUG, draft=out, actor="treasurer")
    assert pending.pending
    files = tmp_path / "files"
    files.mkdir()
    (files / "one.json").write_text(json.dumps(txn("12.00", "one"), ensure_ascii=False))
    (files / "units.csv").write_text(
        "unit,owner,area,developer_unsold\n1-1-0102,owner-2,80.00,false\n"
    )
    second = {**RESOLUTION, "number": "2025-04"}
    (files / "resolution.json").write_text(json.dumps(second, ensure_ascii=False))
    return World(api_books.data_dir, api_books, members, posted.entry.id, pending.entry.id, files)


@dataclass(frozen=True)
class Command:
    args: Callable[[World], list[str]]
    needs: str  # the role(s) in the refusal
    right: str  # a member who may
    wrong: str  # a member of maple without the role
    four_eyes: bool = False


COMMANDS = {
    "post": Command(
        lambda w: ["post", SLUG, "--file", str(w.files / "one.json")],
        "treasurer",
        "treasurer",
        "auditor",
    ),
    "reverse": Command(
        lambda w: ["reverse", SLUG, w.posted, "--reason", "录错"], "treasurer", "treasurer", "admin"
    ),
    "allocate": Command(
        lambda w: ["allocate", SLUG, "2025-03", "--date", clock.today().isoformat()],
        "treasurer",
        "treasurer",
        "approver",
    ),
    "units import": Command(
        lambda w: ["units", "import", SLUG, str(w.files / "units.csv")],
        "admin",
        "admin",
        "treasurer",
    ),
    "resolutions add": Command(
        lambda w: ["resolutions", "add", SLUG, "--file", str(w.files / "resolution.json")],
        "admin or approver",
        "approver",
        "treasurer",
    ),
    "close": Command(
        lambda w: ["close", SLUG, "2025Q1"], "approver", "approver", "admin", four_eyes=True
    ),
    "approve": Command(
        lambda w: ["approve", SLUG, w.pending], "approver", "approver", "supervisor", True
    ),
    "reject": Command(
        lambda w: ["reject", SLUG, w.pending, "--reason", "没有发票"],
        "approver",
        "approver",
        "treasurer",
        four_eyes=True,
    ),
    "export": Command(
        lambda w: ["export", SLUG, "2025", "--out", str(w.files / "out.zip")],
        "auditor or supervisor",
        "auditor",
        "treasurer",
    ),
}
NAMES = list(COMMANDS)


def credentials(world: World, command: Command, who: str) -> Mapping[str, str | None]:
    return {"COMMONS_TOKEN": world.members[who].token} if command.four_eyes else {}


def refused(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "refused:" in result.output and "nothing was written" in result.output
    for word in words:
        assert word in result.output


@pytest.mark.parametrize("name", NAMES)
def test_a_ghost_cannot_act(world: World, name: str) -> None:
    """Reported: ``commons post demo --file x.json --as ghost`` posted as a non-member."""
    command = COMMANDS[name]
    before = world.written()
    result = world.run(
        *command.args(world), "--as", "ghost", env=credentials(world, command, "treasurer")
    )
    refused(result, "ghost is not a user", f"role {command.needs}", SLUG)
    assert world.written() == before


@pytest.mark.parametrize("name", NAMES)
def test_there_is_no_default_actor(world: World, name: str) -> None:
    """Reported: a close with no ``--as`` was recorded as "cli"."""
    command = COMMANDS[name]
    before = world.written()
    result = world.run(*command.args(world), env={"USER": "root", "LOGNAME": "root"})
    refused(result, "--as USER", "$COMMONS_ACTOR", f"role {command.needs}")
    assert world.written() == before


@pytest.mark.parametrize("name", NAMES)
def test_a_member_elsewhere_cannot_act_here(world: World, name: str) -> None:
    command = COMMANDS[name]
    before = world.written()
    env = {"COMMONS_ACTOR": "outsider", **credentials(world, command, "outsider")}
    result = world.run(*command.args(world), env=env)
    refused(result, f"needs the role {command.needs} in {SLUG}", "outsider holds no role there")
    assert world.written() == before


@pytest.mark.parametrize("name", NAMES)
def test_a_member_without_the_role_cannot_act(world: World, name: str) -> None:
    command = COMMANDS[name]
    before = world.written()
    who = command.wrong
    result = world.run(*command.args(world), "--as", who, env=credentials(world, command, who))
    refused(result, f"needs the role {command.needs} in {SLUG}; {who} holds {who} there")
    assert world.written() == before


@pytest.mark.parametrize("name", NAMES)
def test_a_disabled_member_cannot_act(world: World, name: str) -> None:
    command = COMMANDS[name]
    with Session(world.books.engine) as session:
        user = session.execute(select(User).where(col(User.username) == command.right)).scalar_one()
        user.disabled = True
        session.add(user)
        session.commit()
    before = world.written()
    result = world.run(
        *command.args(world), "--as", command.right, env=credentials(world, command, command.right)
    )
    refused(result, f"{command.right} is disabled")
    assert world.written() == before


@pytest.mark.parametrize("name", NAMES)
def test_the_right_member_acts_and_is_recorded(world: World, name: str) -> None:
    command = COMMANDS[name]
    before = world.written()
    result = world.run(
        *command.args(world), "--as", command.right, env=credentials(world, command, command.right)
    )
    assert result.exit_code == 0, result.output
    assert world.written() != before
    with Session(world.books.engine) as session:
        last = session.execute(select(Event).order_by(col(Event.id).desc())).scalars().first()
    assert last is not None and last.actor == command.right


# --- four eyes: approve, reject and close need the member's own credentials --------------------

FOUR_EYES = [n for n in NAMES if COMMANDS[n].four_eyes]


@pytest.mark.parametrize("name", FOUR_EYES)
def test_four_eyes_need_credentials(world: World, name: str) -> None:
    command = COMMANDS[name]
    before = world.written()
    result = world.run(*command.args(world), "--as", "approver")
    refused(result, "needs approver's credentials", "COMMONS_TOKEN", "--password-stdin")
    assert world.written() == before


@pytest.mark.parametrize("name", FOUR_EYES)
def test_a_treasurer_cannot_record_the_chairs_decision(world: World, name: str) -> None:
    """The treasurer knows the approver's name, not their token or password."""
    command = COMMANDS[name]
    before = world.written()
    mine = {"COMMONS_TOKEN": world.members["treasurer"].token}
    result = world.run(*command.args(world), "--as", "approver", env=mine)
    refused(result, "the API token in COMMONS_TOKEN is treasurer's, not approver's")
    result = world.run(
        *command.args(world), "--as", "approver", "--password-stdin", stdin="treasurer-password\n"
    )
    refused(result, "wrong password for approver")
    assert world.written() == before


@pytest.mark.parametrize("name", FOUR_EYES)
def test_unknown_and_revoked_tokens_are_refused(world: World, name: str) -> None:
    command = COMMANDS[name]
    revoke_tokens(books=world.books, username="approver")
    before = world.written()
    result = world.run(*command.args(world), "--as", "approver", env={"COMMONS_TOKEN": "cl_nope"})
    refused(result, "unknown or revoked")
    token = {"COMMONS_TOKEN": world.members["approver"].token}
    result = world.run(*command.args(world), "--as", "approver", env=token)
    refused(result, "unknown or revoked")
    assert world.written() == before


@pytest.mark.parametrize("name", FOUR_EYES)
def test_the_members_own_password_on_stdin(world: World, name: str) -> None:
    command = COMMANDS[name]
    args = [*command.args(world), "--as", "approver", "--password-stdin"]
    before = world.written()
    refused(world.run(*args, stdin="not-the-password\n"), "wrong password for approver")
    refused(world.run(*args, stdin=""), "wrong password for approver")
    assert world.written() == before
    result = world.run(*args, stdin="approver-password\n")
    assert result.exit_code == 0, result.output
    assert world.written() != before


def test_the_entering_member_cannot_approve_on_the_command_line(world: World) -> None:
    """``both`` holds treasurer and approver: enters, then may not approve their own entry."""
    both = {"COMMONS_TOKEN": world.members["both"].token}
    (world.files / "big.json").write_text(json.dumps(spend("7000.00", "big")))
    result = world.run("post", SLUG, "--file", str(world.files / "big.json"), "--as", "both")
    assert result.exit_code == 0 and "pending approval" in result.output, result.output
    entry_id = result.output.split()[0]
    before = world.written()
    result = world.run("approve", SLUG, entry_id, "--as", "both", env=both)
    assert result.exit_code == 1, result.output
    assert "(four-eyes)" in result.output and "cannot also approve it" in result.output
    assert world.written() == before

    approver = {"COMMONS_TOKEN": world.members["approver"].token}
    result = world.run("approve", SLUG, entry_id, "--as", "approver", env=approver)
    assert result.exit_code == 0 and f"{entry_id} approved by approver" in result.output
    with Session(world.books.engine) as session:
        entry = session.get(Entry, entry_id)
    assert entry is not None and (entry.status, entry.entered_by, entry.approved_by) == (
        "posted",
        "both",
        "approver",
    )


def test_reject_needs_a_reason_and_records_it(world: World) -> None:
    token = {"COMMONS_TOKEN": world.members["approver"].token}
    result = world.run("reject", SLUG, world.pending, "--reason", "", "--as", "approver", env=token)
    assert result.exit_code == 1 and "reason" in result.output
    result = world.run(
        "reject", SLUG, world.pending, "--reason", "没有发票", "--as", "approver", env=token
    )
    assert result.exit_code == 0 and "rejected by approver: 没有发票" in result.output
    with Session(world.books.engine) as session:
        entry = session.get(Entry, world.pending)
    assert entry is not None and (entry.status, entry.rejected_by) == ("rejected", "approver")


def test_the_actor_may_come_from_the_environment(world: World) -> None:
    one = str(world.files / "one.json")
    result = world.run("post", SLUG, "--file", one, env={"COMMONS_ACTOR": "treasurer"})
    assert result.exit_code == 0 and "posted as seq" in result.output, result.output


# --- the operator's commands -------------------------------------------------------------------


def test_user_commands_are_recorded_as_the_operator(world: World) -> None:
    me = {"LOGNAME": "ops-wang", "USER": "ops-wang"}
    result = world.run(
        "user", "add", "li", "--community", SLUG, "--role", "treasurer", "--password-stdin",
        env=me, stdin="li-long-password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert world.run("user", "token", "li", env=me).exit_code == 0
    assert world.run("user", "revoke-token", "li", "--token", token, env=me).exit_code == 0
    with Session(world.books.engine) as session:
        rows = session.execute(
            select(col(Event.action), col(Event.actor)).where(col(Event.object_id) == "li")
        ).all()
    assert sorted(rows) == [
        ("add-member", "operator:ops-wang"),
        ("issue-token", "operator:ops-wang"),
        ("revoke-token", "operator:ops-wang"),
    ]
    assert user_by_password(world.books, "li", "li-long-password") == "li"


def test_user_add_takes_the_password_once(world: World) -> None:
    result = world.run(
        "user", "add", "li", "--community", SLUG, "--role", "auditor",
        "--password", "li-long-password", "--password-stdin", stdin="li-long-password\n",
    )  # fmt: skip
    assert result.exit_code == 2 and "give the password once" in result.output
    with Session(world.books.engine) as session:
        assert session.execute(select(User).where(col(User.username) == "li")).first() is None
    short = world.run(
        "user", "add", "li", "--community", SLUG, "--role", "auditor", "--password-stdin",
        stdin="short\n",
    )  # fmt: skip
    assert short.exit_code == 1 and "at least 10 characters" in short.output


def test_users_added_by_the_library_default_to_the_operator(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "ops-zhao")
    add_member(books=world.books, username="zhou", slug=SLUG, role=Role.AUDITOR, token=False)
    with Session(world.books.engine) as session:
        actor = session.execute(
            select(col(Event.actor)).where(col(Event.object_id) == "zhou")
        ).scalar_one()
    assert actor == "operator:ops-zhao"
