"""Every request takes the same road through the middleware stack: the list is pinned here, and
a body over the limit is refused whatever its framing claims, under uvicorn's real parsers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from api.middleware import SecurityHeaders
from api.proxy import ProxyHeaders
from api.sessions import OriginGuard
from api.settings import Settings
from api.upload_limit import RouteBodyLimit
from ledger.books import Books
from tests.api_helpers import SLUG

LIMIT = 2000


def test_the_middleware_stack_is_exactly_these_layers(app: FastAPI) -> None:
    # Outermost first. A new layer (or a lane around them) must be added here on purpose.
    # The body limit is ``BodyLimit`` per route (``api.upload_limit``: document uploads have
    # their own lane); every other route keeps ``max_body``.
    assert [m.cls for m in app.user_middleware] == [
        ProxyHeaders,
        SecurityHeaders,
        RouteBodyLimit,
        OriginGuard,
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["h11", "httptools"])
def served(
    request: pytest.FixtureRequest, api_settings: Settings, api_books: Books
) -> Iterator[tuple[int, str]]:
    """The app under a real uvicorn server (each HTTP parser), with a 2,000-byte limit."""
    from api.app import create_app

    settings = api_settings.model_copy(update={"max_body": LIMIT})
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, books=api_books),
        host="127.0.0.1",
        port=port,
        http=request.param,
        log_level="error",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield port, request.param
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _raw(port: int, head: bytes, chunks: Iterator[bytes]) -> bytes:
    """Send a request by hand; the answer's bytes (whatever arrived before the server hung
    up: a refusal may close the connection while the client is still sending)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
        return answer


def test_a_chunked_body_with_a_false_content_length_is_refused_at_the_limit(
    served: tuple[int, str],
) -> None:
    """Found: under h11, ``Content-Length: 1`` with ``Transfer-Encoding: chunked`` had its
    whole 8 MiB body read past the limit by the posting lane, which trusted the length."""
    path = f"/api/v1/communities/{SLUG}/transactions"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer x\r\n"
        "Content-Type: application/json\r\nContent-Length: 1\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    piece = b"x" * 65536
    chunks = iter([b"%x\r\n%s\r\n" % (len(piece), piece)] * 128 + [b"0\r\n\r\n"])  # 8 MiB
    port, parser = served
    answer = _raw(port, head, chunks)
    status = answer.split(b"\r\n", 1)[0]
    # h11 follows the chunks, and the body limit answers 413; httptools refuses the framing
    # itself (400). Either way the request never reaches a route (it would answer 401).
    if parser == "h11":
        assert status == b"HTTP/1.1 413 Request Entity Too Large"
        assert b'"rule": "body-size"' in answer
    else:
        assert status == b"HTTP/1.1 400 Bad Request"


def test_a_chunked_body_over_the_limit_is_refused(served: tuple[int, str]) -> None:
    path = f"/api/v1/communities/{SLUG}/transactions"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer x\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    piece = b"x" * 1000
    chunks = iter([b"%x\r\n%s\r\n" % (len(piece), piece)] * 5 + [b"0\r\n\r\n"])
    answer = _raw(served[0], head, chunks)
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"body-size" in answer
