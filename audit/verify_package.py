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
4. the statements, recomputed from the ledger: ``journal.csv`` cell by cell (each entry
   balancing), ``trial_balance.csv`` (every row: its level-1 rows the sums of their details,
   合计 theirs, debits = credits), ``general_ledger.csv`` (every row), ``balance_sheet.csv``
   (会民非01表), ``activities.csv`` (会民非02表), ``cash_flows.csv`` (会民非03表: the cash each
   entry moves credited to its other accounts, by their ``cash-flow`` class and code) and
   ``distribution.csv`` (共有收益分配表, by account code) cell by cell from the accounts'
   ``open`` metadata, and their totals (资产总计 60 = 负债和净资产总计 120; 45 净资产变动额 =
   11 收入合计 − 35 费用合计 + 40; 合计 = 非限定性 + 限定性; the cash flows' sums and their net
   increase 61 = the change in 货币资金; the distribution's subtotals). The year's start is in
   the package only when its period starts on 1 January: for a period starting later, 年初数
   and 本年累计数 are checked by the sums alone. ``notes.csv`` is checked by its SHA-256 only;
5. the schedules: ``receivables.csv`` (overdue and paid ahead from due and received, the ageing
   adding up to what is overdue), ``budget.csv`` (variance = actual − budget; for a period
   starting the year, each actual from the ledger), ``bank_reconciliation.csv`` (each book
   balance the ledger's, each adjusted balance its balance plus its items, the difference
   theirs), ``documents.csv`` (each file in ``documents/`` has the SHA-256 and size listed; a
   listed file may be absent only when the manifest's ``documents.included`` is false; each
   contract a document backs, ``合同 <number>`` in 关联, is one ``receivables.csv`` lists) and
   ``objections.csv`` (overdue = still open after its due day, at the export's day).

Each difference names the file, the row and the column, with both values.

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
from datetime import datetime, timedelta, timezone
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

#: 会民非01表 资产负债表: (行次, 项目), 行次 0 a heading; a total's lines (a minus: less that line).
BALANCE_LINES = (
    (0, "流动资产："), (1, "货币资金"), (2, "短期投资"), (3, "应收款项"), (4, "预付账款"),
    (8, "存货"), (9, "待摊费用"), (15, "一年内到期的长期债权投资"), (18, "其他流动资产"),
    (20, "流动资产合计"), (0, "长期投资："), (21, "长期股权投资"), (24, "长期债权投资"),
    (30, "长期投资合计"), (0, "固定资产："), (31, "固定资产原价"), (32, "减：累计折旧"),
    (33, "固定资产净值"), (34, "在建工程"), (35, "文物文化资产"), (38, "固定资产清理"),
    (40, "固定资产合计"), (41, "无形资产"), (51, "受托代理资产"), (60, "资产总计"),
    (0, "流动负债："), (61, "短期借款"), (62, "应付款项"), (63, "应付工资"), (65, "应交税金"),
    (66, "预收账款"), (71, "预提费用"), (72, "预计负债"), (74, "一年内到期的长期负债"),
    (78, "其他流动负债"), (80, "流动负债合计"), (0, "长期负债："), (81, "长期借款"),
    (84, "长期应付款"), (88, "其他长期负债"), (90, "长期负债合计"), (91, "受托代理负债"),
    (100, "负债合计"), (0, "净资产："), (101, "非限定性净资产"), (105, "限定性净资产"),
    (110, "净资产合计"), (120, "负债和净资产总计"),
)  # fmt: skip
BALANCE_TOTALS = {
    20: (1, 2, 3, 4, 8, 9, 15, 18),
    30: (21, 24),
    33: (31, -32),
    40: (33, 34, 35, 38),
    60: (20, 30, 40, 41, 51),
    80: (61, 62, 63, 65, 66, 71, 72, 74, 78),
    90: (81, 84, 88),
    100: (80, 90, 91),
    110: (101, 105),
    120: (100, 110),
}
RESTRICTED_LINE = 105
#: 会民非02表 业务活动表: its lines; 13-15 are "其中" lines of 12, not added again to 费用合计.
INCOME_LINES = (
    (1, "捐赠收入"),
    (2, "会费收入"),
    (3, "提供服务收入"),
    (4, "商品销售收入"),
    (5, "政府补助收入"),
    (6, "投资收益"),
    (9, "其他收入"),
)
EXPENSE_LINES = (
    (12, "（一）业务活动成本"),
    (13, "其中：补充专项维修资金"),
    (14, "其中：补贴物业费"),
    (15, "其中：业主分红"),
    (21, "（二）管理费用"),
    (24, "（三）筹资费用"),
    (28, "（四）其他费用"),
)
DETAIL_LINES = (13, 14, 15)
ACTIVITY_TAIL = (
    (40, "三、限定性净资产转为非限定性净资产"),
    (45, "四、净资产变动额（若为净资产减少额，以“-”号填列）"),
)
PARTS = ("非限定性", "限定性", "合计")
#: 会民非03表 现金流量表: subtotal → its lines; net → (inflows, outflows); 61 the net increase.
CASH_TOTALS = {
    13: (1, 2, 3, 4, 5, 8),
    23: (14, 15, 16, 19),
    34: (25, 26, 27, 30),
    43: (35, 36, 39),
    50: (45, 48),
    58: (51, 52, 55),
    24: (13, -23),
    44: (34, -43),
    59: (50, -58),
    61: (24, 44, 59, 60),
}
CASH_CODES = ("1001", "1002", "1009")
#: 会民非03表's sections: (class, heading, inflow lines, subtotal, outflow lines, subtotal, net).
CASH_SECTIONS = (
    ("业务活动", "一、业务活动产生的现金流量：",
     ((1, "接受捐赠收到的现金"), (2, "收取会费收到的现金"), (3, "提供服务收到的现金"),
      (4, "销售商品收到的现金"), (5, "政府补助收到的现金"), (8, "收到的其他与业务活动有关的现金")),
     13,
     ((14, "提供捐赠或者资助支付的现金"), (15, "支付给员工以及为员工支付的现金"),
      (16, "购买商品、接受服务支付的现金"), (19, "支付的其他与业务活动有关的现金")),
     23, 24),
    ("投资活动", "二、投资活动产生的现金流量：",
     ((25, "收回投资所收到的现金"), (26, "取得投资收益所收到的现金"),
      (27, "处置固定资产和无形资产所收回的现金"), (30, "收到的其他与投资活动有关的现金")),
     34,
     ((35, "购建固定资产和无形资产所支付的现金"), (36, "对外投资所支付的现金"),
      (39, "支付的其他与投资活动有关的现金")),
     43, 44),
    ("筹资活动", "三、筹资活动产生的现金流量：",
     ((45, "借款所收到的现金"), (48, "收到的其他与筹资活动有关的现金")),
     50,
     ((51, "偿还借款所支付的现金"), (52, "偿付利息所支付的现金"),
      (55, "支付的其他与筹资活动有关的现金")),
     58, 59),
)  # fmt: skip
#: 共有收益分配表: the common income, the reasonable costs, the allocations (by code prefix).
COMMON_INCOME = ("4301", "4901-01")
COSTS = (("5101-01", "物业服务人分成（管理人合理报酬）"), ("5101-02", "直接成本"))
ALLOCATIONS = (
    ("5101-03", "补充专项维修资金"), ("5101-04", "补贴物业费"), ("5101-05", "共有部分改造维修"),
    ("5101-06", "业主分红"), ("5201-01", "业委会工作经费"),
)  # fmt: skip
DISTRIBUTION_ROWS = (
    ("一、共有部分经营收入（4301 共有收益、4901-01 其他共有收益）", "common"),
    ("减：合理成本", None),
    *((f"  {label}（{code}）", code) for code, label in COSTS),
    ("  税费", "taxes"),
    ("  合理成本小计", "costs"),
    ("二、共有收益净额（民法典第二百八十二条）", "net_common"),
    ("加：其他收入（利息等）", "other_income"),
    ("减：其他费用（审计费、银行手续费等）", "other_expenses"),
    ("三、可供分配的收益", "distributable"),
    ("四、分配", None),
    *((f"  {label}（{code}）", code) for code, label in ALLOCATIONS),
    ("  分配合计", "allocated"),
    ("五、未分配（留存）收益（= 业务活动表 收入合计 - 费用合计）", "retained"),
)


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
    return txns, accounts


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
        self.label = period.get("label", "")
        self.community = (manifest.get("community") or {}).get("name", "")
        self.meta = accounts
        self.accounts = {a: (m.get("code", ""), m.get("name-zh", a)) for a, m in accounts.items()}
        # The year's start (年初数, 本年累计数) is in the package only when its period starts it.
        self.whole_year = self.start[5:] == "01-01"
        self.opening, self.entries = {}, []
        self.year_open, self.start_open, self.closing, self.flows = {}, {}, {}, {}
        self.cash = {}  # counter-account -> the cash it brought in (+) or took out (-)
        for t in txns:
            if t.seq is None or t.date < self.start:
                for account, amount in t.legs:
                    self.opening[account] = self.opening.get(account, 0) + amount
            elif self.start <= t.date <= self.end and t.seq is not None:
                self.entries.append(t)
            if t.date > self.end:
                continue
            kind = t.meta.get("kind", "")
            for account, amount in t.legs:
                add(self.closing, account, amount)
                if t.date < self.start or kind == "opening":
                    add(self.year_open, account, amount)
                    add(self.start_open, account, amount)
                elif kind != "closing":
                    add(self.flows, account, amount)
            cash = any(self.is_cash(account) for account, _n in t.legs)
            if cash and self.start <= t.date and kind != "opening":
                for account, amount in t.legs:
                    if not self.is_cash(account):
                        add(self.cash, account, -amount)
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

    def is_cash(self, name):
        return self.meta.get(name, {}).get("code", "")[:4] in CASH_CODES

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

    def trial_balance(self):
        """科目余额表: each level-1 account (级次 1, the sum of its details), then its details
        (级次 2, the accounts posted to; none when the level-1 account is the one posted to)."""
        yield [
            "科目代码",
            "科目名称",
            "期初借方",
            "期初贷方",
            "本期借方",
            "本期贷方",
            "期末借方",
            "期末贷方",
            "级次",
        ]

        def figures(opening, debits, credits):
            closing = opening + debits - credits
            return [
                max(opening, 0),
                max(-opening, 0),
                debits,
                credits,
                *(max(closing, 0), max(-closing, 0)),
            ]

        groups, own = {}, {}
        for a in self.active:
            moved = self.moved.get(a, [])
            debits = sum(n for _t, n in moved if n > 0)
            own[a] = (self.opening.get(a, 0), debits, -sum(n for _t, n in moved if n < 0))
            groups.setdefault(level_one(self.account(a)[0], a), []).append(a)
        totals = [0] * 6
        for top in sorted(groups):
            members = groups[top]
            zh = next((self.account(m)[1] for m in members if self.account(m)[0] == top), "")
            if not zh:
                part = members[0].split(":")[1] if ":" in members[0] else members[0]
                zh = part.split("-", 1)[-1]
            sums = figures(*(sum(own[m][i] for m in members) for i in range(3)))
            totals = [x + y for x, y in zip(totals, sums, strict=True)]
            yield [csv_text(top), csv_text(zh), *map(money, sums), "1"]
            for m in members:
                code, name = self.account(m)
                if code == top and len(members) == 1:
                    continue
                cells = (money(f, True) for f in figures(*own[m]))
                yield [csv_text(code), csv_text(name), *cells, "2"]
        yield ["合计", "", *map(money, totals), ""]

    def position(self, account):
        """The balance sheet's 行次 of an account (its ``line-position``; else by its root)."""
        meta = self.meta.get(account, {})
        found = line_number(meta.get("line-position", ""))
        if found:
            return found
        root = account.split(":", 1)[0]
        if root in ("Assets", "Liabilities"):
            return 18 if root == "Assets" else 78
        return RESTRICTED_LINE if meta.get("restricted") == "true" else 101

    def activity_line(self, account):
        found = line_number(self.meta.get(account, {}).get("line-activity", ""))
        if found:
            return found
        root = account.split(":", 1)[0]
        return 9 if root == "Income" else 28 if root == "Expenses" else 0

    def balance_lines(self, balances):
        out = {}
        for account, amount in balances.items():
            line = self.position(account)
            add(out, line, amount if line <= 60 else -amount)
        for line in sorted(BALANCE_TOTALS):
            parts = BALANCE_TOTALS[line]
            out[line] = sum(out.get(p, 0) if p > 0 else -out.get(-p, 0) for p in parts)
        return out

    def title(self, kind, width):
        span = f"{self.label}（{self.start} 至 {self.end}）"
        cells = [kind, f"编制单位：{self.community}", span, "单位：元"]
        return cells + [""] * (width - len(cells))

    def balance_sheet(self):
        """会民非01表; 年初数 only when the period starts the year (else None: not checked)."""
        yield self.title("资产负债表（会民非01表）", 4)
        yield ["项目", "行次", "年初数", "期末数"]
        first = self.balance_lines(self.year_open) if self.whole_year else None
        last = self.balance_lines(self.closing)
        for line, label in BALANCE_LINES:
            if not line:
                yield [csv_text(label), "", "", ""]
                continue
            opening = money(first.get(line, 0)) if first is not None else None
            yield [csv_text(label), str(line), opening, money(last.get(line, 0))]

    def activity_lines(self):
        out = {}
        for account, amount in self.flows.items():
            column = 1 if self.position(account) == RESTRICTED_LINE else 0
            root = account.split(":", 1)[0]
            if root == "Equity":
                out.setdefault(40, [0, 0])[column] -= amount
                continue
            line = self.activity_line(account)
            if not line:
                continue
            value = -amount if root == "Income" else amount
            out.setdefault(line, [0, 0])[column] += value
            if line in DETAIL_LINES:
                out.setdefault(12, [0, 0])[column] += value
        for column in (0, 1):
            income = sum(out.get(n, [0, 0])[column] for n, _ in INCOME_LINES)
            costs = sum(
                out.get(n, [0, 0])[column] for n, _ in EXPENSE_LINES if n not in DETAIL_LINES
            )
            out.setdefault(11, [0, 0])[column] = income
            out.setdefault(35, [0, 0])[column] = costs
            out.setdefault(45, [0, 0])[column] = income - costs + out.get(40, [0, 0])[column]
        return out

    def activities(self):
        """会民非02表; 本年累计数 only when the period starts the year (else None: not checked)."""
        yield self.title("业务活动表（会民非02表）", 8)
        yield ["项目", "行次", *(f"{p}·{c}" for p in ("本期数", "本年累计数") for c in PARTS)]
        lines = self.activity_lines()

        def line(label, number):
            a, b = lines.get(number, [0, 0])
            cells = [money(a), money(b), money(a + b)]
            year = cells if self.whole_year else [None] * 3
            return [csv_text(label), str(number), *cells, *year]

        for heading, items, total in (
            ("一、收入", INCOME_LINES, (11, "收入合计")),
            ("二、费用", EXPENSE_LINES, (35, "费用合计")),
        ):
            yield [heading, *[""] * 7]
            for number, label in items:
                yield line(label, number)
            yield line(total[1], total[0])
        for number, label in ACTIVITY_TAIL:
            yield line(label, number)

    def cash_line(self, account, amount):
        """The 现金流量表's 行次 of cash ``amount`` (in: +) moved against ``account``: by the
        account's ``cash-flow`` class and its code."""
        meta = self.meta.get(account, {})
        code, kind = meta.get("code", ""), meta.get("cash-flow", "")
        if kind == "投资活动":
            if code.startswith("1501"):
                return 27 if amount > 0 else 35
            return 26 if amount > 0 else 39
        if kind == "筹资活动":
            return 48 if amount > 0 else 55
        if amount > 0:
            return 3 if code.startswith(("4301", "1121", "2203")) else 8
        if code.startswith(("5101-03", "5101-04", "5101-06")):
            return 19
        return 16 if code.startswith(("5101", "2202", "1141")) else 19

    def cash_lines(self):
        out = {}
        for account, amount in self.cash.items():
            if amount:
                add(out, self.cash_line(account, amount), abs(amount))
        for _kind, _heading, ins, in_total, outs, out_total, net in CASH_SECTIONS:
            out[in_total] = sum(out.get(n, 0) for n, _ in ins)
            out[out_total] = sum(out.get(n, 0) for n, _ in outs)
            out[net] = out[in_total] - out[out_total]
        out[60] = 0
        out[61] = out[24] + out[44] + out[59]
        return out

    def span(self):
        return f"{self.label}（{self.start} 至 {self.end}）"

    def cash_flows(self):
        """会民非03表, every line: the period's cash moved against each account, by class."""
        yield [
            "现金流量表（会民非03表）",
            f"编制单位：{self.community}\u3000{self.span()}",
            "单位：元",
        ]
        yield ["项目", "行次", "金额"]
        lines = self.cash_lines()
        for kind, heading, ins, in_total, outs, out_total, net in CASH_SECTIONS:
            yield [heading, "", ""]
            for number, label in ins:
                yield [label, str(number), money(lines.get(number, 0))]
            yield ["现金流入小计", str(in_total), money(lines[in_total])]
            for number, label in outs:
                yield [label, str(number), money(lines.get(number, 0))]
            yield ["现金流出小计", str(out_total), money(lines[out_total])]
            yield [f"{kind}产生的现金流量净额", str(net), money(lines[net])]
        yield ["四、汇率变动对现金的影响额", "60", money(0)]
        yield ["五、现金及现金等价物净增加额", "61", money(lines[61])]

    def distribution_lines(self, flows):
        out = dict.fromkeys(("common", "taxes", "other_income", "other_expenses"), 0)
        for code, _ in (*COSTS, *ALLOCATIONS):
            out[code] = 0
        for account, amount in flows.items():
            code, name = self.account(account)
            root = account.split(":", 1)[0]
            if root == "Income":
                out["common" if code.startswith(COMMON_INCOME) else "other_income"] -= amount
            elif root == "Expenses":
                key = next((c for c, _ in (*COSTS, *ALLOCATIONS) if code.startswith(c)), None)
                if key is None:
                    key = "taxes" if account in self.meta and "税" in name else "other_expenses"
                out[key] += amount
        out["costs"] = sum(out[c] for c, _ in COSTS) + out["taxes"]
        out["net_common"] = out["common"] - out["costs"]
        out["distributable"] = out["net_common"] + out["other_income"] - out["other_expenses"]
        out["allocated"] = sum(out[c] for c, _ in ALLOCATIONS)
        out["retained"] = out["distributable"] - out["allocated"]
        return out

    def distribution(self):
        """共有收益分配表, every line; 本年累计数 only when the period starts the year (else None:
        checked by its sums, :func:`check_distribution_sums`)."""
        yield [
            "共有收益分配表（补充报表）",
            f"编制单位：{self.community}\u3000{self.span()}",
            "单位：元",
        ]
        yield ["项目", "本期数", "本年累计数"]
        lines = self.distribution_lines(self.flows)
        for label, key in DISTRIBUTION_ROWS:
            if key is None:
                yield [label, "", ""]
            else:
                year = money(lines[key]) if self.whole_year else None
                yield [label, money(lines[key]), year]


def add(target, key, amount):
    target[key] = target.get(key, 0) + amount


def level_one(code, account):
    """The level-1 code of an account: ``1002-01`` → ``1002`` (else its name's second part)."""
    if code:
        return code.split("-", 1)[0]
    parts = account.split(":")
    return parts[1].split("-", 1)[0] if len(parts) > 1 else account


def line_number(text):
    head = text.split(" ", 1)[0]
    return int(head) if head.isdigit() else 0


def compare(name, found, expected, problems, header=0):
    """``found`` rows against the ledger's, cell by cell; each difference names the row (its
    number in the file and its first cell), the column (its header, row ``header`` of the
    ledger's rows) and both values. A cell the ledger cannot give (None) is not compared."""
    expected = list(expected)
    if len(found) != len(expected):
        problems.append(f"{name}: {len(found)} rows, the ledger gives {len(expected)}")
    headers = expected[header] if len(expected) > header else []
    for number, (got, want) in enumerate(zip(found, expected, strict=False), 1):
        label = (want[0] if want else "").strip()
        for i in range(max(len(got), len(want))):
            have = got[i] if i < len(got) else "(none)"
            should = want[i] if i < len(want) else "(none)"
            if should is None or have == should:
                continue
            column = headers[i] if number > header + 1 and i < len(headers) else i + 1
            problems.append(
                f"{name}: row {number} ({label}), column {column}: {have or '(blank)'}, "
                f"the ledger gives {should or '(blank)'}"
            )


def by_line(name, rows, problems):
    """行次 → row, of a statement with a title row, a header row, then (项目, 行次, figures…)."""
    out = {}
    for index, row in enumerate(rows[2:], 3):
        if len(row) > 1 and row[1]:
            try:
                out[int(row[1])] = [fen(c) for c in row[2:]]
            except (ArithmeticError, ValueError):
                problems.append(f"{name}: row {index}: not a line of figures")
    return out


def check_sums(name, lines, totals, problems):
    """Each total line of ``totals`` (行次 → its lines, a minus: less) adds up, column by column."""
    for total, parts in totals.items():
        if total not in lines or any(abs(p) not in lines for p in parts):
            problems.append(f"{name}: 行次 {total} or a line of it is missing")
            continue
        for column, found in enumerate(lines[total]):
            want = sum(lines[p][column] if p > 0 else -lines[-p][column] for p in parts)
            if found != want:
                problems.append(
                    f"{name}: 行次 {total}, column {column + 3}: {money(found)}, its lines give "
                    f"{money(want)}"
                )


def check_trial_levels(rows, problems):
    """The 科目余额表's level-1 rows sum their details; 合计 sums the level-1 rows."""
    top, details, totals = None, [], [0] * 6

    def settle():
        if top is None or not details:
            return
        net = [
            sum(fen(r[2]) - fen(r[3]) for r in details),
            sum(fen(r[4]) for r in details),
            sum(fen(r[5]) for r in details),
            sum(fen(r[6]) - fen(r[7]) for r in details),
        ]
        own = [fen(top[2]) - fen(top[3]), fen(top[4]), fen(top[5]), fen(top[6]) - fen(top[7])]
        if net != own:
            problems.append(f"trial_balance.csv: {top[0]}: not the sum of its details")

    try:
        for row in rows[1:-1]:
            if row[8] == "1":
                settle()
                top, details = row, []
                totals = [t + fen(c) for t, c in zip(totals, row[2:8], strict=True)]
            else:
                details.append(row)
        settle()
        last = rows[-1]
        if [fen(c) for c in last[2:8]] != totals:
            problems.append("trial_balance.csv: 合计 is not the sum of the level-1 rows")
        for column in (2, 4, 6):
            if fen(last[column]) != fen(last[column + 1]):
                problems.append(
                    f"trial_balance.csv: 合计: column {column + 1} ≠ column {column + 2}"
                )
    except (ArithmeticError, ValueError, IndexError):
        problems.append("trial_balance.csv: not a 科目余额表 of level-1 and level-2 rows")


def check_activities(lines, problems):
    name = "activities.csv"
    check_sums(name, lines, {11: tuple(n for n, _ in INCOME_LINES)}, problems)
    check_sums(name, lines, {35: (12, 21, 24, 28), 45: (11, -35, 40)}, problems)
    for number, cells in lines.items():
        for first in (0, 3):
            if cells[first : first + 3] and (
                len(cells) < first + 3 or cells[first] + cells[first + 1] != cells[first + 2]
            ):
                problems.append(f"{name}: 行次 {number}: 合计 ≠ 非限定性 + 限定性")


def check_cash_flows(lines, books, problems):
    """The 现金流量表 adds up, and its net increase (61) is the period's change in 货币资金."""
    name = "cash_flows.csv"
    check_sums(name, lines, CASH_TOTALS, problems)

    def cash(balances):
        return sum(n for a, n in balances.items() if books.account(a)[0][:4] in CASH_CODES)

    change = cash(books.closing) - cash(books.start_open)
    if lines.get(61, [None])[0] != change:
        problems.append(f"{name}: 行次 61 is not the change in 货币资金 ({money(change)})")


def check_distribution_sums(rows, problems):
    """The 共有收益分配表's subtotals add up, in both columns (its 本年累计数 is all that is
    checked of a period that does not start the year)."""
    name = "distribution.csv"
    keyed = {}
    try:
        for (_label, key), row in zip(DISTRIBUTION_ROWS, rows[2:], strict=True):
            if key is not None:
                keyed[key] = [fen(row[1]), fen(row[2])]
    except (ValueError, IndexError, ArithmeticError):
        problems.append(f"{name}: not the lines of a 共有收益分配表")
        return
    sums = {
        "costs": (*(c for c, _ in COSTS), "taxes"),
        "net_common": ("common", "-costs"),
        "distributable": ("net_common", "other_income", "-other_expenses"),
        "allocated": tuple(c for c, _ in ALLOCATIONS),
        "retained": ("distributable", "-allocated"),
    }
    for total, parts in sums.items():
        for column in (0, 1):
            want = sum(
                -keyed[p[1:]][column] if p.startswith("-") else keyed[p][column] for p in parts
            )
            if keyed[total][column] != want:
                label = next(label for label, key in DISTRIBUTION_ROWS if key == total).strip()
                problems.append(
                    f"{name}: {label}, column {column + 2}: {money(keyed[total][column])}, "
                    f"its lines give {money(want)}"
                )


def check_statements(files, books, problems):
    done = []
    known = {"journal.csv": (books.journal, 0), "trial_balance.csv": (books.trial_balance, 0),
             "general_ledger.csv": (books.general_ledger, 0),
             "balance_sheet.csv": (books.balance_sheet, 1), "activities.csv": (books.activities, 1),
             "cash_flows.csv": (books.cash_flows, 1),
             "distribution.csv": (books.distribution, 1)}  # fmt: skip
    found = {}
    for name, (make, header) in known.items():
        if name in files:
            rows = rows_of(files, name, problems)
            if rows is not None:
                found[name] = rows
                compare(name, rows, make(), problems, header)
                done.append(name)
    if "journal.csv" in found:
        balance = {}
        for row in found["journal.csv"][1:]:
            try:
                balance[row[0]] = balance.get(row[0], 0) + fen(row[8]) - fen(row[9])
            except (ArithmeticError, ValueError, IndexError):
                problems.append(f"journal.csv: not a row of the journal: {row!r}")
        problems.extend(f"journal.csv: seq {s}: debits ≠ credits" for s, n in balance.items() if n)
    if len(found.get("trial_balance.csv", [])) > 1:
        check_trial_levels(found["trial_balance.csv"], problems)
    if "balance_sheet.csv" in found:
        lines = by_line("balance_sheet.csv", found["balance_sheet.csv"], problems)
        check_sums("balance_sheet.csv", lines, BALANCE_TOTALS, problems)
        if lines.get(60) != lines.get(120):
            problems.append("balance_sheet.csv: 资产总计 (60) ≠ 负债和净资产总计 (120)")
    if "activities.csv" in found:
        check_activities(by_line("activities.csv", found["activities.csv"], problems), problems)
    if "cash_flows.csv" in found:
        lines = by_line("cash_flows.csv", found["cash_flows.csv"], problems)
        check_cash_flows(lines, books, problems)
    if "distribution.csv" in found:
        check_distribution_sums(found["distribution.csv"], problems)
    return done


# --- the schedules (verify-export runs these checks too) ----------------------------------

SCHEDULE_HEADERS = {
    "receivables.csv": [
        "合同编号", "对方单位", "截至日期", "累计应收", "累计已收", "逾期未收", "预收",
        "账龄0-30天", "账龄31-90天", "账龄91-180天", "账龄180天以上", "合规",
    ],
    "budget.csv": [
        "科目", "科目代码", "科目名称", "预算期间", "起始日期", "统计截止日期", "预算数", "实际数",
        "差异(实际-预算)",
    ],
    "bank_reconciliation.csv": [
        "调节日", "账户", "科目代码", "科目名称", "项目", "日期", "摘要", "说明", "金额",
    ],
    "documents.csv": ["SHA-256", "文件名", "字节数", "类型", "关联", "包内文件"],
    "objections.csv": [
        "编号", "公示期间", "楼栋", "涉及事项", "异议内容", "状态", "答复", "答复日期", "答复期限",
        "逾期",
    ],
}  # fmt: skip
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
}
SHA256 = re.compile(r"\A[0-9a-f]{64}\Z")
#: How documents.csv's 关联 names a contract a document backs: ``合同 C-2025-01``.
CONTRACT = "合同 "
#: 银行存款余额调节表: the items of each side, between its balance and its adjusted balance.
BOOK_SIDE = ("企业账面余额", ("银行已收、企业未记", "银行已付、企业未记"), "调节后企业账面余额")
BANK_SIDE = ("银行对账单余额", ("企业已收、银行未记", "企业已付、银行未记"), "调节后银行对账单余额")


class Postings:
    """The package's ledger as (date, kind, legs) in fen, for the schedules' checks."""

    def __init__(self, entries: list[tuple[str, str, list[tuple[str, int]]]]) -> None:
        self.entries = entries

    def balance(self, account: str, day: str) -> int:
        """The balance of ``account`` (not its sub-accounts) at the end of ``day``."""
        return sum(n for d, _k, legs in self.entries if d <= day for a, n in legs if a == account)

    def net(self, account: str, start: str, end: str) -> int:
        """What ``start``..``end`` posted to ``account`` and its sub-accounts, the year's
        closing entry aside (income as credits, positive)."""
        total = sum(
            n
            for d, kind, legs in self.entries
            if start <= d <= end and kind != "closing"
            for a, n in legs
            if a == account or a.startswith(account + ":")
        )
        return -total if account.startswith("Income:") else total


def _table(files: dict[str, bytes], name: str, problems: list[str]) -> list[list[str]] | None:
    if name not in files:
        return None
    rows = rows_of(files, name, problems)
    if rows is None:
        return None
    if not rows or rows[0] != SCHEDULE_HEADERS[name]:
        problems.append(f"{name}: its header row is not {', '.join(SCHEDULE_HEADERS[name])}")
        return None
    return rows


def _cells(
    name: str, number: int, row: list[str], problems: list[str], *columns: int
) -> list[int] | None:
    try:
        return [fen(row[c]) for c in columns]
    except (ValueError, IndexError, ArithmeticError):
        problems.append(f"{name}: row {number}: not a row of figures")
        return None


def check_receivables(files: dict[str, bytes], end: str, problems: list[str]) -> None:
    """Each contract: overdue = due - received (or 0), ahead = received - due (or 0), the
    ageing buckets add up to what is overdue, as at the period's end."""
    name = "receivables.csv"
    rows = _table(files, name, problems)
    for number, row in enumerate((rows or [])[1:], 2):
        figures = _cells(name, number, row, problems, 3, 4, 5, 6, 7, 8, 9, 10)
        if figures is None:
            continue
        due, got, overdue, ahead, *ageing = figures
        where = f"{name}: row {number} ({csv_original(row[0])})"
        if row[2] != end:
            problems.append(f"{where}, 截至日期: {row[2]}, the period ends {end}")
        if overdue != max(due - got, 0):
            problems.append(f"{where}, 逾期未收: {money(overdue)} ≠ 累计应收 - 累计已收")
        if ahead != max(got - due, 0):
            problems.append(f"{where}, 预收: {money(ahead)} ≠ 累计已收 - 累计应收")
        if sum(ageing) != overdue:
            problems.append(f"{where}: the ageing adds up to {money(sum(ageing))}, not 逾期未收")
        if row[11] not in ("是", "否"):
            problems.append(f"{where}, 合规: {row[11]!r} is neither 是 nor 否")


def check_budget(
    files: dict[str, bytes], ledger: Postings, start: str, end: str, problems: list[str]
) -> None:
    """Each line: 差异 = 实际数 - 预算数, counted up to the period's end at the latest; and when
    the package holds the whole year to its end (a period starting on 1 January), 实际数 is
    what the ledger posted to the account and its sub-accounts in the line's dates."""
    name = "budget.csv"
    rows = _table(files, name, problems)
    whole_year = start[5:] == "01-01"
    for number, row in enumerate((rows or [])[1:], 2):
        figures = _cells(name, number, row, problems, 6, 7, 8)
        if figures is None:
            continue
        budget, actual, variance = figures
        where = f"{name}: row {number} ({csv_original(row[0])} {row[3]})"
        if variance != actual - budget:
            problems.append(f"{where}, 差异: {money(variance)} ≠ 实际数 - 预算数")
        if not row[4] <= row[5] <= end:
            problems.append(f"{where}: counted {row[4]} to {row[5]}, past the period's end")
        elif whole_year and actual != ledger.net(csv_original(row[0]), row[4], row[5]):
            want = money(ledger.net(csv_original(row[0]), row[4], row[5]))
            problems.append(f"{where}, 实际数: {money(actual)}, the ledger gives {want}")


def check_bank_reconciliation(
    files: dict[str, bytes], ledger: Postings, start: str, end: str, problems: list[str]
) -> None:
    """Each account on each day: the book balance is the ledger's; each adjusted balance is
    its balance plus the items under it; 差额 = the adjusted book balance - the adjusted bank
    balance."""
    name = "bank_reconciliation.csv"
    rows = _table(files, name, problems)
    groups: dict[tuple[str, str], list[tuple[int, list[str]]]] = {}
    for number, row in enumerate((rows or [])[1:], 2):
        if len(row) != 9:
            problems.append(f"{name}: row {number}: not a row of the reconciliation")
            continue
        groups.setdefault((row[0], csv_original(row[1])), []).append((number, row))
    for (day, account), items in groups.items():
        where = f"{name}: {day} {account}"
        if not start <= day <= end:
            problems.append(f"{where}: the day is outside the period")
        try:
            labels = [row[4] for _n, row in items]
            amounts = [fen(row[8]) for _n, row in items]
        except (ValueError, ArithmeticError):
            problems.append(f"{where}: not a reconciliation of figures")
            continue
        sides = []
        for first, kinds, adjusted in (BOOK_SIDE, BANK_SIDE):
            if first not in labels or adjusted not in labels:
                problems.append(f"{where}: no {first} or {adjusted}")
                break
            at, to = labels.index(first), labels.index(adjusted)
            inside = labels[at + 1 : to]
            if any(label not in kinds for label in inside):
                problems.append(f"{where}: a row between {first} and {adjusted} is not an item")
            want = amounts[at] + sum(amounts[at + 1 : to])
            if amounts[to] != want:
                problems.append(
                    f"{where}, {adjusted}: {money(amounts[to])}, its items give {money(want)}"
                )
            sides.append((amounts[at], amounts[to]))
        if len(sides) != 2:
            continue
        book = ledger.balance(account, day)
        if sides[0][0] != book:
            problems.append(
                f"{where}, 企业账面余额: {money(sides[0][0])}, the ledger gives {money(book)}"
            )
        difference = sides[0][1] - sides[1][1]
        if "差额" not in labels or amounts[labels.index("差额")] != difference:
            problems.append(
                f"{where}, 差额: not the adjusted balances' difference ({money(difference)})"
            )


def check_documents(files: dict[str, bytes], manifest: dict, problems: list[str]) -> int:
    """Each listed document: its file name is its SHA-256 and type; its file, when in the
    package, has that SHA-256 and size; absent only from a package the manifest says was made
    without its documents; each contract it backs is one of receivables.csv; no file in
    documents/ that the table does not list."""
    name = "documents.csv"
    rows = _table(files, name, problems)
    if rows is None:
        return 0
    receivables = _table(files, "receivables.csv", [])  # its own problems are reported there
    contracts = None if receivables is None else {csv_original(r[0]) for r in receivables[1:] if r}
    said = manifest.get("documents")
    said = said if isinstance(said, dict) else {}
    included = said.get("included")
    if not isinstance(included, bool):
        problems.append(f"{MANIFEST}: documents.included does not say whether the files came")
    if said.get("count") != len(rows) - 1:
        problems.append(f"{MANIFEST}: documents.count is not the {len(rows) - 1} rows of {name}")
    listed, checked = set(), 0
    for number, row in enumerate(rows[1:], 2):
        try:
            digest, size, kind, path = row[0], int(row[2]), row[3], row[5]
        except (ValueError, IndexError):
            problems.append(f"{name}: row {number}: not a document")
            continue
        where = f"{name}: row {number} ({digest[:16]})"
        backs = csv_original(row[4]).split("; ") if row[4] else []
        for contract in (b[len(CONTRACT) :] for b in backs if b.startswith(CONTRACT)):
            if contracts is not None and contract not in contracts:
                problems.append(f"{where}, 关联: contract {contract} is not in receivables.csv")
        if not SHA256.match(digest) or path != f"documents/{digest}.{DOCUMENT_TYPES.get(kind)}":
            problems.append(f"{where}: 包内文件 {path} is not documents/<SHA-256>.<its type>")
        listed.add(path)
        if path not in files:
            if included is not False:
                problems.append(
                    f"{path}: listed in {name}, missing from a package made with its documents"
                )
            continue
        body = files[path]
        if hashlib.sha256(body).hexdigest() != digest:
            problems.append(f"{path}: its SHA-256 is not {digest[:16]}… (the document changed)")
        elif len(body) != size:
            problems.append(f"{path}: {len(body)} bytes, {name} says {size}")
        else:
            checked += 1
    for path in sorted(n for n in files if n.startswith("documents/") and n not in listed):
        problems.append(f"{path}: in the package but not in {name}")
    return checked


def check_objections(files: dict[str, bytes], manifest: dict, problems: list[str]) -> None:
    """Overdue = still to be answered after the day the answer was due, as at the export's day
    (China Standard Time); an answered objection has its answer's day. The header is exactly
    the public columns: no unit, no contact."""
    name = "objections.csv"
    rows = _table(files, name, problems)
    generated = str(manifest.get("generated_at", ""))
    try:
        moment = datetime.fromisoformat(generated)
        today = moment.astimezone(timezone(timedelta(hours=8))).date().isoformat()
    except ValueError:
        if rows and len(rows) > 1:
            problems.append(f"{MANIFEST}: generated_at {generated!r} is not a time")
        return
    for number, row in enumerate((rows or [])[1:], 2):
        if len(row) != 10:
            problems.append(f"{name}: row {number}: not an objection")
            continue
        where = f"{name}: row {number} (#{row[0]})"
        overdue = row[5] == "待答复" and today > row[8]
        if row[9] != ("是" if overdue else "否"):
            problems.append(f"{where}, 逾期: {row[9]}, but due {row[8]}, {row[5]} on {today}")
        if row[5] == "已答复" and not row[7]:
            problems.append(f"{where}: answered without the day of its answer")


def check_schedules(
    files: dict[str, bytes], manifest: dict, ledger: Postings, problems: list[str]
) -> list[str]:
    """Every check of the schedules; the names of those checked (with the documents' count)."""
    period = manifest.get("period") or {}
    start, end = str(period.get("start", "")), str(period.get("end", ""))
    check_receivables(files, end, problems)
    check_budget(files, ledger, start, end, problems)
    check_bank_reconciliation(files, ledger, start, end, problems)
    documents = check_documents(files, manifest, problems)
    check_objections(files, manifest, problems)
    done = [n for n in SCHEDULE_HEADERS if n in files]
    if documents:
        done.append(f"{documents} document file(s)")
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
        ledger = Postings([(t.date, t.meta.get("kind", ""), t.legs) for t in txns])
        checked = check_schedules(files, manifest, ledger, problems)
    except (KeyError, ValueError, IndexError, UnicodeDecodeError) as exc:
        problems.append(f"the package cannot be read as a whole ({exc!r})")
        return problems, ""
    closed = manifest.get("closed") or {}
    head = f"close head #{closed['head_seq']} {closed['head_hash']}" if closed else "not closed"
    summary = (
        f"OK: {len(listed)} files match the manifest; {links} chain links from the genesis to "
        f"#{upto} ({head}); {events} events recompute; recomputed: {', '.join(done)}"
        + (f"; checked: {', '.join(checked)}" if checked else "")
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
