"""Public pages, no login: the disclosure statements of closed periods and the unit lookup.

Open periods are never shown: a period that is not closed answers 404, exactly like one that
does not exist. A closed period's statement is drawn once per format and language and stored in
the database (:mod:`audit.notices`); every node serves those bytes with their SHA-256 as the
``ETag``, and answers 304 to a matching ``If-None-Match``. Query parameters other than
``format`` and ``lang`` are ignored, and an unknown format or language is refused (422): no
request makes a node draw a statement again. What changed since the close is the separate live
part (``/live``), read at each request and added to the HTML page as its own section.

Under each notice anyone may file an objection (``POST .../objections``, :mod:`rules.objections`)
as JSON or from the notice page's own form (``application/x-www-form-urlencoded``, no script):
the form is answered with a redirect back to the notice, showing the objection, or a page
listing what to correct. The live section lists the objections by building only.

Refusals (no such community, unit or closed period; a unit written wrongly; a bad format) are
a page for a browser (``Accept: text/html``; Chinese, ``lang=en`` English) saying what is wrong,
with the unit format and a link back (:class:`PublicRoute`), and the ``{"detail": [...]}``
problem list for programs, both under the same strict CSP.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import client_address
from api.errors import ErrorBody
from audit import disclosure, notices
from audit import disclosure_render as render
from ledger.books import Books
from ledger.db import reader
from ledger.errors import LedgerError, Problem, ValidationFailed
from ledger.messages import msg, text_of, validation_text
from ledger.schemas import unit_code
from rules import objections
from rules.objections import Filed, ObjectionIn

#: Public answers: a page or a document, or a problem list (404: no such community, unit or
#: closed period; 422: a bad format or language).
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such community or unit, or no closed period"},
    422: {
        "model": ErrorBody,
        "description": "Unknown format or language, or a unit code written wrongly",
    },
}


def _wants_html(request: Request) -> bool:
    """A browser asks for a page; a program (``Accept: application/json`` or none) gets the
    problem list."""
    return "text/html" in request.headers.get("accept", "").lower()


def _community_exists(books: Books, slug: str) -> bool:
    with reader(books.engine) as session:
        try:
            books.community(session, slug)
        except LedgerError:
            return False
    return True


def _error_page(request: Request, status: int, messages: list[str]) -> Response:
    """A public refusal as a Chinese (``lang=en``: English) page under the public CSP: what
    was not found or is wrong, the unit format and lookup form where a unit was asked for,
    and a link back to the community's notices."""
    books: Books = request.app.state.books
    params = request.path_params
    slug = str(params.get("slug", ""))
    lang = "en" if request.query_params.get("lang") == "en" else "zh"
    unit = str(params.get("unit") or request.query_params.get("unit") or "")
    known = _community_exists(books, slug)
    on_units = "unit" in params or request.url.path.rstrip("/").endswith("/units")
    if not known:
        kind = "community"
    elif on_units:
        kind = "unit" if status == 404 else "unit_format"
    elif "period" in params and status == 404:
        kind = "period"
    else:
        kind = "request"
    page = render.error_html(
        kind=kind,
        lang=lang,
        problems=[] if kind in ("community", "period") else messages,
        slug=slug,
        period=str(params.get("period", "")),
        unit=unit,
        back_url=f"/public/{slug}/disclosures?lang={lang}" if known else "",
        units_url=notices.units_url(slug) if known and on_units else "",
    )
    headers = dict(HEADERS)
    headers["Cache-Control"] = "no-store"
    return Response(page.encode(), status_code=status, media_type="text/html", headers=headers)


class PublicRoute(APIRoute):
    """The public routes' refusals: for a browser, a page (:func:`_error_page`); for a
    program, the same ``{"detail": [...]}`` as everywhere else (re-raised to the app's
    handlers)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                if not _wants_html(request) or not isinstance(exc.detail, list):
                    raise
                messages = [str(p.get("message", "")) for p in exc.detail]
                return await run_in_threadpool(_error_page, request, exc.status_code, messages)
            except RequestValidationError as exc:
                if not _wants_html(request):
                    raise
                messages = [
                    f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                    for e in exc.errors()
                ]
                return await run_in_threadpool(_error_page, request, 422, messages)

        return route


router = APIRouter(prefix="/public", tags=["public"], responses=ERRORS, route_class=PublicRoute)


def _ok(*formats: str) -> dict[int | str, dict[str, Any]]:
    content: dict[str, Any] = {render.MEDIA_TYPES[f].split(";")[0]: {} for f in formats}
    return {200: {"description": "The page or document", "content": content}}


Format = Literal["html", "pdf", "md", "json", "text"]
PageFormat = Literal["html", "json"]
Lang = Literal["zh", "en"]

#: Public pages carry everything inline (styles, SVG charts as data URIs); nothing else loads.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=300",
}
#: A stored notice never changes. Its HTML page carries the live section (objections and
#: their answers, reversals, payouts), so a browser asks again on every visit and gets a 304
#: while nothing changed: an owner who just objected, or reads the committee's answer, never
#: sees a copy from before.
STORED_MAX_AGE = 7 * 24 * 3600
PAGE_CACHE = "public, no-cache"
LIVE_MAX_AGE = 60


def get_books(request: Request) -> Books:
    books: Books = request.app.state.books
    return books


BooksDep = Annotated[Books, Depends(get_books)]


def _site(request: Request) -> str:
    """The configured public address (``COMMONS_PUBLIC_URL``); empty for an app built without
    settings (a node serving only these routes)."""
    settings = getattr(request.app.state, "settings", None)
    return str(getattr(settings, "public_url", ""))


def _refusal(exc: LedgerError) -> HTTPException:
    return HTTPException(status_code=exc.status.value, detail=exc.detail())


def _response(body: bytes, fmt: str, filename: str | None = None) -> Response:
    headers = dict(HEADERS)
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(content=body, media_type=render.MEDIA_TYPES[fmt], headers=headers)


def _json(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False, indent=2).encode()


@router.get(
    "/{slug}/disclosures",
    summary="Closed periods with a disclosure statement",
    responses=_ok("html", "json"),
)
def list_disclosures(
    slug: str,
    books: BooksDep,
    format: PageFormat = "html",
    lang: Lang = "zh",
) -> Response:
    try:
        periods = disclosure.closed_periods(books=books, slug=slug)
        name = disclosure.community_name(books=books, slug=slug)
    except LedgerError as exc:
        raise _refusal(exc) from None
    items = [
        {
            "period": p.period,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "closed_at": p.closed_at,
            "head_seq": p.head_seq,
            "head_hash": p.head_hash,
            "url": f"/public/{slug}/disclosures/{p.period}",
        }
        for p in periods
    ]
    if format == "json":
        return _response(_json({"community": name, "slug": slug, "periods": items}), "json")
    page = render.list_html(slug=slug, community=name, periods=items, lang=lang)
    return _response(page.encode(), "html")


@router.get(
    "/{slug}/disclosures/{period}",
    summary="The disclosure statement of a closed period",
    responses=_ok(*render.FORMATS),
)
def get_disclosure(
    slug: str,
    period: str,
    request: Request,
    books: BooksDep,
    format: Format = "html",
    lang: Lang = "zh",
) -> Response:
    try:
        found = notices.notice(
            books=books,
            slug=slug,
            period=period,
            fmt=format,
            lang=lang,
            site=_site(request),
        )
        body, etag = found.body, found.sha256
        cache = f"public, max-age={STORED_MAX_AGE}"
        if format == "html":
            live = notices.live(books=books, slug=slug, period=period)
            section = notices.live_html(live, lang=lang)
            cache = PAGE_CACHE
            if section:
                body = notices.with_live(body, section)
                etag = hashlib.sha256(body).hexdigest()
    except LedgerError as exc:
        raise _refusal(exc) from None
    headers = dict(HEADERS)
    headers["ETag"] = f'"{etag}"'
    headers["Cache-Control"] = cache
    if format != "html":
        extension = "txt" if format == "text" else format
        headers["Content-Disposition"] = (
            f'inline; filename="{slug}-{found.period}-{lang}.{extension}"'
        )
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=render.MEDIA_TYPES[format], headers=headers)


def _matches(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak or strong, in a list, or ``*``)."""
    if not header:
        return False
    for item in header.split(","):
        tag = item.strip()
        if tag == "*":
            return True
        tag = tag.removeprefix("W/").strip('"')
        if tag == etag:
            return True
    return False


@router.get(
    "/{slug}/disclosures/{period}/live",
    summary="What changed about a closed period since its close",
    responses=_ok("json"),
)
def get_live(slug: str, period: str, books: BooksDep) -> Response:
    """Entries of the period reversed by entries posted after the close, and the chain head
    now: never part of the stored statement."""
    try:
        found = notices.live(books=books, slug=slug, period=period)
    except LedgerError as exc:
        raise _refusal(exc) from None
    headers = dict(HEADERS)
    headers["Cache-Control"] = f"public, max-age={LIVE_MAX_AGE}"
    return Response(
        content=_json(found.as_json()), media_type=render.MEDIA_TYPES["json"], headers=headers
    )


def _unit(text: str) -> str:
    """The unit code as the register writes them (``ledger.schemas.unit_code``); 422 naming
    the expected format otherwise."""
    try:
        return unit_code(text.strip())
    except ValueError as exc:
        raise _refusal(
            ValidationFailed(
                [
                    Problem(
                        text_of(exc),
                        field="unit",
                        rule="unit-format",
                        details={"example": "1-1-0101"},
                    )
                ]
            )
        ) from None


@router.get("/{slug}/units", summary="The unit lookup form's target", include_in_schema=False)
def find_unit(
    slug: str, unit: Annotated[str, Query(min_length=1, max_length=40)], lang: Lang = "zh"
) -> Response:
    from urllib.parse import quote

    code = _unit(unit)
    return RedirectResponse(
        f"/public/{slug}/units/{quote(code, safe='')}?lang={lang}", status_code=303
    )


@router.get(
    "/{slug}/units/{unit}",
    summary="A unit's dividends and subsidies in closed periods",
    responses=_ok("html", "json"),
)
def get_unit(
    slug: str,
    unit: str,
    books: BooksDep,
    format: PageFormat = "html",
    lang: Lang = "zh",
) -> Response:
    code = _unit(unit)
    try:
        receipts = disclosure.unit_receipts(books=books, slug=slug, unit=code)
    except LedgerError as exc:
        raise _refusal(exc) from None
    if format == "json":
        return _response(_json(receipts.as_json()), "json")
    return _response(render.unit_html(receipts, lang=lang).encode(), "html")


# --- objections (异议) under a notice ---------------------------------------------------------

#: The objection route reads its body itself (JSON or the notice page's form); the OpenAPI
#: document still describes it (``api.app`` adds ``OPENAPI_MODELS`` to its components).
OPENAPI_MODELS = (ObjectionIn,)
FORM_TYPE = "application/x-www-form-urlencoded"
OBJECTION_ERRORS: dict[int | str, dict[str, Any]] = {
    201: {"model": Filed, "description": "Filed; the form is answered 303 to the notice"},
    303: {"description": "The form was filed: back to the notice, at the objection"},
    404: {"model": ErrorBody, "description": "No such community or closed period"},
    415: {"model": ErrorBody, "description": "Neither JSON nor a form"},
    422: {"model": ErrorBody, "description": "A bad body, or no such unit"},
    429: {"model": ErrorBody, "description": "A daily limit on filings is reached"},
}


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]

_REFUSED_TITLE = {"zh": "异议未提交", "en": "The objection was not filed"}
_REFUSED_BACK = {"zh": "返回公示，修改后重新提交", "en": "Back to the notice to correct it"}


def _media(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _problems(exc: ValidationError) -> list[Problem]:
    return [
        Problem(
            validation_text(error, ".".join(str(p) for p in error.get("loc", ())) or None),
            field=".".join(str(p) for p in error.get("loc", ())) or None,
            rule=str(error.get("type", "invalid")),
        )
        for error in exc.errors()
    ]


def _refused_page(
    slug: str, period: str, lang: str, status: int, problems: list[Problem]
) -> Response:
    """The form's refusal: a page (no script) with each problem and a way back."""
    key = "en" if lang == "en" else "zh"
    items = "".join(
        f"<li>{html.escape((p.field + ': ') if p.field else '')}{html.escape(p.message)}</li>"
        for p in problems
    )
    back = html.escape(f"{notices.base_url(slug, period)}?lang={key}#file-objection")
    page = (
        f'<!DOCTYPE html>\n<html lang="{key}"><head><meta charset="utf-8"/>'
        f"<title>{_REFUSED_TITLE[key]}</title></head><body><h1>{_REFUSED_TITLE[key]}</h1>"
        f'<ul>{items}</ul><p><a href="{back}">{_REFUSED_BACK[key]}</a></p></body></html>'
    )
    headers = dict(HEADERS)
    headers["Cache-Control"] = "no-store"
    return Response(page.encode(), status_code=status, media_type="text/html", headers=headers)


@router.post(
    "/{slug}/disclosures/{period}/objections",
    summary="File an owner's objection under a closed period's notice (no login)",
    status_code=201,
    responses=OBJECTION_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ObjectionIn"}},
                FORM_TYPE: {"schema": {"$ref": "#/components/schemas/ObjectionIn"}},
            },
        }
    },
)
def file_objection(
    slug: str, period: str, request: Request, books: BooksDep, raw: RawBody
) -> Response:
    """The unit must be in the register; its contact is for the committee alone. At most
    ``UNIT_PER_DAY`` filings a day per unit and ``ADDRESS_PER_DAY`` per address (429)."""
    media = _media(request)
    address = client_address(request)
    if media == FORM_TYPE:
        fields = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        lang = "en" if fields.pop("lang", "zh") == "en" else "zh"
        try:
            body = ObjectionIn.model_validate(fields)
            filed = objections.file(
                books=books, slug=slug, period=period, body=body, address=address
            )
        except ValidationError as exc:
            return _refused_page(slug, period, lang, 422, _problems(exc))
        except LedgerError as exc:
            if exc.status.value == 404:
                raise _refusal(exc) from None
            return _refused_page(slug, period, lang, exc.status.value, exc.problems)
        target = f"{notices.base_url(slug, period)}?lang={lang}&filed={filed.id}"
        return RedirectResponse(f"{target}#objection-{filed.id}", status_code=303)
    if media != "application/json":
        problem = Problem(
            msg(
                "routes_public.send-objection-as-application",
                form_type=FORM_TYPE,
                media=media or "no content type",
            ),
            rule="media-type",
            details={"content_type": media},
        )
        raise HTTPException(status_code=415, detail=[problem.as_dict()])
    try:
        body = ObjectionIn.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors, body=raw) from None
    try:
        filed = objections.file(books=books, slug=slug, period=period, body=body, address=address)
    except LedgerError as exc:
        raise _refusal(exc) from None
    return JSONResponse(filed.model_dump(mode="json"), status_code=201, headers=_NO_STORE)


_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
