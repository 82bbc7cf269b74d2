"""A new community with its rules: the books' part (row, chart, projection; see
:func:`ledger.community.create`) and the rules it starts with (the defaults, as the first
``rulestext`` row, set by its creator; see :mod:`rules.rules_store`)."""

from __future__ import annotations

from typing import Any

from ledger import community as books_community
from ledger.books import Books
from ledger.models import Community
from rules import rules_store


def create(
    *, books: Books, slug: str, name: str, actor: str = "system", **options: Any
) -> Community:
    """Create the community (``options``: ``start``) and its default rules, set by
    ``actor``."""
    community = books_community.create(books=books, slug=slug, name=name, actor=actor, **options)
    rules_store.create(books=books, slug=slug, actor=actor)
    return community


__all__ = ["create"]
