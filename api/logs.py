"""The service's log: stdlib ``logging``, one line per event on stderr, at a configurable level.

What is logged: start-up, projection repairs (a projection *behind* the journal at INFO, one
found *altered* at WARNING), failures after a commit (ERROR: the entry stands, the projection is
repaired later), refused logins (WARNING), and with ``--access-log`` every request."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str = "INFO") -> None:
    """Send every logger's records (ours and uvicorn's) to stderr, one line each."""
    logging.basicConfig(level=level.upper(), format=FORMAT, force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
