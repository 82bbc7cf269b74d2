"""The books: tables, engine, chart, the posting pipeline and what a check is, money, the hash
chain, the projection, the audit trail's writer and periods. Imports nothing of ``rules``,
``audit`` or ``api`` (docs/architecture.md, "Layers")."""

__all__ = [
    "books",
    "budgets",
    "chain",
    "chart",
    "checks",
    "clock",
    "db",
    "documents",
    "errors",
    "events",
    "facts",
    "four_eyes",
    "journal",
    "models",
    "money",
    "period",
    "prepared",
    "projection",
    "reading",
    "state",
    "txn",
]
