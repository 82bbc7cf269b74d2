"""Errors as data over HTTP: every refusal is a 4xx whose JSON body is
``{"detail": [{"field", "rule", "message", "details"}, ...]}`` (docs/architecture.md).

The handlers here turn the ledger's exceptions, FastAPI's validation errors (wrong types,
malformed JSON) and Starlette's HTTP errors into that one shape, with each ``message`` in the
reader's language (:mod:`api.lang`: ``?lang=``, ``Accept-Language``, the default Chinese);
``rule``, ``field`` and the numbers in ``details`` are the same in every language (docs/i18n.md).
``ERRORS`` is the ``responses=`` argument routes pass so the OpenAPI document shows the error
body too.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import lang
from ledger.errors import LedgerError, Problem
from ledger.messages import Msg, msg, validation_text


class ProblemOut(BaseModel):
    """One thing wrong with a request."""

    field: str | None = Field(description="where in the request, e.g. postings[1].account")
    rule: str | None = Field(description="the rule that refused it, e.g. four-eyes")
    message: str = Field(description="what is wrong, in words, with the numbers")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    detail: list[ProblemOut]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {
        400: "Bad request (e.g. a malformed paging cursor)",
        401: "No credentials, or an unknown or revoked token",
        403: "A member without the role this needs, or the four-eyes rule",
        404: "No such community (or not a member of it), or no such object",
        409: "Idempotency conflict, closed period, or the object's state forbids it",
        413: "The request body is too large",
        422: "Invalid request or refused by the rules; every problem is listed",
    }
    return {code: {"model": ErrorBody, "description": words[code]} for code in codes}


#: The usual error answers of a members' route.
ERRORS = _errors(400, 401, 403, 404, 409, 413, 422)


def problem(message: Msg, *, field: str | None = None, rule: str | None = None) -> dict[str, Any]:
    """An error item whose message is rendered by the handler, in the reader's language."""
    return {"field": field, "rule": rule, "message": message, "details": {}}


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or None


async def _ledger_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LedgerError)
    return JSONResponse(
        {"detail": exc.detail(lang.of_request(request))}, status_code=exc.status.value
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    reader = lang.of_request(request)
    detail = []
    for error in exc.errors():
        kind = str(error.get("type", "invalid"))
        field = _field_of(error.get("loc", ()))
        detail.append(
            {
                "field": field,
                "rule": kind,
                "message": validation_text(error, field).render(reader),
                "details": {"input": _safe(error.get("input"))} if "input" in error else {},
            }
        )
    return JSONResponse({"detail": detail}, status_code=422)


def _safe(value: Any) -> Any:
    """The offending input, echoed only if it is small plain JSON."""
    if value is None or isinstance(value, bool | int | str):
        return value if not isinstance(value, str) or len(value) <= 200 else value[:200] + "…"
    return None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    reader = lang.of_request(request)
    detail: Any = exc.detail
    if not isinstance(detail, list):
        detail = [problem(detail if isinstance(detail, Msg) else msg("common.text", text=detail))]
    return JSONResponse(
        {"detail": [_rendered(item, reader) for item in detail]},
        status_code=exc.status_code,
        headers=exc.headers,
    )


def _rendered(item: Any, reader: str) -> Any:
    """An error item in the reader's language: a :class:`Problem`, or a dict whose message
    may be a :class:`Msg` (``api.deps``, ``api.docs``)."""
    if isinstance(item, Problem):
        return item.as_dict(reader)
    if isinstance(item, dict) and isinstance(item.get("message"), Msg):
        return {**item, "message": item["message"].render(reader)}
    return item


def install(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
