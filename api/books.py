"""Opening the books from settings: engine, migrations, data directory, and the rule set every
post is checked against (``ledger`` defines what a check is; ``rules`` provides them)."""

from __future__ import annotations

from api.files import warn_loose
from api.settings import Settings
from ledger.books import Books
from ledger.db import make_engine, migrate
from rules.ruleset import CommunityRules

#: The Fava extensions every projection names: the supervisory committee's dashboard. (A name,
#: not an import: Fava imports it when it loads a ledger.)
FAVA_EXTENSIONS = ("api.fava_dashboard",)


def open_books(settings: Settings) -> Books:
    """The books of ``settings``: the data directory made private (0700) if new, the schema
    brought to the newest, and a WARNING logged for each file or directory of the service
    that others may read (``api.files.warn_loose``: at every start of the service and of a
    command)."""
    settings.data.mkdir(mode=0o700, parents=True, exist_ok=True)
    engine = make_engine(settings.db_url())
    migrate(engine)
    data = settings.data.resolve()
    warn_loose(data, settings.db_url())
    return Books(
        engine=engine,
        data_dir=data,
        rules=CommunityRules(data),
        fava_extensions=FAVA_EXTENSIONS,
        states_max=settings.states_max,
    )
