"""The registers beside the books: per-unit allocation schedules (dividends and subsidies, by
unit and area, never the owner), the owners' resolutions with their vote arithmetic, and the
audit trail of the period.

The resolution's tally is stored as JSON by the rules; it is shown two ways: summarised in
one cell of the resolution's row, and flattened to one row per figure (``quorum.area``, ...)
in ``resolution_tally``, so an auditor can redo the pass/fail arithmetic in a spreadsheet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from audit.tables import KIND_ZH, Column, Snapshot, Table, Value, labels_inside, voucher
from ledger.models import AllocationLine, Ballot, Entry, Event, Resolution, Unit, keyed
from ledger.money import from_fen


def allocations_table(session: Session, snap: Snapshot) -> Table:
    columns = (
        Column("序号", "int"),
        Column("日期", "date"),
        Column("凭证号"),
        Column("类型"),
        Column("决议"),
        Column("单元"),
        Column("面积(m²)", "area"),
        Column("金额", "money"),
    )

    def rows() -> Iterator[tuple[Value, ...]]:
        query = (
            select(
                col(Entry.seq),
                col(Entry.date),
                col(Entry.kind),
                col(Entry.resolution),
                col(Unit.code),
                col(AllocationLine.area_centi),
                col(AllocationLine.amount_fen),
            )
            .select_from(AllocationLine)
            .join(Entry, keyed(AllocationLine, "entry_id", Entry))
            .join(Unit, keyed(AllocationLine, "unit_id", Unit))
            .where(col(Entry.community_id) == snap.community.id)
            .where(col(Entry.status) == "posted")
            .where(col(Entry.date) >= snap.period.start)
            .where(col(Entry.date) <= snap.period.end)
            .order_by(col(Entry.seq), col(Unit.code))
        )
        for seq, day, kind, resolution, unit, area, fen in session.execute(query):
            yield (
                seq,
                day,
                voucher(seq),
                KIND_ZH.get(kind, kind),
                resolution,
                unit,
                (Decimal(area) / 100).quantize(Decimal("0.01")),
                from_fen(fen),
            )

    return Table("allocations", "分配明细", columns, rows)


def _resolutions(session: Session, snap: Snapshot) -> list[Resolution]:
    query = (
        select(Resolution)
        .where(col(Resolution.community_id) == snap.community.id)
        .where(col(Resolution.voted_on) <= snap.period.end)
        .order_by(col(Resolution.voted_on), col(Resolution.number))
    )
    return list(session.execute(query).scalars())


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Nested JSON as (dotted key, text) pairs, keys in sorted order."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield from flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{index}]")
    else:
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        yield prefix, text


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def resolutions_table(session: Session, snap: Snapshot) -> Table:
    columns = (
        Column("编号"),
        Column("标题"),
        Column("事项(民法典第278条)", "int"),
        Column("表决日期", "date"),
        Column("生效日期", "date"),
        Column("失效日期", "date"),
        Column("预算", "money"),
        Column("用途"),
        Column("分配方式"),
        Column("表决结果"),
        Column("表决计算"),
    )

    def rows() -> Iterator[tuple[Value, ...]]:
        for r in _resolutions(session, snap):
            purpose = _json(r.purpose)
            allocation = _json(r.allocation)
            yield (
                r.number,
                r.title,
                r.matter,
                r.voted_on,
                r.effective_from,
                r.expires_on,
                from_fen(r.budget_fen),
                "; ".join(map(str, purpose)) if isinstance(purpose, list) else str(purpose or ""),
                "; ".join(f"{label_zh(k)}={v}" for k, v in flatten(allocation))
                if allocation
                else None,
                "通过" if r.passed else "未通过",
                "; ".join(
                    f"{label_zh(k)}={value_zh(k, v)}"
                    for k, v in _tally_items(_json(r.tally))
                    if k not in ("arithmetic", "head_rule")
                ),
            )

    return Table("resolutions", "决议", columns, rows)


#: The tally's figures (``rules.vote.Tally.as_json``) as an auditor reads them.
TALLY_ZH = {
    "source": "依据",
    "matter": "事项",
    "total_area": "总专有面积(m²)",
    "total_heads": "业主总人数",
    "participating_area": "参与表决面积(m²)",
    "participating_heads": "参与表决人数",
    "yes_area": "同意面积(m²)",
    "yes_heads": "同意人数",
    "no_area": "反对面积(m²)",
    "no_heads": "反对人数",
    "abstain_area": "弃权面积(m²)",
    "abstain_heads": "弃权人数",
    "split_heads": "意见不一业主人数",
    "quorum": "参与门槛",
    "approval": "通过门槛",
    "rule": "规则",
    "share": "比例",
    "area": "面积",
    "heads": "人数",
    "area_met": "面积达到",
    "heads_met": "人数达到",
    "met": "达到",
    "passed": "表决结果",
    "head_rule": "计人规则",
    "arithmetic": "计算过程",
    "total": "总计",
    "participating": "参与表决",
    "yes": "同意",
    "no": "反对",
    "abstain": "弃权",
    "thresholds": "门槛",
    "pass": "通过",
    "mode": "分配方式",
    "basis": "分配基数",
    "rounding": "尾差处理",
}
_RULE_ZH = {"at least": "不少于", "more than": "超过"}
_NUMBER = re.compile(r"\A-?[0-9]+(\.[0-9]+)?\Z")
VOTE_ZH = {"yes": "同意", "no": "反对", "abstain": "弃权"}


def label_zh(key: str) -> str:
    """A dotted tally key in Chinese (``quorum.area_met`` → 参与门槛·面积达到)."""
    return "·".join(TALLY_ZH.get(part, part) for part in key.split("."))


def value_zh(key: str, value: Any) -> Value:
    """A tally figure as the workbook holds it: numbers as numbers, yes/no in Chinese."""
    if isinstance(value, bool):
        if key.endswith("passed"):
            return "通过" if value else "未通过"
        return "是" if value else "否"
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _NUMBER.match(value):
        return Decimal(value) if "." in value else int(value)
    if isinstance(value, str) and key.endswith("rule"):
        return _RULE_ZH.get(value, value)
    return None if value is None else str(value)


def _tally_items(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested JSON as (dotted key, value) pairs, keys sorted, values as they are."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _tally_items(value[key], f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix, value


def tally_table(session: Session, snap: Snapshot) -> Table:
    columns = (Column("编号"), Column("项目"), Column("键"), Column("数值"))

    def rows() -> Iterator[tuple[Value, ...]]:
        for r in _resolutions(session, snap):
            for key, value in _tally_items(_json(r.tally)):
                if key != "passed":
                    yield r.number, label_zh(key), key, value_zh(key, value)
            yield r.number, TALLY_ZH["passed"], "passed", "通过" if r.passed else "未通过"

    return Table("resolution_tally", "决议表决明细", columns, rows)


def units_table(session: Session, snap: Snapshot) -> Table:
    """The unit register as a vote counts it: area, the developer-unsold flag and the owner
    under a pseudonym (O-0001, O-0002, ... in order of first appearance by unit code), so one
    owner holding several units shows as one head; never the owner id."""
    columns = (
        Column("单元", "code"),
        Column("专有面积(m²)", "area"),
        Column("开发商未售"),
        Column("业主(化名)"),
    )

    def rows() -> Iterator[tuple[Value, ...]]:
        names: dict[str, str] = {}
        query = (
            select(
                col(Unit.code), col(Unit.area_centi), col(Unit.developer_unsold), col(Unit.owner)
            )
            .where(col(Unit.community_id) == snap.community.id)
            .order_by(col(Unit.code))
        )
        for code, area, unsold, owner in session.execute(query):
            alias = names.setdefault(owner, f"O-{len(names) + 1:04d}")
            yield code, from_fen(area), "是" if unsold else "否", alias

    return Table("units", "业主专有部分登记", columns, rows)


def ballots_table(session: Session, snap: Snapshot) -> Table:
    """Every ballot of the resolutions in the package, one row per unit."""
    columns = (Column("决议编号"), Column("单元", "code"), Column("表决意见"))

    def rows() -> Iterator[tuple[Value, ...]]:
        numbers = [r.id for r in _resolutions(session, snap)]
        if not numbers:
            return
        query = (
            select(col(Resolution.number), col(Unit.code), col(Ballot.vote))
            .select_from(Ballot)
            .join(Resolution, keyed(Ballot, "resolution_id", Resolution))
            .join(Unit, keyed(Ballot, "unit_id", Unit))
            .where(col(Ballot.community_id) == snap.community.id)
            .where(col(Ballot.resolution_id).in_(numbers))
            .order_by(col(Resolution.voted_on), col(Resolution.number), col(Unit.code))
        )
        for number, unit, vote in session.execute(query):
            yield number, unit, VOTE_ZH.get(vote, vote)

    return Table("ballots", "表决票", columns, rows)


def unpaid_dividends_table(session: Session, snap: Snapshot) -> Table:
    """Per resolution and unit, the dividends allocated, paid and still owed at the period's
    end: posted entries dated up to it, a dividend or payout reversed by then counting for
    nothing. Only units still owed something are listed; no owner is named."""
    columns = (
        Column("决议编号"),
        Column("单元", "code"),
        Column("应分红", "money"),
        Column("已支付", "money"),
        Column("未支付", "money"),
    )
    end = snap.period.end
    reversed_ids = select(col(Entry.reverses)).where(
        col(Entry.community_id) == snap.community.id,
        col(Entry.status) == "posted",
        col(Entry.date) <= end,
        col(Entry.reverses).is_not(None),
    )

    def sums(kind: str) -> dict[tuple[str, str], int]:
        query = (
            select(col(Entry.resolution), col(Unit.code), func.sum(col(AllocationLine.amount_fen)))
            .select_from(AllocationLine)
            .join(Entry, keyed(AllocationLine, "entry_id", Entry))
            .join(Unit, keyed(AllocationLine, "unit_id", Unit))
            .where(
                col(Entry.community_id) == snap.community.id,
                col(Entry.kind) == kind,
                col(Entry.status) == "posted",
                col(Entry.date) <= end,
                col(Entry.id).not_in(reversed_ids),
            )
            .group_by(col(Entry.resolution), col(Unit.code))
        )
        return {(number or "", unit): int(fen) for number, unit, fen in session.execute(query)}

    def rows() -> Iterator[tuple[Value, ...]]:
        allocated, paid = sums("dividend"), sums("payout")
        for number, unit in sorted(allocated):
            owed = allocated[number, unit] - paid.get((number, unit), 0)
            if owed:
                yield (
                    number,
                    unit,
                    from_fen(allocated[number, unit]),
                    from_fen(paid.get((number, unit), 0)),
                    from_fen(owed),
                )

    return Table("dividends_unpaid", "未付分红", columns, rows)


def _at_utc(at: datetime) -> str:
    """An event's time as its canonical text has it (docs/chain.md)."""
    aware = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.isoformat(timespec="microseconds")


def _periods_inside(session: Session, snap: Snapshot) -> list[str]:
    """The labels of the periods the audit trail names (closes, exports) inside this one."""
    labels = session.execute(
        select(col(Event.object_id))
        .where(col(Event.community_id) == snap.community.id)
        .where(col(Event.object_type) == "period")
        .distinct()
    ).scalars()
    return labels_inside(labels, snap.period)


def events_table(session: Session, snap: Snapshot) -> Table:
    """The audit trail of the period, chosen by what each event concerns, not by when it
    happened: the events on entries dated in the period (entered, posted, approved, rejected,
    reversed, accrued), on its resolutions (voted on in it), the closes and exports of the
    period and of the periods inside it. Each row carries its chain link (seq, prev-hash,
    hash) and every field of its canonical text (docs/chain.md), so each event can be checked
    on its own against its hash."""
    columns = (
        Column("序号", "int"),
        Column("时间(UTC)"),
        Column("操作人"),
        Column("操作"),
        Column("对象类型"),
        Column("对象"),
        Column("地址"),
        Column("详情"),
        Column("前哈希"),
        Column("哈希"),
    )
    p = snap.period

    def rows() -> Iterator[tuple[Value, ...]]:
        entries = select(col(Entry.id)).where(
            col(Entry.community_id) == snap.community.id,
            col(Entry.date) >= p.start,
            col(Entry.date) <= p.end,
        )
        resolutions = select(col(Resolution.number)).where(
            col(Resolution.community_id) == snap.community.id,
            col(Resolution.voted_on) >= p.start,
            col(Resolution.voted_on) <= p.end,
        )
        concerns = or_(
            and_(col(Event.object_type) == "entry", col(Event.object_id).in_(entries)),
            and_(col(Event.object_type) == "resolution", col(Event.object_id).in_(resolutions)),
            and_(
                col(Event.object_type) == "period",
                col(Event.object_id).in_(_periods_inside(session, snap)),
            ),
        )
        query = (
            select(
                col(Event.seq),
                col(Event.at),
                col(Event.actor),
                col(Event.action),
                col(Event.object_type),
                col(Event.object_id),
                col(Event.address),
                col(Event.details),
                col(Event.prev_hash),
                col(Event.hash),
            )
            .where(col(Event.community_id) == snap.community.id)
            .where(col(Event.seq).is_not(None))
            .where(concerns)
            .order_by(col(Event.seq))
        )
        for seq, at, *rest in session.execute(query):
            yield (seq, _at_utc(at), *rest)

    return Table("events", "审计日志", columns, rows)
