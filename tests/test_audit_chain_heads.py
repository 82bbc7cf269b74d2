"""The journal's chain against heads recorded where a rewrite of the rows cannot reach them
all: each period's close, the audit trail, and heads a member kept outside the server
(``commons checkpoint``, ``commons verify --head/--heads``). Each attack is done on the
database with SQL and every hash recomputed (tests/chain_attacks.py); before these checks,
``commons verify`` passed all of them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlmodel import Session

from api.cli import main
from audit.disclosure import statement
from audit.disclosure_render import as_json
from audit.heads import checkpoint, parse_head, read_heads
from audit.verify import verify
from ledger import chart, journal
from ledger.books import Books
from ledger.chain import Head, HeadFault, Link, check_heads
from ledger.errors import StateConflict
from rules.periods import close
from tests.chain_attacks import (
    community_id,
    delete_last_entry,
    rechain_events,
    rewrite_amount,
)
from tests.conftest import txn


def commons(books: Books, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["--lang", "en", "--data", str(books.data_dir), *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def post(books: Books, slug: str, *amounts: str, day: date = date(2025, 3, 31)) -> None:
    for amount in amounts:
        journal.post(books=books, slug=slug, draft=txn(amount, day=day), actor="t")


def head_of(books: Books, slug: str) -> tuple[int, str]:
    with Session(books.engine) as session:
        community = books.community(session, slug)
        return community.head_seq, community.head_hash


def _hash_at(books: Books, slug: str, seq: int) -> str:
    with Session(books.engine) as session:
        (found,) = session.execute(
            text("SELECT hash FROM entry WHERE seq = :s AND community_id = :c"),
            {"s": seq, "c": community_id(books, slug)},
        ).one()
    return str(found)


def closed_q1(books: Books, slug: str) -> None:
    """Q1 posted (three entries, the reserve set aside) and closed; two entries in Q2."""
    post(books, slug, "9000.00", day=date(2025, 1, 5))
    reserve = journal.post(
        books=books,
        slug=slug,
        draft=txn(
            "5000.00",
            debit=chart.USE_MAINTENANCE,
            credit=chart.BANK,
            kind="reserve",
            day=date(2025, 3, 28),
        ),
        actor="t",
    )
    assert reserve.pending  # 5,000.00 out of the bank: a second member approves
    journal.approve(books=books, slug=slug, entry_id=reserve.entry.id, actor="chair")
    post(books, slug, "300.00", day=date(2025, 3, 30))
    close(books=books, slug=slug, period="2025Q1", actor="chair")
    post(books, slug, "40.00", "50.00", day=date(2025, 4, 2))


# --- attack 1: an amount rewritten, every later hash recomputed ----------------------------


def test_a_rewrite_before_a_close_is_exposed_by_the_close(books: Books, community: str) -> None:
    closed_q1(books, community)
    rewrite_amount(books, community, 3, 30100)

    report = verify(books, community)
    assert not report.ok
    # The chain is whole again: only the heads recorded at the close give it away, both the
    # close's row and the close event of the audit trail.
    assert not any(p.startswith("seq ") for p in report.problems), report.problems
    rewritten = [p for p in report.problems if "was rewritten" in p]
    assert [p.split(":")[0] for p in rewritten] == [
        "close of 2025Q1",
        "event seq 7 (close of 2025Q1)",
    ], report.problems
    assert "the journal's entry at seq 3 has hash" in rewritten[0]
    # In Chinese, where the head was recorded too.
    chinese = [f.render("zh") for f in report.findings if "was rewritten" in str(f)]
    assert chinese[0].startswith("2025Q1 结账：日记账第 3 笔的哈希为 ")
    assert chinese[0].endswith("：日记账截至第 3 笔已被改写")
    assert chinese[1].startswith("审计记录第 7 条（2025Q1 结账）：日记账第 3 笔的哈希为 ")


def test_a_rewrite_after_the_kept_head_is_not_a_rewrite_of_it(books: Books, community: str) -> None:
    """A kept head vouches for the chain up to it, not after it: a change after it is the
    chain's business (and here, rechained, nothing can see it: docs/chain.md)."""
    post(books, community, "100.00", "200.00")
    kept = head_of(books, community)
    post(books, community, "300.00")
    rewrite_amount(books, community, 3, 30100)
    report = verify(books, community, [Head(*kept, "kept")])
    assert report.ok, report.problems


def test_a_rewrite_before_a_kept_head_is_exposed(books: Books, community: str) -> None:
    post(books, community, "100.00", "200.00", "300.00")
    seq, kept = head_of(books, community)
    rewrite_amount(books, community, 2, 20100)

    code, out = commons(books, "verify", community, "--head", f"{seq}:{kept}")
    assert code == 1
    assert (
        f"--head {seq}:{kept}: the journal's entry at seq 3 has hash {head_of(books, community)[1]}"
        f", not {kept} as recorded: the journal up to seq 3 was rewritten" in out
    ), out
    # The same head kept at seq 1 (before the rewritten entry) still holds.
    with Session(books.engine) as session:
        first = next(books.chained(session, community_id(books, community)))
    assert commons(books, "verify", community, "--head", f"1:{first.hash}")[0] == 0


# --- attack 2: the last entry deleted, the head moved back --------------------------------


def test_a_deleted_last_entry_is_exposed_by_the_audit_trail(books: Books, community: str) -> None:
    post(books, community, "100.00", "200.00", "300.00")
    delete_last_entry(books, community)

    report = verify(books, community)
    assert not report.ok
    assert report.entries == 2
    assert any(
        re.fullmatch(
            r"event seq 5 \(post entry [0-9a-f-]+\): records entry seq 3, which the journal "
            r"does not hold \(the journal ends at seq 2\)",
            p,
        )
        for p in report.problems
    ), report.problems


def test_a_truncated_journal_is_exposed_by_a_kept_head(books: Books, community: str) -> None:
    post(books, community, "100.00", "200.00", "300.00")
    seq, kept = head_of(books, community)
    delete_last_entry(books, community)

    code, out = commons(books, "verify", community, "--head", f"{seq}:{kept}")
    assert code == 1
    assert (
        f"--head 3:{kept}: chain head seq 3 ({kept}), but the journal ends at seq 2: the journal "
        "was cut short (entries after seq 2 deleted)" in out
    ), out


def test_moving_the_head_back_alone_is_named(books: Books, community: str) -> None:
    post(books, community, "100.00", "200.00", "300.00")
    cid = community_id(books, community)
    with Session(books.engine) as session:
        (prev,) = session.execute(
            text("SELECT prev_hash FROM entry WHERE seq = 3 AND community_id = :c"), {"c": cid}
        ).one()
        session.execute(
            text("UPDATE community SET head_seq = 2, head_hash = :h WHERE id = :c"),
            {"h": prev, "c": cid},
        )
        session.commit()
    report = verify(books, community)
    assert any(
        p.endswith("posted, but beyond the community's head (seq 2): the head was moved back")
        for p in report.problems
    ), report.problems


# --- checkpoints --------------------------------------------------------------------------


def test_a_checkpoint_line_round_trips_through_heads(
    books: Books, community: str, tmp_path: Path
) -> None:
    post(books, community, "100.00", "200.00")
    code, line = commons(books, "checkpoint", community)
    assert code == 0
    _seq, digest = head_of(books, community)
    assert re.fullmatch(rf"maple 2 {digest} \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\n", line), line
    kept = tmp_path / "heads.txt"
    kept.write_text("# the committee's file\n" + line + "other 7 " + "0" * 64 + " x\n")
    assert read_heads(kept, community) == [Head(2, digest, "heads.txt:2")]

    post(books, community, "300.00")  # posting on after a checkpoint is what books do
    code, out = commons(books, "verify", community, "--heads", str(kept))
    assert code == 0 and "passes through 1 recorded head(s)" in out, out

    delete_last_entry(books, community)
    delete_last_entry(books, community)  # back to seq 1: the kept seq 2 is gone
    code, out = commons(books, "verify", community, "--heads", str(kept))
    assert code == 1
    assert "heads.txt:2: chain head seq 2" in out and "the journal ends at seq 1" in out, out


def test_a_checkpoint_of_books_that_do_not_verify_is_refused(books: Books, community: str) -> None:
    post(books, community, "100.00", "200.00")
    with Session(books.engine) as session:
        session.execute(text("UPDATE posting SET amount_fen = amount_fen * 2"))
        session.commit()
    with pytest.raises(StateConflict, match="do not verify") as refused:
        checkpoint(books, community)
    # The refusal quotes verify's findings in the reader's language.
    words = refused.value.problems[0].text.render("zh")
    assert words.startswith("maple 的账簿校验未通过，而保存的链头会为其作保：第 1 笔（分录 ")
    assert "数据行（分录行、字段）与记账时计算哈希的文本不一致" in words
    code, out = commons(books, "checkpoint", community)
    assert code == 1 and "refused (409" in out


def test_a_published_notice_is_a_kept_head(books: Books, community: str, tmp_path: Path) -> None:
    """The JSON of a period's disclosure carries the head of its close; kept by anyone who
    downloaded it, it exposes a rewrite before that close even if the close's row and the
    audit trail were rewritten too."""
    closed_q1(books, community)
    notice = tmp_path / "2025Q1.json"
    notice.write_text(as_json(statement(books=books, slug=community, period="2025Q1")))
    (head,) = read_heads(notice, community)
    assert (head.seq, head.source) == (3, "2025Q1.json")
    assert commons(books, "verify", community, "--heads", str(notice))[0] == 0

    rewrite_amount(books, community, 1, 900_100)
    # ... and the close's row and the close event made to agree, the audit trail rechained:
    new = _hash_at(books, community, 3)
    with Session(books.engine) as session:
        session.execute(text("UPDATE periodclose SET head_hash = :h"), {"h": new})
        session.execute(
            text("UPDATE event SET details = REPLACE(details, :old, :new) WHERE action = 'close'"),
            {"old": head.hash, "new": new},
        )
        session.commit()
    rechain_events(books, community)
    books.rebuild_projection(community)
    # Inside the database everything agrees again; only the head kept outside tells.
    inside = verify(books, community)
    assert inside.ok, inside.problems
    code, out = commons(books, "verify", community, "--heads", str(notice))
    assert code == 1 and "2025Q1.json: the journal's entry at seq 3 has hash" in out, out
    with pytest.raises(ValueError, match="is of community maple, not other"):
        read_heads(notice, "other")


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("3", "is not a hash"),
        ("x:" + "a" * 64, "the seq 'x' is not a whole number"),
        ("3:" + "A" * 64, "is not a hash"),
    ],
)
def test_a_malformed_head_is_a_usage_error(
    books: Books, community: str, arg: str, message: str
) -> None:
    code, out = commons(books, "verify", community, "--head", arg)
    assert code == 2 and message in out, out


def test_a_heads_file_without_a_head_of_the_community_is_a_usage_error(
    books: Books, community: str, tmp_path: Path
) -> None:
    kept = tmp_path / "heads.txt"
    kept.write_text("other 7 " + "0" * 64 + " 2026-01-01T00:00:00+00:00\n")
    code, out = commons(books, "verify", community, "--heads", str(kept))
    assert code == 2 and "no chain head of maple" in out


def test_check_heads_over_links() -> None:
    links = [Link(1, "g", "h1", ""), Link(2, "h1", "h2", ""), Link(4, "h3", "h4", "")]
    heads = [Head(0, "g"), Head(2, "h2"), Head(2, "x"), Head(3, "h3"), Head(5, "h5")]
    assert [(p.head.seq, p.fault, p.found, p.end) for p in check_heads(links, heads, "g")] == [
        (2, HeadFault.HASH, "h2", 4),
        (3, HeadFault.HASH, None, 4),
        (5, HeadFault.BEYOND, None, 4),
    ]


def test_parse_head() -> None:
    assert parse_head(" 12:" + "ab" * 32) == Head(12, "ab" * 32, "--head 12:" + "ab" * 32)
    with pytest.raises(ValueError, match="64 hex digits"):
        parse_head("12:abc")


def test_a_manifest_json_gives_its_heads(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "community": {"slug": "maple"},
                "chain": {"head_seq": 9, "head_hash": "c" * 64},
                "closed": {"head_seq": 8, "head_hash": "d" * 64},
            }
        )
    )
    assert read_heads(manifest, "maple") == [
        Head(9, "c" * 64, "manifest.json chain"),
        Head(8, "d" * 64, "manifest.json closed"),
    ]


# --- the published verifier -----------------------------------------------------------------

DOC = Path(__file__).parents[1] / "docs" / "chain.md"


def run_published_verifier(books: Books, tmp_path: Path, *args: str) -> tuple[int, str]:
    """The standard-library script of docs/chain.md, run as written."""
    section = DOC.read_text(encoding="utf-8").split("## A verifier with the standard library")[1]
    script = tmp_path / "verify_chains.py"
    script.write_text(section.split("```python\n")[1].split("```")[0], encoding="utf-8")
    database = books.data_dir / "commons.db"
    done = subprocess.run(
        [sys.executable, str(script), str(database), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_the_published_verifier_agrees(books: Books, community: str, tmp_path: Path) -> None:
    closed_q1(books, community)
    seq, kept = head_of(books, community)
    code, out = run_published_verifier(books, tmp_path, community, f"{seq}:{kept}")
    assert (code, out) == (0, "OK: 5 entries, 9 events, 1 kept head(s)\n")

    with Session(books.engine) as session:
        session.execute(text("UPDATE event SET address = '10.0.0.1' WHERE seq = 4"))
        session.commit()
    assert run_published_verifier(books, tmp_path, community) == (
        1,
        "event seq 4: hash does not match its text\n",
    )
    rechain_events(books, community)
    delete_last_entry(books, community)
    assert run_published_verifier(books, tmp_path, community)[0] == 0
    assert run_published_verifier(books, tmp_path, community, f"{seq}:{kept}") == (
        1,
        f"the journal does not pass through {seq}:{kept} (it ends at seq 4)\n",
    )
