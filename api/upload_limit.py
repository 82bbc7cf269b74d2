"""Request-body limits per route: every request goes through ``api.middleware.BodyLimit``, at
the service's ``max_body`` unless its method and path are in a lane with a limit of its own
(document uploads: :data:`LANES`). One layer of the stack, in ``BodyLimit``'s place; no other
route's limit changes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from api.middleware import ASGIApp, BodyLimit, Receive, Scope, Send
from rules.documents import MAX_BYTES, UPLOAD_OVERHEAD

#: (method, path pattern, limit in bytes): uploading a document takes up to its size limit
#: plus the multipart framing.
LANES: tuple[tuple[str, str, int], ...] = (
    ("POST", r"/api/v1/communities/[^/]+/documents/?", MAX_BYTES + UPLOAD_OVERHEAD),
)


class RouteBodyLimit:
    """``BodyLimit`` at ``limit``, or at a lane's own limit for the requests it names."""

    def __init__(
        self, app: ASGIApp, limit: int, lanes: Sequence[tuple[str, str, int]] = LANES
    ) -> None:
        self.default = BodyLimit(app, limit)
        self.lanes = [
            (method, re.compile(pattern), BodyLimit(app, own)) for method, pattern, own in lanes
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for method, pattern, lane in self.lanes:
                if scope.get("method") == method and pattern.fullmatch(scope.get("path", "")):
                    await lane(scope, receive, send)
                    return
        await self.default(scope, receive, send)
