"""Rules are folds over transactions, with one implementation and two drivers.

A rule sees transactions in sequence: ``check(txn)`` says what would be wrong with posting it
*now*, ``apply(txn)`` folds it in. The posting path keeps a :class:`RuleState` per community and
checks one candidate in O(postings); the beancount plugin folds the same state over every entry
of the projection. So the API, ``commons verify``, bean-check and Fava's Errors page report the
same violations with the same messages.

A new rule is one module with a class that satisfies :class:`Rule`, listed in
:data:`rules.registry.RULES`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from ledger.messages import Msg
from ledger.txn import Txn

if TYPE_CHECKING:
    from ledger.budgets import BudgetFact
    from ledger.facts import CloseFact, ResolutionFact
    from rules.contracts import ContractFact


@dataclass(frozen=True)
class RuleViolation:
    """One broken rule: which rule, in words with its source and numbers, and where. The words
    are a catalogue message, rendered in the reader's language where they are shown."""

    rule: str
    text: Msg
    details: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The words in the community default language (Chinese)."""
        return self.text.render()


@dataclass(frozen=True)
class AccountSpec:
    name: str
    code: str
    restricted: bool


@dataclass
class Context:
    """What the rules know besides the transactions: the chart, the rules file, and facts the
    owners decided (resolutions, closed periods). Built from the database for the posting path
    and from the projection's directives for the plugin, so both see the same."""

    community_id: str
    accounts: dict[str, AccountSpec]
    config: Any = None  # rules.config.RulesFile when loaded
    resolutions: dict[str, ResolutionFact] = field(default_factory=dict)  # by number
    closed: list[CloseFact] = field(default_factory=list)  # in order of start
    #: The budget lines in force, by year (``ledger.budgets``; the projection carries them).
    budgets: dict[int, list[BudgetFact]] = field(default_factory=dict)
    #: The income contracts by number (``rules.contracts``); None where they are not known
    #: (the beancount plugin: the projection does not carry them).
    contracts: dict[str, ContractFact] | None = None


class Rule(Protocol):
    """``check`` may read everything in the Context. ``apply`` must fold only what the
    transactions and the chart say, never the facts or the rules file: when those change (a
    resolution, a close, an edited rules file) the posting path swaps them in the Context
    without refolding the journal (``ledger.books.Books._refresh_facts``)."""

    name: str

    def check(self, txn: Txn) -> list[RuleViolation]: ...

    def apply(self, txn: Txn) -> None: ...


RuleFactory = Callable[[Context], Rule]

#: Kinds the rules neither check nor fold: a year's closing entry moves the year's income and
#: expenses into net assets; it is neither income nor spending, and its close checked the year.
IGNORED = frozenset({"closing"})
#: Kinds the rules fold but do not check: a contract's accrual, which the close of its period
#: computes (``rules.contracts``) and judges with the reserve.
UNCHECKED = frozenset({"accrual"})


class RuleState:
    """The rules of one community, folded over its transactions so far."""

    def __init__(self, context: Context, rules: Sequence[Rule]) -> None:
        self.context = context
        self.rules = list(rules)

    def check(self, txn: Txn) -> list[RuleViolation]:
        if txn.kind in IGNORED or txn.kind in UNCHECKED:
            return []
        found: list[RuleViolation] = []
        for rule in self.rules:
            found.extend(rule.check(txn))
        return found

    def apply(self, txn: Txn) -> None:
        if txn.kind in IGNORED:
            return
        for rule in self.rules:
            rule.apply(txn)

    def carry(self) -> str:
        """The folds so far, as JSON: what a file holding only part of the chain (the open
        years, a closed year) carries in, so the plugin judges its entries as the posting
        path did without reading the years before (``ledger.projection.Carry``). A rule's
        fold is every attribute but its context (:class:`Rule`: ``apply`` folds only what the
        transactions say), so this needs no code per rule."""
        return json.dumps(
            {
                rule.name: {k: _tagged(v) for k, v in sorted(vars(rule).items()) if k != "context"}
                for rule in self.rules
            },
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )

    def restore(self, text: str) -> None:
        """Take the folds :meth:`carry` wrote (a rule it does not name keeps its empty fold)."""
        carried = json.loads(text)
        for rule in self.rules:
            for key, value in carried.get(rule.name, {}).items():
                setattr(rule, key, _untagged(value))

    def fold(self, txns: Iterable[Txn]) -> list[tuple[Txn, RuleViolation]]:
        """Check then apply each transaction in order; every violation found on the way."""
        found: list[tuple[Txn, RuleViolation]] = []
        for txn in txns:
            found.extend((txn, v) for v in self.check(txn))
            self.apply(txn)
        return found


def _tagged(value: Any) -> Any:
    """A fold's value in JSON, its types kept: Decimal, tuple and dict (any hashable keys)."""
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, tuple):
        return {"t": [_tagged(v) for v in value]}
    if isinstance(value, dict):
        return {"m": [[_tagged(k), _tagged(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return {"l": [_tagged(v) for v in value]}
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"a rule's fold holds a {type(value).__name__}, which cannot be carried")


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, inner),) = value.items()
        if tag == "d":
            return Decimal(inner)
        if tag == "t":
            return tuple(_untagged(v) for v in inner)
        if tag == "m":
            return {_untagged(k): _untagged(v) for k, v in inner}
        return [_untagged(v) for v in inner]
    return value


def build_state(context: Context, factories: Sequence[RuleFactory]) -> RuleState:
    return RuleState(context, [factory(context) for factory in factories])
