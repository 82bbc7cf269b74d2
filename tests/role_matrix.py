"""THE role matrix: every route of the app, every role and no login, the expected status.

``tests/test_api_roles.py`` runs it and FAILS if the app serves a route that has no row here,
so a new route cannot be added without deciding who may call it. Add one ``Row`` per route
(method and path exactly as FastAPI lists them; a mount is ``("MOUNT", prefix)`` with a
``url`` to request).

Columns of ``expect`` (seven statuses, in this order)::

    anon      no credentials
    outsider  a user holding every role, but in another community
    admin  treasurer  approver  supervisor  auditor   members of the community

How a cell is asked: API routes (``/api/...``) with the role's bearer token, pages as a browser
asks them: the role's session cookie and the site's ``Origin``, no bearer token. ``{slug}`` is
the community; other path parameters name objects the test prepares (``ids``): ``posted`` (a
posted entry), ``pending_a`` .. ``pending_d`` (entries pending approval, one per approving
route, so each is acted on once); any other value is used literally (e.g.
``ids={"period": "2025Q1"}``). ``json``/``form`` values may contain ``{csrf}`` (the role's CSRF
token for that form: the one the entry page puts in the form posting to the row's URL, else
the session's), ``{login_csrf}`` (a login form's token), ``{today}`` and ``{role}`` (the
column). A row with ``fresh_session`` (logout) is asked with a session of its own, logged in
for that cell. Objects your routes need beyond these: prepare them in ``_prepare`` of
``tests/test_api_roles.py``.

Then every write (POST, PUT, PATCH, DELETE; not ``/login``) is asked again with each role's
session cookie and no bearer token: from another origin it must be 403, and without the CSRF
token 403 (or the 404 of a non-member), so a new write cannot skip the CSRF check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.docs import VERSION as DOCS_VERSION

ROLES = ("anon", "outsider", "admin", "treasurer", "approver", "supervisor", "auditor")

TODAY = "{today}"
BANK = "Assets:1002-银行存款:01-基本户"
PARKING = "Income:4301-共有收益:01-停车费"


def _income(key: str) -> dict[str, Any]:
    return {
        "date": TODAY,
        "narration": "role matrix",
        "kind": "income",
        "postings": [
            {"account": BANK, "amount": "1.00"},
            {"account": PARKING, "amount": "-1.00"},
        ],
        "idempotency_key": key,
    }


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: str  # seven statuses in ROLES order
    ids: dict[str, str] = field(default_factory=dict)  # path parameter -> prepared object
    json: Any = None
    form: dict[str, str] | None = None
    url: str | None = None  # for mounts: the URL to request
    fresh_session: bool = False  # the cell ends its session (logout): log in anew for it

    def statuses(self) -> dict[str, int]:
        codes = [int(c) for c in self.expect.split()]
        assert len(codes) == len(ROLES), f"{self.method} {self.path}: need {len(ROLES)} statuses"
        return dict(zip(ROLES, codes, strict=True))


API = "/api/v1/communities/{slug}"
MEMBERS = "401 404 200 200 200 200 200"

ROWS: tuple[Row, ...] = (
    # --- documentation: any member of any community (anonymous browsers go to /login) ------
    Row("GET", "/openapi.json", "401 200 200 200 200 200 200"),
    Row("GET", "/docs", "303 200 200 200 200 200 200"),
    Row("GET", "/redoc", "303 200 200 200 200 200 200"),
    Row(
        "GET",
        "/docs/assets/{version}/{name}",
        "401 200 200 200 200 200 200",
        ids={"version": DOCS_VERSION, "name": "swagger-init.js"},
    ),
    # --- public disclosures (no login; the same answer for everyone) -----------------------
    # The community has no closed period here: its statements and units answer 404 to all.
    Row("GET", "/public/{slug}/disclosures", "200 200 200 200 200 200 200"),
    Row(
        "GET",
        "/public/{slug}/disclosures/{period}",
        "404 404 404 404 404 404 404",
        ids={"period": "2025Q1"},
    ),
    Row(
        "GET",
        "/public/{slug}/disclosures/{period}/live",
        "404 404 404 404 404 404 404",
        ids={"period": "2025Q1"},
    ),
    # objections are filed under a closed period's notice (none here: 404 to all)
    Row(
        "POST",
        "/public/{slug}/disclosures/{period}/objections",
        "404 404 404 404 404 404 404",
        ids={"period": "2025Q1"},
        form={"unit": "1-1-0101", "contact": "13800000000", "concerns": "x", "text": "y"},
    ),
    Row(
        "GET",
        "/public/{slug}/units",
        "303 303 303 303 303 303 303",
        url="/public/{slug}/units?unit=1-1-0101",
    ),
    Row(
        "GET",
        "/public/{slug}/units/{unit}",
        "404 404 404 404 404 404 404",
        ids={"unit": "1-1-0101"},
    ),
    # --- login ----------------------------------------------------------------------------
    Row("GET", "/", "303 200 200 200 200 200 200"),
    Row("GET", "/login", "200 200 200 200 200 200 200"),
    Row(
        "POST",
        "/login",
        "401 401 401 401 401 401 401",
        # under the throttle
        form={"username": "nobody-{role}", "password": "wrong-password", "csrf": "{login_csrf}"},
    ),
    Row(
        "POST",
        "/logout",
        "303 303 303 303 303 303 303",
        form={"csrf": "{csrf}"},
        fresh_session=True,
    ),
    # the load balancer's health check: no login
    Row("GET", "/healthz", "200 200 200 200 200 200 200"),
    # the pages' style sheet and script (no inline script under the CSP): public, like /login
    Row("GET", "/assets/{name}", "200 200 200 200 200 200 200", ids={"name": "entry.js"}),
    # --- transactions API -------------------------------------------------------------------
    Row("POST", f"{API}/transactions", "401 404 403 201 403 403 403", json=_income("m-1")),
    Row(
        "POST",
        f"{API}/transactions/bulk",
        "401 404 403 201 403 403 403",
        json={"transactions": [_income("m-2"), _income("m-3")]},
    ),
    Row("GET", f"{API}/transactions", MEMBERS),
    Row("GET", f"{API}/transactions/{{entry_id}}", MEMBERS, ids={"entry_id": "posted"}),
    Row(
        "POST",
        f"{API}/transactions/{{entry_id}}/approve",
        "401 404 403 403 200 403 403",
        ids={"entry_id": "pending_a"},
    ),
    Row(
        "POST",
        f"{API}/transactions/{{entry_id}}/reject",
        "401 404 403 403 200 403 403",
        ids={"entry_id": "pending_b"},
        json={"reason": "role matrix"},
    ),
    Row(
        "POST",
        f"{API}/transactions/{{entry_id}}/reverse",
        "401 404 403 202 403 403 403",  # the reversal waits: four eyes
        ids={"entry_id": "posted"},
        json={"reason": "role matrix"},
    ),
    Row("GET", f"{API}/balances", MEMBERS),
    # --- the unit register (owner ids: members only), resolutions, allocations ----------------
    Row(
        "POST",
        f"{API}/units",
        "401 404 201 403 403 403 403",
        json=[{"unit": "RM-9", "owner": "O-RM9", "area": "70.00"}],
    ),
    Row("GET", f"{API}/units", MEMBERS),
    Row(
        "POST",
        f"{API}/resolutions",
        "401 404 201 403 201 403 403",
        json={
            "number": "RM-{role}",
            "title": "role matrix",
            "matter": 9,
            "voted_on": TODAY,
            "effective_from": TODAY,
            "budget": "0.00",
            "ballots": [{"unit": f"RM-{n}", "vote": "yes"} for n in (1, 2, 3)],
        },
    ),
    Row("GET", f"{API}/resolutions", MEMBERS),
    Row("GET", f"{API}/resolutions/{{number}}", MEMBERS, ids={"number": "resolution"}),
    Row(
        "POST",
        f"{API}/resolutions/{{number}}/allocations",
        "401 404 403 202 403 403 403",
        ids={"number": "resolution"},
        json={"date": TODAY, "kind": "dividend"},
    ),
    # A treasurer may pay out; here nothing is owed yet (the dividend waits for approval).
    Row(
        "POST",
        f"{API}/resolutions/{{number}}/payouts",
        "401 404 403 422 403 403 403",
        ids={"number": "resolution"},
        json={"date": TODAY},
    ),
    # --- income contracts (admin or treasurer register), arrears, the budget (admin or
    # approver adopt it, as resolutions); members read them.
    Row(
        "POST",
        f"{API}/contracts",
        "401 404 201 201 403 403 403",
        json={
            "number": "RM-{role}",
            "counterparty": "role matrix",
            "space": "RM-{role}",
            "kind": "other",
            "start": "2027-01-01",
            "end": "2027-12-31",
            "schedule": {"every": "quarter", "amount": "100.00"},
            "income_account": PARKING,
        },
    ),
    Row("GET", f"{API}/contracts", MEMBERS),
    # owners' objections: members read them; an admin or approver answers (none numbered 999)
    Row("GET", f"{API}/objections", MEMBERS),
    Row(
        "POST",
        f"{API}/objections/{{objection_id}}/answer",
        "401 404 404 403 404 403 403",
        ids={"objection_id": "999"},
        json={"answer": "x"},
    ),
    Row("GET", f"{API}/receivables", MEMBERS),
    Row(
        "POST",
        f"{API}/budgets",
        "401 404 201 403 201 403 403",
        json={
            "year": 2027,
            "resolution": "RM-DIV",
            "lines": [
                {
                    "account": "Expenses:5201-管理费用:01-业委会工作经费",
                    "period": "2027Q1",
                    "amount": "100.00",
                }
            ],
        },
    ),
    Row("GET", f"{API}/budgets/{{year}}/actual", MEMBERS, ids={"year": "2026"}),
    # --- the rules file: members read it, an admin sets it. The body is the TOML text as
    # text/plain; the matrix sends none, so the admin's answer is the 422 of an empty file.
    Row("GET", f"{API}/rules", MEMBERS),
    Row("PUT", f"{API}/rules", "401 404 422 403 403 403 403"),
    # --- audit exports: the auditor and the supervisory committee -----------------------------
    Row(
        "GET",
        f"{API}/exports/{{period}}",
        "401 404 403 403 403 200 200",
        ids={"period": "2025"},
    ),
    # --- closing a period: approvers. 2025Q1, the books' first, is before every prepared
    # entry, so it closes.
    Row(
        "POST",
        f"{API}/periods/{{period}}/close",
        "401 404 403 403 200 403 403",
        ids={"period": "2025Q1"},
    ),
    # --- the bank statement: the treasurer imports and decides; members read. The import
    # comes first, so the reconciliation below has a line on today's date.
    Row(
        "POST",
        f"{API}/bank/statements",
        "401 404 403 201 403 403 403",
        json={
            "account": BANK,
            "lines": [{"date": TODAY, "amount": "1.00", "balance": "1.00", "reference": "RM"}],
        },
    ),
    Row("GET", f"{API}/bank/proposals", MEMBERS),
    Row("GET", f"{API}/bank/lines", MEMBERS, url=f"{API}/bank/lines?account={BANK}"),
    Row(
        "GET",
        f"{API}/bank/reconciliation",
        MEMBERS,
        url=f"{API}/bank/reconciliation?account={BANK}&date={TODAY}",
    ),
    Row(
        "POST",
        f"{API}/bank/lines/{{line}}/confirm",
        "401 404 403 404 403 403 403",  # no such line: 404 once the role is right
        ids={"line": "999999"},
    ),
    Row(
        "POST",
        f"{API}/bank/lines/{{line}}/dismiss",
        "401 404 403 404 403 403 403",
        ids={"line": "999999"},
        json={"reason": "role matrix"},
    ),
    # --- documents: the treasurer, approvers and admins upload (the matrix sends no file: 422);
    # members read.
    Row("POST", f"{API}/documents", "401 404 422 422 422 403 403", form={}),
    Row("GET", f"{API}/documents", MEMBERS),
    Row(
        "GET",
        f"{API}/documents/{{sha256}}",
        "401 404 404 404 404 404 404",
        ids={"sha256": "0" * 64},
    ),
    # --- the entry page ---------------------------------------------------------------------
    Row("GET", "/entry/{slug}", "303 404 403 200 200 403 403"),
    Row(
        "POST",
        "/entry/{slug}",
        "303 404 403 303 403 403 403",
        form={
            "csrf": "{csrf}",
            "preset": "parking",
            "amount": "12.00",
            "date": TODAY,
            "narration": "role matrix",
            "idempotency_key": "m-form",
        },
    ),
    Row(
        "POST",
        "/entry/{slug}/pending/{entry_id}/approve",
        "303 404 403 403 303 403 403",
        ids={"entry_id": "pending_c"},
        form={"csrf": "{csrf}"},
    ),
    Row(
        "POST",
        "/entry/{slug}/pending/{entry_id}/reject",
        "303 404 403 403 303 403 403",
        ids={"entry_id": "pending_d"},
        form={"csrf": "{csrf}", "reason": "role matrix"},
    ),
    # --- Fava, read-only, members only: 303 is our login redirect, 302 is Fava's own redirect
    # from its root to its first report (tests/test_api_fava.py follows it) --------------------
    Row("MOUNT", "/fava", "303 404 302 302 302 302 302", url="/fava/{slug}/"),
)
