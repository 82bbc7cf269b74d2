"""Helpers for the API tests: the communities, the logins, transaction bodies. (A plain module,
not conftest, so test modules can import it whatever other conftest files exist.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from api.users import Role, add_member
from ledger import chart, clock
from ledger.books import Books

SLUG = "maple"
OTHER = "other"


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


SECRET = "test-secret-not-for-production"


def build_members(books: Books) -> dict[str, Login]:
    out: dict[str, Login] = {}
    for role in Role:
        password = f"{role.value}-password"
        added = add_member(
            books=books, username=role.value, slug=SLUG, role=role, password=password
        )
        assert added.token
        out[role.value] = Login(role.value, password, added.token)
    token = ""
    for role in Role:
        added = add_member(
            books=books,
            username="outsider",
            slug=OTHER,
            role=role,
            password="outsider-password" if role is Role.ADMIN else None,
            token=role is Role.ADMIN,
        )
        token = added.token or token
    out["outsider"] = Login("outsider", "outsider-password", token)
    first = add_member(books=books, username="both", slug=SLUG, role=Role.TREASURER)
    add_member(books=books, username="both", slug=SLUG, role=Role.APPROVER, token=False)
    assert first.token
    out["both"] = Login("both", "", first.token)
    return out


def txn(
    amount: str,
    key: str | None,
    *,
    kind: str = "income",
    debit: str = chart.BANK,
    credit: str = chart.INCOME_PARKING,
    narration: str = "停车费",
    day: str | None = None,
) -> dict[str, Any]:
    """A transaction body: ``amount`` moves from ``credit`` to ``debit``."""
    value = Decimal(amount)
    return {
        "date": day or clock.today().isoformat(),
        "payee": "物业服务中心",
        "narration": narration,
        "kind": kind,
        "postings": [
            {"account": debit, "amount": f"{value:.2f}"},
            {"account": credit, "amount": f"{-value:.2f}"},
        ],
        "documents": ["收据 0001"],
        **({"idempotency_key": key} if key else {}),
    }


def spend(amount: str, key: str | None, *, kind: str = "cost") -> dict[str, Any]:
    return txn(amount, key, kind=kind, debit=chart.COST_DIRECT, credit=chart.BANK, narration="维修")


def api(slug: str = SLUG) -> str:
    return f"/api/v1/communities/{slug}"


#: The TestClient's own origin: what a browser sends as ``Origin`` on the site's own forms.
ORIGIN = "http://testserver"


def field(page: str, name: str = "csrf") -> str:
    """The value of the first hidden field ``name`` on a page."""
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, f"no {name} field on the page"
    return found.group(1)


def login_token(client: TestClient) -> str:
    """The login form's CSRF token (and its pre-session cookie, kept by the client)."""
    page = client.get("/login").text
    return field(page.split('action="/login"', 1)[1])  # not the logout form's, when logged in


def login(client: TestClient, who: Login) -> str:
    """Log ``client`` in as a browser does (the form's token, the site's Origin, which the
    client then sends on every request); returns the session's CSRF token."""
    client.headers["Origin"] = ORIGIN
    response = client.post(
        "/login",
        data={"username": who.username, "password": who.password, "csrf": login_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return field(client.get("/").text)
