"""Fava for the supervisory committee, read-only, mounted inside the FastAPI app through
a2wsgi: per community, ``/fava/{slug}/`` serves the open years (``ledger.projection``: a reload
after a post costs their entries alone) and ``/fava/{slug}/{year}/`` each closed year, as a Fava
of its own that is loaded on first use and never reloaded (a closed year's files never change).
Only GET and HEAD reach Fava; every other method is refused here, before Fava sees it.

Before the open years' Fava answers, the projection is caught up with the database
(``Books.catch_up``: another process or node may have posted), so a post shows on the next
page, not at Fava's next poll. The Fava apps kept are bounded (``fava_apps_max``): the least
recently used is dropped, and built again on its next request.

The editor and the import page answer 404 here (``api.fava_readonly``). Ledger text is inert:
Fava's templates are loaded with ours first (``api/fava_templates``: its journal table with
autoescaping back on; its layout hiding the controls for writing), and the pages carry the
app's Content-Security-Policy (``api.middleware``). Fava's answers never show where the data
lives: every text or JSON answer has the community's directory (and the data directory) taken
out, so the ledger is ``ledger.beancount``, in any encoding the path could take in HTML, JSON or
a URL."""

from __future__ import annotations

import html
import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

from a2wsgi import WSGIMiddleware
from starlette.concurrency import run_in_threadpool

# Scope and Send are re-exported (``X as X``): the app's Fava guard takes them from here.
from starlette.types import ASGIApp, Message, Receive
from starlette.types import Scope as Scope
from starlette.types import Send as Send

from api.fava_readonly import blocked
from ledger.books import Books

if TYPE_CHECKING:
    from flask import Flask

Guard = Callable[[Scope, str, Send], Awaitable[bool]]

READ_METHODS = frozenset({"GET", "HEAD"})

#: Our versions of Fava templates: the journal table (it prints ledger text) and the layout
#: (it hides the controls for writing; see the folder's files).
FAVA_TEMPLATES = Path(__file__).with_name("fava_templates")
OVERRIDDEN = ("_journal_table.html", "_layout.html")
#: Answers read whole and cleaned of server paths: every text and JSON answer. (Binary
#: downloads, e.g. a query as a spreadsheet, are refused instead: see ``FavaMount``.)
SCRUBBED_TYPES = ("text/", "application/json", "application/xml", "image/svg+xml")
#: Query downloads Fava may offer besides CSV (with pyexcel installed); binary, so not scrubbed.
BINARY_DOWNLOADS = (".xlsx", ".ods")


async def plain_response(send: Send, status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


def path_forms(path: str) -> list[str]:
    """``path`` as it may appear in an answer: raw, in JSON (ASCII-escaped or not), in HTML and
    in a URL."""
    in_json = json.dumps(path)[1:-1]
    return [
        path,
        in_json,
        json.dumps(path, ensure_ascii=False)[1:-1],
        _html_safe_json(in_json),  # Jinja's ``tojson`` (Fava's ledger data in each page)
        html.escape(path),
        quote(path),
        quote(path, safe=""),
    ]


def _html_safe_json(text: str) -> str:
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escaped)
    return text


def scrubber(directory: Path, data_dir: Path) -> list[tuple[bytes, bytes]]:
    """Replacements taking the community's ``directory`` and the ``data_dir`` out of an
    answer, longest first: ``<directory>/ledger.beancount`` becomes ``ledger.beancount``."""
    pairs: list[tuple[str, str]] = []
    for root in dict.fromkeys([directory, directory.absolute(), directory.resolve()]):
        pairs += [(f"{root}/", ""), (str(root), ".")]
    for root in dict.fromkeys([data_dir, data_dir.absolute(), data_dir.resolve()]):
        pairs += [(f"{root}/", ""), (str(root), ".")]
    out: dict[bytes, bytes] = {}
    for old, new in pairs:
        if len(old) < 2:  # never "/" or "."
            continue
        for old_form, new_form in zip(path_forms(old), path_forms(new), strict=True):
            out.setdefault(old_form.encode(), new_form.encode())
    return sorted(out.items(), key=lambda pair: -len(pair[0]))


def scrub(body: bytes, replacements: list[tuple[bytes, bytes]]) -> bytes:
    for old, new in replacements:
        if old in body:
            body = body.replace(old, new)
    return body


def _scrubbing_send(send: Send, replacements: list[tuple[bytes, bytes]], head: bool) -> Send:
    """``send`` with every text or JSON answer read whole and cleaned of server paths."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def scrubbing(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            headers = list(message.get("headers") or [])
            kind = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"").decode()
            encoded = any(k.lower() == b"content-encoding" for k, _ in headers)
            if kind.startswith(SCRUBBED_TYPES) and not encoded:
                start = message
                return
            await send(message)
            return
        if start is None or message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = scrub(b"".join(chunks), replacements)
        headers = [(k, v) for k, v in start.get("headers") or [] if k.lower() != b"content-length"]
        if not head:
            headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})

    return scrubbing


def _restore_ledger_name(query: bytes, ledger: Path) -> bytes:
    """Fava's editor asks for ``?filename=`` what it was told the file is called (its bare
    name); Fava itself needs the path it loaded."""
    if ledger.name.encode() not in query:
        return query
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return urlencode(
        [(k, str(ledger) if k == "filename" and v == ledger.name else v) for k, v in pairs]
    ).encode("latin-1")


#: Fava's static files sit beside the ledgers' slugs: ``/fava/static/app.js``.
STATIC = "static"


def community_slug(ledger: object) -> str:
    """Fava's ledger slug: the community's own for the open years (their book is in
    ``<data>/<slug>/``), so ``/fava/<slug>/income_statement/`` is the whole URL; a closed
    year's (its book is ``<data>/<slug>/years/<year>/ledger.beancount``, served with the
    community's slug in the root path) is the year: ``/fava/<slug>/<year>/journal/``. Fava
    would take a slug of its own from the ledger's title."""
    return Path(str(getattr(ledger, "beancount_file_path", ""))).parent.name


def _slug_by_community() -> None:
    import fava.application

    fava.application._slug = community_slug


def fava_app(path: Path, *, sealed: bool = False) -> Flask:
    """Fava's Flask app for the ledger at ``path``, read-only, our templates first. A
    ``sealed`` ledger (a closed year) is loaded now and never looked at again."""
    from fava.application import create_app
    from fava.core.watcher import Watcher

    _slug_by_community()
    from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader

    missing = [name for name in OVERRIDDEN if not (FAVA_TEMPLATES / name).is_file()]
    if missing:  # never fall back to Fava's own journal table (it prints ledger text raw)
        raise RuntimeError(f"the Fava template overrides are missing: {missing}")
    flask_app: Flask = create_app([str(path)], read_only=True, poll_watcher=True)
    loaders: list[BaseLoader] = [FileSystemLoader(str(FAVA_TEMPLATES))]
    if flask_app.jinja_loader is not None:
        loaders.append(flask_app.jinja_loader)
    flask_app.jinja_loader = ChoiceLoader(loaders)
    if sealed:

        class Sealed(Watcher):  # type: ignore[misc]
            def check(self) -> bool:
                return False

        for ledger in flask_app.config["LEDGERS"].ledgers:
            watcher = Sealed()
            watcher.last_checked = ledger.watcher.last_checked
            ledger.watcher = watcher
    return flask_app


#: A closed year in a URL: ``/fava/<slug>/<year>/``.
YEAR_DIGITS = 4


def year_of(segment: str) -> int | None:
    return int(segment) if len(segment) == YEAR_DIGITS and segment.isdigit() else None


@dataclass(frozen=True)
class Served:
    """One Fava app and what serving it needs: its ledger's path and the answer scrubber."""

    app: ASGIApp
    ledger: Path
    scrub: list[tuple[bytes, bytes]]
    #: Fava's loaded ledger (``fava.core.FavaLedger``), asked whether its files changed.
    loaded: Any


class FavaMount:
    """An ASGI app dispatching ``/{slug}/...`` to that community's open years' Fava and
    ``/{slug}/{year}/...`` to a closed year's, each built on first use; at most ``apps_max``
    kept (least recently used dropped first).

    ``guard(scope, slug, send)`` may answer the request itself (a login redirect) and return False.
    """

    def __init__(self, books: Books, guard: Guard | None = None, *, apps_max: int = 32) -> None:
        self.books = books
        self.guard = guard
        self.apps_max = max(1, apps_max)
        self._apps: OrderedDict[tuple[str, int | None], Served] = OrderedDict()
        self._lock = threading.Lock()

    def kept(self) -> list[tuple[str, int | None]]:
        """The apps kept, least recently used first."""
        with self._lock:
            return list(self._apps)

    def _served(self, slug: str, year: int | None) -> Served | None:
        """The app for ``slug`` (and a closed ``year``), caught up with the database first
        when it is the open years'; None when there is no such community or year."""
        if not self.books.catch_up(slug):
            return None
        projection = self.books.projection(slug)
        path = (projection.fava_path() if year is None else projection.year_path(year)).absolute()
        if not path.exists():
            return None
        key = (slug, year)
        with self._lock:
            served = self._apps.get(key)
            if served is not None and served.ledger == path:
                self._apps.move_to_end(key)
        if served is not None and served.ledger == path:
            # Fava looks at its files before a page, not before its JSON API (which the page
            # then calls): look now, so that either shows what was just caught up.
            served.loaded.changed()
            return served
        # Built outside the lock (loading a year takes a while); two first requests may both
        # build, and the second one's app is kept.
        flask_app = fava_app(path, sealed=year is not None)
        built = Served(
            WSGIMiddleware(flask_app),
            path,
            scrubber(path.parent, Path(self.books.data_dir)),
            flask_app.config["LEDGERS"].ledgers[0],
        )
        with self._lock:
            self._apps[key] = built
            self._apps.move_to_end(key)
            while len(self._apps) > self.apps_max:
                self._apps.popitem(last=False)
        return built

    async def _static(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self._lock:
            served = next(iter(self._apps.values()), None)
        app = served.app if served is not None else None
        if app is None:
            await plain_response(send, 404, "open a community's Fava first: /fava/{slug}/")
            return
        await app(scope, receive, send)

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
        if blocked(rest):  # the editor and the import page (api.fava_readonly)
            await plain_response(send, 404, "Fava is read-only here: no editor, no import")
            return
        parts = rest.strip("/").split("/", 2)
        year = year_of(parts[1]) if len(parts) > 1 else None
        if slug == STATIC:
            # Fava's own script and styles (/fava/static/...): the same for every community
            # and holding no ledger data; served by whichever community's Fava is built.
            await self._static(scope, receive, send)
            return
        if self.guard is not None and not await self.guard(scope, slug, send):
            return
        if len(parts) > 1 and parts[1] == STATIC:
            # A closed year's pages ask for them under the community: /fava/<slug>/static/...
            await self._static({**scope, "root_path": f"{root}/{slug}"}, receive, send)
            return
        served = await run_in_threadpool(self._served, slug, year)
        if served is None:
            what = (
                f"no community {slug!r}" if year is None else f"no closed year {year} of {slug!r}"
            )
            await plain_response(send, 404, what)
            return
        if rest.endswith(BINARY_DOWNLOADS):
            await plain_response(send, 404, "query results download as CSV here")
            return
        child = dict(scope)
        # Fava's own ledger slug is the community's, or for a closed year the year, under the
        # community (``community_slug``): it reads the slug from the path, so the URLs carry
        # our slug (and the year) alone.
        child["root_path"] = root if year is None else f"{root}/{slug}"
        child["path"] = path
        child["query_string"] = _restore_ledger_name(scope.get("query_string", b""), served.ledger)
        # Fava never compresses; ask it not to, so every answer can be read and scrubbed.
        child["headers"] = [
            (k, v) for k, v in scope.get("headers") or [] if k.lower() != b"accept-encoding"
        ]
        head = scope["method"] == "HEAD"
        await served.app(child, receive, _scrubbing_send(send, served.scrub, head))
