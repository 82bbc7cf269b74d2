"""Property: the two drivers of the rules agree. For any generated ledger, checking each
transaction against the in-memory state as it comes (the posting path's way, with the facts
as the database gives them) reports exactly the violations that beancount's loader reports when
the plugin folds the rules over the rendered projection (facts read back from its directives).
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from beancount import loader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import chart
from ledger.facts import ResolutionFact, render_resolution
from ledger.projection import RULES_FILE, Header, header_opens
from ledger.render import chain_hash, genesis_hash, render_projected, render_txn
from ledger.txn import Leg, Txn
from rules.config import DEFAULT_TEXT, parse
from rules.engine import AccountSpec, Context, build_state
from rules.registry import RULES

COMMUNITY = "00000000-0000-0000-0000-000000000001"
RESOLUTIONS = (
    ResolutionFact(
        "R1",
        "电梯改造",
        9,
        True,
        date(2025, 1, 1),
        date(2025, 1, 1),
        None,
        Decimal("5000.00"),
        ("upgrade",),
    ),
    ResolutionFact(
        "R2",
        "分红",
        9,
        False,
        date(2025, 1, 1),
        date(2025, 1, 1),
        None,
        Decimal("9000.00"),
        ("dividend",),
    ),
    ResolutionFact(
        "R3",
        "补贴",
        9,
        True,
        date(2025, 1, 1),
        date(2025, 6, 1),
        date(2025, 12, 31),
        Decimal("3000.00"),
        (chart.USE_SUBSIDY,),
    ),
)

#: (kind, debit, credit) of the generated transactions.
TEMPLATES = (
    ("income", chart.BANK, chart.INCOME_PARKING),
    ("income", chart.BANK, chart.INCOME_INTEREST),
    ("income", chart.BANK, chart.INCOME_CIVIL_DEFENCE),
    ("cost", chart.COST_DIRECT, chart.BANK),
    ("cost", chart.COST_MANAGER_SHARE, chart.BANK),
    ("cost", chart.USE_COMMITTEE, chart.BANK),
    ("reserve", chart.USE_MAINTENANCE, chart.BANK),
    ("reserve", chart.UNRESTRICTED, chart.RESTRICTED),
    ("cost", chart.RESTRICTED, chart.BANK),
    ("upgrade", chart.USE_UPGRADE, chart.BANK),
    ("dividend", chart.USE_DIVIDEND, chart.DIVIDENDS_PAYABLE),
    ("subsidy", chart.USE_SUBSIDY, chart.BANK),
    ("transfer", chart.CASH, chart.BANK),
)

step = st.tuples(
    st.integers(0, len(TEMPLATES)),  # len(TEMPLATES) means: reverse an earlier transaction
    st.integers(1, 2_000_000).map(lambda fen: Decimal(fen).scaleb(-2)),
    st.integers(0, 540).map(lambda days: date(2025, 1, 1) + timedelta(days=days)),
    st.sampled_from([None, "R1", "R2", "R3", "R9"]),
    st.integers(0, 10_000),
)


def _ledger(steps: list[tuple[int, Decimal, date, str | None, int]]) -> list[Txn]:
    out: list[Txn] = []
    reversed_: set[str] = set()
    for n, (which, amount, day, resolution, pick) in enumerate(steps, start=1):
        candidates = [t for t in out if t.kind != "reversal" and t.id not in reversed_]
        if which == len(TEMPLATES):
            if not candidates:
                continue
            original = candidates[pick % len(candidates)]
            reversed_.add(original.id)
            out.append(
                Txn(
                    id=f"t{n}",
                    seq=len(out) + 1,
                    date=day,
                    payee="",
                    narration="冲销",
                    kind="reversal",
                    entered_by="t",
                    resolution=original.resolution,
                    reverses=original.id,
                    legs=tuple(Leg(leg.account, -leg.amount) for leg in original.legs),
                )
            )
            continue
        kind, debit, credit = TEMPLATES[which]
        out.append(
            Txn(
                id=f"t{n}",
                seq=len(out) + 1,
                date=day,
                payee="",
                narration="生成",
                kind=kind,
                entered_by="t",
                resolution=resolution,
                legs=(Leg(debit, amount), Leg(credit, -amount)),
            )
        )
    return out


def _posting_path(txns: list[Txn]) -> list[tuple[int, str]]:
    context = Context(
        community_id=COMMUNITY,
        accounts={a.name: AccountSpec(a.name, a.code, a.restricted) for a in chart.DEFAULT_CHART},
        config=parse(DEFAULT_TEXT),
        resolutions={r.number: r for r in RESOLUTIONS},
    )
    state = build_state(context, RULES)
    found = []
    for txn in txns:
        found += [(txn.seq or 0, f"{v.rule}: {v.message}") for v in state.check(txn)]
        state.apply(txn)
    return found


def _plugin(txns: list[Txn], directory: Path) -> list[tuple[int, str]]:
    opens = header_opens(
        (a.name, a.code, a.name_zh, a.name_en, a.restricted, date(2000, 1, 1), None)
        for a in chart.DEFAULT_CHART
    )
    header = Header(
        COMMUNITY,
        "枫林苑",
        "maple",
        "2000-01-01",
        opens,
        tuple(render_resolution(r) for r in RESOLUTIONS),
    )
    parts = [header.render()]
    prev = genesis_hash(COMMUNITY)
    for txn in txns:
        digest = chain_hash(prev, render_txn(txn))
        parts.append("\n" + render_projected(txn, prev, digest))
        prev = digest
    (directory / RULES_FILE).write_text(DEFAULT_TEXT, encoding="utf-8")
    path = directory / "ledger.beancount"
    path.write_text("".join(parts), encoding="utf-8")
    _entries, errors, _ = loader.load_file(str(path))
    return [(int(e.entry.meta["seq"]), e.message) for e in errors]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=30))
def test_folding_the_ledger_reports_what_posting_one_by_one_reports(
    steps: list[tuple[int, Decimal, date, str | None, int]],
) -> None:
    txns = _ledger(steps)
    with tempfile.TemporaryDirectory() as tmp:
        assert _plugin(txns, Path(tmp)) == _posting_path(txns)
