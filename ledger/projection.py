"""The beancount projection: ``<data>/<slug>/ledger.beancount``, rendered from the journal.

The database is the book of record; this file is its faithful, re-checkable copy (its
``plugin`` line makes bean-check and Fava verify the chain and the rules), appended after each
commit and rebuilt at any time. The file is the header (options, the chart, the owners'
resolutions and closed periods) up to the :data:`ENTRIES` marker, then the entries in sequence.

Appends from several threads or processes are serialised by an ``flock``. A sidecar
(``.ledger.state.json``) records the last sequence number written with the file's size, inode
and modification time; while the file is exactly as the sidecar says, the next append trusts it.
Otherwise the file is *examined* against the journal, and is one of (:class:`Finding`):

- **current**: every entry as the journal renders it (a stale header is rewritten quietly);
- **behind**: its entries are a prefix of the journal's (another writer's append is missing,
  or a crash tore the last write): caught up, and logged. This is never tampering;
- **altered**: some entry differs from the journal, or text follows the last entry: the file
  is kept aside as ``ledger.beancount.altered-<time>``, rebuilt, and the caller records it.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.chart import lines_of
from ledger.render import (
    quote,
    render_close,
    render_custom,
    render_open,
    render_projected,
    render_txn,
    with_chain,
)
from ledger.txn import Txn

LEDGER_FILE = "ledger.beancount"
RULES_FILE = "rules.toml"
SIDECAR = ".ledger.state.json"
SIDECAR_SIZE = 128
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
            (f"community={self.community_id}", f"rules={RULES_FILE}", *self.plugin_options)
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
    """Writer of one community's projection file."""

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
        """The file to ourselves: this process's threads, then other processes (``flock``)."""
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

    # --- the sidecar --------------------------------------------------------------------

    def _trusted_seq(self) -> int | None:
        """The sidecar's sequence number, if the file is exactly as the sidecar describes it
        (same inode, size and modification time); else None."""
        try:
            fd = os.open(self.sidecar, os.O_RDONLY)
        except OSError:
            return None
        try:
            state = json.loads(os.pread(fd, SIDECAR_SIZE, 0))
            found = os.stat(self.path)
            stamp = [found.st_ino, found.st_size, found.st_mtime_ns]
            return int(state["seq"]) if state["stat"] == stamp else None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        finally:
            os.close(fd)

    def _write_state(self, seq: int) -> None:
        """Overwrite the sidecar in place with one fixed-size record (padded JSON). A torn
        write cannot parse, and an unreadable sidecar means an examination: safe either way."""
        found = os.stat(self.path)
        stamp = [found.st_ino, found.st_size, found.st_mtime_ns]
        record = json.dumps({"seq": seq, "stat": stamp}).ljust(SIDECAR_SIZE - 1) + "\n"
        fd = os.open(self.sidecar, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, record.encode(), 0)
        finally:
            os.close(fd)

    def written_seq(self) -> int | None:
        """The last sequence number in the file, as the sidecar says (None: not known)."""
        with self._locked():
            return self._trusted_seq()

    # --- writing ------------------------------------------------------------------------

    def rebuild(self, header: Header, txns: Iterable[ChainedTxn]) -> int:
        """Rewrite the whole file (atomically: a temp file renamed over it). Returns last seq."""
        with self._locked():
            return self._rewrite(header.render(), ((i.txn.seq or 0, i.render()) for i in txns))

    def _rewrite(self, header: str, entries: Iterable[tuple[int, str]]) -> int:
        tmp = self.path.with_suffix(".beancount.tmp")
        seq = 0
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(header)
            for number, text in entries:
                out.write("\n" + text)
                seq = number
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
        self._write_state(seq)
        return seq

    def append(
        self,
        items: list[ChainedTxn],
        *,
        journal: Callable[[int], Iterable[ChainedTxn]],
        header: Callable[[], Header],
    ) -> Finding | None:
        """Append freshly committed ``items``. ``journal(after_seq)`` gives the committed
        entries after a sequence number (for a catch-up), ``header()`` the current header.
        Returns what an examination found, when the file was not as this writer's kind left
        it (None when it was)."""
        with self._locked():
            seq = self._trusted_seq()
            if seq is None:
                return self._examine_and_repair(journal, header)
            pending = [item for item in items if (item.txn.seq or 0) > seq]
            if not pending or (pending[0].txn.seq or 0) != seq + 1:
                # Nothing given (a start-up check), or a gap (another writer's entries are
                # not in yet): the journal says what is missing.
                pending = list(journal(seq))
            if pending:
                self._write_items(pending)
            return None

    def repair(self, header: Header, journal: Iterable[ChainedTxn]) -> Finding:
        """Write the whole file again (a new header: a resolution or a close was added; or
        ``commons rebuild``), after examining its entries: an altered file is kept aside
        first, never silently replaced."""
        with self._locked():
            return self._examine_and_repair(lambda after: journal, lambda: header, force=True)

    def _examine_and_repair(
        self,
        journal: Callable[[int], Iterable[ChainedTxn]],
        header: Callable[[], Header],
        *,
        force: bool = False,
    ) -> Finding:
        wanted = header().render()
        entries = [(item.txn.seq or 0, item.render()) for item in journal(0)]
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            self._rewrite(wanted, entries)
            return Finding("missing", head=entries[-1][0] if entries else 0)
        finding = examine(text, entries)
        if finding.altered:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            kept = self.path.with_name(f"{LEDGER_FILE}.altered-{stamp}")
            os.replace(self.path, kept)
            finding = Finding(
                "altered",
                seq=finding.seq,
                head=finding.head,
                differing=finding.differing,
                extra=finding.extra,
                kept=kept.name,
            )
        if force or finding.state != "current" or not text.startswith(wanted):
            self._rewrite(wanted, entries)
        else:
            self._write_state(finding.seq)
        return finding

    def _write_items(self, items: list[ChainedTxn]) -> None:
        text = "".join("\n" + item.render() for item in items).encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            view, done = memoryview(text), 0
            while done < len(text):  # a regular file takes it all at once; loop anyway
                done += os.write(fd, view[done:])
        finally:
            os.close(fd)
        self._write_state(items[-1].txn.seq or 0)


__all__ = [
    "ENTRIES",
    "ChainedTxn",
    "Finding",
    "Header",
    "Projection",
    "examine",
    "header_opens",
    "period_text",
    "render_close",
    "render_custom",
]
