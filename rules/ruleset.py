"""The allocation rules as the posting pipeline sees them (``ledger.checks.RuleSet``).

``CommunityRules`` is what the service and the CLI hand to :class:`ledger.books.Books`: it
reads each community's rules text from the database (parsed once per setting, see
:mod:`rules.rules_store`), builds the rules' :class:`~rules.engine.Context` from the database,
and folds :data:`rules.registry.RULES` over the journal. Other layers ask it for the rules and
the context through :func:`of`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from ledger.books import Books
from ledger.budgets import in_force as budgets_in_force
from ledger.checks import Approval, Checks
from ledger.db import reader
from ledger.models import Community
from ledger.projection import RULES_FILE
from rules import config as rules_config
from rules import rules_store
from rules.contracts import contract_facts
from rules.engine import AccountSpec, Context, RuleState, build_state
from rules.registry import RULES


@dataclass(frozen=True)
class _InForce:
    slug: str
    community_id: str
    number: int
    text: str
    rules: rules_config.RulesFile


class CommunityRules:
    """The rules of each community as the database holds them: the latest ``rulestext`` row,
    parsed once per number.

    :meth:`version` is that number. A change also bumps ``Community.rev``, which is how every
    process on the same database learns of it: :meth:`ledger.books.Books.state` compares both
    and calls :meth:`refresh`, which reads the latest row. ``rules.toml`` is written from the
    database for people and the beancount plugin and never read back, but once: a community
    without a row (books from before the table) imports it, or the defaults, on first read."""

    def __init__(self, data_dir: Path, engine: Engine | None = None) -> None:
        self.data_dir = data_dir
        #: For reads outside the posting path (:meth:`file`); bound by :func:`of` and by the
        #: posting path's session when the caller did not pass it.
        self.engine = engine
        self._in_force: dict[str, _InForce] = {}
        #: Communities whose import went into a transaction not yet seen committed.
        self._unconfirmed: set[str] = set()
        self._ticks = itertools.count(1)
        self._lock = threading.Lock()

    def bind(self, engine: Engine) -> None:
        if self.engine is None:
            self.engine = engine

    # --- the rules text -------------------------------------------------------------------

    def path(self, slug: str) -> Path:
        """``rules.toml``: written from the database, never read back (but to import it)."""
        return self.data_dir / slug / RULES_FILE

    def file(self, slug: str) -> rules_config.RulesFile:
        """The rules in force: the community's latest ``rulestext`` row (its rules file or the
        defaults imported as row 1 on the first read of books from before the table; a broken
        file is refused with ``RulesFileError``, naming the version and the key)."""
        with reader(self._engine()) as session:
            community = Books.community_of_slug(session, slug)
            found = self._read(session, community)
        if found is None:
            found = self._import(slug)
        return found.rules

    def version(self, slug: str) -> Hashable:
        """The number of the text in force as this process last read it (0 before it has);
        while an import awaits its commit, a new value at each call so the state reads again."""
        if slug in self._unconfirmed:
            return ("import", next(self._ticks))
        found = self._in_force.get(slug)
        return found.number if found is not None else 0

    def _read(self, session: Session, community: Community) -> _InForce | None:
        number = rules_store.latest_number(session, community.id)
        if number is None:
            return None
        cached = self._in_force.get(community.slug)
        if (
            cached is not None
            and community.slug not in self._unconfirmed  # an import may have rolled back
            and (cached.community_id, cached.number) == (community.id, number)
        ):
            return cached
        stored = rules_store.row(session, community.id, number)
        return self._keep(community.slug, community.id, number, stored.text)

    def _import(self, slug: str) -> _InForce:
        """Import in a transaction of its own (never from inside another write: it waits
        for the community's lock)."""
        community_id, out = rules_store.ensure_text(self._engine(), slug, self.path(slug))
        return self._keep(slug, community_id, out.number, out.text)

    def _keep(
        self, slug: str, community_id: str, number: int, text: str, *, confirmed: bool = True
    ) -> _InForce:
        found = _InForce(slug, community_id, number, text, rules_config.parse(text))
        with self._lock:
            previous = self._in_force.get(found.slug)
            self._in_force[found.slug] = found
            if confirmed:
                self._unconfirmed.discard(found.slug)
            else:
                self._unconfirmed.add(found.slug)
        if previous is None or (previous.community_id, previous.number, previous.text) != (
            found.community_id,
            found.number,
            found.text,
        ):
            rules_store.publish(self.path(found.slug), text)
        return found

    def _in_session(self, session: Session, community: Community) -> rules_config.RulesFile:
        """The rules in force for the posting path, read through its write transaction (which
        holds the community's lock); an import goes into that transaction and commits with it."""
        self.bind(_engine_of(session))
        found = self._read(session, community)
        if found is None:
            stored = rules_store.import_into(session, community, self.path(community.slug))
            found = self._keep(
                community.slug, community.id, stored.number, stored.text, confirmed=False
            )
        return found.rules

    def _engine(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("these rules are not bound to books: use rules.ruleset.of(books)")
        return self.engine

    # --- what the posting pipeline asks ---------------------------------------------------

    def context(self, session: Session, community: Community) -> Context:
        """The rules' context: the chart, the rules in force and the facts. Reads through
        ``session``; a first read of old books imports their rules in a transaction of its own
        (so not from inside a write transaction: the posting path uses :meth:`start` and
        :meth:`refresh`)."""
        self.bind(_engine_of(session))
        found = self._read(session, community)
        if found is None:
            found = self._import(community.slug)
        return self._context(session, community, found.rules)

    def _context(
        self, session: Session, community: Community, config: rules_config.RulesFile
    ) -> Context:
        accounts = {
            a.name: AccountSpec(a.name, a.code, a.restricted)
            for a in Books.accounts(session, community.id)
        }
        resolutions, closes = Books.facts(session, community.id)
        return Context(
            community_id=community.id,
            accounts=accounts,
            config=config,
            resolutions={fact.number: fact for fact in resolutions},
            closed=closes,
            budgets=budgets_in_force(session, community.id),
            contracts=contract_facts(session, community.id),
        )

    def start(self, session: Session, community: Community) -> RuleState:
        config = self._in_session(session, community)
        return build_state(self._context(session, community, config), RULES)

    def refresh(self, session: Session, community: Community, checks: Checks) -> None:
        """Swap the facts in the context every rule holds (the folds stay: a rule's
        ``apply`` reads only transactions and the chart; see :class:`rules.engine.Rule`)."""
        assert isinstance(checks, RuleState)
        fresh = self._context(session, community, self._in_session(session, community))
        context = checks.context
        context.accounts = fresh.accounts
        context.config = fresh.config
        context.resolutions = fresh.resolutions
        context.closed = fresh.closed
        context.budgets = fresh.budgets
        context.contracts = fresh.contracts

    def approval(self, slug: str, day: date) -> Approval:
        """Asked by the posting path right after :meth:`ledger.books.Books.state` read the
        rules in its transaction: from what it read."""
        found = self._in_force.get(slug)
        rules = found.rules if found is not None else self.file(slug)
        settings = rules.at(day)
        return Approval(
            settings.approval_threshold,
            settings.approval_window_days,
            require_document=settings.require_document_for_approval,
        )


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def of(books: Books) -> CommunityRules:
    """The rule set the books were built with (bound to their engine)."""
    rules = books.rules
    if not isinstance(rules, CommunityRules):
        raise TypeError("these books were built without rules.ruleset.CommunityRules")
    rules.bind(books.engine)
    return rules
