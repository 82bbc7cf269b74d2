"""The same rules in the beancount plugin: a projection whose entries break a rule (entries
rendered with a valid hash chain, bypassing the API, as a hand edit or another tool would)
makes bean-check report each violation at its line, with the API's message; ``commons
verify`` folds the rules over the journal too.

A clean projection (posted through the API) loads with no errors::

    2025-01-05 * "停车场" "1月停车费"
      ...
      Assets:1002-银行存款:01-基本户      10000.00 CNY
      Income:4301-共有收益:01-停车费     -10000.00 CNY
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader

from audit.verify import verify
from ledger import chart, journal
from ledger.books import Books
from ledger.facts import CloseFact, render_close
from ledger.render import chain_hash, render_projected, render_txn
from ledger.txn import Leg, Txn
from rules.plugin import verify as plugin_verify
from tests.conftest import txn
from tests.rules_helpers import add_resolution, set_rules_text


def _sidecar_head(path: Path) -> tuple[int, str]:
    """The last seq and hash in the projection."""
    seq, head = 0, ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("  seq: "):
            seq = int(line.split(": ")[1])
        if line.startswith('  hash: "'):
            head = line.split('"')[1]
    return seq, head


def _append_chained(
    path: Path, day: date, kind: str, legs: list[tuple[str, str]], **fields: str
) -> int:
    """Append a correctly chained entry that never went through the API; its line number."""
    seq, prev = _sidecar_head(path)
    entry = Txn(
        id=f"hand-{seq + 1}",
        seq=seq + 1,
        date=day,
        payee="手工",
        narration="绕过接口的分录",
        kind=kind,
        legs=tuple(Leg(account, Decimal(amount)) for account, amount in legs),
        entered_by="someone",
        **fields,  # type: ignore[arg-type]
    )
    text = path.read_text(encoding="utf-8")
    line = text.count("\n") + 2
    digest = chain_hash(prev, render_txn(entry))
    path.write_text(text + "\n" + render_projected(entry, prev, digest), encoding="utf-8")
    return line


def _errors_at(path: Path) -> list[tuple[int, str]]:
    _entries, errors, _ = loader.load_file(str(path))
    return [(e.source["lineno"], e.message) for e in errors]


@pytest.fixture
def q1(books: Books, community: str) -> Path:
    """10,000.00 of parking income on 2025-01-05 and a 2,000.00 manager's share."""
    journal.post(
        books=books, slug=community, draft=txn("10000.00", day=date(2025, 1, 5)), actor="t"
    )
    journal.post(
        books=books,
        slug=community,
        draft=txn(
            "2000.00",
            debit=chart.COST_MANAGER_SHARE,
            credit=chart.BANK,
            kind="cost",
            day=date(2025, 1, 6),
        ),
        actor="t",
    )
    path = books.projection(community).path
    assert _errors_at(path) == []
    return path


CASES = {
    "no-overdraft": (
        "cost",
        [(chart.COST_DIRECT, "8000.01"), (chart.BANK, "-8000.01")],
        [
            f"no-overdraft: 不得透支：{chart.BANK} 将低于零：余额 8,000.00 元，本笔 -8,000.01 元，"
            "差额 0.01 元（《民法典》第二百八十三条；《民间非营利组织会计制度》）",
            "no-overdraft: 不得透支：非限定性净资产 将低于零：余额 8,000.00 元，本笔 -8,000.01 元，"
            "差额 0.01 元（《民法典》第二百八十三条；《民间非营利组织会计制度》）",
        ],
    ),
    "resolution-required": (
        "dividend",
        [(chart.USE_DIVIDEND, "100.00"), (chart.DIVIDENDS_PAYABLE, "-100.00")],
        [
            "resolution-required: 须经业主决议：dividend 一律须经业主决议，而本笔未引用任何决议"
            "（《民法典》第二百七十八条第一款第（九）项、第二百八十三条）"
        ],
    ),
    "manager-cost-share": (
        "cost",
        [(chart.COST_MANAGER_SHARE, "1000.01"), (chart.BANK, "-1000.01")],
        [
            "manager-cost-share: 物业服务企业分成：2025 年物业服务企业的分成将为 3,000.01 元，"
            "超过共有收益总额（4301） 10,000.00 元的 30%（上限 3,000.00 元，超出 0.01 元）"
            "（《民法典》第二百八十二条；厦门市规定物业服务企业分成不超过 30%）"
        ],
    ),
    "committee-expenses": (
        "cost",
        [(chart.USE_COMMITTEE, "1000.01"), (chart.BANK, "-1000.01")],
        [
            "committee-expenses: 业委会经费：2025 年业委会工作经费将为 1,000.01 元，超过共有收益 "
            "10,000.00 元的 10%（上限 1,000.00 元，超出 0.01 元）（业主大会关于工作经费的决定"
            "（小区自定；《民法典》第二百七十八条第一款第（九）项））"
        ],
    ),
    "civil-defence": (
        "income",
        [(chart.BANK, "800.00"), (chart.INCOME_CIVIL_DEFENCE, "-800.00")],
        [
            "civil-defence: 人防车位：800.00 元人防车位收入不是共有收益；除规则文件设置 "
            "civil_defence_owned = true 外，归投资人所有（《人民防空法》第五条（人防工程收益归投资人所有））"
        ],
    ),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_bean_check_reports_a_broken_rule_at_its_line(q1: Path, rule: str) -> None:
    kind, legs, messages = CASES[rule]
    line = _append_chained(q1, date(2025, 2, 1), kind, legs)
    assert _errors_at(q1) == [(line, message) for message in messages]


def test_bean_check_reports_an_entry_dated_in_a_closed_period(
    books: Books, community: str, q1: Path
) -> None:
    from rules.periods import close

    top_up = txn(
        "4000.01",
        debit=chart.USE_MAINTENANCE,
        credit=chart.BANK,
        kind="reserve",
        day=date(2025, 3, 1),
    )
    journal.post(books=books, slug=community, draft=top_up, actor="t")
    close(books=books, slug=community, period="2025Q1", actor="chair")
    assert _errors_at(q1) == []
    line = _append_chained(
        q1, date(2025, 3, 31), "income", [(chart.BANK, "1.00"), (chart.INCOME_PARKING, "-1.00")]
    )
    assert _errors_at(q1) == [
        (
            line,
            "closed-period: 已结账期间：该交易日期为 2025-03-31，在已结账期间 2025Q1"
            "（2025-01-01 至 2025-03-31，结账于第 3 笔）；请在未结账期间录入更正分录"
            "（《上海市住宅物业管理规定》第六十六条（已公布的期间保持公布时的内容））",
        )
    ]


def test_a_cited_resolution_is_read_from_the_projection(
    books: Books, community: str, q1: Path
) -> None:
    add_resolution(books, community, purpose=("dividend",), budget="100.00")
    line = _append_chained(
        q1,
        date(2025, 2, 1),
        "dividend",
        [(chart.USE_DIVIDEND, "100.00"), (chart.DIVIDENDS_PAYABLE, "-100.00")],
        resolution="2025-01",
    )
    assert _errors_at(q1) == []
    line = _append_chained(
        q1,
        date(2025, 2, 2),
        "dividend",
        [(chart.USE_DIVIDEND, "0.01"), (chart.DIVIDENDS_PAYABLE, "-0.01")],
        resolution="2025-01",
    )
    assert _errors_at(q1) == [
        (
            line,
            "resolution-required: 须经业主决议：决议 2025-01 的预算为 100.00 元：此前已支出 "
            "100.00 元，本笔 0.01 元，合计 100.01 元，超出 0.01 元（《民法典》第二百七十八条）",
        )
    ]
    # After a rebuild the resolution comes from the database into the header.
    books.rebuild_projection(community)
    assert 'custom "resolution" "2025-01"' in q1.read_text(encoding="utf-8")


def test_a_malformed_directive_is_a_plugin_error_not_a_crash(q1: Path) -> None:
    close = CloseFact(
        "2025Q1",
        date(2025, 1, 1),
        date(2025, 3, 31),
        2,
        "x" * 64,
        "chair",
        __import__("datetime").datetime(2025, 4, 1),
    )
    text = render_close(close).replace('head-seq: "2"', 'head-seq: "two"')
    q1.write_text(q1.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    errors = _errors_at(q1)
    assert len(errors) == 1
    assert "custom 'close' directive is malformed" in errors[0][1]


def test_the_plugin_judges_by_the_rules_file_it_names(q1: Path) -> None:
    entries, errors, options = loader.load_file(str(q1))
    assert errors == []
    again, found = plugin_verify(entries, options, "rules=missing.toml")
    assert again is entries
    assert [e.message for e in found if e.message.startswith("规则文件：")]


def test_commons_verify_lists_rule_violations_of_the_journal(books: Books, community: str) -> None:
    """Rules set again after the fact (the period still open) make the journal break a rule:
    verify says so, and so does bean-check with the rules file written from the database."""
    from rules.config import DEFAULT_TEXT

    set_rules_text(
        books,
        community,
        DEFAULT_TEXT.replace("civil_defence_owned = false", "civil_defence_owned = true"),
    )
    journal.post(
        books=books,
        slug=community,
        draft=txn("800.00", credit=chart.INCOME_CIVIL_DEFENCE, day=date(2025, 1, 5)),
        actor="t",
    )
    assert verify(books, community).ok
    set_rules_text(books, community, DEFAULT_TEXT)
    report = verify(books, community)
    # The violation in the reader's language (Chinese by default), as the rest of the report.
    assert report.findings[0].render() == (
        "规则：第 1 笔（2025-01-05）：人防车位：800.00 元人防车位收入不是共有收益；除规则文件设置 "
        "civil_defence_owned = true 外，归投资人所有（《人民防空法》第五条（人防工程收益归投资人所有））"
    )
    assert report.problems[0].startswith("rules: seq 1 (2025-01-05): civil defence: 800.00 of")
    # bean-check's own words are the plugin's, in Chinese (it has no reader to ask).
    assert any(p.startswith("beancount: line ") and "人防车位" in p for p in report.problems)


def test_a_carry_the_plugin_cannot_read_is_said_in_chinese() -> None:
    """The plugin's errors reach Fava's Errors page in the community default, Chinese."""
    from rules.plugin import carried

    entries, _errors, _options = loader.load_string(
        '2025-01-01 custom "chain-resume" "7"\n2025-01-01 custom "carry" "rules" "x" "y"\n'
    )
    _folds, resumes, problems = carried(entries)
    assert resumes == {}
    assert problems == [
        "chain-resume '7' 不是 <seq>:<prev-hash> 格式",
        "无法识别 custom 'carry'（值为 ['rules', 'x', 'y']）",
    ]
