"""``create_app(settings)``: the one process a committee runs. Nothing is built at import.

The app is: the JSON API under ``/api/v1`` (routers from the ``ROUTERS`` modules), the browser
pages (``/login``, ``/entry/{slug}``), and each community's read-only Fava at ``/fava/{slug}/``
behind the same login. Around it: the forwarded headers of trusted proxies only
(``api.proxy``), the same-origin check of a browser's writes (``api.sessions.OriginGuard``;
sessions themselves are rows on the server) and a request-body size limit; the error handlers
of ``api.errors`` give every refusal one shape.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request

from api import errors
from api.books import open_books
from api.deps import current_username, member_of
from api.fava_mount import FavaMount, Guard, Scope, Send, plain_response
from api.middleware import SecurityHeaders
from api.proxy import ProxyHeaders, parse_allowed
from api.sessions import OriginGuard, login_key
from api.settings import Settings
from api.throttle import LoginThrottle
from api.upload_limit import RouteBodyLimit
from ledger.books import Books
from rules.periods import backfill_closings

log = logging.getLogger(__name__)

#: Every module contributing routes, each defining ``router = APIRouter()``. Add yours here.
ROUTERS: tuple[str, ...] = (
    "api.routes_public",
    "api.routes_pages",
    "api.routes_transactions",
    "api.routes_entry",
    "api.routes_audit",
    "api.routes_periods",
    "api.routes_rules",
    "api.docs",
    "api.routes_contracts",
    "api.routes_bank",
    "api.routes_documents",
    "api.routes_objections",
    "api.routes_health",
)


def repair_projections(books: Books) -> None:
    """At start-up, bring every projection level with the journal (a crash may have left one
    behind or half-written)."""
    from sqlmodel import Session, select

    from ledger.models import Community

    with Session(books.engine) as session:
        slugs = list(session.exec(select(Community.slug)))
    for slug in slugs:
        books.sync_projection(slug)


def session_secret(settings: Settings, books: Books) -> str:
    """The configured secret, else the one every process on the database shares
    (``api.sessions.login_key``). It signs the login form's CSRF tokens (sessions are rows on
    the server, not signed)."""
    return settings.secret or login_key(books)


def fava_guard(books: Books) -> Guard:
    """Let only the community's members (any role) through to its Fava; send others to the
    login page (no session) or answer 404 (not a member, as the API does)."""
    from urllib.parse import quote

    async def guard(scope: Scope, slug: str, send: Send) -> bool:
        request = Request(scope)
        try:
            username = await anyio.to_thread.run_sync(current_username, request, books)
        except HTTPException:
            username = None
        if username is None:
            target = quote(scope.get("path", "/"), safe="/")
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", f"/login?next={target}".encode())],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return False
        member = await anyio.to_thread.run_sync(member_of, request, books, slug, username)
        if member is None:
            await plain_response(send, 404, f"no community {slug!r}")
            return False
        return True

    return guard


def create_app(settings: Settings | None = None, *, books: Books | None = None) -> FastAPI:
    settings = settings or Settings()
    parse_allowed(settings.forwarded_allow_ips)  # a bad address fails here, not at a request
    books = books or open_books(settings)
    log.info("starting: data %s, database %s", settings.data, books.engine.url.drivername)
    for slug, year in backfill_closings(books):
        log.warning("%s: the closed year %s was given its closing entry (结转)", slug, year)
    repair_projections(books)
    app = FastAPI(
        title="commons-ledger",
        version="0.1.0",
        # /docs, /redoc and /openapi.json are api.docs's: served from a package, for members
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        description=(
            "Double-entry books for an owners' committee's common income. Authenticate with "
            "`Authorization: Bearer <token>` (from `commons user add`) or the session cookie "
            "set by `/login`. Every refusal is a 4xx with a `detail` list of "
            "`{field, rule, message, details}`."
        ),
    )
    app.state.books = books
    app.state.settings = settings
    app.state.login_throttle = LoginThrottle()
    app.state.secret = session_secret(settings, books)
    errors.install(app)
    models: list[type[BaseModel]] = []
    for name in ROUTERS:
        module = importlib.import_module(name)
        app.include_router(module.router)
        models += getattr(module, "OPENAPI_MODELS", ())
    _document_models(app, models)
    app.mount("/fava", FavaMount(books, guard=fava_guard(books), apps_max=settings.fava_apps_max))
    app.add_middleware(OriginGuard)
    app.add_middleware(RouteBodyLimit, limit=settings.max_body)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ProxyHeaders, allowed=settings.forwarded_allow_ips)
    return app


def _document_models(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Add ``models`` to the OpenAPI document's schemas: routes that read their body
    themselves (a module's ``OPENAPI_MODELS``) refer to them from ``openapi_extra``."""
    if not models:
        return
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            _, defs = models_json_schema(
                [(model, "validation") for model in models],
                ref_template="#/components/schemas/{model}",
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in defs.get("$defs", {}).items():
                schemas.setdefault(name, schema)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, mounts as ``("MOUNT", path)``; for the role
    matrix test and for anyone auditing what the server exposes."""
    from starlette.routing import Mount

    try:  # FastAPI ≥ 0.130 keeps included routers as one route each; this flattens them.
        from fastapi.routing import iter_route_contexts

        routes = list(iter_route_contexts(app.routes))
    except ImportError:  # pragma: no cover - older FastAPI lists every route directly
        routes = list(app.routes)  # type: ignore[arg-type]
    table: list[tuple[str, str]] = []
    for route in routes:
        path = getattr(route, "path", None)
        if path is None:
            continue
        if isinstance(getattr(route, "original_route", route), Mount):
            table.append(("MOUNT", path))
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                table.append((method, path))
    return table
