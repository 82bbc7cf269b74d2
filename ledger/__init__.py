"""The books: tables, engine, chart, the posting pipeline, money, and the projection."""

__all__ = ["books", "chart", "clock", "db", "errors", "journal", "models", "money", "projection"]
