"""The allocation rules as the posting pipeline sees them (``ledger.checks.RuleSet``).

``CommunityRules`` is what the service and the CLI hand to :class:`ledger.books.Books`: it
reads each community's rules file (parsed once per change of the file), builds the rules'
:class:`~rules.engine.Context` from the database, and folds :data:`rules.registry.RULES` over
the journal. Other layers ask it for the rules file and the context through :func:`of`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session

from ledger.books import Books
from ledger.checks import Approval, Checks
from ledger.models import Community
from ledger.projection import RULES_FILE
from rules import config as rules_config
from rules.engine import AccountSpec, Context, RuleState, build_state
from rules.registry import RULES


class CommunityRules:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._files: dict[str, tuple[float, rules_config.RulesFile]] = {}

    # --- the rules file -------------------------------------------------------------------

    def path(self, slug: str) -> Path:
        return self.data_dir / slug / RULES_FILE

    def file(self, slug: str) -> rules_config.RulesFile:
        """The community's rules file, parsed once per change of the file (by mtime); the
        defaults when there is none."""
        mtime = self.version(slug)
        cached = self._files.get(slug)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        path = self.path(slug)
        if path.exists():
            parsed = rules_config.load(path)
        else:
            parsed = rules_config.parse(rules_config.DEFAULT_TEXT)
        self._files[slug] = (mtime, parsed)
        return parsed

    def version(self, slug: str) -> float:
        try:
            return self.path(slug).stat().st_mtime
        except OSError:
            return 0.0

    # --- what the posting pipeline asks ---------------------------------------------------

    def context(self, session: Session, community: Community) -> Context:
        accounts = {
            a.name: AccountSpec(a.name, a.code, a.restricted)
            for a in Books.accounts(session, community.id)
        }
        resolutions, closes = Books.facts(session, community.id)
        return Context(
            community_id=community.id,
            accounts=accounts,
            config=self.file(community.slug),
            resolutions={fact.number: fact for fact in resolutions},
            closed=closes,
        )

    def start(self, session: Session, community: Community) -> RuleState:
        return build_state(self.context(session, community), RULES)

    def refresh(self, session: Session, community: Community, checks: Checks) -> None:
        """Swap the facts in the context every rule holds (the folds stay: a rule's
        ``apply`` reads only transactions and the chart; see :class:`rules.engine.Rule`)."""
        assert isinstance(checks, RuleState)
        fresh = self.context(session, community)
        context = checks.context
        context.accounts = fresh.accounts
        context.config = fresh.config
        context.resolutions = fresh.resolutions
        context.closed = fresh.closed

    def approval(self, slug: str, day: date) -> Approval:
        settings = self.file(slug).at(day)
        return Approval(settings.approval_threshold, settings.approval_window_days)


def of(books: Books) -> CommunityRules:
    """The rule set the books were built with."""
    rules = books.rules
    if not isinstance(rules, CommunityRules):
        raise TypeError("these books were built without rules.ruleset.CommunityRules")
    return rules
