"""``commons verify-export F.zip``: is this audit package what the books exported?

For the auditor, with nothing but the zip and this package installed:

1. the manifest is intact (valid, canonical JSON whose ``manifest_sha256`` matches its body);
2. every file the manifest lists is there with the SHA-256 it records, and nothing else is;
3. the hash chain recomputes over ``ledger.beancount``: each entry's hash is
   ``sha256(prev-hash + canonical text)``, sequence numbers run on without a gap from the
   manifest's ``from_seq``, each entry links to the one before (the first to ``from_prev_hash``)
   and the last is the manifest's chain head (``ledger.chain.check_chain``, the check that
   ``commons verify`` and the rules plugin make too);
4. the journal (``journal.csv``) is those entries: the same sequence numbers (the ones dated in
   the period), and for each the same date, hash, postings, payee, narration, resolution and
   documents (text cells read back as written, see :func:`audit.tables.csv_original`);
5. the rules (``rules.toml``) are the last setting of ``rules_history.csv``, and every
   setting's text has the SHA-256 it records (packages from before the history have none);
6. the statements (``trial_balance.csv`` and, in packages that carry them, the statutory
   statements) are what the ledger gives, cell by cell (:mod:`audit.verify_statements`);
7. the schedules (in packages that carry them) are consistent with the ledger and in
   themselves (:func:`audit.verify_package.check_schedules`, the very checks the package's own
   verifier makes): each contract's overdue and ageing add up; budget variances are actual -
   budget, and for a period starting the year the actuals are the ledger's; each bank
   reconciliation's book balance is the ledger's and its adjusted balances and difference add
   up; each document's file, when in the package, has the SHA-256 and size ``documents.csv``
   records (and is absent only when the manifest says the package was made without them);
   the objections' overdue flag follows from their due day and the export's day;
8. with ``--bean-check``, beancount loads ``ledger.beancount`` without errors (the rules plugin
   re-checks the chain and the rules, with ``rules.toml`` from the package).

Problems name the file they are about. The chain head proves the package is the books only
when compared with a head published elsewhere (the disclosure, a period close, the live
``commons verify``): whoever can rewrite every file can rewrite the manifest too.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, assert_never

from beancount import loader

from audit.export import LEDGER, MANIFEST, RULES, RULES_HISTORY, SELF_HASH, manifest_bytes
from audit.schedules import DOCUMENTS, SCHEDULES
from audit.tables import csv_original
from audit.verify_package import Postings, check_schedules
from audit.verify_statements import check_statements, ledger_books
from ledger.chain import ChainedEntry, ChainProblem, ChainStart, Fault, chained_entries, check_chain
from ledger.money import to_fen
from ledger.period import Period
from ledger.render import parse_entries


@dataclass
class ExportReport:
    path: str
    files: int = 0
    entries: int = 0
    head: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return (
                f"{self.path}: OK, {self.files} files match the manifest, {self.entries} "
                f"chained entries recompute to head {self.head[:16]}"
            )
        return f"{self.path}: {len(self.problems)} problem(s)"


def _manifest(archive: zipfile.ZipFile, report: ExportReport) -> dict[str, Any] | None:
    try:
        raw = archive.read(MANIFEST)
    except KeyError:
        report.problems.append(f"{MANIFEST}: missing; cannot check the package")
        return None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        report.problems.append(f"{MANIFEST}: not valid JSON ({exc})")
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        report.problems.append(f"{MANIFEST}: has no list of files")
        return None
    if manifest_bytes(manifest) != raw:
        report.problems.append(
            f"{MANIFEST}: changed after export (its {SELF_HASH} or its canonical form differs)"
        )
    return manifest


def _check_files(archive: zipfile.ZipFile, manifest: dict[str, Any], report: ExportReport) -> None:
    listed: dict[str, Any] = manifest["files"]
    present = set(archive.namelist())
    for name in sorted(listed):
        if name not in present:
            report.problems.append(f"{name}: listed in the manifest but missing from the package")
            continue
        digest = hashlib.sha256()
        try:
            with archive.open(name) as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        except (zipfile.BadZipFile, OSError) as exc:
            report.problems.append(f"{name}: cannot be read from the zip ({exc})")
            continue
        if digest.hexdigest() != listed[name].get("sha256"):
            report.problems.append(f"{name}: SHA-256 differs from the manifest (file changed)")
        else:
            report.files += 1
    for name in sorted(present - set(listed) - {MANIFEST}):
        report.problems.append(f"{name}: in the package but not in the manifest")


def _parsed(archive: zipfile.ZipFile, report: ExportReport) -> list[Any]:
    try:
        text = archive.read(LEDGER).decode("utf-8")
    except (KeyError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        report.problems.append(f"{LEDGER}: cannot be read ({exc})")
        return []
    entries, errors = parse_entries(text)
    for error in errors:
        lineno = (error.source or {}).get("lineno")
        report.problems.append(f"{LEDGER}: line {lineno}: {error.message}")
    return entries


def _statements(
    archive: zipfile.ZipFile, entries: list[Any], manifest: dict[str, Any], report: ExportReport
) -> None:
    """The statements recomputed from the ledger (packages from before them: none)."""
    if manifest.get("statements") is None or not entries:
        return
    period = manifest.get("period") or {}
    try:
        drawn = Period(
            str(period["label"]),
            date.fromisoformat(period["start"]),
            date.fromisoformat(period["end"]),
        )
    except (KeyError, TypeError, ValueError):
        return  # _check_journal says the period is not valid
    community = str((manifest.get("community") or {}).get("name", ""))
    report.problems += check_statements(archive, entries, drawn, community)


def _schedules(
    archive: zipfile.ZipFile, entries: list[Any], manifest: dict[str, Any], report: ExportReport
) -> None:
    """The schedules checked against the ledger (packages from before them hold none)."""
    names = set(archive.namelist())
    wanted = [f"{n}.csv" for n in SCHEDULES] + [n for n in names if n.startswith(f"{DOCUMENTS}/")]
    try:
        files = {name: archive.read(name) for name in wanted if name in names}
    except (zipfile.BadZipFile, OSError) as exc:
        report.problems.append(f"{report.path}: the schedules cannot be read ({exc})")
        return
    if not files:
        return
    _accounts, txns = ledger_books(entries)
    ledger = Postings(
        [
            (t.date.isoformat(), t.kind, [(leg.account, to_fen(leg.amount)) for leg in t.legs])
            for t in txns
        ]
    )
    check_schedules(files, manifest, ledger, report.problems)


def chain_message(problem: ChainProblem) -> str:
    """How ``verify-export`` words a fault in the package's chain (``check_chain``)."""
    match problem.fault:
        case Fault.SEQ:
            return f"{LEDGER}: expected seq {problem.expected}, found {problem.found}"
        case Fault.LINK:
            return f"{LEDGER}: seq {problem.seq}: prev-hash does not link to the entry before it"
        case Fault.HASH:
            return f"{LEDGER}: seq {problem.seq}: the entry does not match its hash (edited?)"
    assert_never(problem.fault)


def _check_chain(chain: list[ChainedEntry], manifest: dict[str, Any], report: ExportReport) -> None:
    expected = manifest.get("chain") or {}
    seq = expected.get("from_seq")
    prev = expected.get("from_prev_hash")
    if seq is None:
        if chain:
            report.problems.append(f"{LEDGER}: holds chained entries the manifest does not expect")
        return
    if not isinstance(seq, int) or isinstance(seq, bool):
        report.problems.append(f"{MANIFEST}: chain.from_seq {seq!r} is not a sequence number")
        return
    # A manifest without from_prev_hash links to no hash: the first entry's link is a fault.
    start = ChainStart(seq, prev if isinstance(prev, str) else "")
    report.problems += [chain_message(p) for p in check_chain((c.link for c in chain), start)]
    last = chain[-1].link if chain else None
    head = last.hash if last is not None else prev
    report.entries = len(chain)
    report.head = head or ""
    last_seq = last.seq if last is not None else None
    if last_seq != expected.get("head_seq") or head != expected.get("head_hash"):
        report.problems.append(
            f"{LEDGER}: the chain ends at seq {last_seq} with head {str(head)[:16]}, the manifest "
            f"says seq {expected.get('head_seq')} with head {str(expected.get('head_hash'))[:16]}"
        )


def _journal_rows(archive: zipfile.ZipFile, report: ExportReport) -> dict[int, list[list[str]]]:
    rows: dict[int, list[list[str]]] = {}
    try:
        raw = archive.read("journal.csv")
        reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
        next(reader, None)
        for row in reader:
            rows.setdefault(int(row[0]), []).append(row)
    except (KeyError, ValueError, IndexError, UnicodeDecodeError) as exc:
        report.problems.append(f"journal.csv: cannot be read ({exc})")
    return rows


def _amount(text: str) -> int:
    return to_fen(Decimal(text)) if text else 0


def _check_journal(
    archive: zipfile.ZipFile,
    chain: list[ChainedEntry],
    manifest: dict[str, Any],
    report: ExportReport,
) -> None:
    period = manifest.get("period") or {}
    try:
        start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    except (KeyError, TypeError, ValueError):
        report.problems.append(f"{MANIFEST}: no valid period")
        return
    rows = _journal_rows(archive, report)
    chained = {c.txn.seq: (c.txn, c.link.hash or "") for c in chain if start <= c.txn.date <= end}
    for seq in sorted(set(chained) - set(rows), key=lambda s: s or 0):
        report.problems.append(f"journal.csv: seq {seq} of {LEDGER} is missing")
    for seq in sorted(set(rows) - set(chained)):
        report.problems.append(f"journal.csv: seq {seq} is not in {LEDGER}'s stretch of the chain")
    for seq in sorted(set(rows) & set(chained), key=lambda s: s or 0):
        txn, hash_ = chained[seq]
        lines = rows[seq or 0]
        try:
            legs = [_amount(r[8]) - _amount(r[9]) for r in lines]
        except (ArithmeticError, ValueError, IndexError):
            legs = []
        if legs != [to_fen(leg.amount) for leg in txn.legs]:
            report.problems.append(f"journal.csv: seq {seq}: the postings differ from {LEDGER}")
        if any(r[1] != txn.date.isoformat() or r[15] != hash_ for r in lines if len(r) > 15):
            report.problems.append(f"journal.csv: seq {seq}: date or hash differs from {LEDGER}")
        text = (txn.payee, txn.narration, txn.resolution or "", "; ".join(txn.documents))
        if any(tuple(map(csv_original, r[3:5] + r[12:14])) != text for r in lines if len(r) > 15):
            report.problems.append(
                f"journal.csv: seq {seq}: payee, narration, resolution or documents differ "
                f"from {LEDGER}"
            )


def _check_rules(archive: zipfile.ZipFile, report: ExportReport) -> None:
    """``rules.toml`` is the last setting of ``rules_history.csv``, and each setting's text
    hashes to the SHA-256 recorded beside it."""
    names = set(archive.namelist())
    if RULES_HISTORY not in names:
        return
    try:
        raw = archive.read(RULES_HISTORY).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(raw, newline="")))[1:]
        settings = [(int(r[0]), r[3], csv_original(r[4])) for r in rows]
    except (KeyError, ValueError, IndexError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        report.problems.append(f"{RULES_HISTORY}: cannot be read ({exc})")
        return
    for number, digest, text in settings:
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
            report.problems.append(f"{RULES_HISTORY}: setting #{number}: the text does not match")
    if not settings:
        report.problems.append(f"{RULES_HISTORY}: lists no setting of the rules")
        return
    rules = archive.read(RULES) if RULES in names else b""
    if hashlib.sha256(rules).hexdigest() != settings[-1][1]:
        report.problems.append(
            f"{RULES}: not the last setting of {RULES_HISTORY} (#{settings[-1][0]})"
        )


def _bean_check(archive: zipfile.ZipFile, report: ExportReport) -> None:
    """Load the package's ledger with beancount, as ``bean-check`` does: the rules plugin
    re-verifies the stretch of the chain and re-runs the rules with the package's rules file."""
    with tempfile.TemporaryDirectory(prefix="commons-verify-") as tmp:
        for name in (LEDGER, RULES):
            if name in archive.namelist():
                (Path(tmp) / name).write_bytes(archive.read(name))
        if not (Path(tmp) / LEDGER).exists():
            return
        _entries, errors, _options = loader.load_file(str(Path(tmp) / LEDGER))
    for error in errors:
        lineno = (error.source or {}).get("lineno")
        report.problems.append(f"{LEDGER}: bean-check: line {lineno}: {error.message}")


def verify_export(source: str | Path | IO[bytes], *, bean_check: bool = False) -> ExportReport:
    """Check a package (a path or a binary stream); with ``bean_check``, also load its ledger
    with beancount and the rules plugin."""
    report = ExportReport(str(source) if isinstance(source, str | Path) else "package")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        report.problems.append(f"{report.path}: not a readable zip ({exc})")
        return report
    with archive:
        manifest = _manifest(archive, report)
        if manifest is None:
            return report
        _check_files(archive, manifest, report)
        entries = _parsed(archive, report)
        chain = chained_entries(entries)
        _check_chain(chain, manifest, report)
        _check_journal(archive, chain, manifest, report)
        _check_rules(archive, report)
        _statements(archive, entries, manifest, report)
        _schedules(archive, entries, manifest, report)
        if bean_check:
            _bean_check(archive, report)
    return report
