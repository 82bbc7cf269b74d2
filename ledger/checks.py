"""What the posting pipeline asks of the rules, named here so that ``ledger`` never imports them.

The books are the lower layer: they know how to post, chain and project, not which allocation
rules a community lives by. Whoever builds a :class:`ledger.books.Books` hands in a
:class:`RuleSet` (the service and the CLI hand in ``rules.ruleset.CommunityRules``), and the
posting pipeline calls it through these protocols:

- :meth:`RuleSet.start` builds a community's :class:`Checks`, empty; the books fold every
  posted transaction into it with :meth:`Checks.apply`, then ask :meth:`Checks.check` about
  each candidate, in O(its postings);
- :meth:`RuleSet.version` says when what the checks read besides transactions (the rules file,
  resolutions) has changed, and :meth:`RuleSet.refresh` swaps it in without refolding;
- :meth:`RuleSet.approval` says when an entry waits for a second member: spending at or over
  a threshold, counted per payee and kind over a window of days (:class:`Approval`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from ledger.messages import Msg
from ledger.txn import Txn

if TYPE_CHECKING:
    from sqlmodel import Session

    from ledger.models import Community


@dataclass(frozen=True)
class Approval:
    """Four eyes: spending of one kind to one payee within ``window_days`` of each other
    counts together; the entry that brings it to ``threshold`` waits for a second member."""

    threshold: Decimal
    window_days: int
    #: An entry at or over ``threshold`` is approved only with a document linked to it
    #: (``ledger.models.DocumentLink``).
    require_document: bool = False


class Violation(Protocol):
    """One broken rule: its stable name, the message with its source and numbers, details."""

    @property
    def rule(self) -> str: ...

    @property
    def text(self) -> Msg: ...

    @property
    def message(self) -> str: ...

    @property
    def details(self) -> Mapping[str, Any]: ...


class Checks(Protocol):
    """A community's rules folded over its posted transactions so far."""

    def check(self, txn: Txn) -> Sequence[Violation]: ...

    def apply(self, txn: Txn) -> None: ...

    def carry(self) -> str:
        """The folds so far as text, carried into a projection file that holds only part of
        the chain (``ledger.projection.Carry``)."""
        ...


class RuleSet(Protocol):
    def start(self, session: Session, community: Community) -> Checks: ...

    def refresh(self, session: Session, community: Community, checks: Checks) -> None: ...

    def version(self, slug: str) -> Hashable: ...

    def approval(self, slug: str, day: date) -> Approval: ...
