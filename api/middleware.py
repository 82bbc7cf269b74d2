"""A request-body size limit: a body over ``limit`` bytes is answered 413 before any route or
parser sees it, whether the client announced its length or streamed it in chunks."""

from __future__ import annotations

import json

from starlette.types import ASGIApp as ASGIApp
from starlette.types import Message as Message
from starlette.types import Receive as Receive
from starlette.types import Scope as Scope
from starlette.types import Send as Send

# Re-exported (``X as X``): other modules take the ASGI types from here.
from api import lang
from ledger.messages import msg

NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in NO_BODY:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > self.limit:
                    await self._refuse(scope, send)
                    return
            except ValueError:
                pass
        # Read the body here (at most ``limit`` bytes are ever held), then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay([b"".join(chunks)], None, receive), send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = json.dumps(
            {
                "detail": [
                    {
                        "field": None,
                        "rule": "body-size",
                        "message": msg("middleware.body-too-large", limit=self.limit).render(
                            lang.of_scope(scope)
                        ),
                        "details": {"limit": self.limit},
                    }
                ]
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(bodies: list[bytes], last: Message | None, then: Receive | None = None) -> Receive:
    pending: list[Message] = [
        {"type": "http.request", "body": b, "more_body": False} for b in bodies
    ]
    if last is not None:
        pending.append(last)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()  # e.g. http.disconnect
        return {"type": "http.disconnect"}

    return receive


#: The Content-Security-Policy of every answer that sets none itself (the public pages set a
#: stricter one): scripts only from files of this site, never inline, no inline event handlers
#: and no ``eval`` (``'wasm-unsafe-eval'`` lets Fava's editor compile its tree-sitter
#: WebAssembly, nothing more); inline styles (Svelte sets ``style`` attributes); images from
#: this site or ``data:``; requests only to this site; no plugins, no framing, no ``<base>``,
#: forms post only here. Ledger text that slipped past escaping still could not run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; frame-src 'none'; worker-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

#: Sent with every response: no framing (the entry page's buttons cannot be clickjacked), no
#: MIME sniffing, no full URLs leaked to other sites, and the Content-Security-Policy above.
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
