"""The reader's language at the HTTP edge: ``?lang=zh|en``, then ``Accept-Language``, then the
community default (Chinese; :data:`ledger.messages.DEFAULT_LANG`). The error handlers, the
entry page and the raw ASGI refusals (body too large, cross-site write) all ask here, so one
request reads one language throughout (docs/i18n.md)."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import Scope

from ledger.messages import Lang, negotiate


def of_scope(scope: Scope) -> Lang:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
    accept = None
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            accept = value.decode("latin-1")
    return negotiate(query, accept)


def of_request(request: Request) -> Lang:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
