"""Opening the books from settings: engine, migrations, data directory."""

from __future__ import annotations

from api.settings import Settings
from ledger.books import Books
from ledger.db import make_engine, migrate


def open_books(settings: Settings) -> Books:
    settings.data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url())
    migrate(engine)
    return Books(engine=engine, data_dir=settings.data.resolve())
