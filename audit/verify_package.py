# mypy: ignore-errors
"""Check a commons-ledger audit package with nothing but Python 3.11+ (standard library only).

    python3 verify_package.py               # inside the unpacked package
    python3 verify_package.py package.zip   # or a package's zip or folder

It checks, and prints every problem it finds (exit 1), or OK (exit 0):

1. the manifest's checksum of itself, and the SHA-256 of every file it lists;
2. the journal's hash chain: ``hash = hex(sha256(utf8(prev_hash + text)))``. Each entry of
   ``ledger.beancount`` is recomputed from its canonical text (the entry without its
   ``prev-hash`` and ``hash`` lines), the links before and after the period (``chain.csv``)
   are linked from the genesis ``sha256("commons-ledger genesis " + community id)`` up to the
   head of the period's close, and the heads the manifest claims must be on that chain;
3. the audit trail's events (``events.csv``): each event's hash recomputed from its canonical
   JSON text, linked to the event before it when that one is in the package too (the first
   to ``sha256("commons-ledger events " + community id)``);
4. the statements it can recompute from the ledger: ``journal.csv`` cell by cell (each entry
   balancing), ``trial_balance.csv`` (every figure, debits = credits), ``general_ledger.csv``
   (every row), and the totals and figures of ``balance_sheet.csv`` and ``activities.csv``.

The rules are in docs/chain.md of commons-ledger. A package proves it is the books only
against a chain head kept elsewhere (a period notice, a checkpoint): compare the manifest's
``closed.head_seq``/``head_hash`` with it.
"""

import csv
import hashlib
import io
import json
import re
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

MANIFEST = "manifest.json"
KIND_ZH = {
    "income": "收入",
    "cost": "成本",
    "subsidy": "补贴",
    "upgrade": "改造维修",
    "dividend": "分红",
    "transfer": "转账",
    "reserve": "维修资金",
    "reversal": "冲销",
    "opening": "期初",
}
NEUTRALISE = "=+-@\t\r'"
NEGATIVE = re.compile(r"\A-[0-9]+(\.[0-9]+)?\Z")
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
TXN = re.compile(r"^(\d{4}-\d{2}-\d{2}) [*!] ")
OPEN = re.compile(r"^\d{4}-\d{2}-\d{2} open (\S+)")
META = re.compile(r"^  ([a-z][a-z-]*): (.*)$")
POSTING = re.compile(r"^  (\S+)  (-?[0-9]+\.[0-9]{2}) CNY$")
UNESCAPE = {"\\": "\\", '"': '"', "n": "\n", "t": "\t"}


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def csv_text(text):
    """A text cell as the package's CSVs write it (a formula's first character quoted)."""
    if text and text[0] in NEUTRALISE and not NEGATIVE.match(text):
        return "'" + text
    return text


def csv_original(cell):
    if len(cell) > 1 and cell[0] == "'" and cell[1] in NEUTRALISE:
        return cell[1:]
    return cell


def unquote(text):
    return re.sub(r"\\(.)", lambda m: UNESCAPE.get(m.group(1), m.group(1)), text)


def fen(text):
    return int(Decimal(text) * 100) if text else 0


def money(n, blank=False):
    if blank and not n:
        return ""
    return f"{'-' if n < 0 else ''}{abs(n) // 100}.{abs(n) % 100:02d}"


def read(source):
    """Every file of the package as bytes: a zip, or a folder."""
    path = Path(source)
    if path.is_dir():
        names = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        return {p.name: p.read_bytes() for p in names}
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rows_of(files, name, problems):
    try:
        text = files[name].decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text, newline="")))
    except (KeyError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"{name}: cannot be read ({exc!r})")
        return None


class Txn:
    def __init__(self, lines):
        self.lines = lines
        head = lines[0]
        self.date = head[:10]
        quoted = QUOTED.findall(head)
        self.payee, self.narration = (unquote(q) for q in [*quoted, "", ""][:2])
        self.meta = {}
        self.legs = []
        for line in lines[1:]:
            if m := META.match(line):
                value = m.group(2)
                self.meta[m.group(1)] = unquote(value[1:-1]) if value.startswith('"') else value
            elif m := POSTING.match(line):
                self.legs.append((m.group(1), fen(m.group(2))))
        self.seq = int(self.meta["seq"]) if self.meta.get("seq", "").isdigit() else None
        keep = [x for x in lines if not x.startswith(("  prev-hash: ", "  hash: "))]
        self.text = "\n".join(keep) + "\n"


def parse_ledger(text):
    """The ledger's transactions and its accounts' (code, Chinese name)."""
    txns, accounts, block, opened = [], {}, None, None
    for line in [*text.split("\n"), ""]:
        if block is not None and line.startswith("  "):
            block.append(line)
            continue
        if block is not None:
            txns.append(Txn(block))
            block = None
        if opened is not None and line.startswith("  "):
            if m := META.match(line):
                accounts.setdefault(opened, {})[m.group(1)] = unquote(m.group(2)[1:-1])
            continue
        opened = None
        if TXN.match(line):
            block = [line]
        elif m := OPEN.match(line):
            opened = m.group(1)
            accounts.setdefault(opened, {})
    names = {a: (m.get("code", ""), m.get("name-zh", a)) for a, m in accounts.items()}
    return txns, names


def check_entries(files, manifest, problems):
    chain = manifest.get("chain") or {}
    cid = (manifest.get("community") or {}).get("id", "")
    genesis = sha("commons-ledger genesis " + cid)
    if chain.get("genesis") not in (None, genesis):
        problems.append(f"{MANIFEST}: chain.genesis is not the genesis of community {cid}")
    txns, accounts = parse_ledger(files.get("ledger.beancount", b"").decode("utf-8"))
    links = {}
    chained = [t for t in txns if "hash" in t.meta]
    for t in chained:
        if t.seq is None:
            problems.append(f"ledger.beancount: an entry of {t.date} has a hash but no seq")
            continue
        computed = sha(t.meta.get("prev-hash", "") + t.text)
        if computed != t.meta["hash"]:
            problems.append(f"ledger.beancount: seq {t.seq}: the entry does not match its hash")
        links[t.seq] = (t.meta.get("prev-hash", ""), computed)
        if sum(amount for _a, amount in t.legs):
            problems.append(f"ledger.beancount: seq {t.seq}: the entry does not balance")
    if chained and chained[0].seq != chain.get("from_seq"):
        problems.append(f"ledger.beancount: starts at seq {chained[0].seq}, not chain.from_seq")
    if chained and chained[0].meta.get("prev-hash") != chain.get("from_prev_hash"):
        problems.append("ledger.beancount: the first entry does not link to chain.from_prev_hash")
    upto = chain.get("links_upto")
    if "chain.csv" in files:
        rows = rows_of(files, "chain.csv", problems) or [[]]
        for row in rows[1:]:
            try:
                seq = int(row[0])
                if seq in links:
                    problems.append(f"chain.csv: seq {seq} is in ledger.beancount already")
                links[seq] = (row[1], row[2])
            except (ValueError, IndexError):
                problems.append(f"chain.csv: not a link: {row!r}")
    seqs = sorted(links)
    last = upto if isinstance(upto, int) else (seqs[-1] if seqs else 0)
    first = 1 if isinstance(upto, int) else (seqs[0] if seqs else 1)
    prev = genesis if first == 1 else links.get(first, ("", ""))[0]
    for seq in range(first, last + 1):
        if seq not in links:
            problems.append(f"chain: seq {seq} is missing (neither ledger.beancount nor chain.csv)")
            continue
        if links[seq][0] != prev:
            problems.append(f"chain: seq {seq} does not link to the entry before it")
        prev = links[seq][1]
    for seq in seqs:
        if seq > last:
            problems.append(f"chain: seq {seq} is past the package's reach (seq {last})")
    for where, claim in (("chain", chain), ("closed", manifest.get("closed") or {})):
        if claim.get("head_seq") is None:
            continue
        found = links.get(claim["head_seq"], ("", None))[1]
        if found != claim.get("head_hash"):
            problems.append(
                f"{MANIFEST}: {where} head #{claim['head_seq']} {str(claim.get('head_hash'))[:16]}"
                f" is not on the package's chain"
            )
    return txns, accounts, len(links), last


def event_text(row):
    keys = ("seq", "at", "actor", "action", "object_type", "object_id", "address", "details")
    item = dict(zip(keys, (csv_original(c) for c in row[:8]), strict=True))
    item["seq"] = int(item["seq"])
    item["address"] = item["address"] or None
    return json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def check_events(files, manifest, problems):
    rows = rows_of(files, "events.csv", problems) if "events.csv" in files else None
    if not rows or len(rows[0]) < 10:
        return 0
    cid = (manifest.get("community") or {}).get("id", "")
    hashes = {0: sha("commons-ledger events " + cid)}
    for row in rows[1:]:
        try:
            seq, prev, digest = int(row[0]), row[8], row[9]
            if sha(prev + event_text(row)) != digest:
                problems.append(f"events.csv: event seq {seq}: does not match its hash")
            if seq - 1 in hashes and hashes[seq - 1] != prev:
                problems.append(f"events.csv: event seq {seq}: does not link to seq {seq - 1}")
            hashes[seq] = digest
        except (ValueError, IndexError):
            problems.append(f"events.csv: not an event: {row!r}")
    return len(rows) - 1


class Books:
    """The period's figures recomputed from ledger.beancount."""

    def __init__(self, txns, accounts, manifest):
        period = manifest.get("period") or {}
        self.start, self.end = period.get("start", ""), period.get("end", "")
        self.accounts = accounts
        self.opening, self.entries = {}, []
        for t in txns:
            if t.seq is None or t.date < self.start:
                for account, amount in t.legs:
                    self.opening[account] = self.opening.get(account, 0) + amount
            elif self.start <= t.date <= self.end and t.seq is not None:
                self.entries.append(t)
        self.moved = {}
        for t in self.entries:
            for account, amount in t.legs:
                self.moved.setdefault(account, []).append((t, amount))
        for items in self.moved.values():
            items.sort(key=lambda pair: (pair[0].date, pair[0].seq))
        active = {a for a, n in self.opening.items() if n} | set(self.moved)
        self.active = sorted(active, key=lambda a: (self.account(a)[0], a))

    def account(self, name):
        return self.accounts.get(name, ("", name))

    def journal(self):
        yield [
            "序号", "日期", "凭证号", "往来单位", "摘要", "类型", "科目代码", "科目名称",
            "借方金额", "贷方金额", "录入人", "审批人", "决议", "单据", "交易ID", "哈希",
        ]  # fmt: skip
        for t in self.entries:
            m = t.meta
            documents = "; ".join(m["documents"].split(" | ")) if m.get("documents") else ""
            for account, amount in t.legs:
                code, name = self.account(account)
                text = [t.payee, t.narration, KIND_ZH.get(m.get("kind"), m.get("kind", ""))]
                yield [
                    str(t.seq), t.date, f"记-{t.seq:06d}", *map(csv_text, text),
                    csv_text(code), csv_text(name), money(max(amount, 0), True),
                    money(max(-amount, 0), True), *map(csv_text, (
                        m.get("entered-by", ""), m.get("approved-by", ""),
                        m.get("resolution", ""), documents, m.get("id", ""),
                    )), m.get("hash", ""),
                ]  # fmt: skip

    def trial_balance(self):
        yield [
            "科目代码",
            "科目名称",
            "期初借方",
            "期初贷方",
            "本期借方",
            "本期贷方",
            "期末借方",
            "期末贷方",
        ]
        totals = [0] * 6
        for a in self.active:
            opening = self.opening.get(a, 0)
            debits = sum(n for _t, n in self.moved.get(a, []) if n > 0)
            credits = -sum(n for _t, n in self.moved.get(a, []) if n < 0)
            closing = opening + debits - credits
            figures = [max(opening, 0), max(-opening, 0), debits, credits]
            figures += [max(closing, 0), max(-closing, 0)]
            totals = [x + y for x, y in zip(totals, figures, strict=True)]
            code, name = self.account(a)
            yield [csv_text(code), csv_text(name), *(money(f, True) for f in figures)]
        yield ["合计", "", *map(money, totals)]

    def general_ledger(self):
        yield [
            "科目代码",
            "科目名称",
            "日期",
            "序号",
            "凭证号",
            "摘要",
            "借方金额",
            "贷方金额",
            "方向",
            "余额",
        ]

        def side(n):
            return "借" if n > 0 else "贷" if n < 0 else "平"

        for a in self.active:
            code, name = map(csv_text, self.account(a))
            balance = self.opening.get(a, 0)
            yield [
                code,
                name,
                self.start,
                "",
                "",
                "期初余额",
                "",
                "",
                side(balance),
                money(abs(balance)),
            ]
            debits = credits = 0
            for t, n in self.moved.get(a, []):
                balance += n
                debits, credits = debits + max(n, 0), credits + max(-n, 0)
                yield [
                    code, name, t.date, str(t.seq), f"记-{t.seq:06d}", csv_text(t.narration),
                    money(max(n, 0), True), money(max(-n, 0), True), side(balance),
                    money(abs(balance)),
                ]  # fmt: skip
            yield [code, name, self.end, "", "", "本期合计", money(debits), money(credits), "", ""]
            yield [
                code,
                name,
                self.end,
                "",
                "",
                "期末余额",
                "",
                "",
                side(balance),
                money(abs(balance)),
            ]

    def level1(self):
        """Level-1 account code → Chinese name, from the accounts' names."""
        out = {}
        for account in self.accounts:
            parts = account.split(":")
            if len(parts) > 1 and "-" in parts[1]:
                code, name = parts[1].split("-", 1)
                out[code] = name
        return out


def compare(name, found, expected, problems):
    expected = list(expected)
    if len(found) != len(expected):
        problems.append(f"{name}: {len(found)} rows, the ledger gives {len(expected)}")
    for number, (got, want) in enumerate(zip(found, expected, strict=False), 1):
        if got != want:
            cells = [
                i + 1 for i in range(max(len(got), len(want))) if got[i : i + 1] != want[i : i + 1]
            ]
            problems.append(f"{name}: row {number}: column(s) {cells} differ from the ledger")


def sums(name, rows, problems, lines, total):
    """Lines from ``lines`` (row indices) add up to ``total`` (a row index), column by column."""
    for column in range(2, len(rows[total])):
        try:
            part = sum(fen(rows[i][column]) for i in lines)
            if part != fen(rows[total][column]):
                problems.append(
                    f"{name}: {rows[total][0].strip()}: column {column + 1} is not the sum "
                    "of its lines"
                )
        except (ArithmeticError, ValueError, IndexError):
            problems.append(f"{name}: row {total + 1} is not a row of figures")


def check_sections(name, rows, books, problems):
    """A statement of sections (a heading, lines with a level-1 code, a total row)."""
    names = books.level1()
    lines, totals = [], {}
    for index, row in enumerate(rows[1:], 1):
        label = row[0].strip() if row else ""
        if row[1:2] and row[1]:
            lines.append(index)
            if names.get(row[1]) != label:
                problems.append(f"{name}: row {index + 1}: {row[1]} is not the account {label!r}")
        elif any(c for c in row[2:]):
            sums(name, rows, problems, lines, index) if lines else None
            totals[label] = index
            lines = []
        else:
            lines = []
    return totals


def check_statements(files, books, problems):
    done = []
    known = {"journal.csv": books.journal, "trial_balance.csv": books.trial_balance,
             "general_ledger.csv": books.general_ledger}  # fmt: skip
    for name, make in known.items():
        if name in files:
            rows = rows_of(files, name, problems)
            if rows is not None:
                compare(name, rows, make(), problems)
                done.append(name)
    if "journal.csv" in files:
        balance = {}
        for row in (rows_of(files, "journal.csv", problems) or [[]])[1:]:
            try:
                balance[row[0]] = balance.get(row[0], 0) + fen(row[8]) - fen(row[9])
            except (ArithmeticError, ValueError, IndexError):
                problems.append(f"journal.csv: not a row of the journal: {row!r}")
        problems.extend(f"journal.csv: seq {s}: debits ≠ credits" for s, n in balance.items() if n)
    tb = rows_of(files, "trial_balance.csv", problems) if "trial_balance.csv" in files else None
    if tb and len(tb) > 1:
        last = tb[-1]
        for column in (2, 4, 6):
            if fen(last[column]) != fen(last[column + 1]):
                problems.append(
                    f"trial_balance.csv: 合计: column {column + 1} ≠ column {column + 2}"
                )
    for name, totals_equal in (
        ("balance_sheet.csv", ("资产合计", "负债和净资产总计")),
        ("activities.csv", None),
    ):
        rows = rows_of(files, name, problems) if name in files else None
        if not rows:
            continue
        totals = check_sections(name, rows, books, problems)
        if totals_equal and all(t in totals for t in totals_equal):
            a, b = (rows[totals[t]] for t in totals_equal)
            if [fen(x) for x in a[2:]] != [fen(x) for x in b[2:]]:
                problems.append(f"{name}: {totals_equal[0]} ≠ {totals_equal[1]}")
        if name == "activities.csv":
            for row in rows[1:]:
                if len(row) == 5 and any(row[2:]) and fen(row[2]) + fen(row[3]) != fen(row[4]):
                    problems.append(f"{name}: {row[0].strip()}: 合计 ≠ 非限定性 + 限定性")
            got = {r[0].strip(): r for r in rows[1:] if r}
            if all(k in got for k in ("收入合计", "费用合计", "三、净资产变动额")):
                for c in (2, 3, 4):
                    change = fen(got["收入合计"][c]) - fen(got["费用合计"][c])
                    if change != fen(got["三、净资产变动额"][c]):
                        problems.append(f"{name}: 净资产变动额 ≠ 收入合计 − 费用合计")
        done.append(name)
    return done


def check(files):
    """Every problem of the package whose files are ``files`` (name → bytes)."""
    problems = []
    try:
        raw = files[MANIFEST]
        manifest = json.loads(raw.decode("utf-8"))
        body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
        text = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True)
        if hashlib.sha256(text.encode()).hexdigest() != manifest.get("manifest_sha256"):
            problems.append(f"{MANIFEST}: its manifest_sha256 does not match it (edited?)")
    except (KeyError, ValueError, AttributeError) as exc:
        return [f"{MANIFEST}: missing or not JSON ({exc!r})"], ""
    listed = manifest.get("files") or {}
    for name in sorted(listed):
        if name not in files:
            problems.append(f"{name}: listed in the manifest, missing from the package")
        elif hashlib.sha256(files[name]).hexdigest() != listed[name].get("sha256"):
            problems.append(f"{name}: SHA-256 differs from the manifest (file changed)")
    for name in sorted(set(files) - set(listed) - {MANIFEST}):
        problems.append(f"{name}: in the package but not in the manifest")
    try:
        txns, accounts, links, upto = check_entries(files, manifest, problems)
        events = check_events(files, manifest, problems)
        done = check_statements(files, Books(txns, accounts, manifest), problems)
    except (KeyError, ValueError, IndexError, UnicodeDecodeError) as exc:
        problems.append(f"the package cannot be read as a whole ({exc!r})")
        return problems, ""
    closed = manifest.get("closed") or {}
    head = f"close head #{closed['head_seq']} {closed['head_hash']}" if closed else "not closed"
    summary = (
        f"OK: {len(listed)} files match the manifest; {links} chain links from the genesis to "
        f"#{upto} ({head}); {events} events recompute; recomputed: {', '.join(done)}"
    )
    return problems, summary


def main(argv):
    here = Path(__file__).resolve().parent
    source = argv[1] if len(argv) > 1 else (here if (here / MANIFEST).exists() else Path.cwd())
    try:
        files = read(source)
    except (OSError, zipfile.BadZipFile) as exc:
        print(f"{source}: cannot be read ({exc})")
        return 1
    problems, summary = check(files)
    if problems:
        print(f"{source}: {len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
