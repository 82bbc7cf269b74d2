"""The beancount projection: ``<data>/<slug>/ledger.beancount``, rendered from the journal.

The database is the book of record; this file is its faithful, re-checkable copy (its
``plugin`` line makes bean-check and Fava verify the chain and the rules), appended after each
commit and rebuilt at any time. The file is the header (options, the chart, the owners'
resolutions and closed periods) up to the :data:`ENTRIES` marker, then the entries in sequence.

**Split by fiscal year** once a year is closed (its last period closed: nothing dated in it can
be posted again), so that reading the open years never costs the closed ones (Fava reloads on
each post). Then the community's folder holds (:class:`Layout`)::

    ledger.beancount                the whole history: the header, then an include of each
                                    closed year's entries and of the open years' entries
    years/<year>/entries.beancount  a closed year's entries, in sequence: written once
    years/<year>/ledger.beancount   that year as a book of its own (Fava's /fava/<slug>/<year>/):
                                    a header, the carry into the year, an include of its entries
    open-entries.beancount          the open years' entries (at most two open at once): the file
                                    appended after each commit
    open.beancount                  the open years as a book (Fava's /fava/<slug>/): a header,
                                    the carry from the last closed year, an include of the above

The *carry* (:class:`Carry`) into a year is what its file needs of the years before it and must
not count twice: the balances as one unchained ``opening`` transaction, the rules' folds (a
resolution's spending to date, the year's caps; ``custom "carry" "rules"``) and where its
stretch of the hash chain starts (the plugin's ``chain-from``) and resumes after a stretch held
in another year's file (``custom "chain-resume"``: an entry dated in a year posted after
entries of the next). ``ledger.beancount`` includes the entries alone, never a carry, so
bean-check of it checks the whole chain from its genesis and folds the rules over everything;
bean-check of ``open.beancount`` or of a year's book checks just its part.

Appends from several threads or processes are serialised by an ``flock``. A sidecar
(``.ledger.state.json``) records the last sequence number written with the file's size, inode
and modification time; while the file is exactly as the sidecar says, the next append trusts it.
Otherwise the file is *examined* against the journal, and is one of (:class:`Finding`):

- **current**: every entry as the journal renders it (a stale header is rewritten quietly);
- **behind**: its entries are a prefix of the journal's (another writer's append is missing,
  or a crash tore the last write): caught up, and logged. This is never tampering;
- **altered**: some entry differs from the journal, or text follows the last entry: the file
  is kept aside as ``ledger.beancount.altered-<time>``, rebuilt, and the caller records it.

A closed year's files are examined the same way at each rebuild (a close, a new resolution,
``commons rebuild``): left untouched, byte for byte, while they hold what the journal says, and
kept aside, rewritten and reported as *altered* when they do not.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.chart import lines_of
from ledger.checks import Checks
from ledger.render import (
    quote,
    render_close,
    render_custom,
    render_open,
    render_projected,
    render_txn,
    with_chain,
)
from ledger.txn import Leg, Txn

LEDGER_FILE = "ledger.beancount"
RULES_FILE = "rules.toml"
#: With closed years: the open years as Fava's book, and their entries (appended).
OPEN_FILE = "open.beancount"
OPEN_ENTRIES = "open-entries.beancount"
#: ``years/<year>/``: a closed year's book (``ledger.beancount``) and entries.
YEARS = "years"
YEAR_ENTRIES = "entries.beancount"
SIDECAR = ".ledger.state.json"
SIDECAR_SIZE = 192
#: The line between the header and the entries.
ENTRIES = "; --- entries, in sequence ---\n"


@dataclass(frozen=True)
class ChainedTxn:
    txn: Txn
    prev_hash: str
    hash: str
    #: The canonical text (``render_txn``), when the writer has just rendered it to hash it.
    text: str | None = None

    def render(self) -> str:
        if self.text is None:
            return render_projected(self.txn, self.prev_hash, self.hash)
        return with_chain(self.text, len(self.txn.legs), self.prev_hash, self.hash)


@dataclass(frozen=True)
class Header:
    """What comes before the entries: options, the plugin line, Fava options, account opens
    and the directives the rules read (resolutions, closed periods)."""

    community_id: str
    name: str
    slug: str
    first_date: str
    opens: tuple[str, ...]
    directives: tuple[str, ...] = ()
    #: More ``key=value`` settings for the plugin (an audit export adds ``chain-from``).
    plugin_options: tuple[str, ...] = ()
    #: Modules Fava loads as extensions (``custom "fava-extension"``): the projection's.
    fava_extensions: tuple[str, ...] = ()
    #: The rules file, relative to the ledger (a closed year's book is two folders down).
    rules: str = RULES_FILE

    def render(self) -> str:
        lines = [
            f"; commons-ledger: the books of {self.slug}, projected from the database.",
            "; Generated; the database is the book of record. bean-check re-verifies the hash",
            "; chain and the rules, so a hand edit shows up as an error.",
            f'option "title" {quote(self.name)}',
            'option "operating_currency" "CNY"',
            'option "account_previous_balances" "3101-非限定性净资产:00-期初结余"',
            'option "account_previous_earnings" "3101-非限定性净资产:98-以前期间结余"',
            'option "account_current_earnings" "3101-非限定性净资产:99-本期结余"',
            f'plugin "rules.plugin" {quote(self.plugin_config())}',
            f'{self.first_date} custom "fava-option" "language" "zh"',
            f'{self.first_date} custom "fava-option" "locale" "zh_CN"',
            # for the supervisory committee: income and liabilities shown positive
            f'{self.first_date} custom "fava-option" "invert-income-liabilities-equity" "true"',
            *(
                f'{self.first_date} custom "fava-extension" {quote(m)}'
                for m in self.fava_extensions
            ),
            "",
        ]
        text = "\n".join(lines) + "\n".join(self.opens) + "\n" + "".join(self.directives)
        return text + "\n" + ENTRIES

    def plugin_config(self) -> str:
        return ";".join(
            (f"community={self.community_id}", f"rules={self.rules}", *self.plugin_options)
        )


def period_text(header: Header, opening: Txn | None, items: Iterable[ChainedTxn]) -> Iterator[str]:
    """A self-contained file for a stretch of the chain (an audit export): the header (with
    ``chain-from`` among its plugin options), the balances before the stretch as one
    unchained ``opening`` transaction, then the entries with their chain links."""
    yield header.render()
    if opening is not None:
        yield "\n" + render_txn(opening)
    for item in items:
        yield "\n" + item.render()


def header_opens(
    accounts: Iterable[tuple[str, str, str, str, bool, object, object]],
) -> tuple[str, ...]:
    """Open (and close) directives for (name, code, name_zh, name_en, restricted, open, close)."""
    out = []
    for name, code, zh, en, restricted, opened, closed in accounts:
        meta = {"code": code, "name-zh": zh, "name-en": en}
        if restricted:
            meta["restricted"] = "true"
        lines = lines_of(code, restricted)
        if lines.position:
            meta["line-position"] = lines.position
        if lines.activity:
            meta["line-activity"] = lines.activity
        if lines.cash_flow:
            meta["cash-flow"] = lines.cash_flow
        text = render_open(name, opened, meta)  # type: ignore[arg-type]
        if closed is not None:
            text += render_close(name, closed)  # type: ignore[arg-type]
        out.append(text)
    return tuple(out)


@dataclass(frozen=True)
class Layout:
    """What the files are made of, read from the database: the header, the closed fiscal years
    (ascending), and a maker of empty rule folds (:class:`ledger.checks.Checks`) to carry."""

    header: Header
    closed: tuple[int, ...] = ()
    checks: Callable[[], Checks] | None = None


@dataclass(frozen=True)
class Carry:
    """What a file holding part of the chain starts with (see the module's docstring)."""

    #: The day before the file's first year: the date of the carried directives.
    day: date
    #: The balances of every entry dated before it, (account, amount), nonzero, by name.
    balances: tuple[tuple[str, Decimal], ...]
    #: The rules' folds over those entries (``Checks.carry``).
    folds: str
    #: Where the file's stretch starts: its first seq and the hash that seq links to.
    start: tuple[int, str]
    #: Where it resumes after a stretch in another file: (seq, prev-hash), in order.
    resumes: tuple[tuple[int, str], ...] = ()

    def header(self, header: Header) -> Header:
        seq, prev = self.start
        return replace(header, plugin_options=(*header.plugin_options, f"chain-from={seq}:{prev}"))

    def render(self) -> str:
        text = ""
        if self.balances:
            opening = Txn(
                id=f"carried-{self.day.year + 1}",
                date=self.day,
                payee="",
                narration=f"期初余额: balances carried from the years to {self.day}",
                kind="opening",
                legs=tuple(Leg(name, amount) for name, amount in self.balances),
                entered_by="commons-ledger",
            )
            text += "\n" + render_txn(opening)
        text += "\n" + render_custom(self.day, "carry", ("rules", self.folds), {})
        for seq, prev in self.resumes:
            text += render_custom(self.day, "chain-resume", (f"{seq}:{prev}",), {})
        return text


def fiscal_year(item: ChainedTxn, closed: tuple[int, ...]) -> int | None:
    """The closed year whose file holds ``item``; None: the open years'. Years close in
    order, so every year up to the last closed one is closed; an entry dated before the first
    (the opening balances, dated the day before the books start) is that year's."""
    year = item.txn.date.year
    if not closed or year > max(closed):
        return None
    return max(year, min(closed))


def _links(part: list[ChainedTxn], head: ChainedTxn | None, *, last: bool) -> tuple[Any, ...]:
    """Where ``part``'s stretch starts and resumes; for the open years (``last``) also where
    the next entry will go on when the journal's last entry is another year's."""
    runs: list[tuple[int, str]] = []
    before = None
    for item in part:
        seq = item.txn.seq or 0
        if before is None or seq != before + 1:
            runs.append((seq, item.prev_hash))
        before = seq
    if last and head is not None and (not part or part[-1] is not head):
        runs.append(((head.txn.seq or 0) + 1, head.hash))
    if not runs:
        return ((1, head.hash if head else ""), ())
    return (runs[0], tuple(runs[1:]))


def _include(path: str) -> str:
    return f"include {quote(path)}\n"


def _only_includes(body: str | None) -> bool:
    """Whether the whole history's text after the header is include lines (of the years
    closed when it was written): a layout, not entries to examine."""
    return body is not None and all(line.startswith("include ") for line in body.splitlines())


@dataclass(frozen=True)
class Finding:
    """What examining the file against the journal found (see the module's docstring)."""

    state: str  # "current" | "behind" | "altered" | "missing"
    #: behind: the last sequence number the file holds; altered: the first that differs.
    seq: int = 0
    #: The journal's head when examined.
    head: int = 0
    #: altered: the sequence numbers whose text differs (at most 100 listed).
    differing: tuple[int, ...] = ()
    #: altered: text after the last entry, or a changed header marker.
    extra: bool = False
    #: altered: where the altered file was kept.
    kept: str | None = None

    @property
    def altered(self) -> bool:
        return self.state == "altered"

    def describe(self) -> str:
        if self.state == "behind":
            return f"behind the journal (entries to #{self.seq} of #{self.head}); caught up"
        if self.state == "missing":
            return f"missing; rebuilt to #{self.head}"
        if self.state == "altered":
            where = ", ".join(f"#{seq}" for seq in self.differing) or "none"
            extra = "; text after the last entry" if self.extra else ""
            return (
                f"ALTERED: entries differing from the journal: {where}{extra}; "
                f"the altered file is kept as {self.kept}; rebuilt to #{self.head}"
            )
        return "current"

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "head": self.head,
            "differing": list(self.differing),
            "extra": self.extra,
            "kept": self.kept,
        }


def examine(text: str, entries: Iterable[tuple[int, str]]) -> Finding:
    """Compare a projection's ``text`` with the journal's ``entries``, (seq, rendered text) in
    sequence. Only the entries count: the header may be stale (resolutions and closes are
    added to it) without the file being altered."""
    marker = text.find(ENTRIES)
    body = text[marker + len(ENTRIES) :] if marker >= 0 else None
    differing: list[int] = []
    last = 0
    position = 0
    head = 0
    torn = False
    for seq, rendered in entries:
        head = seq
        piece = "\n" + rendered
        if body is None or position >= len(body):
            continue
        found = body[position : position + len(piece)]
        if found == piece:
            last = seq
        elif piece.startswith(found) and position + len(found) == len(body):
            torn = True  # a write cut short: the start of the right text, then the end
        else:
            differing.append(seq)
        position += len(piece)
    if body is None:
        return Finding("altered", head=head, extra=True)
    extra = position < len(body)
    if differing or extra:
        first = differing[0] if differing else last + 1
        return Finding(
            "altered", seq=first, head=head, differing=tuple(differing[:100]), extra=extra
        )
    if last < head or torn:
        return Finding("behind", seq=last, head=head)
    return Finding("current", seq=last, head=head)


class Projection:
    """Writer of one community's projection files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / LEDGER_FILE
        self.sidecar = directory / SIDECAR
        # The lock file stays open between appends; threads of this process take the mutex
        # before the flock, since they share it.
        self._mutex = threading.Lock()
        self._lock_fd = -1
        self._lock_pid = 0

    def __del__(self) -> None:
        if self._lock_fd >= 0 and self._lock_pid == os.getpid():
            os.close(self._lock_fd)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The files to ourselves: this process's threads, then other processes (``flock``)."""
        with self._mutex:
            fd = self._lock_fd
            if fd < 0 or self._lock_pid != os.getpid() or os.fstat(fd).st_nlink == 0:
                # First use, a forked child (it must not share its parent's lock), or the
                # directory was removed and made again.
                if fd >= 0 and self._lock_pid == os.getpid():
                    os.close(fd)
                self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(self.directory / ".ledger.lock", os.O_RDWR | os.O_CREAT, 0o600)
                self._lock_fd, self._lock_pid = fd, os.getpid()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    # --- where things are ---------------------------------------------------------------

    def fava_path(self) -> Path:
        """The book of the open years, which Fava serves at ``/fava/<slug>/``: ``open.beancount``
        once a year is closed, else the whole ``ledger.beancount``."""
        split = self.directory / OPEN_FILE
        return split if split.exists() else self.path

    def year_path(self, year: int) -> Path:
        """A closed year's book (``/fava/<slug>/<year>/``); it may not exist."""
        return self.directory / YEARS / str(year) / LEDGER_FILE

    def closed_years(self) -> list[int]:
        """The closed years whose books are written, ascending."""
        try:
            names = [p.name for p in (self.directory / YEARS).iterdir()]
        except OSError:
            return []
        return sorted(int(n) for n in names if n.isdigit() and self.year_path(int(n)).exists())

    def history(self) -> list[Path]:
        """The files of the whole history: ``ledger.beancount`` and the files it includes
        (a closed year's entries, the open years'), in order; what a reader of the entries
        without beancount's loader (``commons verify``) reads."""
        found = [self.path]
        for line in (_read(self.path) or "").splitlines():
            if line.startswith("include "):
                found.append(self.directory / json.loads(line[len("include ") :]))
        return found

    # --- the sidecar --------------------------------------------------------------------

    def _trusted(self) -> tuple[int, str] | None:
        """The sidecar's sequence number and the file appended to, if that file is exactly as
        the sidecar describes it (same inode, size and modification time); else None."""
        try:
            fd = os.open(self.sidecar, os.O_RDONLY)
        except OSError:
            return None
        try:
            state = json.loads(os.pread(fd, SIDECAR_SIZE, 0))
            name = str(state.get("file", LEDGER_FILE))
            if name not in (LEDGER_FILE, OPEN_ENTRIES):
                return None
            found = os.stat(self.directory / name)
            stamp = [found.st_ino, found.st_size, found.st_mtime_ns]
            return (int(state["seq"]), name) if state["stat"] == stamp else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        finally:
            os.close(fd)

    def _write_state(self, seq: int, name: str = LEDGER_FILE) -> None:
        """Overwrite the sidecar in place with one fixed-size record (padded JSON). A torn
        write cannot parse, and an unreadable sidecar means an examination: safe either way."""
        found = os.stat(self.directory / name)
        stamp = [found.st_ino, found.st_size, found.st_mtime_ns]
        record = json.dumps({"seq": seq, "stat": stamp, "file": name})
        fd = os.open(self.sidecar, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, (record.ljust(SIDECAR_SIZE - 1) + "\n").encode(), 0)
        finally:
            os.close(fd)

    def recorded_seq(self) -> int | None:
        """The last sequence number the sidecar records, whether or not the file was changed
        since (a reader asking whether the database is ahead: a changed file is for the next
        writer to examine, and for Fava's errors page to show meanwhile)."""
        try:
            with open(self.sidecar, "rb") as found:
                return int(json.loads(found.read(SIDECAR_SIZE))["seq"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def written_seq(self) -> int | None:
        """The last sequence number in the files, as the sidecar says (None: not known)."""
        with self._locked():
            trusted = self._trusted()
            return trusted[0] if trusted is not None else None

    # --- writing ------------------------------------------------------------------------

    def rebuild(self, header: Header, txns: Iterable[ChainedTxn]) -> int:
        """Rewrite the whole history as one file (atomically: a temp file renamed over it).
        Returns the last seq."""
        with self._locked():
            return self._rewrite(header.render(), ((i.txn.seq or 0, i.render()) for i in txns))

    def _rewrite(
        self, header: str, entries: Iterable[tuple[int, str]], name: str = LEDGER_FILE
    ) -> int:
        seq = 0

        def write(out: Any) -> None:
            nonlocal seq
            out.write(header)
            for number, text in entries:
                out.write("\n" + text)
                seq = number

        _write_atomically(self.directory / name, write)
        self._write_state(seq, name)
        return seq

    def append(
        self,
        items: list[ChainedTxn],
        *,
        journal: Callable[[int], Iterable[ChainedTxn]],
        layout: Callable[[], Layout],
    ) -> Finding | None:
        """Append freshly committed ``items``. ``journal(after_seq)`` gives the committed
        entries after a sequence number (for a catch-up), ``layout()`` the current header and
        closed years. Returns what an examination found, when the files were not as this
        writer's kind left them (None when they were)."""
        with self._locked():
            trusted = self._trusted()
            if trusted is None:
                return self._examine_and_repair(journal, layout)
            seq, name = trusted
            pending = [item for item in items if (item.txn.seq or 0) > seq]
            if not pending or (pending[0].txn.seq or 0) != seq + 1:
                # Nothing given (a start-up check), or a gap (another writer's entries are
                # not in yet): the journal says what is missing.
                pending = list(journal(seq))
            if pending:
                self._write_items(pending, name)
            return None

    def repair(self, layout: Layout, journal: Iterable[ChainedTxn]) -> Finding:
        """Write the files again (a new header: a resolution or a close was added; or
        ``commons rebuild``), after examining their entries: an altered file is kept aside
        first, never silently replaced. A closed year's files that hold what the journal says
        are left untouched."""
        with self._locked():
            return self._examine_and_repair(lambda after: journal, lambda: layout, force=True)

    def _examine_and_repair(
        self,
        journal: Callable[[int], Iterable[ChainedTxn]],
        layout: Callable[[], Layout],
        *,
        force: bool = False,
    ) -> Finding:
        found = layout()
        items = list(journal(0))
        if not found.closed:
            return self._repair_one(found.header.render(), items, force=force)
        return self._repair_split(found, items)

    def _keep_aside(self, path: Path, finding: Finding) -> Finding:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        kept = path.with_name(f"{path.name}.altered-{stamp}")
        os.replace(path, kept)
        where = kept.relative_to(self.directory)
        return replace(finding, kept=str(where))

    def _repair_one(
        self, wanted: str, items: list[ChainedTxn], *, name: str = LEDGER_FILE, force: bool
    ) -> Finding:
        """Examine and repair one file of ``wanted`` header then ``items``; it is the file
        appended to afterwards."""
        path = self.directory / name
        entries = [(item.txn.seq or 0, item.render()) for item in items]
        head = items[-1].txn.seq or 0 if items else 0
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            self._rewrite(wanted, entries, name)
            return Finding("missing", head=head)
        finding = examine(text, entries)
        if finding.altered:
            finding = self._keep_aside(path, finding)
        if force or finding.state != "current" or not text.startswith(wanted):
            self._rewrite(wanted, entries, name)
        else:
            self._write_state(finding.seq, name)
        return finding

    def _repair_split(self, layout: Layout, items: list[ChainedTxn]) -> Finding:
        """The files of books with closed years (see the module's docstring)."""
        closed = layout.closed
        earlier = tuple(self.closed_years())  # the years split off before this rebuild
        head = items[-1] if items else None
        findings: list[Finding] = []
        main = self.path
        held = sorted({year for i in items if (year := fiscal_year(i, closed)) is not None})
        includes = "".join(_include(f"{YEARS}/{year}/{YEAR_ENTRIES}") for year in held)
        includes += _include(OPEN_ENTRIES)
        wanted = layout.header.render() + includes
        # The whole history: while it still holds the entries itself (before the first close)
        # or anything but the includes, its entries are examined first.
        try:
            text = main.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            text = None
        marker = text.find(ENTRIES) if text is not None else -1
        body = text[marker + len(ENTRIES) :] if text is not None and marker >= 0 else None
        if text is not None and not _only_includes(body):
            finding = examine(text, ((i.txn.seq or 0, i.render()) for i in items))
            if finding.altered:
                findings.append(self._keep_aside(main, finding))
        if text != wanted:
            _write_atomically(main, lambda out: out.write(wanted))

        folds = layout.checks() if layout.checks is not None else None
        balances: dict[str, Decimal] = {}
        by_year: dict[int | None, list[ChainedTxn]] = {}
        for item in items:
            by_year.setdefault(fiscal_year(item, closed), []).append(item)
        day = date(min(closed), 1, 1) - timedelta(days=1)
        for year in sorted(y for y in by_year if y is not None):
            part = by_year[year]
            carry = self._carry(date(year, 1, 1) - timedelta(days=1), balances, folds, part, head)
            findings += self._write_year(layout.header, year, part, carry)
            for item in part:
                for leg in item.txn.legs:
                    balances[leg.account] = balances.get(leg.account, Decimal(0)) + leg.amount
                if folds is not None:
                    folds.apply(item.txn)
            day = date(year, 12, 31)
        part = by_year.get(None, [])
        carry = self._carry(day, balances, folds, part, head, last=True)
        book = carry.header(layout.header).render() + carry.render() + _include(OPEN_ENTRIES)
        # The open years' entries, examined against what they held before this rebuild: the
        # entries of the years whose files were written before (a year closing now leaves).
        path = self.directory / OPEN_ENTRIES
        wanted = ENTRIES + "".join("\n" + item.render() for item in part)
        text = _read(path)
        if text is not None and text != wanted:
            was_open = (
                (i.txn.seq or 0, i.render()) for i in items if fiscal_year(i, earlier) is None
            )
            finding = examine(text, was_open)
            if finding.altered:
                findings.append(self._keep_aside(path, finding))
            elif finding.state == "behind":
                findings.append(finding)
        if text != wanted:
            _write_atomically(path, lambda out: out.write(wanted))
        # The next entry is the journal's next, whichever file its predecessor is in.
        self._write_state(head.txn.seq or 0 if head else 0, OPEN_ENTRIES)
        if _read(self.directory / OPEN_FILE) != book:
            _write_atomically(self.directory / OPEN_FILE, lambda out: out.write(book))
        findings = [replace(f, head=head.txn.seq or 0 if head else 0) for f in findings]
        worst = [f for f in findings if f.altered] or [f for f in findings if f.state != "current"]
        last = head.txn.seq or 0 if head else 0
        return worst[0] if worst else Finding("current", seq=last, head=last)

    @staticmethod
    def _carry(
        day: date,
        balances: dict[str, Decimal],
        folds: Checks | None,
        part: list[ChainedTxn],
        head: ChainedTxn | None,
        *,
        last: bool = False,
    ) -> Carry:
        start, resumes = _links(part, head, last=last)
        return Carry(
            day=day,
            balances=tuple((name, amount) for name, amount in sorted(balances.items()) if amount),
            folds=folds.carry() if folds is not None else "{}",
            start=start,
            resumes=resumes,
        )

    def _write_year(
        self, header: Header, year: int, part: list[ChainedTxn], carry: Carry
    ) -> list[Finding]:
        """A closed year's entries and book: written when missing, left byte for byte as they
        are while they hold what the journal says, else kept aside and written again."""
        findings = []
        folder = self.directory / YEARS / str(year)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        entries = [(item.txn.seq or 0, item.render()) for item in part]
        wanted = ENTRIES + "".join("\n" + text for _, text in entries)
        path = folder / YEAR_ENTRIES
        text = _read(path)
        if text != wanted:
            if text is not None:
                finding = examine(text, entries)
                findings.append(self._keep_aside(path, finding) if finding.altered else finding)
            _write_atomically(path, lambda out: out.write(wanted))
        # The book: its header may go stale (a later resolution) without being rewritten;
        # what it carries in must stay what the years before say.
        body = carry.render() + _include(YEAR_ENTRIES)
        book = folder / LEDGER_FILE
        text = _read(book)
        if text is None or text[text.find(ENTRIES) + len(ENTRIES) :] != body:
            if text is not None:
                findings.append(self._keep_aside(book, Finding("altered", extra=True)))
            up = replace(header, rules=f"../../{header.rules}")
            written = carry.header(up).render() + body
            _write_atomically(book, lambda out: out.write(written))
        return findings

    def _write_items(self, items: list[ChainedTxn], name: str = LEDGER_FILE) -> None:
        text = "".join("\n" + item.render() for item in items).encode("utf-8")
        fd = os.open(self.directory / name, os.O_WRONLY | os.O_APPEND)
        try:
            view, done = memoryview(text), 0
            while done < len(text):  # a regular file takes it all at once; loop anyway
                done += os.write(fd, view[done:])
        finally:
            os.close(fd)
        self._write_state(items[-1].txn.seq or 0, name)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None


def _write_atomically(path: Path, fill: Callable[[Any], None]) -> None:
    """Write ``path`` through a temp file renamed over it, synced first."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8", newline="\n") as out:
        fill(out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


__all__ = [
    "ENTRIES",
    "Carry",
    "ChainedTxn",
    "Finding",
    "Header",
    "Layout",
    "Projection",
    "examine",
    "header_opens",
    "period_text",
    "render_close",
    "render_custom",
]
