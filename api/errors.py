"""Errors as data over HTTP: every refusal is a 4xx whose JSON body is
``{"detail": [{"field", "rule", "message", "details"}, ...]}`` (docs/architecture.md).

The handlers here turn the ledger's exceptions, FastAPI's validation errors (wrong types,
malformed JSON) and Starlette's HTTP errors into that one shape. ``ERRORS`` is the ``responses=``
argument routes pass so the OpenAPI document shows the error body too.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import LedgerError


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


def problem(message: str, *, field: str | None = None, rule: str | None = None) -> dict[str, Any]:
    return {"field": field, "rule": rule, "message": message, "details": {}}


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or None


async def _ledger_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LedgerError)
    return JSONResponse({"detail": exc.detail()}, status_code=exc.status.value)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = []
    for error in exc.errors():
        kind = str(error.get("type", "invalid"))
        message = str(error.get("msg", "invalid"))
        if kind == "json_invalid":
            message = "the body is not valid JSON: " + str(error.get("ctx", {}).get("error", ""))
        detail.append(
            {
                "field": _field_of(error.get("loc", ())),
                "rule": kind,
                "message": message,
                "details": {"input": _safe(error.get("input"))} if "input" in error else {},
            }
        )
    return JSONResponse({"detail": detail}, status_code=422)


def _safe(value: Any) -> Any:
    """The offending input, echoed only if it is small plain JSON."""
    if value is None or isinstance(value, bool | int | str):
        return value if not isinstance(value, str) or len(value) <= 200 else value[:200] + "…"
    return None


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail: Any = exc.detail
    if not isinstance(detail, list):
        detail = [problem(str(detail))]
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
