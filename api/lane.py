"""The posting lane: a program's single post goes straight to its route.

``POST /api/v1/communities/{slug}/transactions`` with an ``Authorization`` header and a
declared body within the size limit is the request a treasurer's program sends thousands of
times. Routed the usual way it passes the session, body-limit and security-header middleware
and a match against every route of the app, none of which has anything to do for it: about a
seventh of its time through HTTP (measured in ``bench/http_post.py``). The lane, the outermost
middleware, hands it to the same endpoint with the same request, applies the app's own
exception handlers to a refusal and adds the same security headers, so the answer is the one
the usual way gives; the tests post both ways and compare.

Anything else (another path or method, a browser's cookie session, a chunked or oversized
body, a ``root_path``) takes the usual way untouched.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.middleware import ASGIApp, Receive, Scope, SecurityHeaders, Send

PATH = re.compile(r"/api/v1/communities/([^/]+)/transactions")

Endpoint = Callable[[str, Request], Awaitable[Response]]


class PostingLane:
    def __init__(self, app: ASGIApp, *, endpoint: Endpoint, limit: int) -> None:
        self.app = app
        self.endpoint = endpoint
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        slug = self._slug(scope)
        if slug is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.endpoint(slug, request)
        except Exception as exc:
            handler = _handler(scope["app"].exception_handlers, exc)
            if handler is None:
                raise  # the server error middleware outside answers 500, as usual
            response = handler(request, exc)
            if inspect.isawaitable(response):
                response = await response
        await SecurityHeaders(response)(scope, receive, send)

    def _slug(self, scope: Scope) -> str | None:
        """The community of a request the lane takes; None for any other request."""
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            return None
        match = PATH.fullmatch(scope["path"])
        if match is None:
            return None
        authorization = length = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"content-length":
                length = value
        if not authorization or length is None or not length.isdigit():
            return None
        if int(length) > self.limit:
            return None
        return match.group(1)


def _handler(handlers: dict[Any, Any], exc: Exception) -> Any:
    """The app's handler for ``exc``: the one registered for its class or the nearest base."""
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None
