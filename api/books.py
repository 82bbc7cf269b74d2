"""Opening the books from settings: engine, migrations, data directory, and the rule set every
post is checked against (``ledger`` defines what a check is; ``rules`` provides them)."""

from __future__ import annotations

from api.settings import Settings
from ledger.books import Books
from ledger.db import make_engine, migrate
from rules.ruleset import CommunityRules


def open_books(settings: Settings) -> Books:
    settings.data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url())
    migrate(engine)
    data = settings.data.resolve()
    return Books(engine=engine, data_dir=data, rules=CommunityRules(data))
