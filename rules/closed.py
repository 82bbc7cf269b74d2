"""Nothing is posted into a closed period.

Why: a closed period has been disclosed to the owners with its chain head
(docs/architecture.md, "Periods"; Shanghai 住宅物业管理规定 art. 66: quarterly disclosure);
changing it afterwards would change what they were shown. A correction goes into an open period.

The posting path refuses such a post or reversal before the rules run (409, ``PeriodLocked``,
see ``ledger.journal``) with the message of :func:`ledger.period.locked_message`; this rule
says the same in the plugin and ``commons verify``: a transaction with a sequence number above
a close's ``head_seq`` (posted after the close) dated in or before the closed period is a
violation (periods close in order, so everything up to the last close is sealed).

Before (2025Q1 closed at seq 40)::

    2025-03-30 * "停车场" "补记3月停车费"
      seq: 41
      ...

After: ``closed period: the transaction is dated 2025-03-30, inside the closed period 2025Q1
(2025-01-01 to 2025-03-31, closed at seq 40); post a correction in an open period (...)``.
"""

from __future__ import annotations

from ledger.messages import msg
from ledger.period import LOCKED_SOURCE, locked_message
from ledger.txn import Txn
from rules.engine import Context, RuleViolation

NAME = "closed-period"
SOURCE = LOCKED_SOURCE


class ClosedPeriod:
    name = NAME

    def __init__(self, context: Context) -> None:
        self.context = context

    def check(self, txn: Txn) -> list[RuleViolation]:
        for close in self.context.closed:
            after_close = txn.seq is None or txn.seq > close.head_seq
            if after_close and txn.date <= close.end:
                message, details = locked_message(msg("period.the-transaction"), txn.date, close)
                return [RuleViolation(NAME, message, details=details, source={"rule": SOURCE})]
        return []

    def apply(self, txn: Txn) -> None:
        return None
