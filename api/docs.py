"""The API documentation: ``/docs`` (Swagger UI), ``/redoc`` (ReDoc) and ``/openapi.json``.

Nothing is loaded from elsewhere: Swagger UI and ReDoc come from the ``fastapi-offline``
package (pinned in ``pyproject.toml``, so its version pins them) and are served under
``/docs/assets/<version>/``; the page that starts Swagger UI does it from a static file, so the
pages run no inline script (a ``script-src 'self'`` policy holds). The documentation is for
members: an active user who belongs to a community, by session or bearer token. Anonymous
browsers are sent to the login page, programs get 401; ``commons serve --public-docs``
(``COMMONS_PUBLIC_DOCS``) opens it to everyone.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import fastapi_offline
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.status import HTTP_401_UNAUTHORIZED, HTTP_403_FORBIDDEN, HTTP_404_NOT_FOUND

from api import users
from api.deps import current_username
from ledger.books import Books
from ledger.messages import Msg, msg

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OPENAPI_URL = "/openapi.json"
ASSETS_URL = "/docs/assets"
#: The bundled Swagger UI and ReDoc change only with this version.
VERSION = metadata.version("fastapi-offline")

_BUNDLED = Path(fastapi_offline.__file__).parent / "static"
_OWN = Path(__file__).parent / "static"
#: Every file served under ``ASSETS_URL``: name -> (path, media type). Nothing else is.
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (_BUNDLED / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (_BUNDLED / "swagger-ui.css", "text/css"),
    "redoc.standalone.js": (_BUNDLED / "redoc.standalone.js", "text/javascript"),
    "favicon.png": (_BUNDLED / "favicon.png", "image/png"),
    "swagger-init.js": (_OWN / "swagger-init.js", "text/javascript"),
}
#: The pages load scripts and styles from this origin only; Swagger UI and ReDoc set inline
#: styles, ReDoc runs its search in a worker made from a blob.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


def asset(name: str) -> str:
    return f"{ASSETS_URL}/{VERSION}/{name}"


def _problem(status: int, message: Msg, rule: str) -> HTTPException:
    return HTTPException(
        status_code=status,
        detail=[{"field": None, "rule": rule, "message": message, "details": {}}],
        headers={"WWW-Authenticate": "Bearer"} if status == HTTP_401_UNAUTHORIZED else None,
    )


def _public(request: Request) -> bool:
    settings = getattr(request.app.state, "settings", None)
    return bool(getattr(settings, "public_docs", False))


def _member(books: Books, request: Request) -> str | None:
    """The caller if a member of some community; None when anonymous; 401 for a bad token,
    403 for a user of no community."""
    username = current_username(request, books)
    if username is None:
        return None
    if not users.communities_of(books, username):
        raise _problem(
            HTTP_403_FORBIDDEN,
            msg("docs.api-documentation-for-members-2", username=username),
            "docs-members",
        )
    return username


async def _guard(request: Request, *, page: bool) -> Response | None:
    """None when the caller may read the documentation; else the answer to give (a redirect
    to the login page for a browser's page request) or an exception (401, 403)."""
    if _public(request):
        return None
    books: Books = request.app.state.books
    username = await anyio.to_thread.run_sync(_member, books, request)
    if username is not None:
        return None
    if page:
        return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}", 303)
    raise _problem(
        HTTP_401_UNAUTHORIZED,
        msg("docs.api-documentation-for-members"),
        "auth",
    )


def _headers(request: Request) -> dict[str, str]:
    scope = "public" if _public(request) else "private"
    return {"Content-Security-Policy": CSP, "Cache-Control": f"{scope}, no-cache"}


def _page(title: str, head: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>{title}</title>\n"
        f'<link rel="icon" type="image/png" href="{asset("favicon.png")}" />\n'
        f"{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )


def swagger_html(title: str) -> str:
    return _page(
        f"{title} - Swagger UI",
        f'<link rel="stylesheet" href="{asset("swagger-ui.css")}" />\n',
        f'<div id="swagger-ui" data-openapi-url="{OPENAPI_URL}"></div>\n'
        f'<script src="{asset("swagger-ui-bundle.js")}"></script>\n'
        f'<script src="{asset("swagger-init.js")}"></script>\n',
    )


def redoc_html(title: str) -> str:
    # The standalone bundle starts ReDoc on the <redoc> element by itself.
    return _page(
        f"{title} - ReDoc",
        "",
        f'<redoc spec-url="{OPENAPI_URL}"></redoc>\n'
        f'<script src="{asset("redoc.standalone.js")}"></script>\n',
    )


@router.get(DOCS_URL)
async def docs(request: Request) -> Response:
    refused = await _guard(request, page=True)
    if refused is not None:
        return refused
    return HTMLResponse(swagger_html(request.app.title), headers=_headers(request))


@router.get(REDOC_URL)
async def redoc(request: Request) -> Response:
    refused = await _guard(request, page=True)
    if refused is not None:
        return refused
    return HTMLResponse(redoc_html(request.app.title), headers=_headers(request))


@router.get(OPENAPI_URL)
async def openapi(request: Request) -> Response:
    await _guard(request, page=False)
    document: dict[str, Any] = request.app.openapi()
    return JSONResponse(document, headers={"Cache-Control": _headers(request)["Cache-Control"]})


@router.get(ASSETS_URL + "/{version}/{name}")
async def docs_asset(request: Request, version: str, name: str) -> Response:
    await _guard(request, page=False)
    found = ASSETS.get(name)
    if version != VERSION or found is None:
        raise _problem(
            HTTP_404_NOT_FOUND, msg("docs.no-documentation-asset", name=name), "docs-asset"
        )
    path, media_type = found
    scope = "public" if _public(request) else "private"
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": f"{scope}, max-age=31536000, immutable"},
    )
