"""The message catalogue: every key with its Chinese and English template (docs/i18n.md).

Templates use ``str.format`` named placeholders; both languages of an entry name the same
ones (tests/test_messages.py checks). Keys are ``<area>.<what>``; a key is never reused for a
different meaning, so a test or a program may rely on it.
"""

from __future__ import annotations

from typing import NamedTuple


class T(NamedTuple):
    zh: str
    en: str


CATALOGUE: dict[str, T] = {
    # allocate
    "allocate.allocating-again-needs-reason": T(
        zh="再次分配需要说明理由",
        en="allocating again needs a reason",
    ),
    "allocate.resolution-already-has-dated": T(
        zh='决议 {number} 已有一笔 {kind}，日期 {date}（{status}，{id}）；如需再次分配请明确说明（--again --reason R，或 "again": true 并附 "reason"）',
        en='resolution {number} already has a {kind} dated {date} ({status}, {id}); to allocate again say so (--again --reason R, or "again": true with a "reason")',
    ),
    "allocate.resolution-did-not-pass": T(
        zh="决议 {number} 未通过（{source}），因此不允许 {kind}。{arithmetic}",
        en="resolution {number} did not pass ({source}), so it allows no {kind}. {arithmetic}",
    ),
    "allocate.resolution-does-allow-purpose": T(
        zh="决议 {number} 不允许 {kind}：其用途为 {purpose}",
        en="resolution {number} does not allow a {kind}: its purpose is {purpose}",
    ),
    "allocate.resolution-pays-yuan-per": T(
        zh="决议 {number} 按每{value} {rate:f} 元支付：总额为各部分之和，因此不能给出总额",
        en="resolution {number} pays {rate:f} yuan per {value}: the total is the sum of the parts, so none may be given",
    ),
    "allocate.resolution-s-budget-already": T(
        zh="决议 {number} 的预算为 {budget}；已分配（已记账或待审批）{allocated}，再分配 {amount} 将超出预算；如需再次分配请明确说明（--again --reason R）",
        en="resolution {number}'s budget is {budget}; {allocated} is already allocated (posted or pending), so {amount} more would exceed it; to allocate again say so (--again --reason R)",
    ),
    "allocate.resolution-s-rate-gives": T(
        zh="按决议 {number} 的标准，每户取整后均为 0.00；没有可分配的金额",
        en="resolution {number}'s rate gives every unit 0.00 after rounding; nothing to allocate",
    ),
    "allocate.resolution-sets-no-allocation": T(
        zh="决议 {number} 未规定分配方式（mode、basis、rate、rounding）；分红或补贴由决议计算，不能手工录入",
        en="resolution {number} sets no allocation (mode, basis, rate, rounding); a dividend or subsidy is computed from it, never typed",
    ),
    "allocate.resolution-splits-total-give": T(
        zh="决议 {number} 按总额分摊：请给出要分摊的总额",
        en="resolution {number} splits a total: give the total to split",
    ),
    "allocate.total-must-be-positive": T(
        zh="总额 {total} 须为正数",
        en="the total {total} must be positive",
    ),
    "allocate.total-must-be-positive-yuan": T(
        zh="总额 {total} 须为正数且为整元（决议按整元支付）",
        en="the total {total} must be positive in whole yuan (the resolution pays whole yuan)",
    ),
    "allocate.unit-register-empty": T(
        zh="{slug} 的房屋登记册为空",
        en="the unit register of {slug} is empty",
    ),
    # backup
    "backup.commons-ledger-backup": T(
        zh="{archive} 不是 commons-ledger 的备份：{exc}",
        en="{archive} is not a commons-ledger backup: {exc}",
    ),
    "backup.community-already-exists-here": T(
        zh="小区 {slug!r} 在此已存在；请恢复到空账簿中",
        en="community {slug!r} already exists here; restore into empty books",
    ),
    "backup.no-community": T(
        zh="没有小区 {slug!r}",
        en="no community {slug!r}",
    ),
    "backup.unknown-backup-format": T(
        zh="{archive}：未知的备份格式 {format!r}",
        en="{archive}: unknown backup format {format!r}",
    ),
    "backup.user-exists-here-under": T(
        zh="用户 {username!r} 在此以另一个编号存在；请恢复到空账簿中",
        en="user {username!r} exists here under another id; restore into empty books",
    ),
    # bank_files
    "bank_files.amount": T(
        zh="不是金额：{exc}",
        en="not an amount: {exc}",
    ),
    "bank_files.date-future-today": T(
        zh="日期 {date} 在未来（今天是 {today}）",
        en="date {date} is in the future (today is {today})",
    ),
    "bank_files.date-total-row-must": T(
        zh="{date} {value!r} 不是日期（{date_formats}）；合计行须以 {total} 开头",
        en="{date} {value!r} is not a date ({date_formats}); a total row must start with {total}",
    ),
    "bank_files.file-empty": T(
        zh="文件为空",
        en="the file is empty",
    ),
    "bank_files.file-over-bytes": T(
        zh="文件超过 {max_file_bytes} 字节",
        en="the file is over {max_file_bytes} bytes",
    ),
    "bank_files.header-lacks-column-s": T(
        zh="表头缺少 {name} 格式的列 {missing}",
        en="the header lacks the column(s) {missing} of the {name} layout",
    ),
    "bank_files.message": T(
        zh="{str}：{msg}",
        en="{str}: {msg}",
    ),
    "bank_files.name-one-with-format": T(
        zh="{why}：请用 --format 指定格式（{known}），或编写格式文件（README：每月银行对账流程）",
        en="{why}: name one with --format ({known}) or write a layout file (README: the monthly bank routine)",
    ),
    "bank_files.no-amount-out": T(
        zh="没有收入或支出金额",
        en="no amount in or out",
    ),
    "bank_files.no-header-row-naming": T(
        zh="没有含 {date!r} 的表头行：这是 {name} 格式的对账单吗？（{description}）",
        en="no header row naming {date!r}: is this a statement in the {name} layout? ({description})",
    ),
    "bank_files.no-running-balance": T(
        zh="没有{balance}（余额）",
        en="no {balance} (running balance)",
    ),
    "bank_files.row-after-total-row": T(
        zh="合计行（第 {total_row} 行）之后还有数据行",
        en="a row after the total row (line {total_row})",
    ),
    "bank_files.statement-has-no-lines": T(
        zh="对账单没有明细行",
        en="the statement has no lines",
    ),
    "bank_files.total-row-says-but": T(
        zh="合计行显示 {title} {stated}，但明细合计为 {sums}：有明细缺失或多余",
        en="the total row says {title} {stated}, but the lines add up to {sums}: a line is missing or extra",
    ),
    # bank_format
    "bank_format.csv": T(
        zh="不是 CSV：{exc}",
        en="not CSV: {exc}",
    ),
    "bank_format.file-text-any-layout": T(
        zh="文件不是此格式任何编码（{encodings}）的文本；请重新导出为 CSV，或另选 --format",
        en="the file is not text in any of this layout's encodings ({encodings}); export it again as CSV, or choose another --format",
    ),
    "bank_format.message": T(
        zh="{name}：{value}：{msg}",
        en="{name}: {value}: {msg}",
    ),
    "bank_format.message-2": T(
        zh="{name}：{exc}",
        en="{name}: {exc}",
    ),
    "bank_format.name-either-amount-one": T(
        zh="请指定 amount（一列带符号的金额），或同时指定 income 和 expense",
        en="name either amount (one signed column) or both income and expense",
    ),
    "bank_format.no-layout-use-one": T(
        zh="没有格式 {name!r}：请使用 {known} 之一，或格式 .toml 文件的路径",
        en="no layout {name!r}: use one of {known} or the path of a layout .toml file",
    ),
    "bank_format.workbook-has-no-sheet": T(
        zh="工作簿没有第 {sheet} 个工作表",
        en="the workbook has no sheet #{sheet}",
    ),
    "bank_format.xlsx-workbook": T(
        zh="不是 XLSX 工作簿（{exc}）",
        en="not an XLSX workbook ({exc})",
    ),
    # bank_lines
    "bank_lines.bank-account-community": T(
        zh="{name!r} 不是本小区的银行科目（1002 银行存款 或 1009 其他货币资金）",
        en="{name!r} is not a bank account of this community (1002 银行存款 or 1009 其他货币资金)",
    ),
    # bank_proposals
    "bank_proposals.entry-dated-more-than": T(
        zh="该分录日期为 {date}，与对账单明细（{date_2}）相差超过 {match_window_days} 天",
        en="the entry is dated {date}, more than {match_window_days} days from the statement line ({date_2})",
    ),
    "bank_proposals.entry-puts-but-statement": T(
        zh="该分录在 {account} 记入 {on_line}，但对账单明细为 {amount_fen}",
        en="the entry puts {on_line} on {account}, but the statement line is {amount_fen}",
    ),
    "bank_proposals.line-entry": T(
        zh="（分录 {entry_id}）",
        en=" (entry {entry_id})",
    ),
    "bank_proposals.line-not-open": T(
        zh="对账单明细 {line_id} 的状态是 {status}{entry}；只能确认待处理的匹配建议",
        en="statement line {line_id} is {status}{entry}; only an open proposal is confirmed",
    ),
    "bank_proposals.no-statement-line-community": T(
        zh="本小区没有对账单明细 {line_id}",
        en="no statement line {line_id} in this community",
    ),
    "bank_proposals.statement-line-only-open": T(
        zh="对账单明细 {line_id} 的状态是 {status}；只能驳回待处理的匹配建议",
        en="statement line {line_id} is {status}; only an open proposal is dismissed",
    ),
    # bank_reconcile
    "bank_reconcile.cannot-close-bank-reconciliation": T(
        zh="不能结账 {period}：{account} 在 {end} 的银行余额调节表差额为 {difference}（调节后账面余额 {adjusted_book_balance}，调节后银行余额 {adjusted_bank_balance}），另有 {open_lines} 笔对账单明细尚未确认或驳回；请先对账（`commons bank reconcile`），或设置 reconcile_before_close = false",
        en="cannot close {period}: the bank reconciliation of {account} on {end} shows a difference of {difference} (adjusted book {adjusted_book_balance}, adjusted bank {adjusted_bank_balance}) and {open_lines} statement line(s) not yet confirmed or dismissed; reconcile it first (`commons bank reconcile`), or set reconcile_before_close = false",
    ),
    "bank_reconcile.no-statement-line-before": T(
        zh="{account} 在 {day} 及之前没有对账单明细：请先导入对账单",
        en="no statement line of {account} on or before {day}: import the statement first",
    ),
    # bank_statements
    "bank_statements.already-imported-with-balance": T(
        zh="已导入的余额为 {balance_fen}，本对账单为 {balance}",
        en="already imported with the balance {balance_fen}, this statement says {balance}",
    ),
    "bank_statements.balance-does-follow-from": T(
        zh="余额 {balance} 与此前导入的明细（{date}，{reference}，余额 {balance_fen}）衔接不上：两份对账单之间缺少明细",
        en="the balance {balance} does not follow from the line imported before it ({date}, {reference}, balance {balance_fen}): lines between the two statements are missing",
    ),
    "bank_statements.balance-does-follow-from-2": T(
        zh="余额 {balance} 与 {where} 衔接不上（余额 {balance_2} 加 {amount} 应为 {expected}）：有明细缺失、多余或被改动",
        en="the balance {balance} does not follow from {where} (balance {balance_2} plus {amount} is {expected}): a line is missing, extra or altered",
    ),
    "bank_statements.dated-before-lines-must": T(
        zh="日期 {date} 早于 {where}（{date_2}）：明细须按对账单顺序排列",
        en="dated {date}, before {where} ({date_2}): the lines must be in the statement's order",
    ),
    "bank_statements.line-imported-after-one": T(
        zh="此后导入的明细（{date}，{reference}，余额 {balance_fen}）与本行余额 {balance} 衔接不上",
        en="the line imported after this one ({date}, {reference}, balance {balance_fen}) does not follow from its balance {balance}",
    ),
    "bank_statements.repeats-same-date-reference": T(
        zh="与 {seen} 重复：日期、流水号和金额相同（对账单明细的唯一键）",
        en="repeats {seen}: same date, reference and amount (the key of a statement line)",
    ),
    # budget
    "budget.budget-line-cannot-negative": T(
        zh="预算行不能为负数",
        en="a budget line cannot be negative",
    ),
    "budget.budget-line-for-income": T(
        zh="{account}：预算行只用于收入或支出科目",
        en="{account}: a budget line is for an income or expense account",
    ),
    "budget.cites-none": T(
        zh="未引用任何决议",
        en="cites none",
    ),
    "budget.cites-not-in-effect": T(
        zh="引用的 {resolution} 不是在 {date} 有效的已通过决议",
        en="cites {resolution}, which is not a passed resolution in effect on {date}",
    ),
    "budget.closed-budget-cannot-change": T(
        zh="{year} 年已结账（{period}）；其预算不能更改",
        en="{year} is closed ({period}); its budget cannot change",
    ),
    "budget.closed-budget-lines-covering": T(
        zh="{period} 已结账：覆盖该期间的预算行不能更改（已公布的预算执行情况不再改变）",
        en="{period} is closed: the budget lines covering it cannot change (a published budget-vs-actual never changes)",
    ),
    "budget.message": T(
        zh="{period} 不在 {year} 年内",
        en="{period} is not in {year}",
    ),
    "budget.no-line": T(
        zh="{account} 在 {year} 年预算中没有适用于 {date} 的预算行",
        en="{account} has no line in the {year} budget for {date}",
    ),
    "budget.over-budget-spending-beyond": T(
        zh="超出预算：{why}；超预算支出须经业主决议，而本交易{why_2}（{source}）",
        en="over budget: {why}; spending beyond the budget needs an owners' resolution, and this transaction {why_2} ({source})",
    ),
    "budget.over-line": T(
        zh="{account} 在 {period} 的支出将达 {actual} 元，超出预算行 {budget} 元的 {tolerance} 以上（上限 {limit} 元，超出 {excess} 元）",
        en="{account} in {period} would come to {actual}, over its budget line of {budget} by more than {tolerance} (limit {limit}, excess {excess})",
    ),
    "budget.overlaps-lines": T(
        zh="{account}：{period} 与 {period_2} 重叠（lines[{other_index}]）",
        en="{account}: {period} overlaps {period_2} (lines[{other_index}])",
    ),
    "budget.resolution-did-pass-budget": T(
        zh="决议 {resolution} 未通过；预算须有已通过的决议",
        en="resolution {resolution} did not pass; a budget needs a passed resolution",
    ),
    "budget.resolution-register-budget-adopted": T(
        zh="决议 {resolution} 不在决议登记册中；预算须由业主决议通过",
        en="resolution {resolution} is not in the register; a budget is adopted by an owners' resolution",
    ),
    # budgets
    "budgets.custom-budget-directive-malformed": T(
        zh="{where}：custom 'budget' 指令格式有误：{exc}",
        en="{where}: custom 'budget' directive is malformed: {exc}",
    ),
    "budgets.month-quarter-q-year": T(
        zh="{text!r} 不是月份（2026-03）、季度（2026Q1）或年度（2026）",
        en="{text!r} is not a month (2026-03), a quarter (2026Q1) or a year (2026)",
    ),
    # civil_defence
    "civil_defence.civil-defence-parking-income": T(
        zh="人防车位：{amount} 元人防车位收入不是共有收益；除规则文件设置 civil_defence_owned = true 外，归投资人所有（{source}）",
        en="civil defence: {amount} of 人防 parking income is not common income; it belongs to the investor unless the rules file sets civil_defence_owned = true ({source})",
    ),
    # cli
    "cli.api-docs-docs-log": T(
        zh="  API 文档（{who}）：{base}/docs    登录：{base}/login",
        en="  API docs ({who}): {base}/docs    log in: {base}/login",
    ),
    "cli.approved-by-posted-as": T(
        zh="{id} 已由 {actor} 审批：记账为第 {seq} 笔",
        en="{id} approved by {actor}: posted as seq {seq}",
    ),
    "cli.backed-up-at-seq": T(
        zh="已备份 {slug}（至第 {head_seq} 笔，{rows} 行）到 {out}",
        en="backed up {slug} at seq {head_seq} ({rows} rows) to {out}",
    ),
    "cli.commons-ledger": T(
        zh="commons-ledger 运行于 {base}/",
        en="commons-ledger on {base}/",
    ),
    "cli.created-books-start-data": T(
        zh="已创建 {slug}：账簿自 {start_date} 开始，数据位于 {slug_2}",
        en="created {slug}: books start {start_date}, data in {slug_2}",
    ),
    "cli.demo-created": T(
        zh="演示小区 {slug}：已创建",
        en="demo community {slug}: created",
    ),
    "cli.demo-statement": T(
        zh="本月尚未导入的银行对账单，供出纳导入：{path}\n  试一试：commons --data {data} bank import {slug} {path} --account '{account}' --as treasurer",
        en="the open month's bank statement, for the treasurer to import: {path}\n  try: commons --data {data} bank import {slug} {path} --account '{account}' --as treasurer",
    ),
    "cli.demo-exists": T(
        zh="演示小区 {slug}：已存在",
        en="demo community {slug}: already there",
    ),
    "cli.demo-logins-at-login": T(
        zh="演示账号登录于 {base}/login（演示密码；切勿用于真实账簿）：",
        en="demo logins at {base}/login (demo passwords; never use them for real books):",
    ),
    "cli.entry-page-entry": T(
        zh="  {slug}：录入页 {base}/entry/{slug}",
        en="  {slug}: entry page {base}/entry/{slug}",
    ),
    "cli.fava-read-only-fava": T(
        zh="  {slug}：Fava（只读）{base}/fava/{slug}/",
        en="  {slug}: Fava (read-only) {base}/fava/{slug}/",
    ),
    "cli.file-was": T(
        zh="  该文件曾{describe}",
        en="  the file was {describe}",
    ),
    "cli.latest-disclosure-public-disclosures": T(
        zh="  {slug}：最新公示 {base}/public/{slug}/disclosures/{period}",
        en="  {slug}: latest disclosure {base}/public/{slug}/disclosures/{period}",
    ),
    "cli.password-then": T(
        zh="  {role:<10} {username:<10} 密码 {password:<16} 然后打开 {pages}",
        en="  {role:<10} {username:<10} password {password:<16} then {pages}",
    ),
    "cli.rebuilt-up-seq": T(
        zh="已重建 {path}，至第 {head} 笔",
        en="rebuilt {path} up to seq {head}",
    ),
    "cli.refused": T(
        zh="已拒绝（422）：",
        en="refused (422):",
    ),
    "cli.refused-file-valid": T(
        zh="已拒绝（422）：文件无效：",
        en="refused (422): the file is not valid:",
    ),
    "cli.rejected-by": T(
        zh="{id} 已由 {actor} 驳回：{rejected_reason}",
        en="{id} rejected by {actor}: {rejected_reason}",
    ),
    "cli.restored-at-seq": T(
        zh="已恢复 {slug}（至第 {head_seq} 笔）：{summary}",
        en="restored {slug} at seq {head_seq}: {summary}",
    ),
    "cli.restored-chain-does-end": T(
        zh="  - 恢复后的哈希链未止于快照的链头",
        en="  - the restored chain does not end at the snapshot's head",
    ),
    "cli.reverses": T(
        zh="{id} 冲销 {entry_id}：{state}",
        en="{id} reverses {entry_id}: {state}",
    ),
    "cli.transaction-s-read-s": T(
        zh="{drafts} 笔交易：读取用时 {read:.2f} 秒，校验并记账用时 {posted:.2f} 秒（每秒 {rate:,.0f} 笔）",
        en="{drafts} transaction(s): read in {read:.2f} s, checked and posted in {posted:.2f} s ({rate:,.0f} a second)",
    ),
    # cli_audit
    "cli_audit.documents-with-files": T(
        zh="documents.csv 列出 {count} 份凭证，文件在 documents/ 中",
        en="{count} document(s) listed in documents.csv, their files in documents/",
    ),
    "cli_audit.documents-without-files": T(
        zh="documents.csv 列出 {count} 份凭证，未附文件",
        en="{count} document(s) listed in documents.csv, without their files",
    ),
    "cli_audit.exporting": T(
        zh="正在导出 {slug} {label}",
        en="exporting {slug} {label}",
    ),
    "cli_audit.wrote-entries-chain-head": T(
        zh="已写入 {out}：{label} 的 {entries} 笔分录，链头第 {head_seq} 笔 {head_hash}",
        en="wrote {out}: {entries} entries of {label}, chain head seq {head_seq} {head_hash}",
    ),
    # cli_bank
    "cli_bank.adjusted-adjusted": T(
        zh="  调节后     {adjusted_book_balance:>14}   调节后     {adjusted_bank_balance:>14}",
        en="  adjusted     {adjusted_book_balance:>14}   adjusted     {adjusted_bank_balance:>14}",
    ),
    "cli_bank.bank-only": T(
        zh="  + 银行已记企业未记  {date} {amount:>12}  {description}（{status}）",
        en="  + bank only  {date} {amount:>12}  {description} ({status})",
    ),
    "cli_bank.book-balance-bank-balance": T(
        zh="  账面余额 {book_balance:>14}   银行余额 {bank_balance:>14}",
        en="  book balance {book_balance:>14}   bank balance {bank_balance:>14}",
    ),
    "cli_bank.book-only": T(
        zh="  + 企业已记银行未记  {date} {amount:>12}  {description}",
        en="  + book only  {date} {amount:>12}  {description}",
    ),
    "cli_bank.difference-line-s-confirm": T(
        zh="  差额       {difference}；{open_lines} 笔明细待确认或驳回",
        en="  difference   {difference}; {open_lines} line(s) to confirm or dismiss",
    ),
    "cli_bank.document-already-stored": T(
        zh="此前已存入 {sha256} {name}（{type}，{bytes} 字节）",
        en="already stored {sha256} {name} ({type}, {bytes} bytes)",
    ),
    "cli_bank.document-linked": T(
        zh="{stored}，已关联{linked}",
        en="{stored}, linked to {linked}",
    ),
    "cli_bank.document-stored": T(
        zh="已存入 {sha256} {name}（{type}，{bytes} 字节）",
        en="stored {sha256} {name} ({type}, {bytes} bytes)",
    ),
    "cli_bank.imported-line-s-already": T(
        zh="已导入 {account} 的 {imported} 笔明细（{duplicates} 笔此前已导入），匹配 {matched} 笔；{proposals} 笔待确认或驳回（按版式 {layout} 读取）",
        en="imported {imported} line(s) of {account} ({duplicates} already imported), matched {matched}; {proposals} to confirm or dismiss (read as {layout})",
    ),
    "cli_bank.line": T(
        zh="  明细 {id}：{date} {amount:>12} {counterparty} {memo} -> {account}",
        en="  line {id}: {date} {amount:>12} {counterparty} {memo} -> {account}",
    ),
    "cli_bank.line-dismissed": T(
        zh="明细 {line}：已驳回",
        en="line {line}: dismissed",
    ),
    "cli_bank.line-entry": T(
        zh="明细 {line}：分录 {id} {status}",
        en="line {line}: entry {id} {status}",
    ),
    "cli_bank.linked-contract": T(
        zh="合同 {value}",
        en="contract {value}",
    ),
    "cli_bank.linked-entry": T(
        zh="分录 {value}",
        en="entry {value}",
    ),
    "cli_bank.linked-resolution": T(
        zh="决议 {value}",
        en="resolution {value}",
    ),
    "cli_bank.refused-valid-transaction": T(
        zh="已拒绝（422）：{name} 不是有效的交易：",
        en="refused (422): {name} is not a valid transaction:",
    ),
    "cli_bank.statement-from": T(
        zh="{account} 于 {date}（对账单自 {statement_from}）",
        en="{account} on {date} (statement from {statement_from})",
    ),
    # cli_common
    "cli_common.acts-as-member-holding": T(
        zh="{command} 须以 {slug} 中担任 {needed} 角色的成员身份执行：请用 --as USER（或 $COMMONS_ACTOR）指明",
        en="{command} acts as a member of {slug} holding the role {needed}: name them with --as USER (or $COMMONS_ACTOR)",
    ),
    "cli_common.api-token-commons-token": T(
        zh="COMMONS_TOKEN 中的 API 令牌未知或已撤销",
        en="the API token in COMMONS_TOKEN is unknown or revoked",
    ),
    "cli_common.api-token-commons-token-2": T(
        zh="COMMONS_TOKEN 中的 API 令牌属于 {owner}，而不是 {actor}",
        en="the API token in COMMONS_TOKEN is {owner}'s, not {actor}'s",
    ),
    "cli_common.api-token-commons-token-3": T(
        zh="COMMONS_TOKEN 中的 API 令牌限于另一个小区，不是 {slug}",
        en="the API token in COMMONS_TOKEN is scoped to another community, not {slug}",
    ),
    "cli_common.disabled-so-cannot-act": T(
        zh="{actor} 已停用，不能在 {slug} 中操作",
        en="{actor} is disabled, so cannot act in {slug}",
    ),
    "cli_common.needs-role-holds-there": T(
        zh="{command} 需要 {slug} 中的 {needed} 角色；{actor} 在该小区担任 {held}",
        en="{command} needs the role {needed} in {slug}; {actor} holds {held} there",
    ),
    "cli_common.records-s-own-decision": T(
        zh="{command} 记录的是 {actor} 本人的决定，因此需要 {actor} 的凭据：请将 COMMONS_TOKEN 设为 {actor} 的某个 API 令牌，或用 --password-stdin 从标准输入提供其密码",
        en="{command} records {actor}'s own decision, so it needs {actor}'s credentials: set COMMONS_TOKEN to one of {actor}'s API tokens, or pass --password-stdin and give their password on standard input",
    ),
    "cli_common.refused": T(
        zh="已拒绝（{status} {phrase}）：",
        en="refused ({status} {phrase}):",
    ),
    "cli_common.refused-nothing-was-written": T(
        zh="已拒绝：{message}；未写入任何内容",
        en="refused: {message}; nothing was written",
    ),
    "cli_common.refused-what": T(
        zh="已拒绝（422）：{what}：",
        en="refused (422): {what}:",
    ),
    "cli_common.user-so-member-needs": T(
        zh="{actor} 不是用户，因此不是 {slug} 的成员；{command} 需要在该小区担任 {needed} 角色的成员（由运维人员用 `commons user add USER --community {slug} --role ROLE` 添加）",
        en="{actor} is not a user, so not a member of {slug}; {command} needs a member holding the role {needed} there (the operator adds one with `commons user add USER --community {slug} --role ROLE`)",
    ),
    "cli_common.wrong-password-for-has": T(
        zh="{actor} 的密码错误（或 {actor} 没有密码）",
        en="wrong password for {actor} (or {actor} has no password)",
    ),
    # cli_contracts
    "cli_contracts.budget-version-resolution-lines": T(
        zh="{year} 年预算第 {version} 版（决议 {resolution}）：{lines} 行",
        en="budget {year} version {version} (resolution {resolution}): {lines} lines",
    ),
    "cli_contracts.compliant": T(
        zh="合规",
        en="compliant",
    ),
    "cli_contracts.contract-registered": T(
        zh="合同 {number} 已登记（{state}）",
        en="contract {number} registered ({state})",
    ),
    "cli_contracts.not-compliant": T(
        zh="不合规：{issues}",
        en="NOT compliant: {issues}",
    ),
    "cli_contracts.refused-valid": T(
        zh="已拒绝（422）：{name} 不是有效的 {what}：",
        en="refused (422): {name} is not a valid {what}:",
    ),
    # cli_disclose
    "cli_disclose.drawn-anew": T(
        zh="按链头第 {head_seq} 笔重新生成",
        en="drawn anew at chain head #{head_seq}",
    ),
    "cli_disclose.stored": T(
        zh="已存的公告（链头第 {head_seq} 笔）",
        en="the stored notice (chain head #{head_seq})",
    ),
    "cli_disclose.written-sha": T(
        zh="{slug} {period}：{fmt}（{lang}）已写入 {out}：{what}，sha256 {hexdigest}",
        en="{slug} {period}: {fmt} ({lang}) written to {out}: {what}, sha256 {hexdigest}",
    ),
    # cli_objections
    "cli_objections.objection-answered": T(
        zh="第 {id} 号异议已于 {answered_on} 答复",
        en="objection #{id} answered on {answered_on}",
    ),
    # cli_periods
    "cli_periods.closed-at-seq-set": T(
        zh="已结账 {slug} {period}（{start} 至 {end}），至第 {head_seq} 笔 {head_hash}；从共有净收益 {net_income:,.2f} 元中转入维修资金 {set_aside:,.2f} 元",
        en="closed {slug} {period} ({start} to {end}) at seq {head_seq} {head_hash}; set aside {set_aside:,.2f} of net common income {net_income:,.2f}",
    ),
    # cli_rules
    "cli_rules.cny-over-units-resolution": T(
        zh="{kind} {id} {status}：{total} 元，分配给 {schedule} 户（决议 {resolution}）",
        en="{kind} {id} {status}: {total} CNY over {schedule} units (resolution {resolution})",
    ),
    "cli_rules.imported-units-into-register": T(
        zh="已向 {slug} 导入 {added} 户：登记册共 {units} 户，{total_area} 平方米",
        en="imported {added} units into {slug}: the register has {units} units, {total_area} m²",
    ),
    "cli_rules.m": T(
        zh="  {unit:<12} {area:>10} 平方米  {amount:>12}",
        en="  {unit:<12} {area:>10} m²  {amount:>12}",
    ),
    "cli_rules.more": T(
        zh="  …… 另有 {count} 户",
        en="  ... {count} more",
    ),
    "cli_rules.not-passed": T(
        zh="决议 {number}：未通过",
        en="resolution {number}: NOT passed",
    ),
    "cli_rules.passed": T(
        zh="决议 {number}：通过",
        en="resolution {number}: passed",
    ),
    "cli_rules.payout-cny-units-resolution": T(
        zh="支付 {id} {status}：向 {lines} 户支付 {total} 元（决议 {resolution}，{method}）",
        en="payout {id} {status}: {total} CNY to {lines} units (resolution {resolution}, {method})",
    ),
    "cli_rules.rules-force-sha-set": T(
        zh="{slug} 的规则：第 {number} 版有效（sha256 {sha256}），由 {set_by} 于 {isoformat} 设定",
        en="rules of {slug}: #{number} in force (sha256 {sha256}), set by {set_by} at {isoformat}",
    ),
    "cli_rules.rules-sha-set-by": T(
        zh="# {slug} 规则第 {number} 版，sha256 {sha256}，由 {set_by} 于 {isoformat} 设定",
        en="# {slug} rules #{number}, sha256 {sha256}, set by {set_by} at {isoformat}",
    ),
    "cli_rules.rules-unchanged-sha-force": T(
        zh="{slug} 的规则未变：第 {number} 版（sha256 {sha256}）有效",
        en="rules of {slug} unchanged: #{number} (sha256 {sha256}) is in force",
    ),
    # cli_users
    "cli_users.api-token-shown-once": T(
        zh="API 令牌（只显示一次；请立即保存）：",
        en="API token (shown once; store it now):",
    ),
    "cli_users.created-user": T(
        zh="已创建用户",
        en="created user",
    ),
    "cli_users.disabled-browser-session-s": T(
        zh="已停用 {username}：已结束 {ended} 个浏览器会话，令牌已撤销",
        en="disabled {username}: {ended} browser session(s) ended, tokens revoked",
    ),
    "cli_users.enabled": T(
        zh="已启用 {username}",
        en="enabled {username}",
    ),
    "cli_users.message": T(
        zh="{what} {username}：在 {slug} 担任 {role}",
        en="{what} {username}: {role} in {slug}",
    ),
    "cli_users.no-longer-holds-browser": T(
        zh="{username} 不再在 {slug} 担任 {role}；已结束 {ended} 个浏览器会话",
        en="{username} no longer holds {role} in {slug}; {ended} browser session(s) ended",
    ),
    "cli_users.password-set-browser-session": T(
        zh="已设置 {username} 的密码；已结束 {ended} 个浏览器会话",
        en="password of {username} set; {ended} browser session(s) ended",
    ),
    "cli_users.refused-give-password-once": T(
        zh="已拒绝：密码只能给一次：--password-stdin 或 --password",
        en="refused: give the password once: --password-stdin or --password",
    ),
    "cli_users.revoked-token-s": T(
        zh="已撤销 {username} 的 {count} 个令牌",
        en="revoked {count} token(s) of {username}",
    ),
    "cli_users.tokens-sessions": T(
        zh="{username:<16} {state:<8} {password:<11} 令牌 {tokens:<3} 会话 {sessions:<3} {roles}",
        en="{username:<16} {state:<8} {password:<11} tokens {tokens:<3} sessions {sessions:<3} {roles}",
    ),
    "cli_users.user": T(
        zh="用户",
        en="user",
    ),
    # committee
    "committee.cost": T(
        zh="业委会工作经费",
        en="committee working expenses",
    ),
    "committee.income": T(
        zh="共有收益",
        en="common income",
    ),
    "committee.title": T(
        zh="业委会经费",
        en="committee expenses",
    ),
    # common
    "common.at": T(
        zh="{where}：{message}",
        en="{where}: {message}",
    ),
    "common.both": T(
        zh="{first}；{second}",
        en="{first}; {second}",
    ),
    "common.list": T(
        zh="{items}",
        en="{items}",
    ),
    "common.no-end": T(
        zh="无期限",
        en="no end",
    ),
    "common.text": T(
        zh="{text}",
        en="{text}",
    ),
    # community
    "community.community-already-exists": T(
        zh="小区 {slug!r} 已存在",
        en="community {slug!r} already exists",
    ),
    "community.community-name-one-line": T(
        zh="小区名称为一行 1 至 200 个字符",
        en="a community name is one line of 1 to 200 characters",
    ),
    "community.community-name-one-line-2": T(
        zh="小区名称须为一行纯文本：{exc}",
        en="a community name is one line of plain text: {exc}",
    ),
    "community.community-slug-lowercase-letters": T(
        zh="小区代号为 1 至 40 个小写字母、数字和连字符，以字母或数字开头，例如 'maple-court'",
        en="a community slug is 1 to 40 lowercase letters, digits and dashes, starting with a letter or digit, e.g. 'maple-court'",
    ),
    "community.names-part-service-s": T(
        zh="{slug!r} 是本服务网址的一部分；请另选代号",
        en="{slug!r} names part of the service's URLs; choose another slug",
    ),
    # config
    "config.at-most-two-decimal": T(
        zh="最多两位小数（分），实际为 {value}",
        en="at most two decimal places (fen), got {value}",
    ),
    "config.must-non-empty-text": T(
        zh="必须是非空的字符串，实际为 {value}",
        en="must be a non-empty string, got {value}",
    ),
    "config.must-one-line": T(
        zh="必须是一行文字，最多 200 个字符",
        en="must be one line of at most 200 characters",
    ),
    "config.bad-key": T(
        zh="{where} {key}：{reason}",
        en="{where} {key}: {reason}",
    ),
    "config.bad-keys": T(
        zh="{problems}",
        en="{problems}",
    ),
    "config.effective-from-must-date": T(
        zh="{where}：effective_from 须为日期，如 2025-01-01",
        en="{where}: effective_from must be a date like 2025-01-01",
    ),
    "config.must-got": T(
        zh="须为 {listed}，实际为 {value}",
        en="must be {listed}, got {value}",
    ),
    "config.must-non-negative-number": T(
        zh="须为非负数，实际为 {value}",
        en="must be a non-negative number, got {value}",
    ),
    "config.must-number-as-string": T(
        zh='须为字符串形式的数字，如 "10000.00"',
        en='must be a number as a string like "10000.00"',
    ),
    "config.must-table": T(
        zh="{where}：须为表（table）",
        en="{where}: must be a table",
    ),
    "config.must-true-false-no": T(
        zh="须为 true 或 false（不加引号），实际为 {value}",
        en="must be true or false (no quotes), got {value}",
    ),
    "config.must-whole-number-days": T(
        zh="须为整数天数，实际为 {value}",
        en="must be a whole number of days, got {value}",
    ),
    "config.needs-at-least-one": T(
        zh="{name}：至少需要一个 [[version]]",
        en="{name}: needs at least one [[version]]",
    ),
    "config.number": T(
        zh="不是数字：{value}",
        en="not a number: {value}",
    ),
    "config.share-must-between-got": T(
        zh="比例须在 0 与 1 之间，实际为 {value}",
        en="a share must be between 0 and 1, got {value}",
    ),
    "config.unknown-section-s": T(
        zh="{name}：未知节 {unknown_top}",
        en="{name}: unknown section(s) {unknown_top}",
    ),
    "config.unknown-setting-s": T(
        zh="{where}：未知设置 {unknown}",
        en="{where}: unknown setting(s) {unknown}",
    ),
    "config.versions-must-increasing-date": T(
        zh="{where}：各版本须按日期递增排列",
        en="{where}: versions must be in increasing date order",
    ),
    # contracts
    "contracts.contract-already-registered": T(
        zh="合同 {number} 已登记",
        en="contract {number} is already registered",
    ),
    "contracts.contract-ended-receipt-dated": T(
        zh="合同 {number} 已于 {end} 到期；日期为 {date} 的收款只能结清仍欠的 {owed}，而不是 {own}",
        en="contract {number} ended on {end}; a receipt dated {date} can only settle what it still owes ({owed}), not {own}",
    ),
    "contracts.contract-registered-register-first": T(
        zh="合同 {contract!r} 未登记；请先登记（commons contracts add，POST .../contracts）",
        en="contract {contract!r} is not registered; register it first (commons contracts add, POST .../contracts)",
    ),
    "contracts.contract-remitted-net-manager": T(
        zh="合同 {number} 的收入扣除了物业服务企业的分成（{value:.2f}%）后汇入：请按全额记账，{own} 计入 {income_account}，分成 {share} 作为物业服务企业的费用（{cost_manager_share}），而不是 {cost}（《民法典》第二百八十二条）",
        en="contract {number} is remitted net of the manager's share ({value:.2f}%): book it gross, {own} to {income_account} with the share {share} as the manager's cost ({cost_manager_share}), not {cost} (民法典 art. 282)",
    ),
    "contracts.deposit-cannot-negative": T(
        zh="押金不能为负数",
        en="a deposit cannot be negative",
    ),
    "contracts.income-account-deposits-are": T(
        zh="{income_account} 不是收入科目；押金是负债（{deposits}），不是收入",
        en="{income_account} is not an income account; deposits are liabilities ({deposits}), never income",
    ),
    "contracts.instalment-must-more-than": T(
        zh="每期金额须大于 0.00",
        en="an instalment must be more than 0.00",
    ),
    "contracts.issue-no-resolution": T(
        zh="没有业主决议批准将共有部分用于经营（{source}，须 3/4）",
        en="no resolution approves this business use of a common part ({source}, 3/4)",
    ),
    "contracts.issue-resolution-failed": T(
        zh="决议 {number} 未通过",
        en="resolution {number} did not pass",
    ),
    "contracts.issue-resolution-matter": T(
        zh="决议 {number} 表决的是第 {matter} 项事项，而非将共有部分用于经营（{source}，须 3/4）",
        en="resolution {number} is a matter ({matter}), not a business use of common parts ({source}, which needs 3/4)",
    ),
    "contracts.issue-resolution-unknown": T(
        zh="决议 {number} 不在决议登记中",
        en="resolution {number} is not in the register",
    ),
    "contracts.issue-term-before-effect": T(
        zh="合同期自 {start} 起，早于决议 {number} 的生效日（{effective_from}）",
        en="the term starts on {start}, before resolution {number} took effect ({effective_from})",
    ),
    "contracts.issue-term-past-expiry": T(
        zh="合同期至 {end}，晚于决议 {number} 的失效日 {expires_on}",
        en="the term runs to {end}, past resolution {number}'s expiry {expires_on}",
    ),
    "contracts.one-off-contract-needs": T(
        zh="一次性合同须有金额",
        en="a one-off contract needs its amount",
    ),
    "contracts.receipt-under-contract-credits": T(
        zh="合同 {number} 项下的收款应计入 {income_account}，不能计入其他收入科目",
        en="a receipt under contract {number} credits its income to {income_account}, not to another income account",
    ),
    "contracts.schedule-every-months-does": T(
        zh="每 {every}（{step} 个月）一期的收款计划与 {months} 个月的期限（{start} 至 {end}）不符；期限须为整数期",
        en="a schedule every {every} ({step} months) does not fit a term of {months} months ({start} to {end}); the term must be a whole number of instalments",
    ),
    "contracts.term-ends-before-starts": T(
        zh="期限于 {end} 结束，早于开始日（{start}）",
        en="the term ends on {end}, before it starts ({start})",
    ),
    "contracts.term-ends-last-day": T(
        zh="期限须在某月最后一天结束（实际为 {end}）；收入按月确认",
        en="a term ends on the last day of a month (got {end}); income is earned by the month",
    ),
    "contracts.term-overlaps-contract-for": T(
        zh="{space}：期限 {start} 至 {end} 与同一场地的合同 {number}（{start_2} 至 {end_2}）重叠",
        en="{space}: the term {start} to {end} overlaps contract {number} ({start_2} to {end_2}) for the same space",
    ),
    "contracts.term-starts-first-month": T(
        zh="期限须从某月 1 日开始（实际为 {start}）；收入按月确认",
        en="a term starts on the first of a month (got {start}); income is earned by the month",
    ),
    "contracts.unknown-account": T(
        zh="未知科目 {income_account!r}",
        en="unknown account {income_account!r}",
    ),
    # deps
    "deps.json-only": T(
        zh="此接口只接受 application/json 请求体；实际为 {sent}",
        en="this route takes an application/json body; got {sent}",
    ),
    "deps.log-send-api-token": T(
        zh="请登录或发送 API 令牌",
        en="log in or send an API token",
    ),
    "deps.needs-role": T(
        zh="此操作需要 {slug} 中的 {needed} 角色；{username} 担任 {held}",
        en="this needs the role {needed} in {slug}; {username} holds {held}",
    ),
    "deps.no-content-type": T(
        zh="无 Content-Type",
        en="no Content-Type",
    ),
    "deps.token-unknown-revoked": T(
        zh="令牌未知或已撤销",
        en="the token is unknown or revoked",
    ),
    "deps.use-authorization-bearer-token": T(
        zh="请使用 'Authorization: Bearer <token>'",
        en="use 'Authorization: Bearer <token>'",
    ),
    "deps.write-with-session-cookie": T(
        zh="使用会话 Cookie 的写操作须在 {csrf_header} 请求头中携带会话的 CSRF 令牌（页面以 csrf 表单字段携带）",
        en="a write with the session cookie needs the session's CSRF token in the {csrf_header} header (the pages carry it as the csrf form field)",
    ),
    # disclosure
    "disclosure.journal-s-entry-has": T(
        zh="日记账第 #{head_seq} 笔分录的哈希为 {found}，而不是 {period} 结账时记录的链头 {head_hash}；请运行 commons verify",
        en="the journal's entry #{head_seq} has hash {found}, not the chain head {head_hash} recorded when {period} closed; run commons verify",
    ),
    "disclosure.no-closed-period-statements": T(
        zh="{slug} 没有已结账期间 {period!r}：报表只对已结账期间公布",
        en="no closed period {period!r} in {slug}: statements are published only for closed periods",
    ),
    # disclosure_units
    "disclosure_units.no-unit": T(
        zh="{slug} 没有房屋 {unit!r}",
        en="no unit {unit!r} in {slug}",
    ),
    # docs
    "docs.api-documentation-for-members": T(
        zh="API 文档仅供成员查看：请登录或发送 API 令牌（或以 --public-docs 启动服务）",
        en="the API documentation is for members: log in or send an API token (or start the server with --public-docs)",
    ),
    "docs.api-documentation-for-members-2": T(
        zh="API 文档仅供成员查看；{username} 不属于任何小区",
        en="the API documentation is for members; {username} belongs to no community",
    ),
    "docs.no-documentation-asset": T(
        zh="没有文档资源 {name!r}",
        en="no documentation asset {name!r}",
    ),
    # documents
    "documents.document-bytes-over-limit": T(
        zh="文件为 {size} 字节，超过上限 {max_bytes} 字节",
        en="the document is {size} bytes, over the limit of {max_bytes} bytes",
    ),
    "documents.document-empty-bytes": T(
        zh="文件为空（0 字节）",
        en="the document is empty (0 bytes)",
    ),
    "documents.document-pdf-png-jpeg": T(
        zh="按内容判断，该文件不是 PDF、PNG、JPEG 或 WebP 图片{said}；请上传发票、收据或扫描件本身",
        en="the document is not a PDF, PNG, JPEG or WebP image by its content{said}; upload the invoice, receipt or scan itself",
    ),
    "documents.document-s-name-says": T(
        zh="文件名 {name!r} 表明是 {kinds}，但内容是 {kinds_2}",
        en="the document's name {name!r} says {kinds}, but its content is {kinds_2}",
    ),
    "documents.entry-was-rejected-document": T(
        zh="分录 {entry_id} 已被驳回；凭证只能附于已记账或待审批的分录",
        en="entry {entry_id} was rejected; a document backs an entry in the books or waiting for approval",
    ),
    "documents.no-contract-community": T(
        zh="本小区没有合同 {number!r}；请先登记合同（POST .../contracts 或 commons contracts add）",
        en="no contract {number!r} in this community; register the contract first (POST .../contracts or commons contracts add)",
    ),
    "documents.no-document": T(
        zh="没有文件 {value!r}",
        en="no document {value!r}",
    ),
    "documents.no-document-2": T(
        zh="{slug} 中没有文件 {digest}",
        en="no document {digest} in {slug}",
    ),
    "documents.no-entry-community": T(
        zh="本小区没有分录 {entry_id!r}",
        en="no entry {entry_id!r} in this community",
    ),
    "documents.no-resolution-community": T(
        zh="本小区没有决议 {number!r}",
        en="no resolution {number!r} in this community",
    ),
    "documents.pdf-runs-code": T(
        zh="该 PDF 含有可执行代码的动作（{actions}）；请将其打印为普通 PDF（或扫描）后上传",
        en="the PDF carries actions that run code ({actions}); print it to a plain PDF (or scan it) and upload that",
    ),
    # entry
    "entry.approved": T(
        zh="已批准并记账 #{seq}。",
        en="Approved and posted as #{seq}.",
    ),
    "entry.posted": T(
        zh="已记账 #{seq}：{narration}。",
        en="Posted as #{seq}: {narration}.",
    ),
    "entry.rejected": T(
        zh="已驳回，不会记入账簿。",
        en="Rejected; it will never reach the books.",
    ),
    "entry.stored": T(
        zh="已提交，等待另一位委员审批（{id}）。",
        en="Stored; waiting for approval ({id}).",
    ),
    # heads
    "heads.books-do-verify-kept": T(
        zh="{slug} 的账簿校验未通过，而保存的链头会为其作保：{problem}（请运行 commons verify {slug}）",
        en="the books of {slug} do not verify, and a kept head would vouch for them: {problem} (run commons verify {slug})",
    ),
    # http
    "http.bad-request": T(
        zh="请求有误",
        en="Bad Request",
    ),
    "http.conflict": T(
        zh="冲突",
        en="Conflict",
    ),
    "http.forbidden": T(
        zh="无权操作",
        en="Forbidden",
    ),
    "http.not-found": T(
        zh="未找到",
        en="Not Found",
    ),
    "http.too-many-requests": T(
        zh="请求过多",
        en="Too Many Requests",
    ),
    "http.unprocessable-entity": T(
        zh="无法处理",
        en="Unprocessable Entity",
    ),
    # journal
    "journal.account-open-open": T(
        zh="科目 {account} 在 {day} 未开立（开立期间 {open_date} 至 {close_date}）",
        en="account {account} is not open on {day} (open {open_date} to {close_date})",
    ),
    "journal.at-over-approval-threshold": T(
        zh="{amount:.2f} 元达到或超过审批限额 {threshold:.2f} 元，本小区审批此类分录须附凭证（require_document_for_approval）：请用 `commons documents add SLUG FILE --entry {id}` 或 POST .../documents（带 entry）上传发票或收据，然后审批",
        en="{amount:.2f} is at or over the approval threshold {threshold:.2f}, and this community approves such an entry only with a document behind it (require_document_for_approval): upload the invoice or receipt with `commons documents add SLUG FILE --entry {id}` or POST .../documents with entry, then approve",
    ),
    "journal.date-future-today": T(
        zh="日期 {day} 在未来（今天是 {today}）",
        en="date {day} is in the future (today is {today})",
    ),
    "journal.entered-transaction-cannot-also": T(
        zh="{actor} 录入了这笔交易，不能再由其本人审批；须由另一位委员审批（四眼原则）",
        en="{actor} entered this transaction and cannot also approve it; a second committee member must approve (four eyes)",
    ),
    "journal.idempotency-key-was-already": T(
        zh="幂等键 {idempotency_key!r} 已用于另一笔交易（{existing_id}）；新交易请用新键",
        en="idempotency key {idempotency_key!r} was already used for a different transaction ({existing_id}); use a new key for a new transaction",
    ),
    "journal.no-transaction": T(
        zh="{slug} 中没有交易 {entry_id!r}",
        en="no transaction {entry_id!r} in {slug}",
    ),
    "journal.posting-moves-nothing": T(
        zh="金额为 0.00 的分录行没有意义",
        en="a posting of 0.00 moves nothing",
    ),
    "journal.postings-do-balance-they": T(
        zh="借贷不平衡：分录合计 {total} {currency}，而非 0.00",
        en="postings do not balance: they sum to {total} {currency}, not 0.00",
    ),
    "journal.reversal-cannot-itself-reversed": T(
        zh="冲销分录本身不能再冲销；请重新录入原交易",
        en="a reversal cannot itself be reversed; post the original again",
    ),
    "journal.reversal-dated-before-entry": T(
        zh="冲销日期 {day} 早于被冲销的分录（#{seq}，{date}）",
        en="the reversal is dated {day}, before the entry it reverses (#{seq}, {date})",
    ),
    "journal.transaction-has-already-been": T(
        zh="交易 {entry_id} 已被冲销",
        en="transaction {entry_id} has already been reversed",
    ),
    "journal.transaction-only-posted-entries": T(
        zh="交易 {entry_id} 的状态是 {status}；只有已记账的分录可以冲销",
        en="transaction {entry_id} is {status}; only posted entries can be reversed",
    ),
    "journal.transaction-pending": T(
        zh="交易 {entry_id} 的状态是 {status}，不是待审批",
        en="transaction {entry_id} is {status}, not pending",
    ),
    "journal.transaction-was-already-reversed": T(
        zh="交易 {entry_id} 已被 {already} 冲销（{already_2}）",
        en="transaction {entry_id} was already reversed by {already} ({already_2})",
    ),
    "journal.typed-by-hand-comes": T(
        zh="{kind} 不能手工录入：它来自已通过的业主决议及其按户分配表（{allocated}）",
        en="a {kind} is not typed by hand: it comes from a passed resolution with its per-unit schedule ({allocated})",
    ),
    "journal.unknown-account": T(
        zh="未知科目 {account!r}",
        en="unknown account {account!r}",
    ),
    "journal.year-s-closing-entry": T(
        zh="年度结转分录属于其结账，不能冲销",
        en="a year's closing entry belongs to its close; it is not reversed",
    ),
    # manager_share
    "manager_share.cost": T(
        zh="物业服务企业的分成",
        en="the manager's share",
    ),
    "manager_share.income": T(
        zh="共有收益总额（4301）",
        en="gross common income (4301)",
    ),
    "manager_share.title": T(
        zh="物业服务企业分成",
        en="manager's cost share",
    ),
    # middleware
    "middleware.body-too-large": T(
        zh="请求体超过 {limit} 字节",
        en="the request body is larger than {limit} bytes",
    ),
    # money
    "money.amount": T(
        zh="不是金额：{value}",
        en="not an amount: {value}",
    ),
    "money.amount-exceeds-limit-yuan": T(
        zh="金额 {value} 超过上限 {max_amount:,} 元",
        en="amount {value} exceeds the limit of {max_amount:,} yuan",
    ),
    "money.amount-write-ascii-digits": T(
        zh='不是金额：{value}；请用 ASCII 数字书写，最多一个小数点和两位小数，例如 "1234.50" 或 "-80.00"（不要用 "+"、"_"、指数、空格或其他数字）',
        en='not an amount: {value}; write ASCII digits with at most one point and two places, e.g. "1234.50" or "-80.00" (no "+", "_", exponent, spaces or other digits)',
    ),
    "money.amounts-are-decimal-strings": T(
        zh='金额须为小数字符串，如 "1234.50"，不能是浮点数',
        en='amounts are decimal strings such as "1234.50", not floats',
    ),
    "money.at-most-two-decimal": T(
        zh="最多两位小数（分）：{value}",
        en="at most two decimal places (fen): {value}",
    ),
    "money.finite-amount": T(
        zh="不是有限的金额：{value}",
        en="not a finite amount: {value}",
    ),
    "money.has-more-than-two": T(
        zh="{amount} 超过两位小数",
        en="{amount} has more than two decimal places",
    ),
    # notices
    "notices.unknown-format-one": T(
        zh="未知格式 {fmt!r}：须为 {formats} 之一",
        en="unknown format {fmt!r}: one of {formats}",
    ),
    "notices.unknown-language-one": T(
        zh="未知语言 {lang!r}：须为 {langs} 之一",
        en="unknown language {lang!r}: one of {langs}",
    ),
    # objections
    "objections.contact-phone-number-e": T(
        zh="联系方式须为电话号码（如 13800000000）或电子邮箱（如 owner@example.com）",
        en="a contact is a phone number (e.g. 13800000000) or an e-mail address (e.g. owner@example.com)",
    ),
    "objections.has-filed-objections-today": T(
        zh="{who} 今天已提出 {count} 条异议，已达每日上限（{limit}）；请明天再提",
        en="{who} has filed {count} objections today, the most a day allows ({limit}); file again tomorrow",
    ),
    "objections.no-closed-period-objections": T(
        zh="{slug} 没有已结账期间 {period!r}：异议须针对已结账期间的公告提出",
        en="no closed period {period!r} in {slug}: objections are filed under the notice of a closed period",
    ),
    "objections.no-objection": T(
        zh="{slug} 没有第 {objection_id} 号异议",
        en="no objection #{objection_id} in {slug}",
    ),
    "objections.no-unit-objection-filed": T(
        zh="{slug} 没有房屋 {unit!r}：异议须以登记册中的房屋名义提出",
        en="no unit {unit!r} in {slug}: an objection is filed for a unit of the register",
    ),
    "objections.objection-was-answered-by": T(
        zh="第 {objection_id} 号异议已于 {answered_on} 由 {answered_by} 答复；每条异议只答复一次",
        en="objection #{objection_id} was answered on {answered_on} by {answered_by}; an answer is given once",
    ),
    # overdraft
    "overdraft.no-overdraft-would-go": T(
        zh="不得透支：{what} 将低于零：余额 {before} 元，本笔 {change} 元，差额 {shortfall} 元（{source}）",
        en="no overdraft: {what} would go below zero: balance {before}, this transaction {change}, shortfall {shortfall} ({source})",
    ),
    "overdraft.restricted-fund": T(
        zh="限定性净资产",
        en="the restricted fund (限定性净资产)",
    ),
    "overdraft.unrestricted-fund": T(
        zh="非限定性净资产",
        en="the unrestricted fund (非限定性净资产)",
    ),
    # pages
    "pages.cross-site-form": T(
        zh="表单须从本站提交：{why}",
        en="The form must be sent from this site: {why}",
    ),
    "pages.form-expired": T(
        zh="表单已过期或不属于此操作，请刷新重试。",
        en="The form expired or belongs to another action; reload the page and try again.",
    ),
    "pages.limit-account": T(
        zh="此账号",
        en="account",
    ),
    "pages.limit-address": T(
        zh="此地址",
        en="address",
    ),
    "pages.limit-pair": T(
        zh="此账号在此地址",
        en="account and address",
    ),
    "pages.log-in": T(
        zh="请先登录",
        en="Log in first",
    ),
    "pages.login-expired": T(
        zh="登录表单已过期，请重试。",
        en="The login form expired; try again.",
    ),
    "pages.logout-expired": T(
        zh="退出表单已过期，请刷新重试。",
        en="The logout form expired; reload and try again.",
    ),
    "pages.needs-role": T(
        zh="此页面需要角色：{needed}",
        en="This page needs the role: {needed}",
    ),
    "pages.no-asset": T(
        zh="没有资源 {name!r}",
        en="no asset {name!r}",
    ),
    "pages.throttled": T(
        zh="登录失败次数过多（{limit}已失败 {count} 次，每 {minutes} 分钟最多 {allowed} 次），请 {wait} 秒后再试。",
        en="Too many failed logins ({count} for this {limit}, {allowed} allowed per {minutes} minutes); try again in {wait} seconds.",
    ),
    "pages.wrong-password": T(
        zh="用户名或密码不正确。",
        en="Wrong username or password.",
    ),
    # passwords
    "passwords.common-password-with-digits": T(
        zh="这是常见密码（{core!r}）加上数字或符号；请另选",
        en="this is a common password ({core!r}) with digits or signs added; choose another",
    ),
    "passwords.one-most-common-passwords": T(
        zh="这是最常见的密码之一；请另选",
        en="this is one of the most common passwords; choose another",
    ),
    "passwords.password-has-at-least": T(
        zh="密码至少 {min_length} 个字符；此密码只有 {password} 个",
        en="a password has at least {min_length} characters; this one has {password}",
    ),
    "passwords.password-has-at-most": T(
        zh="密码最多 {max_length} 个字符",
        en="a password has at most {max_length} characters",
    ),
    "passwords.password-only-spaces": T(
        zh="密码不能全是空格",
        en="a password is not only spaces",
    ),
    "passwords.password-username": T(
        zh="密码不能与用户名相同",
        en="a password is not the username",
    ),
    # payout
    "payout.no-dividend-under-resolution": T(
        zh="决议 {number} 项下房屋 {unknown} 没有分红",
        en="no dividend under resolution {number} for unit(s) {unknown}",
    ),
    "payout.nothing-owed-under-resolution": T(
        zh="决议 {number} 项下没有应付款项：没有已批准的分红，或已全部支付",
        en="nothing is owed under resolution {number}: no approved dividend, or all paid",
    ),
    "payout.nothing-owed-unit-s": T(
        zh="决议 {number} 项下不欠房屋 {settled} 任何款项（已支付或正在支付）",
        en="nothing is owed to unit(s) {settled} under resolution {number} (paid, or being paid)",
    ),
    # period
    "period.before-end": T(
        zh="早于",
        en="before the end of",
    ),
    "period.before-start": T(
        zh="早于账簿：{what}日期为 {day}，早于账簿开始日 {start}；开始日之前的余额应记入期初分录",
        en="before the books: {what} is dated {day}, before the books start on {start}; balances from before the start belong in the opening entry",
    ),
    "period.inside": T(
        zh="在",
        en="inside",
    ),
    "period.locked": T(
        zh="已结账期间：{what}日期为 {day}，{where}已结账期间 {period}（{start} 至 {end}，结账于第 {head_seq} 笔）；请在未结账期间录入更正分录（{source}）",
        en="closed period: {what} is dated {day}, {where} the closed period {period} ({start} to {end}, closed at seq {head_seq}); post a correction in an open period ({source})",
    ),
    "period.period-use-year-quarter": T(
        zh="不是有效期间：{text!r}；请用年度（2025）、季度（2025Q1）或日期区间（2025-01-01..2025-06-30，开始不晚于结束），自 {year} 年起",
        en="not a period: {text!r}; use a year (2025), a quarter (2025Q1) or a date range (2025-01-01..2025-06-30, start on or before end), from {year} on",
    ),
    "period.the-reversal": T(
        zh="该冲销分录",
        en="the reversal",
    ),
    "period.the-transaction": T(
        zh="该交易",
        en="the transaction",
    ),
    # periods
    "periods.accrual-income-contracts-posts": T(
        zh="收入合同的应计分录记入 {missing}，而科目表在 {end} 未开立该科目",
        en="the accrual of the income contracts posts to {missing}, which the chart does not have open on {end}",
    ),
    "periods.already-closed": T(
        zh="{period} 已结账（{labels}）",
        en="{period} is already closed ({labels})",
    ),
    "periods.cannot-close": T(
        zh="不能结账 {text!r}：{why}",
        en="cannot close {text!r}: {why}",
    ),
    "periods.cannot-close-earlier-period": T(
        zh="不能结账 {label}：此前的期间 {label_2}（{start} 至 {end}）尚未结账；期间须自账簿开始日起依次结账",
        en="cannot close {label}: the earlier period {label_2} ({start} to {end}) is still open; periods close in order from the start of the books",
    ),
    "periods.cannot-close-ends-before": T(
        zh="不能结账 {label}：它于 {end} 结束，早于账簿开始日 {start}",
        en="cannot close {label}: it ends on {end}, before the books start on {start}",
    ),
    "periods.cannot-close-entr-dated": T(
        zh="不能结账 {label}：期间内有待审批的分录 {ids}（entr{value}）；请先审批或驳回",
        en="cannot close {label}: {ids} entr{value} dated in it and pending approval; approve or reject them first",
    ),
    "periods.cannot-close-overlaps-closed": T(
        zh="不能结账 {label}：它与已结账期间 {period}（{start} 至 {end}）重叠",
        en="cannot close {label}: it overlaps the closed period {period} ({start} to {end})",
    ),
    "periods.cannot-close-runs-today": T(
        zh="不能结账 {label}：它截止于 {end}，今天是 {today}；期间结束后次日起方可结账",
        en="cannot close {label}: it runs to {end} and today is {today}; a period can be closed from the day after it ends",
    ),
    "periods.close-quarter-q-year": T(
        zh="请结账一个季度（2025Q1）或一个年度（2025），不能是日期区间",
        en="close a quarter (2025Q1) or a year (2025), not a date range",
    ),
    "periods.community-closes-whole-years": T(
        zh='本小区按整年结账（period = "year"）',
        en='this community closes whole years (period = "year")',
    ),
    # plugin
    "plugin.chain-from": T(
        zh="插件选项 chain-from={value!r} 不是 <seq>:<prev-hash> 格式",
        en="plugin option chain-from={value!r} is not <seq>:<prev-hash>",
    ),
    "plugin.chain-hash": T(
        zh="哈希链在第 {seq} 笔断开：分录文本与其哈希不符（记账后被修改？）",
        en="hash chain broken at seq {seq}: the entry's text does not match its hash (edited after posting?)",
    ),
    "plugin.chain-link": T(
        zh="哈希链在第 {seq} 笔断开：prev-hash 与前一笔分录不衔接",
        en="hash chain broken at seq {seq}: prev-hash does not link to the entry before it",
    ),
    "plugin.chain-resume": T(
        zh="chain-resume {value!r} 不是 <seq>:<prev-hash> 格式",
        en="chain-resume {value!r} is not <seq>:<prev-hash>",
    ),
    "plugin.chain-seq": T(
        zh="哈希链：应为第 {expected} 笔，实际为第 {found} 笔",
        en="hash chain: expected seq {expected}, found {found}",
    ),
    "plugin.custom-not-understood": T(
        zh="无法识别 custom {type!r}（值为 {values!r}）",
        en="custom {type!r} with values {values!r} is not understood",
    ),
    "plugin.rules-file": T(
        zh="规则文件：{problem}",
        en="rules file: {problem}",
    ),
    # prorata
    "prorata.mode-rate-needs-rate": T(
        zh='mode "rate" 需要标准，例如 "9.00"（每平方米或每户的元数）',
        en='mode "rate" needs a rate, e.g. "9.00" (yuan per m² or per unit)',
    ),
    "prorata.mode-total-takes-no": T(
        zh='mode "total" 不能给出标准：总额在分配时给出',
        en='mode "total" takes no rate: the total is given when allocating',
    ),
    "prorata.nothing-split-over-register": T(
        zh="无可分摊对象：房屋登记册为空",
        en="nothing to split over: the register is empty",
    ),
    "prorata.rate": T(
        zh="不是有效标准：{value!r}",
        en="not a rate: {value!r}",
    ),
    "prorata.rate-decimal-string-such": T(
        zh='标准须为小数字符串，如 "9.00"，不能是浮点数',
        en='a rate is a decimal string such as "9.00", not a float',
    ),
    "prorata.rate-has-at-most": T(
        zh="标准最多四位小数：{value!r}",
        en="a rate has at most four decimal places: {value!r}",
    ),
    "prorata.rate-mode-takes-no": T(
        zh="按标准分配（rate）时不能给出总额",
        en="rate mode takes no total",
    ),
    "prorata.rate-positive-at-most": T(
        zh="标准须为正数且不超过 {max_rate}：{value!r}",
        en="a rate is positive and at most {max_rate}: {value!r}",
    ),
    "prorata.total-fen-whole-number": T(
        zh="总额 {total_fen} 分不是 {step_fen} 分的整数倍",
        en="the total {total_fen} fen is not a whole number of {step_fen}-fen steps",
    ),
    "prorata.total-mode-needs-total": T(
        zh="按总额分摊（total）需要给出总额",
        en="total mode needs a total",
    ),
    # reserve
    "reserve.at_least": T(
        zh="不少于",
        en="at least",
    ),
    "reserve.more_than": T(
        zh="超过",
        en="more than",
    ),
    "reserve.reserve-for-maintenance-fund": T(
        zh="提取维修资金：{period} 须将共有净收益 {net_income} 元的{words} {share}（{required} 元）转入维修资金{condition}；已转入 {set_aside} 元，差额 {shortfall} 元（{source}）",
        en="reserve for the maintenance fund: {period} must set aside {words} {share} of its net common income {net_income} ({required}){condition}; set aside {set_aside}, shortfall {shortfall} ({source})",
    ),
    "reserve.while-fund-below": T(
        zh="（维修资金余额 {balance} 元低于 {floor} 元时）",
        en=" while the fund ({balance}) is under {floor}",
    ),
    # resolution_register
    "resolution_register.allocation-setting-for-dividend": T(
        zh="分配设置只用于分红或补贴：用途须包含 dividend 或 subsidy",
        en="an allocation setting is for a dividend or a subsidy: the purpose must include dividend or subsidy",
    ),
    "resolution_register.budget-allows-no-spending": T(
        zh="预算为 0.00 则不允许任何支出，但用途为 {purpose}：请填写业主表决通过的金额，或对不涉及支出的决定将用途留空",
        en="a budget of 0.00 allows no spending, yet the purpose is {purpose}: give the amount the owners voted, or leave the purpose empty for a decision that spends nothing",
    ),
    "resolution_register.budget-cannot-negative": T(
        zh="预算不能为负数",
        en="the budget cannot be negative",
    ),
    "resolution_register.effective-from-before-voted": T(
        zh="effective_from 早于 voted_on",
        en="effective_from is before voted_on",
    ),
    "resolution_register.expires-before-effective-from": T(
        zh="expires_on 早于 effective_from",
        en="expires_on is before effective_from",
    ),
    "resolution_register.must-blank": T(
        zh="不能为空",
        en="must not be blank",
    ),
    "resolution_register.no-resolution": T(
        zh="{slug} 中没有决议 {number!r}",
        en="no resolution {number!r} in {slug}",
    ),
    "resolution_register.purpose-neither-kind-nor": T(
        zh="用途 {item!r} 既不是类别（{purpose_kinds}），也不是科目表中的科目",
        en="purpose {item!r} is neither a kind ({purpose_kinds}) nor an account of the chart",
    ),
    "resolution_register.resolution-already-exists-resolution": T(
        zh="决议 {number} 在 {slug} 中已存在；每项决议只录入一次（重新表决是带新编号的新决议）",
        en="resolution {number} already exists in {slug}; a resolution is entered once (a new vote is a new resolution with its own number)",
    ),
    "resolution_register.unit-register-empty-import": T(
        zh="{slug} 的房屋登记册为空：录入决议前请先导入（commons units import）；{source} 依据登记册计算面积和人数",
        en="the unit register of {slug} is empty: import it (commons units import) before entering resolutions; {source} counts areas and owners from it",
    ),
    "resolution_register.voted-future-today": T(
        zh="表决日期 {voted_on} 在未来（今天是 {today}）",
        en="voted_on {voted_on} is in the future (today is {today})",
    ),
    # resolution_required
    "resolution_required.cites-none": T(
        zh="{reason}，而本笔未引用任何决议",
        en="{reason}; this one cites none",
    ),
    "resolution_required.fund-always": T(
        zh="从维修资金支出 {amount} 元一律须经业主决议",
        en="spending {amount} from the maintenance fund always needs an owners' resolution",
    ),
    "resolution_required.kind-always": T(
        zh="{kind} 一律须经业主决议",
        en="a {kind} always needs an owners' resolution",
    ),
    "resolution_required.kind-always-an": T(
        zh="{kind} 一律须经业主决议",
        en="an {kind} always needs an owners' resolution",
    ),
    "resolution_required.no-such-resolution": T(
        zh="该交易引用的决议 {number!r} 不存在",
        en="the transaction cites resolution {number!r}, which does not exist",
    ),
    "resolution_required.not-in-effect": T(
        zh="决议 {number} 的有效期为 {start} 至 {until}，不包括 {date}",
        en="resolution {number} is in effect from {start} to {until}, not on {date}",
    ),
    "resolution_required.not-passed": T(
        zh="决议 {number}（{title}）未获业主表决通过",
        en="resolution {number} ({title}) did not pass the owners' vote",
    ),
    "resolution_required.over-budget": T(
        zh="决议 {number} 的预算为 {budget} 元：此前已支出 {before} 元，本笔 {amount} 元，合计 {total} 元，超出 {excess} 元",
        en="resolution {number} has a budget of {budget}: spent {before} before, this transaction {amount}, total {total} exceeds it by {excess}",
    ),
    "resolution_required.over-threshold": T(
        zh="支出 {amount} 元达到或超过须经决议的限额 {threshold} 元",
        en="spending of {amount} is at or over the resolution threshold {threshold}",
    ),
    "resolution_required.purpose": T(
        zh="决议 {number} 可支付 {purpose}；不包括借记 {debited} 的 {kind}",
        en="resolution {number} may pay {purpose}; not a {kind} debiting {debited}",
    ),
    "resolution_required.resolution-required": T(
        zh="须经业主决议：{text}（{source}）",
        en="resolution required: {text} ({source})",
    ),
    # routes_entry
    "routes_entry.choose-kind-from-list": T(
        zh="请从列表中选择类别",
        en="choose a kind from the list",
    ),
    "routes_entry.debit-credit-are-same": T(
        zh="借方与贷方是同一科目；不会有任何变动",
        en="debit and credit are the same account; nothing would move",
    ),
    "routes_entry.enter-amount-without-sign": T(
        zh="请输入不带正负号的金额；页面会自动确定方向",
        en="enter the amount without a sign; the page derives it",
    ),
    "routes_entry.reason-was-refused": T(
        zh="驳回理由无效：{exc}",
        en="The reason was refused: {exc}",
    ),
    "routes_entry.rejection-needs-reason": T(
        zh="驳回需要理由。",
        en="A rejection needs a reason.",
    ),
    # routes_public
    "routes_public.send-objection-as-application": T(
        zh="请以 application/json 或 {form_type} 提交异议，而不是 {media}",
        en="send the objection as application/json or {form_type}, not {media}",
    ),
    # routes_rules
    "routes_rules.rules-file-utf-text": T(
        zh="规则文件不是 UTF-8 文本：{exc}",
        en="the rules file is not UTF-8 text: {exc}",
    ),
    # routes_transactions
    "routes_transactions.idempotency-key-header-body": T(
        zh="Idempotency-Key 请求头与请求体中的 idempotency_key 不一致；请只发送一个",
        en="the Idempotency-Key header and the body's idempotency_key differ; send one",
    ),
    "routes_transactions.paging-cursor-one-server": T(
        zh="分页游标不是本服务签发的；请去掉它重新开始",
        en="the paging cursor is not one this server issued; start again without it",
    ),
    # rules_store
    "rules_store.books-from-before-rules": T(
        zh="{exc}（规则存入数据库之前的账簿在首次使用时导入 {path}：请修正该文件，或删除它以使用默认值）",
        en="{exc} (books from before the rules were kept in the database import {path} on first use: fix it, or remove it to start from the defaults)",
    ),
    "rules_store.version-effective-changes-force": T(
        zh="{rules_file} [[version]] #{index}（生效日 {effective}）更改了 {day} 有效的 {keys}，该日在已结账期间 {period}（{start} 至 {end}）结束之前或当天；已结账期间的规则不能更改：请改为新增一个自 {allowed} 或之后生效的 [[version]]",
        en="{rules_file} [[version]] #{index} (effective {effective}) changes {keys} in force on {day}, on or before the end of the closed period {period} ({start} to {end}); the rules of a closed period cannot change: add a [[version]] effective from {allowed} or later instead",
    ),
    # schemas
    "schemas.at-least-character-s": T(
        zh="至少 {min_length} 个字符",
        en="at least {min_length} character(s)",
    ),
    "schemas.at-most-characters-got": T(
        zh="最多 {max_length} 个字符（实际 {value} 个）",
        en="at most {max_length} characters (got {value})",
    ),
    "schemas.at-most-lines": T(
        zh="最多 20 行",
        en="at most 20 lines",
    ),
    "schemas.contains-control-character-u": T(
        zh="含有控制字符 U+{code:04X}；账簿只保存纯文本",
        en="contains the control character U+{code:04X}; books keep plain text",
    ),
    "schemas.date-written-yyyy-mm": T(
        zh="日期写作 YYYY-MM-DD，例如 2025-03-31（实际为 {shown}）",
        en="a date is written YYYY-MM-DD, e.g. 2025-03-31 (got {shown})",
    ),
    "schemas.day-calendar": T(
        zh="{value!r} 不是日历上的日期",
        en="{value!r} is not a day of the calendar",
    ),
    "schemas.must-string": T(
        zh="须为字符串",
        en="must be a string",
    ),
    "schemas.unit-code": T(
        zh="房屋编号 {value!r}：{exc}",
        en="unit code {value!r}: {exc}",
    ),
    "schemas.unit-code-must-start": T(
        zh="房屋编号 {text!r} 须以字母或数字开头，例如 1-1-0101",
        en="unit code {text!r} must start with a letter or a digit, e.g. 1-1-0101",
    ),
    "schemas.unit-code-text-such": T(
        zh="房屋编号须为文本，如 '1-1-0101'，而不是 {type}",
        en="a unit code is text such as '1-1-0101', not {type}",
    ),
    "schemas.unit-code-u-allowed": T(
        zh="房屋编号 {text!r}：不允许使用 {ch!r}（U+{code:04X}）；请用字母、数字、'-'、'_' 和 '.'，例如 1-1-0101",
        en="unit code {text!r}: {ch!r} (U+{code:04X}) is not allowed; use letters, digits, '-', '_' and '.', e.g. 1-1-0101",
    ),
    # sessions
    "sessions.cross-site": T(
        zh="浏览器的写操作须来自本站（{own}）；此请求带有{what}",
        en="a browser's write must come from this site ({own}); this request has {what}",
    ),
    "sessions.no-origin": T(
        zh="没有 Origin 或 Referer 请求头",
        en="no Origin or Referer header",
    ),
    "sessions.the-origin": T(
        zh="来源 {origin}",
        en="the origin {origin}",
    ),
    # shares
    "shares.would-more-than-limit": T(
        zh="{title}：{year} 年{cost_name}将为 {actual} 元，超过{income_name} {income} 元的 {share}（上限 {cap} 元，超出 {excess} 元）（{source}）",
        en="{title}: {cost_name} in {year} would be {actual}, more than {share} of {income} {income_name} (limit {cap}, excess {excess}) ({source})",
    ),
    # source
    "source.approval_threshold": T(
        zh="业委会议事规则（四眼原则）",
        en="the committee's rules of procedure (four eyes)",
    ),
    "source.approval_window_days": T(
        zh="业委会议事规则（四眼原则：不得拆分）",
        en="the committee's rules of procedure (four eyes: no splitting)",
    ),
    "source.budget_tolerance": T(
        zh="业主大会通过的年度预算（《民法典》第二百七十八条第一款第（九）项）；业委会议事规则",
        en="the annual budget adopted by the owners' assembly (民法典 art. 278 (九)); the committee's rules of procedure",
    ),
    "source.civil_defence_owned": T(
        zh="《人民防空法》第五条（人防工程收益归投资人所有）",
        en="人民防空法 art. 5 (人防 income belongs to the investor)",
    ),
    "source.committee_share_max": T(
        zh="业主大会关于工作经费的决定（小区自定；《民法典》第二百七十八条第一款第（九）项）",
        en="the owners' assembly's decision on working expenses (a community choice; 民法典 art. 278 (九))",
    ),
    "source.contracts": T(
        zh="《民法典》第二百七十八条第一款第（八）项",
        en="民法典 art. 278 (八)",
    ),
    "source.disclosure_days": T(
        zh="《上海市住宅物业管理规定》第六十七条（公示 30 日）",
        en="Shanghai 住宅物业管理规定 art. 67 (posted 30 days)",
    ),
    "source.fund": T(
        zh="《民法典》第二百七十八条第一款第（五）项、第二百八十一条",
        en="民法典 art. 278 (五), 281",
    ),
    "source.kinds": T(
        zh="《民法典》第二百七十八条第一款第（九）项、第二百八十三条",
        en="民法典 art. 278 (九), 283",
    ),
    "source.locked": T(
        zh="《上海市住宅物业管理规定》第六十六条（已公布的期间保持公布时的内容）",
        en="Shanghai 住宅物业管理规定 art. 66 (disclosed periods stay as disclosed)",
    ),
    "source.maintenance_fund_floor_share": T(
        zh="《北京市物业管理条例》第七十四条（低于首期金额的 30%）",
        en="Beijing 物业管理条例 art. 74 (under 30% of the initial amount)",
    ),
    "source.maintenance_fund_initial": T(
        zh="专项维修资金的首期金额（《北京市物业管理条例》第七十四条）",
        en="the special maintenance fund's initial amount (Beijing 物业管理条例 art. 74)",
    ),
    "source.manager_share_max": T(
        zh="《民法典》第二百八十二条；厦门市规定物业服务企业分成不超过 30%",
        en="民法典 art. 282; Xiamen caps the manager's share at 30%",
    ),
    "source.objection_answer_days": T(
        zh="业委会议事规则（业主对公告的异议须书面答复）",
        en="the committee's rules of procedure (owners' objections to a notice are answered in writing)",
    ),
    "source.objection_contact_days": T(
        zh="《个人信息保护法》第十九条（个人信息保存期限为实现处理目的所必要的最短时间）",
        en="个人信息保护法 art. 19 (personal information kept no longer than its purpose needs)",
    ),
    "source.overdraft": T(
        zh="《民法典》第二百八十三条；《民间非营利组织会计制度》",
        en="民法典 art. 283; 民间非营利组织会计制度",
    ),
    "source.period": T(
        zh="《北京市物业管理条例》第八十四条、《上海市住宅物业管理规定》第六十六条（按季度）",
        en="Beijing 物业管理条例 art. 84, Shanghai 住宅物业管理规定 art. 66 (quarterly)",
    ),
    "source.reconcile_before_close": T(
        zh="沪房规范〔2025〕9号（审计确认无账外资金）；《会计档案管理办法》（银行对账单和余额调节表须保存）",
        en="沪房规范〔2025〕9号 (the auditor confirms there is no off-book money); 会计档案管理办法 (bank statements and reconciliations are kept)",
    ),
    "source.require_document_for_approval": T(
        zh="业委会议事规则（每笔大额支出须有发票或收据）",
        en="the committee's rules of procedure (an invoice or receipt behind every large payment)",
    ),
    "source.restricted_basis": T(
        zh="《民间非营利组织会计制度》第十六条（限制只能来自资源提供者或法律法规；自行指定用途的储备仍属非限定性）",
        en="民间非营利组织会计制度 art. 16 (a restriction comes from the resources' providers or from a law or regulation; a self-designated reserve stays unrestricted)",
    ),
    "source.restricted_source": T(
        zh="《民间非营利组织会计制度》第十六条；在会计报表附注中披露",
        en="民间非营利组织会计制度 art. 16; disclosed in the notes (附注)",
    ),
    "source.reserve-beijing": T(
        zh="《北京市物业管理条例》第七十四条",
        en="Beijing 物业管理条例 art. 74",
    ),
    "source.reserve-fund-below": T(
        zh="维修资金低于下限时：《北京市物业管理条例》第七十四条",
        en="fund_below: Beijing 物业管理条例 art. 74",
    ),
    "source.reserve-shanghai": T(
        zh="《上海市住宅物业管理规定》第五十一条",
        en="Shanghai 住宅物业管理规定 art. 51",
    ),
    "source.reserve_comparison": T(
        zh="more_than：《上海市住宅物业管理规定》第五十一条；at_least：《北京市物业管理条例》第七十四条",
        en="more_than: Shanghai 住宅物业管理规定 art. 51; at_least: Beijing 物业管理条例 art. 74",
    ),
    "source.reserve_condition": T(
        zh="always：《上海市住宅物业管理规定》第五十一条；fund_below：《北京市物业管理条例》第七十四条",
        en="always: Shanghai 住宅物业管理规定 art. 51; fund_below: Beijing 物业管理条例 art. 74",
    ),
    "source.reserve_share_min": T(
        zh="《上海市住宅物业管理规定》第五十一条（每季度超过 50%）；《北京市物业管理条例》第七十四条（不少于 50%）",
        en="Shanghai 住宅物业管理规定 art. 51 (more than 50% each quarter); Beijing 物业管理条例 art. 74 (at least 50%)",
    ),
    "source.resolution_threshold": T(
        zh="《民法典》第二百七十八条第一款第（九）项及业委会议事规则",
        en="民法典 art. 278 (九) and the committee's rules of procedure",
    ),
    "source.vote": T(
        zh="《民法典》第二百七十八条",
        en="民法典 art. 278",
    ),
    # units
    "units.area-exceeds-m": T(
        zh="面积 {value} 超过 {max_area} 平方米",
        en="area {value} exceeds {max_area} m²",
    ),
    "units.area-has-more-than": T(
        zh="面积 {value} 超过两位小数",
        en="area {value} has more than two decimal places",
    ),
    "units.area-must-decimal-string": T(
        zh="面积须为小数字符串，如 '89.30'，而不是 {value}",
        en="area must be a decimal string such as '89.30', not {value}",
    ),
    "units.area-must-positive-got": T(
        zh="面积须为正数（实际为 {value}）",
        en="area must be positive (got {value})",
    ),
    "units.area-number": T(
        zh="面积 {value} 不是数字",
        en="area {value} is not a number",
    ),
    "units.at-most-units-per": T(
        zh="每次最多导入 {max_units} 户",
        en="at most {max_units} units per import",
    ),
    "units.developer-unsold-must-true": T(
        zh="developer_unsold 须为 true 或 false（实际为 {value!r}）",
        en="developer_unsold must be true or false (got {value!r})",
    ),
    "units.expected-fields-found": T(
        zh="应有 {columns} 个字段，实际 {values} 个",
        en="expected {columns} fields, found {values}",
    ),
    "units.line-header-must-developer": T(
        zh="{name} 第 1 行：表头须为 {header}（developer_unsold 可省略），而不是 {columns}",
        en="{name} line 1: the header must be {header} (developer_unsold may be left out), not {columns}",
    ),
    "units.must-object": T(
        zh="须为对象 {{unit, owner, area}}",
        en="must be an object {{unit, owner, area}}",
    ),
    "units.no-units-import": T(
        zh="没有要导入的房屋",
        en="no units to import",
    ),
    "units.owner-id": T(
        zh="业主编号：{exc}",
        en="owner id: {exc}",
    ),
    "units.owner-id-missing": T(
        zh="缺少业主编号",
        en="the owner id is missing",
    ),
    "units.unit-already-register-import": T(
        zh="房屋 {code} 已在 {slug} 的登记册中；导入只能新增房屋",
        en="unit {code} is already in the register of {slug}; an import only adds units",
    ),
    "units.unit-appears-twice-first": T(
        zh="房屋 {unit} 出现两次（首次在 {first_seen}）",
        en="unit {unit} appears twice (first at {first_seen})",
    ),
    "units.unknown-field-s": T(
        zh="未知字段 {extra}",
        en="unknown field(s) {extra}",
    ),
    "units.utf-text": T(
        zh="{name} 不是 UTF-8 文本：{exc}",
        en="{name} is not UTF-8 text: {exc}",
    ),
    "units.valid-csv": T(
        zh="不是有效的 CSV：{exc}",
        en="not valid CSV: {exc}",
    ),
    # users
    "users.does-hold-role-holds": T(
        zh="{username} 在 {slug} 中不担任 {value} 角色（担任 {roles}）",
        en="{username} does not hold the role {value} in {slug} (holds {roles} there)",
    ),
    "users.holds-no-role-so": T(
        zh="{username} 在 {slug} 中没有角色，因此 {slug} 的令牌打不开任何东西",
        en="{username} holds no role in {slug}, so a token for {slug} would open nothing",
    ),
    "users.no-user": T(
        zh="没有用户 {username!r}",
        en="no user {username!r}",
    ),
    "users.username-characters-without-spaces": T(
        zh="用户名为 1 至 100 个字符，不含空格",
        en="a username is 1 to 100 characters without spaces",
    ),
    # validation
    "validation.body": T(
        zh="请求体",
        en="the body",
    ),
    "validation.bool": T(
        zh="{field} 须为 true 或 false",
        en="{field} must be true or false",
    ),
    "validation.choice": T(
        zh="{field} 须为 {expected} 之一",
        en="{field} must be one of {expected}",
    ),
    "validation.date": T(
        zh="{field} 须为日期，如 2025-03-31",
        en="{field} must be a date such as 2025-03-31",
    ),
    "validation.datetime": T(
        zh="{field} 须为日期时间，如 2025-03-31T09:00:00+08:00",
        en="{field} must be a date and time such as 2025-03-31T09:00:00+08:00",
    ),
    "validation.decimal-digits": T(
        zh="{field} 最多 {max_digits} 位数字",
        en="{field} has at most {max_digits} digits",
    ),
    "validation.decimal-places": T(
        zh="{field} 最多 {decimal_places} 位小数",
        en="{field} has at most {decimal_places} decimal places",
    ),
    "validation.decimal-whole": T(
        zh="{field} 的整数部分最多 {whole_digits} 位",
        en="{field} has at most {whole_digits} digits before the point",
    ),
    "validation.extra": T(
        zh="{field} 不是可接受的字段",
        en="{field} is not a field this accepts",
    ),
    "validation.ge": T(
        zh="{field} 须大于或等于 {ge}",
        en="{field} must be at least {ge}",
    ),
    "validation.gt": T(
        zh="{field} 须大于 {gt}",
        en="{field} must be greater than {gt}",
    ),
    "validation.int": T(
        zh="{field} 须为整数",
        en="{field} must be a whole number",
    ),
    "validation.json": T(
        zh="请求体不是有效的 JSON：{error}",
        en="the body is not valid JSON: {error}",
    ),
    "validation.json-type": T(
        zh="{field} 须为 JSON",
        en="{field} must be JSON",
    ),
    "validation.le": T(
        zh="{field} 须小于或等于 {le}",
        en="{field} must be at most {le}",
    ),
    "validation.list": T(
        zh="{field} 须为列表",
        en="{field} must be a list",
    ),
    "validation.list-long": T(
        zh="{field} 最多 {max_length} 项",
        en="{field} has at most {max_length} items",
    ),
    "validation.list-short": T(
        zh="{field} 至少 {min_length} 项",
        en="{field} has at least {min_length} item(s)",
    ),
    "validation.lt": T(
        zh="{field} 须小于 {lt}",
        en="{field} must be less than {lt}",
    ),
    "validation.missing": T(
        zh="缺少必填字段 {field}",
        en="{field} is required but missing",
    ),
    "validation.number": T(
        zh="{field} 须为数字",
        en="{field} must be a number",
    ),
    "validation.object": T(
        zh="{field} 须为对象",
        en="{field} must be an object",
    ),
    "validation.pattern": T(
        zh="{field} 格式不符（{pattern}）",
        en="{field} does not match the pattern {pattern}",
    ),
    "validation.string": T(
        zh="{field} 须为字符串",
        en="{field} must be a string",
    ),
    "validation.string-long": T(
        zh="{field} 最多 {max_length} 个字符",
        en="{field} has at most {max_length} characters",
    ),
    "validation.string-short": T(
        zh="{field} 至少 {min_length} 个字符",
        en="{field} has at least {min_length} character(s)",
    ),
    "validation.value": T(
        zh="{field}：{text}",
        en="{field}: {text}",
    ),
    # verify
    "verify.beancount": T(
        zh="beancount：第 {lineno} 行：{message}",
        en="beancount: line {lineno}: {message}",
    ),
    "verify.beyond-head": T(
        zh="第 {seq} 笔（分录 {entry_id}）：已记账，但在小区链头（第 {head_seq} 笔）之后：链头被回拨",
        en="seq {seq} (entry {entry_id}): posted, but beyond the community's head (seq {head_seq}): the head was moved back",
    ),
    "verify.close-differs": T(
        zh="投影：{period} 结账与数据库不一致（投影 ≠ 数据库）：{differences}",
        en="projection: close {period} differs from the database (projection ≠ database): {differences}",
    ),
    "verify.close-event": T(
        zh="审计记录第 {seq} 条（{period} 结账）",
        en="event seq {seq} (close of {period})",
    ),
    "verify.close-extra": T(
        zh="投影：{period} 结账不在数据库中",
        en="projection: close {period} is not in the database",
    ),
    "verify.close-missing": T(
        zh="投影：缺少 {period} 结账",
        en="projection: close {period} is missing",
    ),
    "verify.close-of": T(
        zh="{period} 结账",
        en="close of {period}",
    ),
    "verify.community-head": T(
        zh="小区记录的链头为第 {head_seq} 笔，日记账止于第 {entries} 笔",
        en="community head says seq {head_seq}, the journal ends at {entries}",
    ),
    "verify.entry-no-event": T(
        zh="第 {seq} 笔（分录 {entry_id}）：审计记录中没有记录其记账",
        en="seq {seq} (entry {entry_id}): no event of the audit trail records it being posted",
    ),
    "verify.event": T(
        zh="审计记录第 {seq} 条（{action} {object_type} {object_id}）",
        en="event seq {seq} ({action} {object_type} {object_id})",
    ),
    "verify.event-export-head": T(
        zh="{event}：其导出的链头（{head}）不在日记账中：日记账此后被改写或截短",
        en="{event}: the chain head it exported ({head}) is not in the journal: the journal was rewritten or cut short since",
    ),
    "verify.event-hash": T(
        zh="{event}：哈希与其文本不符（写入后被修改）",
        en="{event}: hash does not match its text (edited after it was written)",
    ),
    "verify.event-head": T(
        zh="小区记录的审计链头为第 {event_seq} 条，审计记录止于第 {events} 条",
        en="the community's event head says seq {event_seq}, the audit trail ends at seq {events}",
    ),
    "verify.event-link": T(
        zh="{event}：prev_hash 与审计记录第 {previous} 条不衔接",
        en="{event}: prev_hash does not link to event seq {previous}",
    ),
    "verify.event-missing": T(
        zh="审计记录第 {expected} 条：审计记录中缺失（被删除；下一条为第 {found} 条）",
        en="event seq {expected}: missing from the audit trail (deleted; the next is seq {found})",
    ),
    "verify.event-no-entry": T(
        zh="{event}：记录了第 {seq} 笔分录，但日记账中没有（日记账止于第 {entries} 笔）",
        en="{event}: records entry seq {seq}, which the journal does not hold (the journal ends at seq {entries})",
    ),
    "verify.event-other-entry": T(
        zh="{event}：记录的第 {seq} 笔是分录 {entry_id}",
        en="{event}: records seq {seq}, which is entry {entry_id}",
    ),
    "verify.event-unchained": T(
        zh="审计记录 id {id}（{action} {object_type} {object_id}）：不在审计记录链中（在链外写入）",
        en="event id {id} ({action} {object_type} {object_id}): not in the audit trail's chain (written outside it)",
    ),
    "verify.head-beyond": T(
        zh="链头第 {seq} 笔（{hash}），但日记账止于第 {end} 笔：日记账被截短（第 {end} 笔之后的分录被删除）",
        en="chain head seq {seq} ({hash}), but the journal ends at seq {end}: the journal was cut short (entries after seq {end} deleted)",
    ),
    "verify.head-missing": T(
        zh="链头第 {seq} 笔：日记账中没有第 {seq} 笔分录",
        en="chain head seq {seq}: the journal has no entry at seq {seq}",
    ),
    "verify.head-rewritten": T(
        zh="日记账第 {seq} 笔的哈希为 {found}，而非记录的 {hash}：日记账截至第 {seq} 笔已被改写",
        en="the journal's entry at seq {seq} has hash {found}, not {hash} as recorded: the journal up to seq {seq} was rewritten",
    ),
    "verify.ok": T(
        zh="{slug}：通过，{entries} 笔分录，链头 {head}，审计记录链中 {events} 条记录，投影与日记账一致，beancount 加载无错误",
        en="{slug}: OK, {entries} entries, chain head {head}, {events} events in the audit trail's chain, projection matches the journal, beancount loads it with no errors",
    ),
    "verify.ok-with-heads": T(
        zh="{slug}：通过，{entries} 笔分录，链头 {head}，经过 {heads} 个记录的链头，审计记录链中 {events} 条记录，投影与日记账一致，beancount 加载无错误",
        en="{slug}: OK, {entries} entries, chain head {head}, passes through {heads} recorded head(s), {events} events in the audit trail's chain, projection matches the journal, beancount loads it with no errors",
    ),
    "verify.problem-count": T(
        zh="{what}：{count} 个问题",
        en="{what}: {count} problem(s)",
    ),
    "verify.projection": T(
        zh="投影：{problem}",
        en="projection: {problem}",
    ),
    "verify.projection-line": T(
        zh="投影第 {lineno} 行：{message}",
        en="projection line {lineno}: {message}",
    ),
    "verify.projection-missing": T(
        zh="投影 {path} 不存在（请运行：commons rebuild {slug}）",
        en="projection {path} is missing (run: commons rebuild {slug})",
    ),
    "verify.projection-part-missing": T(
        zh="投影 {name} 不存在",
        en="projection {name} is missing",
    ),
    "verify.projection-seq-differs": T(
        zh="投影：第 {seq} 笔与日记账不一致",
        en="projection: seq {seq} differs from the journal",
    ),
    "verify.projection-seq-extra": T(
        zh="投影：第 {seq} 笔不在日记账中",
        en="projection: seq {seq} is not in the journal",
    ),
    "verify.projection-seq-missing": T(
        zh="投影：缺少第 {seq} 笔",
        en="projection: seq {seq} is missing",
    ),
    "verify.projection-seq-twice": T(
        zh="投影：第 {seq} 笔出现两次",
        en="projection: seq {seq} appears twice",
    ),
    "verify.resolution-differs": T(
        zh="投影：决议 {number} 与数据库不一致（投影 ≠ 数据库）：{differences}",
        en="projection: resolution {number} differs from the database (projection ≠ database): {differences}",
    ),
    "verify.resolution-extra": T(
        zh="投影：决议 {number} 不在数据库中",
        en="projection: resolution {number} is not in the database",
    ),
    "verify.resolution-missing": T(
        zh="投影：缺少决议 {number}",
        en="projection: resolution {number} is missing",
    ),
    "verify.rows-differ": T(
        zh="第 {seq} 笔（分录 {entry_id}）：数据行（分录行、字段）与记账时计算哈希的文本不一致",
        en="seq {seq} (entry {entry_id}): the rows (postings, fields) differ from the text that was hashed when it was posted",
    ),
    "verify.rules": T(
        zh="规则：第 {seq} 笔（{date}）：{violation}",
        en="rules: seq {seq} ({date}): {violation}",
    ),
    "verify.rules-file": T(
        zh="规则文件 {path}：{problem}",
        en="rules file {path}: {problem}",
    ),
    "verify.seq-hash": T(
        zh="第 {seq} 笔（分录 {entry_id}）：哈希与其文本不符",
        en="seq {seq} (entry {entry_id}): hash does not match its text",
    ),
    "verify.seq-link": T(
        zh="第 {seq} 笔：prev-hash 与第 {previous} 笔不衔接",
        en="seq {seq}: prev-hash does not link to seq {previous}",
    ),
    "verify.seq-missing": T(
        zh="第 {expected} 笔：日记账中缺失（下一笔为第 {found} 笔）",
        en="seq {expected}: missing from the journal (next is {found})",
    ),
    # verify_export
    "verify_export.bean-check": T(
        zh="{name}：bean-check：第 {lineno} 行：{message}",
        en="{name}: bean-check: line {lineno}: {message}",
    ),
    "verify_export.cell-blank": T(
        zh="（空）",
        en="(blank)",
    ),
    "verify_export.cell-none": T(
        zh="（无）",
        en="(none)",
    ),
    "verify_export.chain-end": T(
        zh="{name}：哈希链止于第 {seq} 笔，链头 {head}；清单记载为第 {manifest_seq} 笔，链头 {manifest_head}",
        en="{name}: the chain ends at seq {seq} with head {head}, the manifest says seq {manifest_seq} with head {manifest_head}",
    ),
    "verify_export.chain-hash": T(
        zh="{name}：第 {seq} 笔：分录与其哈希不符（被修改？）",
        en="{name}: seq {seq}: the entry does not match its hash (edited?)",
    ),
    "verify_export.chain-link": T(
        zh="{name}：第 {seq} 笔：prev-hash 与前一笔分录不衔接",
        en="{name}: seq {seq}: prev-hash does not link to the entry before it",
    ),
    "verify_export.chain-seq": T(
        zh="{name}：应为第 {expected} 笔，实际为第 {found} 笔",
        en="{name}: expected seq {expected}, found {found}",
    ),
    "verify_export.chain-unexpected": T(
        zh="{name}：含有清单未预期的链上分录",
        en="{name}: holds chained entries the manifest does not expect",
    ),
    "verify_export.file-missing": T(
        zh="{name}：审计包中缺失",
        en="{name}: missing from the package",
    ),
    "verify_export.from-seq": T(
        zh="{name}：chain.from_seq {seq} 不是序号",
        en="{name}: chain.from_seq {seq} is not a sequence number",
    ),
    "verify_export.journal-date-hash": T(
        zh="journal.csv：第 {seq} 笔：日期或哈希与 {ledger} 不一致",
        en="journal.csv: seq {seq}: date or hash differs from {ledger}",
    ),
    "verify_export.journal-extra": T(
        zh="journal.csv：第 {seq} 笔不在 {ledger} 的这段哈希链中",
        en="journal.csv: seq {seq} is not in {ledger}'s stretch of the chain",
    ),
    "verify_export.journal-missing": T(
        zh="journal.csv：缺少 {ledger} 的第 {seq} 笔",
        en="journal.csv: seq {seq} of {ledger} is missing",
    ),
    "verify_export.journal-postings": T(
        zh="journal.csv：第 {seq} 笔：分录行与 {ledger} 不一致",
        en="journal.csv: seq {seq}: the postings differ from {ledger}",
    ),
    "verify_export.journal-text": T(
        zh="journal.csv：第 {seq} 笔：付款方、摘要、决议或凭证与 {ledger} 不一致",
        en="journal.csv: seq {seq}: payee, narration, resolution or documents differ from {ledger}",
    ),
    "verify_export.line": T(
        zh="{name}：第 {lineno} 行：{message}",
        en="{name}: line {lineno}: {message}",
    ),
    "verify_export.listed-missing": T(
        zh="{name}：清单中列出，但审计包中缺失",
        en="{name}: listed in the manifest but missing from the package",
    ),
    "verify_export.manifest-changed": T(
        zh="{name}：导出后被修改（其 {self_hash} 或规范形式不符）",
        en="{name}: changed after export (its {self_hash} or its canonical form differs)",
    ),
    "verify_export.manifest-json": T(
        zh="{name}：不是有效的 JSON（{error}）",
        en="{name}: not valid JSON ({error})",
    ),
    "verify_export.manifest-missing": T(
        zh="{name}：缺失；无法校验审计包",
        en="{name}: missing; cannot check the package",
    ),
    "verify_export.manifest-no-files": T(
        zh="{name}：没有文件清单",
        en="{name}: has no list of files",
    ),
    "verify_export.no-period": T(
        zh="{name}：没有有效的期间",
        en="{name}: no valid period",
    ),
    "verify_export.not-a-zip": T(
        zh="{name}：不是可读取的 zip 文件（{error}）",
        en="{name}: not a readable zip ({error})",
    ),
    "verify_export.not-listed": T(
        zh="{name}：在审计包中，但不在清单中",
        en="{name}: in the package but not in the manifest",
    ),
    "verify_export.ok": T(
        zh="{path}：通过，{files} 个文件与清单一致，{entries} 笔链上分录重新计算得链头 {head}",
        en="{path}: OK, {files} files match the manifest, {entries} chained entries recompute to head {head}",
    ),
    "verify_export.rules-none": T(
        zh="{name}：没有列出任何规则设置",
        en="{name}: lists no setting of the rules",
    ),
    "verify_export.rules-not-last": T(
        zh="{name}：不是 {history} 的最后一次设置（第 {number} 次）",
        en="{name}: not the last setting of {history} (#{number})",
    ),
    "verify_export.rules-setting": T(
        zh="{name}：第 {number} 次设置：文本与哈希不符",
        en="{name}: setting #{number}: the text does not match",
    ),
    "verify_export.schedules-unreadable": T(
        zh="{name}：无法读取明细表（{error}）",
        en="{name}: the schedules cannot be read ({error})",
    ),
    "verify_export.sha256-differs": T(
        zh="{name}：SHA-256 与清单不符（文件被修改）",
        en="{name}: SHA-256 differs from the manifest (file changed)",
    ),
    "verify_export.statement-cell": T(
        zh="{name} 第 {row} 行（{label}）{column}：{have} ≠ {want}",
        en="{name} row {row} ({label}) {column}: {have} ≠ {want}",
    ),
    "verify_export.statement-headers": T(
        zh="{name}：第 {row} 行（标题或表头）不一致",
        en="{name}: row {row} (title or headers) differs",
    ),
    "verify_export.statement-rows": T(
        zh="{name}：{found} 行，按账簿应为 {want} 行",
        en="{name}: {found} rows, the ledger gives {want}",
    ),
    "verify_export.unreadable": T(
        zh="{name}：无法读取（{error}）",
        en="{name}: cannot be read ({error})",
    ),
    "verify_export.unreadable-zip": T(
        zh="{name}：无法从压缩包读取（{error}）",
        en="{name}: cannot be read from the zip ({error})",
    ),
    # vote
    "vote.approval": T(
        zh="第（{numeral}）项事项的通过（须经参与表决专有部分面积{rule} 且参与表决人数{rule} 的业主同意）：同意面积 {yes_area} m²，参与表决面积 {part_area} m²（{area_check}）；同意 {yes_heads} 人，参与表决 {part_heads} 人（{heads_check}）。",
        en="Approval for matter ({numeral}) ({rule} of the participating area and owners): yes {yes_area} of {part_area} m² ({area_check}) and {yes_heads} of {part_heads} owners ({heads_check}).",
    ),
    "vote.arithmetic": T(
        zh="{quorum}{approval}{verdict}",
        en="{quorum} {approval} {verdict}",
    ),
    "vote.at-least": T(
        zh="不少于 {share}",
        en="at least {share}",
    ),
    "vote.compare": T(
        zh="{part} × {den} = {left} {sign} {whole} × {num} = {right}：{met}",
        en="{part} × {den} = {left} {sign} {whole} × {num} = {right}: {met}",
    ),
    "vote.head-rule": T(
        zh="每位业主无论拥有几套房屋只计一人，开发商未售出的房屋合计一人；业主参与表决的房屋全部同意（或反对）时，该业主才计为同意（或反对）；弃权计入参与表决",
        en="one head per owner however many units they hold, one head for all developer-unsold units together; an owner's head votes yes (or no) only if all their voting units did; abstentions take part",
    ),
    "vote.met": T(
        zh="达到",
        en="met",
    ),
    "vote.more-than": T(
        zh="超过 {share}",
        en="more than {share}",
    ),
    "vote.not-met": T(
        zh="未达到",
        en="not met",
    ),
    "vote.not-passed": T(
        zh="表决未通过。",
        en="Not passed.",
    ),
    "vote.passed": T(
        zh="表决通过。",
        en="Passed.",
    ),
    "vote.quorum": T(
        zh="参与表决（{source}：须专有部分面积{rule} 且人数{rule} 的业主参与表决）：参与表决面积 {part_area} m²，总面积 {total_area} m²（{area_check}）；参与表决 {part_heads} 人，业主总人数 {total_heads} 人（{heads_check}）。",
        en="Quorum ({source}: {rule} of the exclusive area and {rule} of the owners by head take part): {part_area} of {total_area} m² took part ({area_check}) and {part_heads} of {total_heads} owners ({heads_check}).",
    ),
    "vote.two-ballots": T(
        zh="房屋 {unit} 有两张选票（首张在 ballots[{first}]）",
        en="unit {unit} has two ballots (first at ballots[{first}])",
    ),
    "vote.unit-not-registered": T(
        zh="房屋 {unit} 不在登记册中",
        en="unit {unit} is not in the register",
    ),
    "vote.unknown-vote": T(
        zh="表决意见 {vote!r} 不是 {votes} 之一",
        en="vote {vote!r} is not one of {votes}",
    ),
}
