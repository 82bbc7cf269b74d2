"""Fava for the supervisory committee: one read-only Fava per community, mounted at
``/fava/{slug}/`` inside the FastAPI app through a2wsgi. Only GET and HEAD reach Fava; every
other method is refused here, before Fava sees it."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable

from a2wsgi import WSGIMiddleware

# Scope and Send are re-exported (``X as X``): the app's Fava guard takes them from here.
from starlette.types import ASGIApp, Receive
from starlette.types import Scope as Scope
from starlette.types import Send as Send

from ledger.books import Books

Guard = Callable[[Scope, str, Send], Awaitable[bool]]

READ_METHODS = frozenset({"GET", "HEAD"})


async def plain_response(send: Send, status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


class FavaMount:
    """An ASGI app dispatching ``/{slug}/...`` to that community's Fava, built on first use.

    ``guard(scope, slug, send)`` may answer the request itself (a login redirect) and return False.
    """

    def __init__(self, books: Books, guard: Guard | None = None) -> None:
        self.books = books
        self.guard = guard
        self._apps: dict[str, ASGIApp] = {}
        self._lock = threading.Lock()

    def _app(self, slug: str) -> ASGIApp | None:
        with self._lock:
            app = self._apps.get(slug)
            if app is None:
                path = self.books.projection(slug).path
                if not path.exists():
                    return None
                from fava.application import create_app

                flask_app = create_app([str(path)], read_only=True, poll_watcher=True)
                app = WSGIMiddleware(flask_app)
                self._apps[slug] = app
            return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        rest = path[len(root) :] if root and path.startswith(root) else path
        slug = rest.strip("/").split("/", 1)[0]
        if not slug:
            await plain_response(send, 404, "name a community: /fava/{slug}/")
            return
        if scope["method"] not in READ_METHODS:
            await plain_response(
                send, 405, "Fava is read-only here: post through the API or the entry page"
            )
            return
        if self.guard is not None and not await self.guard(scope, slug, send):
            return
        app = self._app(slug)
        if app is None:
            await plain_response(send, 404, f"no community {slug!r}")
            return
        child = dict(scope)
        child["root_path"] = root + "/" + slug
        child["path"] = path
        await app(child, receive, send)
