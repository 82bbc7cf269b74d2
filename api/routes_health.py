"""``GET /healthz``: for a load balancer's health check. 200 when this node can reach the
database (one ``SELECT 1``), 503 when it cannot; no login, no community named, nothing about
the books in the answer. Any node that answers 200 can serve any request: nodes keep nothing a
request depends on but their projection, which they catch up from the database."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import BooksDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["service"])


@router.get(
    "/healthz",
    summary="Health check: this node reaches the database",
    responses={503: {"description": "the database cannot be reached"}},
)
def healthz(books: BooksDep) -> JSONResponse:
    try:
        with books.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health check: the database cannot be reached: %s", exc)
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})
