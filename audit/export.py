"""The audit package: one zip per period holding the books in the forms Chinese auditors work
with, and the proof that they are the books.

Contents (entries in name order, ``manifest.json`` last)::

    activities.csv  allocations.csv  balance_sheet.csv  ballots.csv  bank_reconciliation.csv
    budget.csv  cash_flows.csv  chain.csv  distribution.csv  dividends_unpaid.csv
    documents.csv  [documents/<sha256>.<ext> ...]  events.csv  general_ledger.csv
    journal.csv  notes.csv  objections.csv  receivables.csv  resolution_tally.csv
    resolutions.csv  rules_history.csv  trial_balance.csv  units.csv
    ledger.beancount  rules.toml  verify_package.py  workbook.xlsx  manifest.json

The schedules (:mod:`audit.schedules`: 应收账款, 预算执行情况表, 银行存款余额调节表, 单据, 异议)
are read as at the period's end. ``documents.csv`` lists the documents behind the period's
entries and the package's resolutions; with ``with_documents`` their files come too, under
``documents/`` named by their SHA-256, and the manifest's ``documents`` says which it is
(``{"included": true|false, "count": n}``): without them a listed file is absent by design.

The statutory statements (:mod:`audit.statutory_export`: 会民非01/02/03表, 共有收益分配表,
附注) open with a title row (statement and form, community, period, 单位：元), then their
column headers; ``commons verify-export`` recomputes them from the ledger.

``ledger.beancount`` is the stretch of the hash chain that covers the period, self-contained:
the balances before it come in as one ``opening`` transaction, and its plugin line carries
``chain-from=<seq>:<prev-hash>`` so bean-check verifies every hash and link of the stretch and
re-runs the rules (with ``rules.toml`` beside it). ``rules.toml`` is the rules text the
database held in force for the period: the latest setting made by the period's close (the
rules of a closed period cannot change afterwards, see :mod:`rules.rules_store`), or by the
export for a period still open; ``rules_history.csv`` lists every setting up to it (number,
time, who, SHA-256, text), the last one being ``rules.toml``. ``manifest.json`` names the
period, the sequence range, the chain head, the SHA-256 of every file, the software version
and the time, and carries a checksum of itself; ``commons verify-export`` checks all of it.

Deterministic: every timestamp (zip entries, the workbook's properties, the manifest) comes from
``ledger.clock.now()``, rows come in sequence or code order, so the same books and the same
clock give a byte-identical zip. The zip is written entry by entry to the output stream.
"""

from __future__ import annotations

import hashlib
import io
import json
import queue
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from audit.records import (
    allocations_table,
    ballots_table,
    events_table,
    resolutions_table,
    tally_table,
    units_table,
    unpaid_dividends_table,
)
from audit.schedules import (
    DOCUMENTS,
    PackageDocument,
    document_body,
    package_documents,
    schedule_tables,
)
from audit.statutory_export import STATEMENTS_VERSION, statutory_tables
from audit.tables import (
    Column,
    Snapshot,
    Table,
    general_ledger_table,
    journal_table,
    read_snapshot,
    trial_balance_table,
)
from audit.workbook import FixedTimeZip, WorkbookWriter, ZipTime, write_table
from ledger import clock, events
from ledger.books import Books
from ledger.db import writer
from ledger.models import Entry, PeriodClose
from ledger.money import fmt, from_fen, to_fen
from ledger.period import Period, parse_period
from ledger.projection import period_text
from ledger.render import genesis_hash
from ledger.txn import Leg, Txn
from rules import rules_store

MANIFEST = "manifest.json"
LEDGER = "ledger.beancount"
RULES = "rules.toml"
RULES_HISTORY = "rules_history.csv"
WORKBOOK = "workbook.xlsx"
FORMAT = "commons-ledger audit export"
SELF_HASH = "manifest_sha256"
#: Files in a package without its documents (twenty tables, the chain's links, the ledger, the
#: rules and their history, the verifier, the workbook, the manifest); with the entries read
#: (and one unit for the documents, when they come), the units of work ``progress`` is told of.
FILES_PER_EXPORT = 27


def software_version() -> str:
    try:
        return metadata.version("commons-ledger")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


class _Hashing(io.RawIOBase):
    """Pass bytes through to ``out`` while counting them and hashing them, on a thread of
    its own: hashing, deflating and writing release the GIL, so they run on the second core
    while the export makes the next rows (they were a quarter of an export's time)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=32)
        self._failure: BaseException | None = None
        self._worker = threading.Thread(target=self._drain, name="export-writer", daemon=True)
        self._worker.start()

    def _drain(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            if self._failure is None:
                try:
                    self.sha.update(chunk)
                    self.out.write(chunk)
                except BaseException as exc:
                    self._failure = exc

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self._failure is not None:
            raise self._failure
        chunk = bytes(data)
        self.size += len(chunk)
        self._chunks.put(chunk)
        return len(chunk)

    def finish(self) -> None:
        """Wait for every chunk to be hashed and written; raise what went wrong there."""
        self._chunks.put(None)
        self._worker.join()
        if self._failure is not None:
            raise self._failure


@dataclass
class _Package:
    zip: FixedTimeZip
    files: dict[str, dict[str, Any]]
    tick: Callable[[int], None]

    def member(self, name: str, fill: Callable[[IO[bytes]], Any], *, ticks: int = 1) -> Any:
        # The workbook is a zip itself: deflating it again costs a second a year for 15%; the
        # documents are PDFs and images, compressed already.
        stored = name == WORKBOOK or name.startswith(f"{DOCUMENTS}/")
        with self.zip.open(self.zip.info(name, stored=stored), "w") as raw:
            sink = _Hashing(raw)
            try:
                buffered = io.BufferedWriter(sink, 1 << 20)
                result = fill(buffered)
                buffered.flush()
                buffered.detach()
            finally:
                sink.finish()
        self.files[name] = {"bytes": sink.size, "sha256": sink.sha.hexdigest()}
        self.tick(ticks)
        return result


def zip_time(now: datetime) -> ZipTime:
    """The zip entries' timestamp: the generation time in the books' calendar (CST)."""
    local = now.astimezone(clock.CST)
    year = max(local.year, 1980)
    return (year, local.month, local.day, local.hour, local.minute, local.second)


def opening_txn(snap: Snapshot) -> Txn | None:
    """The balances carried into the period file, as one balanced unchained transaction."""
    legs = tuple(
        Leg(name, from_fen(snap.carried[name]))
        for name in snap.by_code(snap.carried)
        if snap.carried[name]
    )
    if not legs:
        return None
    start = snap.period.start
    return Txn(
        id=f"opening-{snap.period.slug}",
        date=start - timedelta(days=1),
        payee="",
        narration=f"期初余额: balances before {start} not in this file's stretch of the chain",
        kind="opening",
        legs=legs,
        entered_by="commons-ledger export",
    )


def tables(session: Session, snap: Snapshot, documents: list[PackageDocument]) -> list[Table]:
    """Every table of the package, in the workbook's order of sheets; ``documents`` those
    :func:`audit.schedules.package_documents` found (the manifest counts them too)."""
    return [
        journal_table(snap),
        general_ledger_table(snap),
        trial_balance_table(snap),
        *statutory_tables(session, snap),  # 会民非01/02/03表, 共有收益分配表, 附注
        allocations_table(session, snap),
        resolutions_table(session, snap),
        tally_table(session, snap),
        events_table(session, snap),
        # --- the self-verifying package: the register, the ballots, what is still owed ---
        units_table(session, snap),
        ballots_table(session, snap),
        unpaid_dividends_table(session, snap),
        # --- the schedules: receivables, budget, bank reconciliation, documents, objections ---
        *schedule_tables(session, snap, documents),
    ]


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest as written: canonical JSON, with a checksum of itself added."""
    body = {k: v for k, v in manifest.items() if k != SELF_HASH}
    text = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True)
    body[SELF_HASH] = hashlib.sha256(text.encode()).hexdigest()
    return (json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _closed(session: Session, snap: Snapshot) -> dict[str, Any] | None:
    close = period_close(session, snap)
    if close is None:
        return None
    return {
        "closed_at": close.closed_at.isoformat(),
        "closed_by": close.closed_by,
        "head_seq": close.head_seq,
        "head_hash": close.head_hash,
    }


def rules_in_force(session: Session, snap: Snapshot) -> list[rules_store.RulesOut]:
    """The settings of the rules up to the one in force for the period: up to its close, or
    all of them for a period still open (in the export's snapshot). Books closed before the
    rules were kept in the database imported them later: their first setting stands for the
    rules of before."""
    close = (
        session.execute(
            select(PeriodClose)
            .where(col(PeriodClose.community_id) == snap.community.id)
            .where(col(PeriodClose.period) == snap.period.label)
        )
        .scalars()
        .first()
    )
    settings = rules_store.history(session, snap.community.id)
    if close is None:
        return settings
    upto = rules_store.history(session, snap.community.id, until=close.closed_at)
    return upto or settings[:1]


def rules_history_table(settings: list[rules_store.RulesOut]) -> Table:
    """Every setting of the rules up to the one in the package (``rules.toml``, the last)."""
    columns = (
        Column("编号", "int"),
        Column("设定时间(UTC)"),
        Column("设定人"),
        Column("SHA-256"),
        Column("规则文本"),
    )

    def rows() -> Iterable[tuple[Any, ...]]:
        for item in settings:
            at = item.set_at.astimezone(UTC).replace(tzinfo=None)
            yield (
                item.number,
                at.isoformat(sep=" ", timespec="seconds"),
                item.set_by,
                item.sha256,
                item.text,
            )

    return Table("rules_history", "规则版本", columns, rows)


def _manifest(snap: Snapshot, now: datetime, closed: dict[str, Any] | None) -> dict[str, Any]:
    seqs = [item.txn.seq or 0 for item in snap.entries]
    debits = sum(to_fen(leg.amount) for i in snap.entries for leg in i.txn.legs if leg.amount > 0)
    first, head = (snap.segment[0], snap.segment[-1]) if snap.segment else (None, None)
    return {
        "format": FORMAT,
        "format_version": 1,
        "software": {"name": "commons-ledger", "version": software_version()},
        "generated_at": now.astimezone(UTC).isoformat(),
        "community": {
            "id": snap.community.id,
            "slug": snap.community.slug,
            "name": snap.community.name,
        },
        "period": {
            "label": snap.period.label,
            "start": snap.period.start.isoformat(),
            "end": snap.period.end.isoformat(),
        },
        "entries": len(seqs),
        "seq_range": {"first": min(seqs), "last": max(seqs)} if seqs else None,
        "debits": fmt(from_fen(debits)),
        "chain": {
            "genesis": genesis_hash(snap.community.id),
            "from_seq": first.txn.seq if first else None,
            "from_prev_hash": first.prev_hash if first else None,
            "head_seq": head.txn.seq if head else None,
            "head_hash": head.hash if head else None,
        },
        "closed": closed,
        "statements": STATEMENTS_VERSION,  # the statutory statements, recomputed by verify
        "files": {},
    }


def snapshot_engine(engine: Engine) -> Engine:
    """Everything a package holds is read in one transaction, so the tables agree with each
    other while the service goes on posting: a WAL snapshot on SQLite (the session's one
    ``BEGIN``), REPEATABLE READ on PostgreSQL."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine


# --- the self-verifying package (chain links, the close's head, verify_package.py) ---------

CHAIN = "chain.csv"
VERIFIER = "verify_package.py"
HASH_RULE = (
    "hash = hex(sha256(utf8(prev_hash + text))); entries: genesis sha256('commons-ledger "
    "genesis ' + community id), text = the entry in ledger.beancount without its prev-hash and "
    "hash lines; events: genesis sha256('commons-ledger events ' + community id), text = the "
    "event as sorted compact JSON (docs/chain.md); python3 verify_package.py checks it all"
)


def period_close(session: Session, snap: Snapshot) -> PeriodClose | None:
    """The close of the period: its own, or, for a period made of closed ones (a year of
    closed quarters), the latest of the closes that cover every day of it."""
    closes: list[PeriodClose] = list(
        session.execute(
            select(PeriodClose)
            .where(col(PeriodClose.community_id) == snap.community.id)
            .where(col(PeriodClose.start) >= snap.period.start)
            .where(col(PeriodClose.end) <= snap.period.end)
            .order_by(col(PeriodClose.start), col(PeriodClose.end))
        ).scalars()
    )
    for close in closes:
        if close.period == snap.period.label:
            return close
    covered = snap.period.start - timedelta(days=1)
    for close in closes:
        if close.start <= covered + timedelta(days=1):
            covered = max(covered, close.end)
    if not closes or covered < snap.period.end:
        return None
    return max(closes, key=lambda c: c.head_seq)


def chain_links(session: Session, snap: Snapshot, upto: int) -> Table:
    """The chain's links (seq, prev-hash, hash) from the genesis up to ``upto`` that
    ``ledger.beancount`` does not carry in full, so the head of the period's close can be
    checked link by link from the package alone."""
    inside = {item.txn.seq for item in snap.segment}
    columns = (Column("seq", "int"), Column("prev_hash"), Column("hash"))

    def rows() -> Iterable[tuple[Any, ...]]:
        query = (
            select(col(Entry.seq), col(Entry.prev_hash), col(Entry.hash))
            .where(col(Entry.community_id) == snap.community.id)
            .where(col(Entry.seq).is_not(None))
            .where(col(Entry.seq) <= upto)
            .order_by(col(Entry.seq))
        )
        for seq, prev, digest in session.execute(query):
            if seq not in inside:
                yield seq, prev, digest

    return Table("chain", "哈希链", columns, rows)


def verifier_source() -> bytes:
    """``verify_package.py``: the standard-library checker every package carries."""
    return (Path(__file__).parent / VERIFIER).read_bytes()


def self_check(session: Session, snap: Snapshot, manifest: dict[str, Any]) -> tuple[Table, int]:
    """Add to the manifest what ``verify_package.py`` checks against (the links' reach, the
    events' genesis, the hash rule); the chain links' table and how far it reaches."""
    closed = manifest.get("closed") or {}
    chain = manifest["chain"]
    upto = max(closed.get("head_seq") or 0, chain.get("head_seq") or 0)
    chain["links_upto"] = upto
    chain["rule"] = HASH_RULE
    manifest["events_genesis"] = events.genesis_hash(snap.community.id)
    manifest["format_version"] = 2
    return chain_links(session, snap, upto), upto


# --- end of the self-verifying package -----------------------------------------------------


def export(
    *,
    books: Books,
    slug: str,
    period: Period | str,
    out: IO[bytes],
    progress: Callable[[int], None] | None = None,
    with_documents: bool = False,
) -> dict[str, Any]:
    """Write the audit package of ``period`` to ``out``; return its manifest. ``progress``
    is called with a count of work done (one per entry read, one per file written, one for
    all the documents). ``with_documents`` puts the files of ``documents.csv`` in the zip."""
    if isinstance(period, str):
        period = parse_period(period)
    tick = progress or (lambda _n: None)
    now = clock.now()
    rules_store.in_force(books=books, slug=slug)  # old books import their rules file first
    with Session(snapshot_engine(books.engine)) as session:
        snap = read_snapshot(books, session, slug, period, progress)
        header = books.header(session, snap.community)
        if snap.segment:
            first = snap.segment[0]
            chain_from = f"chain-from={first.txn.seq}:{first.prev_hash}"
            header = replace(header, plugin_options=(*header.plugin_options, chain_from))
        manifest = _manifest(snap, now, _closed(session, snap))
        links, _upto = self_check(session, snap, manifest)
        rules_settings = rules_in_force(session, snap)
        rules_text = rules_settings[-1].text.encode("utf-8") if rules_settings else b""
        package = _Package(FixedTimeZip(out, zip_time(now)), manifest["files"], tick)
        documents = package_documents(session, snap)
        manifest["documents"] = {"included": with_documents, "count": len(documents)}
        all_tables = tables(session, snap, documents)
        when = now.astimezone(UTC).replace(tzinfo=None)
        with tempfile.TemporaryDirectory(prefix="commons-export-") as tmp:
            # The CSVs come before the workbook in name order; each spools its sheet's rows.
            span = f"{snap.period.label}（{snap.period.start} 至 {snap.period.end}）"
            book = WorkbookWriter(
                all_tables, Path(tmp), when=when, heading=(snap.community.name, span)
            )
            members: dict[str, Callable[[IO[bytes]], Any]] = {
                f"{t.name}.csv": partial(book.write_csv, t) for t in all_tables
            }
            members[LEDGER] = lambda s: _write_text(
                s, period_text(header, opening_txn(snap), snap.segment)
            )
            members[RULES] = lambda s: s.write(rules_text)
            members[RULES_HISTORY] = partial(write_table, rules_history_table(rules_settings))
            members[CHAIN] = partial(write_table, links)
            members[VERIFIER] = lambda s: s.write(verifier_source())

            def workbook(stream: IO[bytes]) -> None:
                path = Path(tmp) / WORKBOOK
                book.save(path, zip_time=package.zip.fixed_time)
                with open(path, "rb") as src:
                    while chunk := src.read(1 << 20):
                        stream.write(chunk)

            members[WORKBOOK] = workbook
            if with_documents:
                for document in documents:
                    members[document.path] = partial(_write_document, session, document)
            for name in sorted(members):
                ticks = 0 if name.startswith(f"{DOCUMENTS}/") else 1
                package.member(name, members[name], ticks=ticks)
            if with_documents:
                tick(1)
    package.zip.writestr(MANIFEST, manifest_bytes(manifest))
    package.zip.close()
    tick(1)
    return manifest


def _write_document(session: Session, document: PackageDocument, stream: IO[bytes]) -> None:
    stream.write(document_body(session, document.id))


def _write_text(stream: IO[bytes], chunks: Iterable[str]) -> None:
    for chunk in chunks:
        stream.write(chunk.encode("utf-8"))


def export_file(
    *,
    books: Books,
    slug: str,
    period: Period | str,
    path: Path,
    progress: Callable[[int], None] | None = None,
    with_documents: bool = False,
) -> dict[str, Any]:
    """Export to ``path`` atomically (a temporary file beside it, renamed when complete)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".export-", delete=False) as tmp:
        try:
            manifest = export(
                books=books,
                slug=slug,
                period=period,
                out=tmp,
                progress=progress,
                with_documents=with_documents,
            )
        except BaseException:
            Path(tmp.name).unlink(missing_ok=True)
            raise
    Path(tmp.name).replace(path)
    return manifest


def record_export(
    books: Books, slug: str, manifest: dict[str, Any], *, actor: str, address: str | None = None
) -> None:
    """Put the export in the audit trail (who took which period, with which chain head)."""
    with writer(books.engine) as session:
        community = books.community(session, slug)
        events.record(
            session,
            community_id=community.id,
            actor=actor,
            action="export",
            object_type="period",
            object_id=manifest["period"]["label"],
            address=address,
            details={
                "seq_range": manifest["seq_range"],
                "head_hash": manifest["chain"]["head_hash"],
                "manifest_sha256": hashlib.sha256(manifest_bytes(manifest)).hexdigest(),
            },
        )


def expected_entries(books: Books, slug: str) -> int:
    """How many entries an export reads (for a progress bar): the chain's length."""
    with Session(books.engine) as session:
        return books.community(session, slug).head_seq
