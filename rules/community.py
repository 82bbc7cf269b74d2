"""A new community with its rules: the books' part (row, chart, projection; see
:func:`ledger.community.create`) and the rules file it starts with (the defaults)."""

from __future__ import annotations

from typing import Any

from ledger import community as books_community
from ledger.books import Books
from ledger.models import Community
from rules import config as rules_config
from rules.ruleset import of


def create(*, books: Books, slug: str, name: str, **options: Any) -> Community:
    """Create the community (``options``: ``actor``, ``opened``) and its default rules file."""
    community = books_community.create(books=books, slug=slug, name=name, **options)
    path = of(books).path(slug)
    if not path.exists():
        rules_config.write_default(path)
    return community


__all__ = ["create"]
