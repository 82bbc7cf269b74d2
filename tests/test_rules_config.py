"""The rules file: every setting with its default and source, typed validation whose errors
name the version and the key, and dated versions (the past judged by the old version)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from ledger import chart
from ledger.books import Books
from rules.config import DEFAULT_TEXT, SOURCES, RuleSettings, RulesFileError, parse
from tests.api_helpers import SLUG, Login, api, txn
from tests.rules_helpers import set_rules_text


def test_the_default_file_writes_every_setting_with_its_source() -> None:
    parsed = parse(DEFAULT_TEXT)
    assert parsed.at(date(2025, 1, 1)) == RuleSettings()
    for setting in fields(RuleSettings):
        assert f"\n{setting.name} = " in DEFAULT_TEXT, setting.name
        assert setting.name in SOURCES, setting.name
    assert "人民防空法 art. 5" in DEFAULT_TEXT and "住宅物业管理规定 art. 51" in DEFAULT_TEXT
    defaults = RuleSettings()
    assert defaults.resolution_threshold == Decimal("10000.00")
    assert defaults.manager_share_max == Decimal("0.30")
    assert (defaults.reserve_share_min, defaults.reserve_comparison) == (
        Decimal("0.50"),
        "more_than",
    )
    assert defaults.civil_defence_owned is False and defaults.period == "quarter"


BASE = "[[version]]\neffective_from = 2000-01-01\n"


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (
            'civil_defence_owned = "true"',
            "rules.toml [[version]] #1 (effective 2000-01-01) civil_defence_owned: must be true "
            "or false (no quotes), got 'true'",
        ),
        (
            'reserve_comparison = "over"',
            "rules.toml [[version]] #1 (effective 2000-01-01) reserve_comparison: must be "
            '"more_than" or "at_least", got \'over\'',
        ),
        (
            'manager_share_max = "30"',
            "rules.toml [[version]] #1 (effective 2000-01-01) manager_share_max: a share must be "
            "between 0 and 1, got '30'",
        ),
        (
            'resolution_threshold = "-1"',
            "rules.toml [[version]] #1 (effective 2000-01-01) resolution_threshold: must be a "
            "non-negative number, got '-1'",
        ),
        (
            'resolution_threshold = "lots"',
            "rules.toml [[version]] #1 (effective 2000-01-01) resolution_threshold: not a "
            "number: 'lots'",
        ),
        (
            "disclosure_days = 2.5",
            "rules.toml [[version]] #1 (effective 2000-01-01) disclosure_days: must be a whole "
            "number of days, got 2.5",
        ),
        (
            'period = "week"',
            'rules.toml [[version]] #1 (effective 2000-01-01) period: must be "quarter" or '
            "\"year\", got 'week'",
        ),
        (
            'restricted_basis = "committee"',
            "rules.toml [[version]] #1 (effective 2000-01-01) restricted_basis: must be "
            '"regulation" or "resolution", got \'committee\'',
        ),
        (
            'restricted_source = ""',
            "rules.toml [[version]] #1 (effective 2000-01-01) restricted_source: must be a "
            "non-empty string, got ''",
        ),
        (
            'restricted_source = "line one\\nrestricted_basis"',
            "rules.toml [[version]] #1 (effective 2000-01-01) restricted_source: must be one "
            "line of at most 200 characters",
        ),
        (
            'reserve_share = "0.5"',
            "rules.toml [[version]] #1 (effective 2000-01-01): unknown setting(s) "
            "['reserve_share']",
        ),
    ],
)
def test_invalid_settings_are_refused_naming_version_and_key(line: str, error: str) -> None:
    with pytest.raises(RulesFileError) as refused:
        parse(BASE + line + "\n")
    assert str(refused.value) == error


def test_the_error_names_the_later_version() -> None:
    text = BASE + '\n[[version]]\neffective_from = 2025-07-01\nmanager_share_max = "1.5"\n'
    with pytest.raises(RulesFileError, match=r"#2 \(effective 2025-07-01\) manager_share_max"):
        parse(text)


def test_versions_carry_settings_forward_and_apply_from_their_date() -> None:
    text = (
        BASE
        + 'resolution_threshold = "10000.00"\ncivil_defence_owned = false\n'
        + '\n[[version]]\neffective_from = 2025-07-01\nresolution_threshold = "5000.00"\n'
    )
    parsed = parse(text)
    assert parsed.at(date(2025, 6, 30)).resolution_threshold == Decimal("10000.00")
    assert parsed.at(date(2025, 7, 1)).resolution_threshold == Decimal("5000.00")
    assert parsed.at(date(2025, 7, 1)).manager_share_max == Decimal("0.30")


def test_a_post_before_a_change_is_judged_by_the_old_threshold(
    client: TestClient, members: dict[str, Login], api_books: Books
) -> None:
    """The owners lowered the resolution threshold to 5,000 from 2025-07-01: a 6,000 repair
    dated June passes (old rule), the same repair dated July is refused (new rule)."""
    set_rules_text(
        api_books,
        SLUG,
        DEFAULT_TEXT + "\n[[version]]\neffective_from = 2025-07-01\nresolution_threshold = "
        '"5000.00"\n',
    )
    client.headers["Accept-Language"] = "en"  # the words asserted below
    treasurer, approver = members["treasurer"].bearer, members["approver"].bearer
    income = txn("50000.00", "in", day="2025-01-05")
    assert client.post(f"{api()}/transactions", json=income, headers=treasurer).status_code == 201
    june = txn("6000.00", "june", debit=chart.COST_DIRECT, credit=chart.BANK, day="2025-06-30")
    june["kind"] = "cost"
    posted = client.post(f"{api()}/transactions", json=june, headers=treasurer)
    assert posted.status_code == 202, posted.text  # over the approval threshold: waits
    approved = client.post(f"{api()}/transactions/{posted.json()['id']}/approve", headers=approver)
    assert approved.status_code == 200, approved.text
    july = {**june, "date": "2025-07-01", "idempotency_key": "july"}
    refused = client.post(f"{api()}/transactions", json=july, headers=treasurer)
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {
            "field": None,
            "rule": "resolution-required",
            "message": "resolution required: spending of 6,000.00 is at or over the resolution "
            "threshold 5,000.00; this one cites none (民法典 art. 278 (九) and the committee's "
            "rules of procedure)",
            "details": {"limit": "5000.00", "actual": "6000.00"},
        }
    ]


# The model: RuleSettings holds the one copy of the defaults and the checks; the default file is
# rendered from it.


def test_the_default_text_is_the_model_defaults_each_documented() -> None:
    (version,) = parse(DEFAULT_TEXT).versions
    assert version.effective_from == date(2000, 1, 1) and version.settings == RuleSettings()
    assert set(SOURCES) == {f.name for f in fields(RuleSettings)}  # no source for a lost setting
    lines = DEFAULT_TEXT.splitlines()
    rendered = {"true": True, "false": False}
    for setting in fields(RuleSettings):
        (at,) = [i for i, line in enumerate(lines) if line.startswith(f"{setting.name} = ")]
        written = lines[at].split("#")[0].split("=", 1)[1].strip()
        default = getattr(RuleSettings(), setting.name)
        if isinstance(default, bool):
            assert rendered[written] is default, setting.name
        elif isinstance(default, int):
            assert written == str(default), setting.name
        else:  # amounts, shares and choices are strings, so they read back exactly
            assert written == f'"{default}"', setting.name
        # documented: a comment right above it or above its group of settings
        above = at
        while " = " in lines[above] and not lines[above].startswith("#"):
            above -= 1
        assert lines[above].startswith("# "), setting.name


def test_a_toml_float_is_read_from_its_text_not_as_a_binary_float() -> None:
    text = BASE + "approval_threshold = 99999999999999.99\nmanager_share_max = 0.30\n"
    settings = parse(text).at(date(2025, 1, 1))
    # a binary float would have made it 99999999999999.98, silently
    assert settings.approval_threshold == Decimal("99999999999999.99")
    assert settings.describe()["manager_share_max"] == "0.30"  # not "0.3"
    with pytest.raises(RulesFileError) as refused:
        parse(BASE + "disclosure_days = 30.0\n")
    assert str(refused.value).endswith("disclosure_days: must be a whole number of days, got 30.0")


def test_an_effective_date_with_a_time_is_refused_not_a_crash() -> None:
    for text in (
        "[[version]]\neffective_from = 2025-01-01T00:00:00\n",
        BASE + "\n[[version]]\neffective_from = 2025-07-01T09:00:00\n",
    ):
        with pytest.raises(RulesFileError, match="effective_from must be a date like 2025-01-01"):
            parse(text)


def test_every_bad_key_of_a_version_is_named() -> None:
    text = BASE + 'period = "week"\napproval_threshold = "1.001"\ncivil_defence_owned = 1\n'
    with pytest.raises(RulesFileError) as refused:
        parse(text)
    where = "rules.toml [[version]] #1 (effective 2000-01-01)"
    assert str(refused.value) == (
        f"{where} approval_threshold: at most two decimal places (fen), got '1.001'; "
        f"{where} civil_defence_owned: must be true or false (no quotes), got 1; "
        f'{where} period: must be "quarter" or "year", got \'week\''
    )


def test_settings_built_in_code_are_checked_too() -> None:
    with pytest.raises(ValidationError, match="must be a number as a string"):
        RuleSettings(approval_threshold=0.1)  # type: ignore[arg-type]  # a float: never money
    with pytest.raises(ValidationError, match="a share must be between 0 and 1"):
        replace(RuleSettings(), manager_share_max=Decimal("1.5"))
    with pytest.raises(ValidationError, match="reserve_share"):
        RuleSettings(reserve_share="0.5")  # type: ignore[call-arg]
    beijing = replace(RuleSettings(), reserve_comparison="at_least", disclosure_days=45)
    assert (beijing.reserve_comparison, beijing.disclosure_days) == ("at_least", 45)
    assert beijing.approval_threshold == Decimal("5000.00")
