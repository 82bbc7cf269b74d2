"""The beancount projection: ``<data>/<slug>/ledger.beancount``, rendered from the journal.

It is appended after each commit and can be rebuilt at any time. Appends from several threads
or processes are serialised by an ``flock`` on the file; a sidecar (``.ledger.state.json``)
records the last sequence number written and the byte offset after it, so a writer that finds
the file behind catches up from the database, and a crash in the middle of a write is repaired
by truncating to the recorded offset. The database is the book of record; this file is its
faithful, re-checkable copy (its ``plugin`` line makes bean-check and Fava verify the chain and
the rules).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ledger import nowait
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
SIDECAR_SIZE = 64


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
            "",
        ]
        return "\n".join(lines) + "\n".join(self.opens) + "\n" + "".join(self.directives)

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
        text = render_open(name, opened, meta)  # type: ignore[arg-type]
        if closed is not None:
            text += render_close(name, closed)  # type: ignore[arg-type]
        out.append(text)
    return tuple(out)


class Projection:
    """Writer of one community's projection file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / LEDGER_FILE
        self.sidecar = directory / SIDECAR
        # The lock file stays open between appends (no mkdir and open for every post);
        # threads of this process take the mutex before the flock, since they share it.
        self._mutex = threading.Lock()
        self._lock_fd = -1
        self._lock_pid = 0
        #: (inode, size, seq) of the file as this object last appended to it: while the file
        #: still has that inode and size, nobody else has written, and the sidecar says so.
        self._known: tuple[int, int, int] | None = None

    def __del__(self) -> None:
        if self._lock_fd >= 0 and self._lock_pid == os.getpid():
            os.close(self._lock_fd)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The file to ourselves: this process's threads, then other processes (``flock``).
        Inside ``nowait.no_wait`` either being held raises ``WouldBlock``."""
        with nowait.holding(self._mutex, "the projection"):
            fd = self._lock_fd
            if fd < 0 or self._lock_pid != os.getpid() or os.fstat(fd).st_nlink == 0:
                # First use, a forked child (it must not share its parent's lock), or the
                # directory was removed and made again.
                if fd >= 0 and self._lock_pid == os.getpid():
                    os.close(fd)
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.directory / ".ledger.lock", os.O_RDWR | os.O_CREAT, 0o644)
                self._lock_fd, self._lock_pid = fd, os.getpid()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if nowait.active() else 0))
            except BlockingIOError:
                raise nowait.WouldBlock("another process is writing the projection") from None
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _read_state(self) -> tuple[int, int] | None:
        try:
            fd = os.open(self.sidecar, os.O_RDONLY)
        except OSError:
            return None
        try:
            state = json.loads(os.pread(fd, SIDECAR_SIZE, 0))
            return int(state["seq"]), int(state["offset"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        finally:
            os.close(fd)

    def _write_state(self, seq: int, offset: int, inode: int | None = None) -> None:
        """Overwrite the sidecar in place with one fixed-size record (padded JSON). A torn
        write cannot parse, and an unreadable sidecar means a rebuild: safe either way.
        ``inode``: the file just written, remembered with its size (see ``_known``)."""
        self._known = None
        record = json.dumps({"seq": seq, "offset": offset}).ljust(SIDECAR_SIZE - 1) + "\n"
        fd = os.open(self.sidecar, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, record.encode(), 0)
        finally:
            os.close(fd)
        if inode is not None:
            self._known = (inode, offset, seq)

    def written_seq(self) -> int | None:
        state = self._read_state()
        return None if state is None else state[0]

    def rebuild(self, header: Header, txns: Iterable[ChainedTxn]) -> int:
        """Rewrite the whole file (atomically: a temp file renamed over it). Returns last seq."""
        with self._locked():
            return self._rebuild_unlocked(header, txns)

    def _rebuild_unlocked(self, header: Header, txns: Iterable[ChainedTxn]) -> int:
        tmp = self.path.with_suffix(".beancount.tmp")
        seq = 0
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            out.write(header.render())
            for item in txns:
                out.write("\n" + item.render())
                seq = item.txn.seq or seq
            out.flush()
            os.fsync(out.fileno())
            offset = out.tell()
        os.replace(tmp, self.path)
        self._write_state(seq, offset)
        return seq

    def append(
        self,
        items: list[ChainedTxn],
        *,
        catch_up: Callable[[int], Iterable[ChainedTxn]],
        header: Callable[[], Header],
        all_txns: Callable[[], Iterable[ChainedTxn]],
    ) -> None:
        """Append freshly committed entries. If the file is behind (another process posted,
        or a crash lost a write) the missing entries come from ``catch_up(after_seq)``; if the
        file is missing or damaged it is rebuilt."""
        with self._locked():
            try:
                found = os.stat(self.path)
                size = found.st_size
            except FileNotFoundError:
                found, size = None, -1
            known = self._known
            if found is not None and known is not None and known[:2] == (found.st_ino, size):
                state: tuple[int, int] | None = (known[2], size)  # as we left it
            else:
                state = self._read_state()
            if state is None or size < state[1]:
                nowait.refuse("the projection is to be rebuilt")
                self._rebuild_unlocked(header(), all_txns())
                return
            seq, offset = state
            pending = [item for item in items if (item.txn.seq or 0) > seq]
            if not pending or (pending[0].txn.seq or 0) != seq + 1:
                # Nothing given (a start-up repair), or a gap: the database says what is
                # missing. When another writer already appended ours this reads nothing.
                nowait.refuse("the projection is to catch up from the journal")
                pending = list(catch_up(seq))
            if pending:
                self._write_items(pending, seq, offset, size)

    def append_directive(self, text: str) -> None:
        """Append a non-entry directive (a resolution, a period close) after the entries."""
        with self._locked():
            state = self._read_state()
            if state is None or not self.path.exists():
                return  # the next rebuild renders it from the database
            seq, offset = state
            with open(self.path, "r+b") as out:
                out.truncate(offset)
                out.seek(offset)
                out.write(("\n" + text).encode("utf-8"))
                offset = out.tell()
            self._write_state(seq, offset)

    def _write_items(self, items: list[ChainedTxn], seq: int, offset: int, size: int) -> None:
        text = "".join("\n" + item.render() for item in items).encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY)
        try:
            if size != offset:
                os.ftruncate(fd, offset)  # drop whatever a crashed writer left half-written
            view, done = memoryview(text), 0
            while done < len(text):  # a regular file takes it all at once; loop anyway
                done += os.pwrite(fd, view[done:], offset + done)
            inode = os.fstat(fd).st_ino
        finally:
            os.close(fd)
        self._write_state(items[-1].txn.seq or seq, offset + len(text), inode)


__all__ = [
    "ChainedTxn",
    "Header",
    "Projection",
    "header_opens",
    "period_text",
    "render_close",
    "render_custom",
]
