"""The single-post hot path through HTTP: the posting lane (``api.lane``) gives the answers
the usual routing gives, and a post that would wait on the event loop is run in a worker
thread instead (``api.inline``), while the loop goes on answering."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.responses import Response

from api.lane import PostingLane
from api.middleware import SECURITY_HEADERS
from ledger import chart
from ledger.books import Books
from tests.api_helpers import Login, api, spend, txn

# --- which requests the lane takes -----------------------------------------------------------


class Recorder:
    """An endpoint and an inner app that note who answered."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def endpoint(self, slug: str, request: Any) -> Any:
        self.calls.append(f"lane:{slug}")
        return Response(b"{}", status_code=201, media_type="application/json")

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls.append("usual")
        await Response(b"", status_code=204)(scope, receive, send)


def scope_of(method: str, path: str, headers: dict[bytes, bytes], **extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": list(headers.items()),
        "query_string": b"",
        "app": None,
        **extra,
    }


def answer(lane: PostingLane, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(lane(scope, receive, send))
    return sent


BEARER = {b"authorization": b"Bearer t", b"content-length": b"2"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "extra", "taken"),
    [
        ("POST", "/api/v1/communities/maple/transactions", BEARER, {}, "lane:maple"),
        ("POST", "/api/v1/communities/枫林/transactions", BEARER, {}, "lane:枫林"),
        ("GET", "/api/v1/communities/maple/transactions", BEARER, {}, "usual"),
        ("POST", "/api/v1/communities/maple/transactions/bulk", BEARER, {}, "usual"),
        ("POST", "/api/v1/communities/maple/transactions/", BEARER, {}, "usual"),
        ("POST", "/api/v1/communities/a/b/transactions", BEARER, {}, "usual"),
        ("POST", "/api/v1/communities/maple/transactions", {b"content-length": b"2"}, {}, "usual"),
        (
            "POST",
            "/api/v1/communities/maple/transactions",
            {b"authorization": b"Bearer t", b"transfer-encoding": b"chunked"},
            {},
            "usual",
        ),
        (
            "POST",
            "/api/v1/communities/maple/transactions",
            {b"authorization": b"Bearer t", b"content-length": b"1048577"},
            {},
            "usual",
        ),
        ("POST", "/api/v1/communities/maple/transactions", BEARER, {"root_path": "/x"}, "usual"),
    ],
)
def test_the_lane_takes_only_a_programs_single_post(
    method: str, path: str, headers: dict[bytes, bytes], extra: dict[str, Any], taken: str
) -> None:
    recorder = Recorder()
    lane = PostingLane(recorder.app, endpoint=recorder.endpoint, limit=1024 * 1024)
    sent = answer(lane, scope_of(method, path, headers, **extra))
    assert recorder.calls == [taken]
    if taken.startswith("lane"):
        start = sent[0]
        assert start["status"] == 201
        assert set(SECURITY_HEADERS) <= set(start["headers"])


# --- the lane answers as the usual way does ---------------------------------------------------


def chunked(body: Any) -> Any:
    """The body sent in chunks: no Content-Length, so the lane leaves it to the usual way."""
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    return iter([data[:10], data[10:]])


def both_ways(
    client: TestClient, path: str, body: Any, headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    sent = {**headers, "Content-Type": "application/json"}
    lane = client.post(path, content=data, headers=sent)
    usual = client.post(path, content=chunked(data), headers=sent)
    assert "content-length" in lane.request.headers
    assert "content-length" not in usual.request.headers
    return lane, usual


def same(lane: httpx.Response, usual: httpx.Response) -> None:
    assert lane.status_code == usual.status_code, (lane.text, usual.text)
    for name, value in SECURITY_HEADERS:
        assert lane.headers[name.decode()] == usual.headers[name.decode()] == value.decode()
    assert lane.headers["content-type"] == usual.headers["content-type"]


def test_refusals_are_the_same_either_way(client: TestClient, members: dict[str, Login]) -> None:
    path = f"{api()}/transactions"
    treasurer, supervisor = members["treasurer"], members["supervisor"]
    cases: list[tuple[str, Any, dict[str, str], int]] = [
        ("bad token", txn("1.00", None), {"Authorization": "Bearer nope"}, 401),
        ("another scheme", txn("1.00", None), {"Authorization": "Basic eDp5"}, 401),
        ("no role", txn("1.00", None), supervisor.bearer, 403),
        ("malformed JSON", b'{"date": ', treasurer.bearer, 422),
        (
            "three decimals",
            {
                **txn("1.00", None),
                "postings": [
                    {"account": chart.BANK, "amount": "1.001"},
                    {"account": chart.INCOME_PARKING, "amount": "-1.001"},
                ],
            },
            treasurer.bearer,
            422,
        ),
        ("unknown account", txn("1.00", None, debit="Assets:9999-无"), treasurer.bearer, 422),
        ("overdraft", spend("5.00", None), treasurer.bearer, 422),
        ("two keys", txn("1.00", "a"), {**treasurer.bearer, "Idempotency-Key": "b"}, 422),
    ]
    for name, body, headers, status in cases:
        lane, usual = both_ways(client, path, body, headers)
        same(lane, usual)
        assert lane.status_code == status, name
        assert lane.json() == usual.json(), name
    outsider = members["outsider"]
    lane, usual = both_ways(client, path, txn("1.00", None), outsider.bearer)
    same(lane, usual)
    assert lane.status_code == 404 and lane.json() == usual.json()
    listed = client.get(f"{path}?limit=100", headers=treasurer.bearer).json()
    assert listed["items"] == []  # every refusal left nothing behind


def test_a_post_and_its_replay_are_the_same_either_way(
    client: TestClient, members: dict[str, Login]
) -> None:
    path = f"{api()}/transactions"
    treasurer = members["treasurer"]
    lane, usual = both_ways(client, path, txn("12.30", "k-lane"), treasurer.bearer)
    assert lane.status_code == usual.status_code == 201
    assert usual.headers["idempotent-replayed"] == "true"  # the second is a replay
    assert "idempotent-replayed" not in lane.headers
    assert lane.json() == usual.json()
    same(client.post(path, json=txn("1.00", "k-2"), headers=treasurer.bearer), lane)
    fresh_lane = client.post(path, json=txn("4.00", "k-3"), headers=treasurer.bearer).json()
    fresh_usual = client.post(
        path, content=chunked(txn("4.00", "k-4")), headers=treasurer.bearer
    ).json()
    differ = {"id", "seq", "idempotency_key", "hash", "prev_hash", "created_at", "posted_at"}
    assert {k: v for k, v in fresh_lane.items() if k not in differ} == {
        k: v for k, v in fresh_usual.items() if k not in differ
    }
    assert fresh_usual["seq"] == fresh_lane["seq"] + 1


# --- a post that would wait goes to a worker thread -------------------------------------------


class WriteLockHolder(threading.Thread):
    """Another connection holding SQLite's write lock until ``release`` is set (or 30 s)."""

    def __init__(self, books: Books) -> None:
        super().__init__()
        self.path = str(books.engine.url.database)
        self.held, self.release, self.released = (threading.Event() for _ in range(3))
        self.timed_out = False

    def run(self) -> None:
        other = sqlite3.connect(self.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        self.held.set()
        self.timed_out = not self.release.wait(timeout=30)
        other.execute("ROLLBACK")
        other.close()
        self.released.set()


def test_a_post_waiting_for_the_write_lock_leaves_the_loop_free(
    app: FastAPI, api_books: Books, members: dict[str, Login]
) -> None:
    """The post finds the lock held, goes to a worker thread and waits there; meanwhile the
    loop answers a page, which then lets the lock go. Had the post waited on the loop, the
    page could not have been answered until the holder gave up after 30 s."""
    treasurer = members["treasurer"]
    path = f"{api()}/transactions"
    holder = WriteLockHolder(api_books)

    async def scenario() -> tuple[httpx.Response, bool]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            warm = await http.post(path, json=txn("1.00", "warm"), headers=treasurer.bearer)
            assert warm.status_code == 201  # state built, token's use recorded
            holder.start()
            await asyncio.to_thread(holder.held.wait)

            async def post() -> tuple[httpx.Response, bool]:
                response = await http.post(path, json=txn("2.00", "k"), headers=treasurer.bearer)
                return response, holder.released.is_set()

            async def page() -> None:
                await asyncio.sleep(0.1)  # the post is under way by now
                response = await http.get("/login")
                assert response.status_code == 200
                assert not holder.released.is_set()  # answered while the lock was held
                holder.release.set()

            (posted, after_release), _ = await asyncio.gather(post(), page())
            await asyncio.to_thread(holder.join)
            return posted, after_release

    posted, after_release = asyncio.run(scenario())
    assert not holder.timed_out
    assert posted.status_code == 201 and posted.json()["seq"] == 2
    assert after_release  # it committed once the other writer let go
