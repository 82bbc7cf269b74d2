"""Public pages, no login: the disclosure statements of closed periods and the unit lookup.

Open periods are never shown: a period that is not closed answers 404, exactly like one that
does not exist. Statements of a closed period are immutable (they read the journal up to the
chain head recorded at the close), so rendered bytes are cached per chain head, community
revision and rules file, and a PDF is drawn once, not on every visit.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.errors import ErrorBody
from audit import disclosure
from audit import disclosure_render as render
from ledger.books import Books
from ledger.errors import LedgerError

#: Public answers: a page or a document, or a problem list (404: no such community, unit or
#: closed period; 422: a bad format or language).
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such community or unit, or no closed period"},
    422: {"model": ErrorBody, "description": "Unknown format or language"},
}
router = APIRouter(prefix="/public", tags=["public"], responses=ERRORS)


def _ok(*formats: str) -> dict[int | str, dict[str, Any]]:
    content: dict[str, Any] = {render.MEDIA_TYPES[f].split(";")[0]: {} for f in formats}
    return {200: {"description": "The page or document", "content": content}}


Format = Literal["html", "pdf", "md", "json"]
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
CACHE_SIZE = 64


def get_books(request: Request) -> Books:
    books: Books = request.app.state.books
    return books


BooksDep = Annotated[Books, Depends(get_books)]


class RenderCache:
    """A small LRU of rendered statements, keyed by what could change them."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, ...], value: bytes) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def _cache(request: Request) -> RenderCache:
    state = request.app.state
    cache = getattr(state, "disclosure_cache", None)
    if cache is None:
        cache = state.disclosure_cache = RenderCache()
    assert isinstance(cache, RenderCache)
    return cache


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
        key = (
            slug,
            period,
            format,
            lang,
            *disclosure.fingerprint(books=books, slug=slug, period=period),
        )
        body = _cache(request).get(key)
        if body is None:
            statement = disclosure.statement(books=books, slug=slug, period=period)
            body = render.render(
                statement,
                fmt=format,
                lang=lang,
                base_url=f"/public/{slug}/disclosures/{period}",
                units_url=f"/public/{slug}/units",
            )
            _cache(request).put(key, body)
    except LedgerError as exc:
        raise _refusal(exc) from None
    filename = None if format == "html" else f"{slug}-{period}-{lang}.{format}"
    return _response(body, format, filename)


@router.get("/{slug}/units", summary="The unit lookup form's target", include_in_schema=False)
def find_unit(
    slug: str, unit: Annotated[str, Query(min_length=1, max_length=40)], lang: Lang = "zh"
) -> Response:
    from urllib.parse import quote

    return RedirectResponse(
        f"/public/{slug}/units/{quote(unit.strip(), safe='')}?lang={lang}", status_code=303
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
    try:
        receipts = disclosure.unit_receipts(books=books, slug=slug, unit=unit)
    except LedgerError as exc:
        raise _refusal(exc) from None
    if format == "json":
        return _response(_json(receipts.as_json()), "json")
    return _response(render.unit_html(receipts, lang=lang).encode(), "html")
