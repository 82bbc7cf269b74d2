"""The registers beside the books: per-unit allocation schedules (dividends and subsidies, by
unit and area, never the owner), the owners' resolutions with their vote arithmetic, and the
audit trail of the period.

The resolution's tally is stored as JSON by the rules; it is shown two ways: summarised in
one cell of the resolution's row, and flattened to one row per figure (``quorum.area``, ...)
in ``resolution_tally``, so an auditor can redo the pass/fail arithmetic in a spreadsheet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from audit.tables import KIND_ZH, Column, Snapshot, Table, Value, voucher
from ledger.clock import CST
from ledger.models import AllocationLine, Entry, Event, Resolution, Unit
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
            .join(Entry, col(Entry.id) == col(AllocationLine.entry_id))
            .join(Unit, col(Unit.id) == col(AllocationLine.unit_id))
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
                "; ".join(f"{k}={v}" for k, v in flatten(allocation)) if allocation else None,
                "通过" if r.passed else "未通过",
                "; ".join(f"{k}={v}" for k, v in flatten(_json(r.tally))),
            )

    return Table("resolutions", "决议", columns, rows)


def tally_table(session: Session, snap: Snapshot) -> Table:
    columns = (Column("编号"), Column("项目"), Column("数值"))

    def rows() -> Iterator[tuple[Value, ...]]:
        for r in _resolutions(session, snap):
            for key, value in flatten(_json(r.tally)):
                yield r.number, key, value
            yield r.number, "passed", "true" if r.passed else "false"

    return Table("resolution_tally", "决议表决明细", columns, rows)


def _utc_bound(day: date, at: time) -> datetime:
    """A CST calendar bound as the naive UTC moment the database stores."""
    return datetime.combine(day, at, CST).astimezone(UTC).replace(tzinfo=None)


def events_table(session: Session, snap: Snapshot) -> Table:
    columns = (
        Column("时间(UTC)"),
        Column("操作人"),
        Column("操作"),
        Column("对象类型"),
        Column("对象"),
        Column("地址"),
        Column("详情"),
    )
    start = _utc_bound(snap.period.start, time.min)
    end = _utc_bound(snap.period.end, time.max)

    def rows() -> Iterator[tuple[Value, ...]]:
        # The period's bounds in SQL (a year of posting is a hundred thousand events, mostly
        # outside the period exported), plain columns rather than ORM objects; the bounds are
        # checked again below for a driver that hands back aware datetimes.
        query = (
            select(
                col(Event.at),
                col(Event.actor),
                col(Event.action),
                col(Event.object_type),
                col(Event.object_id),
                col(Event.address),
                col(Event.details),
            )
            .where(col(Event.community_id) == snap.community.id)
            .where(col(Event.at) >= start.replace(tzinfo=UTC))
            .where(col(Event.at) <= end.replace(tzinfo=UTC))
            .order_by(col(Event.at), col(Event.id))
        )
        for at, *rest in session.execute(query):
            at = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
            if not start <= at <= end:
                continue
            yield (at.isoformat(sep=" ", timespec="seconds"), *rest)

    return Table("events", "审计日志", columns, rows)
