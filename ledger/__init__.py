"""The books: tables, engine, chart, the posting pipeline and what a check is, money, the hash
chain, the projection, the audit trail's writer and periods. Imports nothing of ``rules``,
``audit`` or ``api`` (docs/architecture.md, "Layers")."""

__all__ = [
    "books",
    "chain",
    "chart",
    "checks",
    "clock",
    "db",
    "errors",
    "events",
    "facts",
    "journal",
    "models",
    "money",
    "period",
    "projection",
    "reading",
]
