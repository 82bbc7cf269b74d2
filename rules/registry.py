"""The rules in force, in the order they are checked. Each entry builds a rule from a Context.

Reserve for the maintenance fund is not here: it is judged when a period closes
(:mod:`rules.reserve`, :mod:`rules.periods`), not per transaction.
"""

from __future__ import annotations

from rules.budget import OverBudget
from rules.civil_defence import CivilDefence
from rules.closed import ClosedPeriod
from rules.committee import CommitteeExpenses
from rules.contracts import ContractReceipts
from rules.engine import RuleFactory
from rules.manager_share import ManagerShare
from rules.overdraft import NoOverdraft
from rules.resolution_required import ResolutionRequired

RULES: list[RuleFactory] = [
    ClosedPeriod,
    ResolutionRequired,
    NoOverdraft,
    ManagerShare,
    CommitteeExpenses,
    CivilDefence,
    ContractReceipts,
    OverBudget,
]
