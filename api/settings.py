"""Settings from the environment (prefix ``COMMONS_``) or the command line."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.db import sqlite_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMMONS_")

    #: The data directory: one folder per community (projection, rules file) and the
    #: embedded SQLite database.
    data: Path = Path("./data")
    #: A SQLAlchemy URL; default: ``<data>/commons.db`` (SQLite).
    db: str | None = None
    #: The key that signs the login form's CSRF tokens; default: a random key kept in the
    #: database (made on first start), so every node on one database shares it.
    secret: str | None = None
    #: Request bodies larger than this many bytes are refused with 413.
    max_body: int = 1024 * 1024
    #: Mark the session cookie Secure (set when served over HTTPS behind a proxy).
    https_only: bool = False
    #: How long a browser login lasts, in seconds (the session ends earlier at logout, a
    #: password change, disabling the user or removing one of their roles).
    session_max_age: int = 12 * 3600
    #: The reverse proxies whose ``X-Forwarded-For``/``-Proto``/``-Host`` are believed:
    #: addresses or networks, comma-separated, ``*`` for any; default none (``api.proxy``).
    forwarded_allow_ips: str = ""
    #: The service's log level (``logging`` names: DEBUG, INFO, WARNING, ERROR).
    log_level: str = "INFO"
    #: Log every request (uvicorn's access log).
    access_log: bool = False
    #: Serve the API documentation (``/docs``, ``/redoc``, ``/openapi.json``) to anyone, not
    #: only to members.
    public_docs: bool = False
    #: The address the owners reach the service at (``https://ledger.example.org``): the
    #: printed notice's QR code and the text summary's links carry it. Taken from here, never
    #: from a request's ``Host``, because a notice is drawn once and stored; unset, the links
    #: are paths and the PDF has no QR code.
    public_url: str = ""
    #: How many Fava apps (a community's open years, or one of its closed years) are kept
    #: loaded; beyond it the least recently used is dropped and loaded again on its next page.
    #: Each holds its ledger in memory (a year of a busy community: tens of MB).
    fava_apps_max: int = 32
    #: How many communities' rule states (their rules folded over the journal, for posting)
    #: are kept; beyond it the least recently used is dropped and refolded on its next post.
    states_max: int = 256

    def db_url(self) -> str:
        return self.db or sqlite_url((self.data / "commons.db").resolve())
