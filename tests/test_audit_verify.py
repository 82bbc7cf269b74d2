"""Tamper detection: ``commons verify`` and bean-check (the plugin) both notice."""

from __future__ import annotations

from beancount import loader
from click.testing import CliRunner
from sqlalchemy import update
from sqlmodel import Session

from api.cli import main
from audit.verify import verify
from ledger import journal
from ledger.books import Books
from ledger.models import Posting
from tests.conftest import txn


def post_three(books: Books, slug: str) -> list[str]:
    return [
        journal.post(books=books, slug=slug, draft=txn(amount), actor="t").entry.id
        for amount in ("100.00", "200.00", "300.00")
    ]


def test_clean_books_verify(books: Books, community: str) -> None:
    post_three(books, community)
    report = verify(books, community)
    assert report.ok, report.problems
    assert report.entries == 3
    assert "OK, 3 entries" in report.summary().render("en")
    assert report.summary().render("zh").startswith("maple：通过，3 笔分录，链头 ")


def test_changed_amount_in_database_is_named(books: Books, community: str) -> None:
    ids = post_three(books, community)
    with Session(books.engine) as session:
        session.execute(
            update(Posting)
            .where(Posting.entry_id == ids[1])
            .where(Posting.position == 0)
            .values(amount_fen=20100)
        )
        session.commit()
    report = verify(books, community)
    assert not report.ok
    assert any(p.startswith(f"seq 2 (entry {ids[1]})") for p in report.problems), report.problems
    assert any("projection: seq 2 differs" in p for p in report.problems)


def test_edited_projection_fails_verify_and_bean_check(books: Books, community: str) -> None:
    post_three(books, community)
    path = books.projection(community).path
    text = path.read_text(encoding="utf-8")
    assert text.count("  300.00 CNY") == 1
    path.write_text(
        text.replace("  300.00 CNY", "  300.01 CNY").replace("-300.00 CNY", "-300.01 CNY"),
        encoding="utf-8",
    )
    tampered_line = (
        next(n for n, line in enumerate(path.read_text().splitlines(), 1) if "seq: 3" in line) - 2
    )  # the date line: two above "seq:" (after "id:")

    report = verify(books, community)
    assert "projection: seq 3 differs from the journal" in report.problems
    _entries, errors, _ = loader.load_file(str(path))
    chain = [e for e in errors if "哈希链在第 3 笔断开" in e.message]
    assert len(chain) == 1
    assert chain[0].source["lineno"] == tampered_line
    assert any("beancount: line" in p and "第 3 笔" in p for p in report.problems)


def test_rebuild_repairs_a_truncated_projection(books: Books, community: str) -> None:
    post_three(books, community)
    path = books.projection(community).path
    full = path.read_bytes()
    path.write_bytes(full[: len(full) - 40])  # a crash in the middle of a write
    journal.post(books=books, slug=community, draft=txn("1.00"), actor="t")
    assert verify(books, community).ok
    assert path.read_bytes().startswith(full)


def test_half_written_entry_after_the_recorded_offset_is_dropped(
    books: Books, community: str
) -> None:
    post_three(books, community)
    path = books.projection(community).path
    with open(path, "a", encoding="utf-8") as out:
        out.write('\n2025-03-31 * "half" "writ')  # a writer killed mid-entry
    assert not verify(books, community).ok
    journal.post(books=books, slug=community, draft=txn("1.00"), actor="t")
    assert verify(books, community).ok
    assert "half" not in path.read_text(encoding="utf-8")


def test_commons_verify_reports_in_chinese_by_default_and_in_english_on_request(
    books: Books, community: str
) -> None:
    ids = post_three(books, community)
    runner = CliRunner(env={"LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"})
    data = ["--data", str(books.data_dir)]
    clean = runner.invoke(main, [*data, "verify", community])
    assert clean.exit_code == 0, clean.output
    assert clean.output.startswith(f"{community}：通过，3 笔分录，链头 ")
    assert "投影与日记账一致，beancount 加载无错误" in clean.output
    with Session(books.engine) as session:
        session.execute(
            update(Posting)
            .where(Posting.entry_id == ids[1])
            .where(Posting.position == 0)
            .values(amount_fen=20100)
        )
        session.commit()
    zh = runner.invoke(main, [*data, "verify", community])
    assert zh.exit_code == 1
    lines = zh.output.splitlines()
    assert lines[0] == f"{community}：{len(lines) - 1} 个问题"
    assert (
        f"  - 第 2 笔（分录 {ids[1]}）：数据行（分录行、字段）与记账时计算哈希的文本不一致" in lines
    )
    assert "  - 投影：第 2 笔与日记账不一致" in lines
    assert not any("differ" in line or "projection" in line for line in lines), zh.output
    en = runner.invoke(main, ["--lang", "en", *data, "verify", community])
    assert en.exit_code == 1
    assert en.output.splitlines()[0] == f"{community}: {len(lines) - 1} problem(s)"
    assert "  - projection: seq 2 differs from the journal" in en.output.splitlines()
    by_locale = runner.invoke(main, [*data, "verify", community], env={"LANG": "en_GB.UTF-8"})
    assert by_locale.output == en.output
