"""The per-community rules file (``<data>/<slug>/rules.toml``): settings in versions that take
effect on a date, so a change the owners vote applies from its date and the past stays judged by
the rules of its time. Plain TOML, so it diffs and reviews well in git.

Every setting has a default and a source (:data:`SOURCES`), which the rules cite in their
messages and ``commons init`` writes into the file as a comment. A version names only what it
changes; the rest carries over from the version before it::

    [[version]]
    effective_from = 2000-01-01
    resolution_threshold = "10000.00"

    [[version]]
    effective_from = 2025-07-01      # the assembly lowered the threshold from July
    resolution_threshold = "5000.00"

A rule judges a transaction by ``config.at(txn.date)``: an entry dated June is judged by 10,000
even when it is posted in August.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ledger.errors import StateConflict


class RulesFileError(StateConflict, ValueError):
    """The rules file is invalid; the message names the version and the key.

    A refusal, not a crash: while the file is broken nothing that the rules judge can be
    posted or closed, and the API answers 409 (``rules-file``) with the message, so the
    treasurer can tell the admin what to fix in ``<data>/<slug>/rules.toml``."""

    @classmethod
    def default_rule(cls) -> str:
        return "rules-file"


#: Where each setting comes from; rules quote it in their refusals.
SOURCES: dict[str, str] = {
    "approval_threshold": "the committee's rules of procedure (four eyes)",
    "resolution_threshold": "民法典 art. 278 (九) and the committee's rules of procedure",
    "manager_share_max": "民法典 art. 282; Xiamen caps the manager's share at 30%",
    "committee_share_max": "the owners' assembly's decision on working expenses "
    "(a community choice; 民法典 art. 278 (九))",
    "reserve_share_min": "Shanghai 住宅物业管理规定 art. 51 (more than 50% each quarter); "
    "Beijing 物业管理条例 art. 74 (at least 50%)",
    "reserve_comparison": "more_than: Shanghai 住宅物业管理规定 art. 51; "
    "at_least: Beijing 物业管理条例 art. 74",
    "reserve_condition": "always: Shanghai 住宅物业管理规定 art. 51; "
    "fund_below: Beijing 物业管理条例 art. 74",
    "maintenance_fund_initial": "the special maintenance fund's initial amount "
    "(Beijing 物业管理条例 art. 74)",
    "maintenance_fund_floor_share": "Beijing 物业管理条例 art. 74 "
    "(under 30% of the initial amount)",
    "civil_defence_owned": "人民防空法 art. 5 (人防 income belongs to the investor)",
    "period": "Beijing 物业管理条例 art. 84, Shanghai 住宅物业管理规定 art. 66 (quarterly)",
    "disclosure_days": "Shanghai 住宅物业管理规定 art. 67 (posted 30 days)",
}

COMPARISONS = ("more_than", "at_least")
CONDITIONS = ("always", "fund_below")
PERIODS = ("quarter", "year")


@dataclass(frozen=True)
class Settings:
    """One version of the rules. Every threshold has a default and the source it comes from
    (:data:`SOURCES`). Amounts are yuan; shares are fractions (0.30 is 30%)."""

    #: Four eyes: spending at or over this (yuan) waits for a second member's approval.
    approval_threshold: Decimal = Decimal("5000.00")
    #: Spending at or over this (yuan) must cite an owners' resolution.
    resolution_threshold: Decimal = Decimal("10000.00")
    #: The manager's cost share, at most this share of the gross 4301 income.
    manager_share_max: Decimal = Decimal("0.30")
    #: Committee working expenses, at most this share of the year's common income.
    committee_share_max: Decimal = Decimal("0.10")
    #: The share of a period's net common income set aside for the maintenance fund.
    reserve_share_min: Decimal = Decimal("0.50")
    reserve_comparison: str = "more_than"
    reserve_condition: str = "always"
    #: Yuan; only read when ``reserve_condition = "fund_below"``.
    maintenance_fund_initial: Decimal = Decimal("0.00")
    maintenance_fund_floor_share: Decimal = Decimal("0.30")
    civil_defence_owned: bool = False
    period: str = "quarter"
    disclosure_days: int = 30

    def describe(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


#: How each setting is read from TOML: (kind, allowed values for enums).
_AMOUNTS = {"approval_threshold", "resolution_threshold", "maintenance_fund_initial"}
_SHARES = {
    "manager_share_max",
    "committee_share_max",
    "reserve_share_min",
    "maintenance_fund_floor_share",
}
_ENUMS = {
    "reserve_comparison": COMPARISONS,
    "reserve_condition": CONDITIONS,
    "period": PERIODS,
}
_BOOLS = {"civil_defence_owned"}
_INTS = {"disclosure_days"}


@dataclass(frozen=True)
class Version:
    effective_from: date
    settings: Settings


@dataclass(frozen=True)
class RulesFile:
    versions: tuple[Version, ...]

    def at(self, day: date) -> Settings:
        """The settings in force on ``day`` (the latest version effective on or before it)."""
        current = self.versions[0].settings
        for version in self.versions:
            if version.effective_from <= day:
                current = version.settings
        return current


DEFAULT_TEXT = """\
# commons-ledger rules file. Each [[version]] takes effect on its date and keeps the settings
# of the version before it unless it names them again; to change a rule from a date the owners
# voted, add a new [[version]] below with that date and only the changed settings.
# Amounts are strings in yuan; shares are fractions ("0.30" is 30%).

[[version]]
effective_from = 2000-01-01

# Four eyes: spending at or over this waits for a second committee member's approval.
# Source: the committee's rules of procedure.
approval_threshold = "5000.00"

# Spending at or over this must cite an owners' resolution that passed, is in effect, matches
# its purpose and has budget left (dividends, subsidies, upgrades and spending from the
# maintenance fund always need one). Source: 民法典 art. 278 (九), the rules of procedure.
resolution_threshold = "10000.00"

# The property manager's cost share: at most this share of the gross common income (4301)
# it relates to. Source: 民法典 art. 282; Xiamen caps it at 30%.
manager_share_max = "0.30"

# Committee working expenses: at most this share of the year's common income to date.
# Source: a community choice, voted by the owners' assembly (民法典 art. 278 (九)).
committee_share_max = "0.10"

# By the close of each period, this share of the period's net common income must have been
# set aside for the special maintenance fund.
# Source: Shanghai 住宅物业管理规定 art. 51 ("more_than" 50%, "always");
# Beijing 物业管理条例 art. 74 ("at_least" 50%, only while the fund is under 30% of its
# initial amount: reserve_condition = "fund_below" with maintenance_fund_initial set).
reserve_share_min = "0.50"
reserve_comparison = "more_than"      # "more_than" or "at_least"
reserve_condition = "always"          # "always" or "fund_below"
maintenance_fund_initial = "0.00"     # yuan; read only with "fund_below"
maintenance_fund_floor_share = "0.30"

# Civil-air-defence (人防) parking income belongs to the investor, not the owners, unless the
# community owns the spaces. Source: 人民防空法 art. 5.
civil_defence_owned = false

# Accounting periods, closed and disclosed one by one: "quarter" or "year".
# Source: Beijing 物业管理条例 art. 84, Shanghai 住宅物业管理规定 art. 66.
period = "quarter"

# Days a disclosure stays posted. Source: Shanghai 住宅物业管理规定 art. 67.
disclosure_days = 30
"""


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RulesFileError(f'{where}: must be a number as a string like "10000.00"')
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise RulesFileError(f"{where}: not a number: {value!r}") from None
    if not result.is_finite() or result < 0:
        raise RulesFileError(f"{where}: must be a non-negative number, got {value!r}")
    return result


def _value(key: str, value: Any, where: str) -> Any:
    """One setting, typed and range-checked; the error names the version and the key."""
    where = f"{where} {key}"
    if key in _AMOUNTS:
        amount = _decimal(value, where)
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            raise RulesFileError(f"{where}: at most two decimal places (fen), got {value!r}")
        return amount
    if key in _SHARES:
        share = _decimal(value, where)
        if share > 1:
            raise RulesFileError(f"{where}: a share must be between 0 and 1, got {value!r}")
        return share
    if key in _BOOLS:
        if not isinstance(value, bool):
            raise RulesFileError(f"{where}: must be true or false (no quotes), got {value!r}")
        return value
    if key in _INTS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RulesFileError(f"{where}: must be a whole number of days, got {value!r}")
        return value
    allowed = _ENUMS[key]
    if value not in allowed:
        choices = " or ".join(f'"{a}"' for a in allowed)
        raise RulesFileError(f"{where}: must be {choices}, got {value!r}")
    return value


def parse(text: str, *, name: str = "rules.toml") -> RulesFile:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesFileError(f"{name}: {exc}") from None
    unknown_top = set(raw) - {"version"}
    if unknown_top:
        raise RulesFileError(f"{name}: unknown section(s) {sorted(unknown_top)}")
    items = raw.get("version")
    if not isinstance(items, list) or not items:
        raise RulesFileError(f"{name}: needs at least one [[version]]")
    known = {f.name for f in fields(Settings)}
    versions: list[Version] = []
    current = Settings()
    for index, item in enumerate(items, start=1):
        where = f"{name} [[version]] #{index}"
        if not isinstance(item, dict):
            raise RulesFileError(f"{where}: must be a table")
        effective = item.get("effective_from")
        if not isinstance(effective, date):
            raise RulesFileError(f"{where}: effective_from must be a date like 2025-01-01")
        where = f"{where} (effective {effective})"
        unknown = set(item) - known - {"effective_from"}
        if unknown:
            raise RulesFileError(f"{where}: unknown setting(s) {sorted(unknown)}")
        changes = {key: _value(key, item[key], where) for key in sorted(known & set(item))}
        current = replace(current, **changes)
        if versions and effective <= versions[-1].effective_from:
            raise RulesFileError(f"{where}: versions must be in increasing date order")
        versions.append(Version(effective, current))
    return RulesFile(tuple(versions))


def load(path: Path) -> RulesFile:
    return parse(path.read_text(encoding="utf-8"), name=path.name)


def write_default(path: Path) -> None:
    path.write_text(DEFAULT_TEXT, encoding="utf-8")


def settings_of(config: Any, day: date) -> Settings:
    """The settings on ``day`` from a context's config (the defaults when there is none)."""
    return config.at(day) if isinstance(config, RulesFile) else Settings()
