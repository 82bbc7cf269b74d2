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

Problems name the file they are about, in the reader's language (``verify_export.*`` of the
catalogue; the schedules' checks, shared with the package's stdlib-only verifier, word theirs
in English). The chain head proves the package is the books only
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
from ledger.messages import Lang, Msg, msg
from ledger.money import to_fen
from ledger.period import Period
from ledger.render import parse_entries


@dataclass
class ExportReport:
    path: str
    files: int = 0
    entries: int = 0
    head: str = ""
    #: What is wrong, in the order found, as catalogue messages.
    findings: list[Msg] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def problems(self) -> list[str]:
        """The findings in English, as ``str()`` words a message: for logs and assertions.
        People read :meth:`lines` in their language."""
        return [str(finding) for finding in self.findings]

    def add(self, text: Msg) -> None:
        self.findings.append(text)

    def summary(self) -> Msg:
        if self.ok:
            return msg(
                "verify_export.ok",
                path=self.path,
                files=self.files,
                entries=self.entries,
                head=self.head[:16],
            )
        return msg("verify.problem-count", what=self.path, count=len(self.findings))

    def lines(self, lang: Lang) -> list[str]:
        """The report as ``commons verify-export`` prints it: the summary, then each finding."""
        return [self.summary().render(lang)] + [
            f"  - {finding.render(lang)}" for finding in self.findings
        ]


def _manifest(archive: zipfile.ZipFile, report: ExportReport) -> dict[str, Any] | None:
    try:
        raw = archive.read(MANIFEST)
    except KeyError:
        report.add(msg("verify_export.manifest-missing", name=MANIFEST))
        return None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        report.add(msg("verify_export.manifest-json", name=MANIFEST, error=str(exc)))
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        report.add(msg("verify_export.manifest-no-files", name=MANIFEST))
        return None
    if manifest_bytes(manifest) != raw:
        report.add(msg("verify_export.manifest-changed", name=MANIFEST, self_hash=SELF_HASH))
    return manifest


def _check_files(archive: zipfile.ZipFile, manifest: dict[str, Any], report: ExportReport) -> None:
    listed: dict[str, Any] = manifest["files"]
    present = set(archive.namelist())
    for name in sorted(listed):
        if name not in present:
            report.add(msg("verify_export.listed-missing", name=name))
            continue
        digest = hashlib.sha256()
        try:
            with archive.open(name) as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        except (zipfile.BadZipFile, OSError) as exc:
            report.add(msg("verify_export.unreadable-zip", name=name, error=str(exc)))
            continue
        if digest.hexdigest() != listed[name].get("sha256"):
            report.add(msg("verify_export.sha256-differs", name=name))
        else:
            report.files += 1
    for name in sorted(present - set(listed) - {MANIFEST}):
        report.add(msg("verify_export.not-listed", name=name))


def _parsed(archive: zipfile.ZipFile, report: ExportReport) -> list[Any]:
    try:
        text = archive.read(LEDGER).decode("utf-8")
    except (KeyError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        report.add(msg("verify_export.unreadable", name=LEDGER, error=str(exc)))
        return []
    entries, errors = parse_entries(text)
    for error in errors:
        lineno = (error.source or {}).get("lineno")
        report.add(
            msg(
                "verify_export.line",
                name=LEDGER,
                lineno=lineno,
                message=msg("common.text", text=error.message),
            )
        )
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
    report.findings += check_statements(archive, entries, drawn, community)


def _schedules(
    archive: zipfile.ZipFile, entries: list[Any], manifest: dict[str, Any], report: ExportReport
) -> None:
    """The schedules checked against the ledger (packages from before them hold none)."""
    names = set(archive.namelist())
    wanted = [f"{n}.csv" for n in SCHEDULES] + [n for n in names if n.startswith(f"{DOCUMENTS}/")]
    try:
        files = {name: archive.read(name) for name in wanted if name in names}
    except (zipfile.BadZipFile, OSError) as exc:
        report.add(msg("verify_export.schedules-unreadable", name=report.path, error=str(exc)))
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
    # The package's own verifier runs these checks too, under bare python3: they word their
    # problems in English (audit.verify_package has no catalogue), quoted here as they are.
    found: list[str] = []
    check_schedules(files, manifest, ledger, found)
    report.findings += [msg("common.text", text=problem) for problem in found]


def chain_message(problem: ChainProblem) -> Msg:
    """How ``verify-export`` words a fault in the package's chain (``check_chain``)."""
    match problem.fault:
        case Fault.SEQ:
            return msg(
                "verify_export.chain-seq",
                name=LEDGER,
                expected=problem.expected,
                found=problem.found,
            )
        case Fault.LINK:
            return msg("verify_export.chain-link", name=LEDGER, seq=problem.seq)
        case Fault.HASH:
            return msg("verify_export.chain-hash", name=LEDGER, seq=problem.seq)
    assert_never(problem.fault)


def _check_chain(chain: list[ChainedEntry], manifest: dict[str, Any], report: ExportReport) -> None:
    expected = manifest.get("chain") or {}
    seq = expected.get("from_seq")
    prev = expected.get("from_prev_hash")
    if seq is None:
        if chain:
            report.add(msg("verify_export.chain-unexpected", name=LEDGER))
        return
    if not isinstance(seq, int) or isinstance(seq, bool):
        report.add(msg("verify_export.from-seq", name=MANIFEST, seq=repr(seq)))
        return
    # A manifest without from_prev_hash links to no hash: the first entry's link is a fault.
    start = ChainStart(seq, prev if isinstance(prev, str) else "")
    report.findings += [chain_message(p) for p in check_chain((c.link for c in chain), start)]
    last = chain[-1].link if chain else None
    head = last.hash if last is not None else prev
    report.entries = len(chain)
    report.head = head or ""
    last_seq = last.seq if last is not None else None
    if last_seq != expected.get("head_seq") or head != expected.get("head_hash"):
        report.add(
            msg(
                "verify_export.chain-end",
                name=LEDGER,
                seq=last_seq,
                head=str(head)[:16],
                manifest_seq=expected.get("head_seq"),
                manifest_head=str(expected.get("head_hash"))[:16],
            )
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
        report.add(msg("verify_export.unreadable", name="journal.csv", error=str(exc)))
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
        report.add(msg("verify_export.no-period", name=MANIFEST))
        return
    rows = _journal_rows(archive, report)
    chained = {c.txn.seq: (c.txn, c.link.hash or "") for c in chain if start <= c.txn.date <= end}
    for seq in sorted(set(chained) - set(rows), key=lambda s: s or 0):
        report.add(msg("verify_export.journal-missing", seq=seq, ledger=LEDGER))
    for seq in sorted(set(rows) - set(chained)):
        report.add(msg("verify_export.journal-extra", seq=seq, ledger=LEDGER))
    for seq in sorted(set(rows) & set(chained), key=lambda s: s or 0):
        txn, hash_ = chained[seq]
        lines = rows[seq or 0]
        try:
            legs = [_amount(r[8]) - _amount(r[9]) for r in lines]
        except (ArithmeticError, ValueError, IndexError):
            legs = []
        if legs != [to_fen(leg.amount) for leg in txn.legs]:
            report.add(msg("verify_export.journal-postings", seq=seq, ledger=LEDGER))
        if any(r[1] != txn.date.isoformat() or r[15] != hash_ for r in lines if len(r) > 15):
            report.add(msg("verify_export.journal-date-hash", seq=seq, ledger=LEDGER))
        text = (txn.payee, txn.narration, txn.resolution or "", "; ".join(txn.documents))
        if any(tuple(map(csv_original, r[3:5] + r[12:14])) != text for r in lines if len(r) > 15):
            report.add(msg("verify_export.journal-text", seq=seq, ledger=LEDGER))


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
        report.add(msg("verify_export.unreadable", name=RULES_HISTORY, error=str(exc)))
        return
    for number, digest, text in settings:
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
            report.add(msg("verify_export.rules-setting", name=RULES_HISTORY, number=number))
    if not settings:
        report.add(msg("verify_export.rules-none", name=RULES_HISTORY))
        return
    rules = archive.read(RULES) if RULES in names else b""
    if hashlib.sha256(rules).hexdigest() != settings[-1][1]:
        report.add(
            msg(
                "verify_export.rules-not-last",
                name=RULES,
                history=RULES_HISTORY,
                number=settings[-1][0],
            )
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
        report.add(
            msg(
                "verify_export.bean-check",
                name=LEDGER,
                lineno=lineno,
                message=msg("common.text", text=error.message),
            )
        )


def verify_export(source: str | Path | IO[bytes], *, bean_check: bool = False) -> ExportReport:
    """Check a package (a path or a binary stream); with ``bean_check``, also load its ledger
    with beancount and the rules plugin."""
    report = ExportReport(str(source) if isinstance(source, str | Path) else "package")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        report.add(msg("verify_export.not-a-zip", name=report.path, error=str(exc)))
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
