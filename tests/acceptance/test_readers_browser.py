"""The people who read the books, in a real Chromium at a desktop's size and a phone's (390×844):
the treasurer's entry page refuses in Chinese, the approver's page shows what an approver needs
and rejects with a reason, the public notice keeps its per-unit schedule folded behind a unit
search that needs no script, an owner's objection is filed from the notice and its answer is
shown there, and Fava's deep link opens for the supervisory committee with income positive and
no editor. Every page fits the phone's width and the Content-Security-Policy refuses nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from tests.acceptance.devtools import CHROMIUM, Page, browser
from tests.acceptance.live_server import Server

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

SLUG = "demo"
LOGINS = {
    "treasurer": "treasurer-demo",
    "chair": "chair-demo",
    "supervisor": "supervisor-demo",
}
#: (width, height, mobile): a desktop and a phone.
VIEWPORTS = {"desktop": (1280, 900, False), "phone": (390, 844, True)}
HAN = re.compile(r"[\u4e00-\u9fff]")
SHOWN = "(s => [...document.querySelectorAll(s)].some(e => e.getClientRects().length > 0))"


@pytest.fixture(scope="module", params=sorted(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> tuple[int, int, bool]:
    return VIEWPORTS[str(request.param)]


@pytest.fixture
def page(
    viewport: tuple[int, int, bool], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Page]:
    width, height, mobile = viewport
    with browser(tmp_path_factory.mktemp("chromium") / "profile") as tab:
        tab.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=2 if mobile else 1,
            mobile=mobile,
        )
        tab.send("Network.enable")
        tab.send("Network.setExtraHTTPHeaders", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        yield tab


def login(page: Page, server: Server, user: str) -> None:
    page.open(f"{server.base_url}/login")
    page.evaluate(
        f"""(() => {{
          document.getElementById('username').value = {user!r};
          document.getElementById('password').value = {LOGINS[user]!r};
          document.querySelector('form[action="/login"]').submit();
        }})()"""
    )
    page.wait_for("location.pathname !== '/login' && document.readyState === 'complete'")


def fits(page: Page, where: str) -> None:
    """Nothing wider than the screen, nothing refused by the CSP, no script error."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, (where, overflow)
    assert page.csp_refusals() == [], (where, page.log)
    assert not [line for line in page.log if line.startswith("exception")], (where, page.log)


def submit(page: Page, form: str) -> None:
    """Submit ``form`` (a selector) as its button would, and wait for the next page."""
    page.events.clear()
    page.evaluate(f"document.querySelector({form!r}).requestSubmit()")
    page.wait_for("document.readyState === 'complete'")
    page.pump(0.5)


def token(server: Server, user: str) -> str:
    return server.commons("user", "token", user, "--community", SLUG).stdout.split()[-1]


def test_the_entry_page_refuses_in_chinese(page: Page, demo_server: Server) -> None:
    login(page, demo_server, "treasurer")
    page.open(f"{demo_server.base_url}/entry/{SLUG}")
    assert page.evaluate("document.documentElement.lang").startswith("zh")
    page.evaluate(
        """(() => {
          const preset = document.getElementById('preset');
          preset.value = 'other-cost';
          preset.dispatchEvent(new Event('change'));  // the page's script picks the accounts
          document.getElementById('amount').value = '12000.00';
          document.getElementById('date').value = '2026-11-27';
          document.getElementById('payee').value = '某园林公司';
          document.getElementById('narration').value = '绿化补种';
        })()"""
    )
    submit(page, "#entry-form")
    reasons = page.wait_for(
        "document.querySelector('.problems li') && "
        "[...document.querySelectorAll('.problems li')].map(li => li.innerText)"
    )
    assert any("resolution-required" in r for r in reasons), reasons
    for reason in reasons:  # the words are Chinese; the field and the rule code stay codes
        words = re.sub(r"^[\w.\[\]]+: |\[[a-z-]+\]", "", reason.strip())
        assert HAN.search(words) and not re.search(r"\b(resolution|required|budget)\b", words), (
            reason
        )
    fits(page, "entry page")


def test_the_approvers_page_shows_the_voucher_and_rejects_with_a_reason(
    page: Page, demo_server: Server
) -> None:
    body = {
        "date": "2026-11-26",
        "payee": "某电梯维保公司",
        "narration": "5号楼电梯应急维修",
        "kind": "cost",
        "resolution": "2026-01",
        "postings": [
            {"account": "Expenses:5101-业务活动成本:02-直接成本", "amount": "6000.00"},
            {"account": "Assets:1002-银行存款:01-基本户", "amount": "-6000.00"},
        ],
    }
    with httpx.Client(base_url=demo_server.base_url, timeout=30) as http:
        headers = {"Authorization": f"Bearer {token(demo_server, 'treasurer')}"}
        answer = http.post(f"/api/v1/communities/{SLUG}/transactions", json=body, headers=headers)
        assert answer.status_code == 202, answer.text
        entry = answer.json()["id"]
    login(page, demo_server, "chair")
    page.open(f"{demo_server.base_url}/entry/{SLUG}")
    card = f"#pending-{entry}"
    text = page.wait_for(
        f"document.querySelector({card!r}) && document.querySelector({card!r}).innerText"
    )
    assert "2026-01" in text and "2026年度公共收益收支预算" in text  # the cited resolution
    assert "借" in text and "贷" in text and "银行存款" in text and "直接成本" in text
    assert "6,000.00" in text and "-6,000.00" not in text and "Assets:" not in text
    assert "treasurer" in text  # who entered it
    page.evaluate(
        f"document.querySelector('{card} form[action$=\"/reject\"] input[name=reason]').value = '无发票，请补齐后重新提交'"
    )
    submit(page, f"{card} form[action$='/reject']")
    page.wait_for(f"document.querySelector({card!r}) === null")
    with httpx.Client(base_url=demo_server.base_url, timeout=30) as http:
        headers = {"Authorization": f"Bearer {token(demo_server, 'chair')}"}
        shown = http.get(f"/api/v1/communities/{SLUG}/transactions/{entry}", headers=headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["status"] == "rejected"
    assert "无发票" in json.dumps(shown.json(), ensure_ascii=False)
    fits(page, "approver's page")


def test_the_notice_folds_its_schedule_and_takes_an_objection(
    page: Page, demo_server: Server
) -> None:
    notice = f"{demo_server.base_url}/public/{SLUG}/disclosures/2025Q4"
    page.open(notice)
    folded = page.evaluate("[...document.querySelectorAll('details')].map(d => d.open)")
    assert folded and not any(folded), folded  # every schedule folded
    assert page.evaluate(f"{SHOWN}('form.lookup input[name=unit]')")
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 12000, height  # not a 620-row table
    fits(page, "notice")
    # the unit search answers without script
    page.evaluate("document.querySelector('form.lookup input[name=unit]').value = '1-1-0101'")
    submit(page, "form.lookup")
    assert "1-1-0101" in page.evaluate("document.body.innerText")
    # an owner objects from the notice (one per screen: the server is shared)
    page.open(notice)
    asked = f"第四季度补贴物业费的计算依据是什么？（{page.evaluate('window.innerWidth')}）"
    page.evaluate(
        f"""((asked) => {{
          const form = document.querySelector('form[action$="/objections"]');
          form.querySelector('[name=unit]').value = '3-2-0502';
          form.querySelector('[name=contact]').value = '13800000000';
          form.querySelector('[name=concerns]').value = '补贴物业费';
          form.querySelector('[name=text]').value = asked;
        }})({json.dumps(asked)})"""
    )
    submit(page, 'form[action$="/objections"]')
    assert HAN.search(page.evaluate("document.body.innerText"))
    listed = demo_server.commons("objections", "list", SLUG).stdout
    found = [o for o in json.loads(listed) if o["text"] == asked]
    assert len(found) == 1, listed
    demo_server.commons(
        "objections", "answer", SLUG, str(found[0]["id"]),
        "--answer", "按业主大会决议2025-04，每平方米补贴0.5元。", "--as", "chair",
    )  # fmt: skip
    page.open(notice)
    text = page.evaluate("document.body.innerText")
    assert "按业主大会决议2025-04，每平方米补贴0.5元。" in text
    assert "3-2-0502" not in text and "13800000000" not in text
    fits(page, "notice with its objection")


def test_favas_deep_link_shows_income_positive_and_no_editor(
    page: Page, demo_server: Server
) -> None:
    login(page, demo_server, "supervisor")
    page.open(f"{demo_server.base_url}/fava/{SLUG}/income_statement/")
    lines = page.wait_for(
        "(() => { const a = document.querySelector('article'); if (!a) return null;"
        " const l = a.innerText.split('\\n').map(s => s.trim()).filter(Boolean);"
        " return l.includes('Income') ? l : null; })()",
        60,
    )
    income = lines[lines.index("Income") + 1]
    assert re.fullmatch(r"[\d,]+\.\d\d", income), income  # no minus sign
    assert Decimal(income.replace(",", "")) > 0
    assert page.evaluate(f"{SHOWN}('aside a[href*=\"/editor/\"]')") is False
    assert page.evaluate(f"{SHOWN}('a[href=\"#add-transaction\"]')") is False
    fits(page, "Fava")
