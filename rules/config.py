"""The per-community rules file (``<data>/<slug>/rules.toml``): settings in versions that take
effect on a date, so a change the owners vote applies from its date and the past stays judged by
the rules of its time. Plain TOML, so it diffs and reviews well in git.

Every setting has a default and a source (:data:`SOURCES`), which the rules cite in their
messages and ``commons init`` writes into the file as a comment. :class:`RuleSettings` (a pydantic
dataclass) holds the only copy of the defaults and of the checks; :data:`DEFAULT_TEXT`, the file
``commons init`` writes, takes its values from it.

A version names only what it changes; the rest carries over from the version before it::

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
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, PlainValidator, ValidationError
from pydantic.dataclasses import dataclass as settings_dataclass
from pydantic_core import PydanticCustomError

from ledger.errors import StateConflict
from ledger.messages import Msg, msg


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
    "approval_window_days": "the committee's rules of procedure (four eyes: no splitting)",
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
    "objection_answer_days": "the committee's rules of procedure (owners' objections to a "
    "notice are answered in writing)",
    "objection_contact_days": "个人信息保护法 art. 19 (personal information kept no longer than "
    "its purpose needs)",
    "budget_tolerance": "the annual budget adopted by the owners' assembly (民法典 art. 278 "
    "(九)); the committee's rules of procedure",
    "reconcile_before_close": "沪房规范〔2025〕9号 (the auditor confirms there is no off-book "
    "money); 会计档案管理办法 (bank statements and reconciliations are kept)",
    "require_document_for_approval": "the committee's rules of procedure (an invoice or receipt "
    "behind every large payment)",
    "restricted_basis": "民间非营利组织会计制度 art. 16 (a restriction comes from the resources' "
    "providers or from a law or regulation; a self-designated reserve stays unrestricted)",
    "restricted_source": "民间非营利组织会计制度 art. 16; disclosed in the notes (附注)",
}

Comparison = Literal["more_than", "at_least"]
Condition = Literal["always", "fund_below"]
Period = Literal["quarter", "year"]
#: Where the restriction on the restricted fund (3102) comes from: a law or regulation, or
#: the owners (the resources' providers) by a resolution.
Basis = Literal["regulation", "resolution"]
COMPARISONS: tuple[str, ...] = get_args(Comparison)
CONDITIONS: tuple[str, ...] = get_args(Condition)
PERIODS: tuple[str, ...] = get_args(Period)


# The checks. Each refuses with the message the rules file's reader sees after
# "<file> [[version]] #<n> (effective <date>) <key>: "; values are shown as written in the file.


def _refuse(reason: Msg) -> PydanticCustomError:
    """The refusal pydantic reports; the message travels in its context, to be rendered in
    the reader's language (:func:`_changed`)."""
    return PydanticCustomError("rules_file", "{reason}", {"reason": reason})


def _shown(value: object) -> str:
    # TOML floats arrive as Decimal (parsed from their text), and are shown as that text.
    return str(value) if isinstance(value, Decimal) else repr(value)


def _number(value: object) -> Decimal:
    """A non-negative number from a string, a TOML integer or a TOML float (kept as its text,
    never a binary float)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _refuse(msg("config.must-number-as-string"))
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise _refuse(msg("config.number", value=_shown(value))) from None
    if not result.is_finite() or result < 0:
        raise _refuse(msg("config.must-non-negative-number", value=_shown(value)))
    return result


def _amount(value: object) -> Decimal:
    amount = _number(value)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise _refuse(msg("config.at-most-two-decimal", value=_shown(value)))
    return amount


def _share(value: object) -> Decimal:
    share = _number(value)
    if share > 1:
        raise _refuse(msg("config.share-must-between-got", value=_shown(value)))
    return share


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _refuse(msg("config.must-true-false-no", value=_shown(value)))
    return value


def _text(value: object) -> str:
    """One line of text for people (a source, a basis): 1 to 200 characters, no control
    characters."""
    if not isinstance(value, str) or not value.strip():
        raise _refuse(msg("config.must-non-empty-text", value=_shown(value)))
    if len(value) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise _refuse(msg("config.must-one-line"))
    return value.strip()


def _days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _refuse(msg("config.must-whole-number-days", value=_shown(value)))
    return value


def _one_of(choices: Any) -> PlainValidator:
    allowed: tuple[str, ...] = get_args(choices)
    listed = " or ".join(f'"{a}"' for a in allowed)

    def check(value: object) -> str:
        if value not in allowed:
            raise _refuse(msg("config.must-got", listed=listed, value=_shown(value)))
        return str(value)

    return PlainValidator(check)


#: Yuan, at most two decimal places.
Amount = Annotated[Decimal, PlainValidator(_amount)]
#: A fraction between 0 and 1 (0.30 is 30%).
Share = Annotated[Decimal, PlainValidator(_share)]
Flag = Annotated[bool, PlainValidator(_flag)]
Days = Annotated[int, PlainValidator(_days)]
Text = Annotated[str, PlainValidator(_text)]


#: The usual basis of the restricted fund: the maintenance fund's regulation and the local rule
#: that sends common income to it.
DEFAULT_RESTRICTED_SOURCE = (
    "《住宅专项维修资金管理办法》（建设部、财政部令第165号）；"
    "《上海市住宅物业管理规定》第五十一条（共有收益主要用于补充专项维修资金）"
)


@settings_dataclass(frozen=True, config=ConfigDict(extra="forbid", validate_default=True))
class RuleSettings:
    """One version of the rules. Every threshold has a default and the source it comes from
    (:data:`SOURCES`). Amounts are yuan; shares are fractions (0.30 is 30%).

    Built only from valid values: ``RuleSettings(...)`` and ``dataclasses.replace`` check every
    field (a ``pydantic.ValidationError`` otherwise; :func:`parse` turns it into a
    :class:`RulesFileError` naming the version and the key)."""

    #: Four eyes: spending at or over this (yuan) waits for a second member's approval.
    approval_threshold: Amount = Decimal("5000.00")
    #: Spending of one kind to one payee within this many days counts together against the
    #: approval threshold, so that splitting a payment does not escape a second member.
    approval_window_days: Days = 30
    #: Spending at or over this (yuan) must cite an owners' resolution.
    resolution_threshold: Amount = Decimal("10000.00")
    #: The manager's cost share, at most this share of the gross 4301 income.
    manager_share_max: Share = Decimal("0.30")
    #: Committee working expenses, at most this share of the year's common income.
    committee_share_max: Share = Decimal("0.10")
    #: The share of a period's net common income set aside for the maintenance fund.
    reserve_share_min: Share = Decimal("0.50")
    reserve_comparison: Annotated[Comparison, _one_of(Comparison)] = "more_than"
    reserve_condition: Annotated[Condition, _one_of(Condition)] = "always"
    #: Yuan; only read when ``reserve_condition = "fund_below"``.
    maintenance_fund_initial: Amount = Decimal("0.00")
    maintenance_fund_floor_share: Share = Decimal("0.30")
    civil_defence_owned: Flag = False
    period: Annotated[Period, _one_of(Period)] = "quarter"
    disclosure_days: Days = 30
    #: Calendar days the committee has to answer an owner's objection to a notice.
    objection_answer_days: Days = 15
    #: Calendar days an objection's contact (phone or e-mail) is kept after its answer.
    objection_contact_days: Days = 90
    #: Spending over its budget line by more than this share of the line needs a resolution.
    budget_tolerance: Share = Decimal("0.10")
    #: A period does not close while a bank account with statements imported for it shows an
    #: unexplained difference (accounts without statements are not held up).
    reconcile_before_close: Flag = True
    #: An entry at or over the approval threshold is approved only with an uploaded document.
    require_document_for_approval: Flag = False
    #: The basis of the restricted fund (3102): ``"regulation"`` (a law or a local rule) or
    #: ``"resolution"`` (the owners'), and which one; the notes (附注) disclose both.
    restricted_basis: Annotated[Basis, _one_of(Basis)] = "regulation"
    restricted_source: Text = DEFAULT_RESTRICTED_SOURCE

    def describe(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


#: The defaults, one shared instance (settings are immutable).
DEFAULTS = RuleSettings()
SETTING_NAMES: frozenset[str] = frozenset(f.name for f in fields(RuleSettings))


@dataclass(frozen=True)
class Version:
    effective_from: date
    settings: RuleSettings


@dataclass(frozen=True)
class RulesFile:
    versions: tuple[Version, ...]

    def at(self, day: date) -> RuleSettings:
        """The settings in force on ``day`` (the latest version effective on or before it)."""
        current = self.versions[0].settings
        for version in self.versions:
            if version.effective_from <= day:
                current = version.settings
        return current


def _toml(value: object) -> str:
    """A default as the rules file writes it: amounts and shares as strings, so they are read
    back exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f'"{value}"'


# The file ``commons init`` writes: the documentation of every setting, with the values filled
# in from the defaults of :class:`RuleSettings`.
_DEFAULT_TEMPLATE = """\
# commons-ledger rules file. Each [[version]] takes effect on its date and keeps the settings
# of the version before it unless it names them again; to change a rule from a date the owners
# voted, add a new [[version]] below with that date and only the changed settings.
# Amounts are strings in yuan; shares are fractions ("0.30" is 30%).

[[version]]
effective_from = 2000-01-01

# Four eyes: spending at or over this waits for a second committee member's approval.
# Source: the committee's rules of procedure.
approval_threshold = {approval_threshold}

# Spending of one kind to one payee within this many days counts together against the
# approval threshold (pending entries included), so splitting a payment does not escape it.
# Source: the committee's rules of procedure.
approval_window_days = {approval_window_days}

# Spending at or over this must cite an owners' resolution that passed, is in effect, matches
# its purpose and has budget left (dividends, subsidies, upgrades and spending from the
# maintenance fund always need one). Source: 民法典 art. 278 (九), the rules of procedure.
resolution_threshold = {resolution_threshold}

# The property manager's cost share: at most this share of the gross common income (4301)
# it relates to. Source: 民法典 art. 282; Xiamen caps it at 30%.
manager_share_max = {manager_share_max}

# Committee working expenses: at most this share of the year's common income to date.
# Source: a community choice, voted by the owners' assembly (民法典 art. 278 (九)).
committee_share_max = {committee_share_max}

# By the close of each period, this share of the period's net common income must have been
# set aside for the special maintenance fund.
# Source: Shanghai 住宅物业管理规定 art. 51 ("more_than" 50%, "always");
# Beijing 物业管理条例 art. 74 ("at_least" 50%, only while the fund is under 30% of its
# initial amount: reserve_condition = "fund_below" with maintenance_fund_initial set).
reserve_share_min = {reserve_share_min}
reserve_comparison = {reserve_comparison}      # "more_than" or "at_least"
reserve_condition = {reserve_condition}          # "always" or "fund_below"
maintenance_fund_initial = {maintenance_fund_initial}     # yuan; read only with "fund_below"
maintenance_fund_floor_share = {maintenance_fund_floor_share}

# Civil-air-defence (人防) parking income belongs to the investor, not the owners, unless the
# community owns the spaces. Source: 人民防空法 art. 5.
civil_defence_owned = {civil_defence_owned}

# Accounting periods, closed and disclosed one by one: "quarter" or "year".
# Source: Beijing 物业管理条例 art. 84, Shanghai 住宅物业管理规定 art. 66.
period = {period}

# Days a disclosure stays posted. Source: Shanghai 住宅物业管理规定 art. 67.
disclosure_days = {disclosure_days}

# Calendar days the committee has to answer an owner's objection (异议) filed under a
# published notice; an objection unanswered past them is flagged on the notice.
# Source: the committee's rules of procedure.
objection_answer_days = {objection_answer_days}

# Calendar days the contact an owner left with an objection is kept after it is answered;
# then it is erased. Source: 个人信息保护法 art. 19 (kept no longer than needed).
objection_contact_days = {objection_contact_days}

# Once a year has a budget, spending more than this share over its budget line, or on an
# account with no line, must cite an owners' resolution ("0.10" is 10%).
# Source: the annual budget adopted by the owners' assembly (民法典 art. 278 (九)).
budget_tolerance = {budget_tolerance}

# A period does not close while a bank account with statements imported for it shows an
# unexplained difference on its reconciliation (银行存款余额调节表); accounts without
# statements are not held up. Source: 沪房规范〔2025〕9号 (no off-book money).
reconcile_before_close = {reconcile_before_close}

# An entry at or over the approval threshold is approved only once a document (invoice,
# receipt, contract) is uploaded and linked to it. Source: the rules of procedure.
require_document_for_approval = {require_document_for_approval}

# The basis of the restricted fund (3102 限定性净资产): "regulation" (a law or a local rule,
# named in restricted_source) or "resolution" (the owners', its number in restricted_source).
# A reserve the committee designates itself is not a restriction: it stays unrestricted.
# Source: 民间非营利组织会计制度 art. 16; the notes (附注) disclose it.
restricted_basis = {restricted_basis}
restricted_source = {restricted_source}
"""

DEFAULT_TEXT = _DEFAULT_TEMPLATE.format_map(
    {name: _toml(getattr(DEFAULTS, name)) for name in SETTING_NAMES}
)


def _changed(current: RuleSettings, item: dict[str, Any], where: str) -> RuleSettings:
    """``current`` with the settings a version names; the error names the version and the
    key (each bad key, in order)."""
    unknown = set(item) - SETTING_NAMES
    if unknown:
        raise RulesFileError(msg("config.unknown-setting-s", where=where, unknown=sorted(unknown)))
    try:
        return replace(current, **item)
    except ValidationError as exc:
        problems = sorted(
            ((".".join(map(str, e["loc"])), _reason(e)) for e in exc.errors()),
            key=lambda found: found[0],
        )
        raise RulesFileError(
            msg(
                "config.bad-keys",
                problems=[
                    msg("config.bad-key", where=where, key=key, reason=reason)
                    for key, reason in problems
                ],
            )
        ) from None


def _reason(error: Any) -> Msg:
    """Why pydantic refused a setting: the message :func:`_refuse` put in its context."""
    reason = (error.get("ctx") or {}).get("reason")
    return reason if isinstance(reason, Msg) else msg("common.text", text=str(error["msg"]))


def parse(text: str, *, name: str = "rules.toml") -> RulesFile:
    try:
        # Floats as Decimal from their text: "0.30" or 0.30, never a binary float.
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise RulesFileError(msg("bank_format.message-2", name=name, exc=exc)) from None
    unknown_top = set(raw) - {"version"}
    if unknown_top:
        raise RulesFileError(
            msg("config.unknown-section-s", name=name, unknown_top=sorted(unknown_top))
        )
    items = raw.get("version")
    if not isinstance(items, list) or not items:
        raise RulesFileError(msg("config.needs-at-least-one", name=name))
    versions: list[Version] = []
    current = DEFAULTS
    for index, item in enumerate(items, start=1):
        where = f"{name} [[version]] #{index}"
        if not isinstance(item, dict):
            raise RulesFileError(msg("config.must-table", where=where))
        effective = item.get("effective_from")
        # A TOML date-time is a datetime, a subclass of date; it does not compare with dates.
        if not isinstance(effective, date) or isinstance(effective, datetime):
            raise RulesFileError(msg("config.effective-from-must-date", where=where))
        where = f"{where} (effective {effective})"
        changes = {key: value for key, value in item.items() if key != "effective_from"}
        current = _changed(current, changes, where)
        if versions and effective <= versions[-1].effective_from:
            raise RulesFileError(msg("config.versions-must-increasing-date", where=where))
        versions.append(Version(effective, current))
    return RulesFile(tuple(versions))


def load(path: Path) -> RulesFile:
    return parse(path.read_text(encoding="utf-8"), name=path.name)


def write_default(path: Path) -> None:
    path.write_text(DEFAULT_TEXT, encoding="utf-8")


def settings_of(config: Any, day: date) -> RuleSettings:
    """The settings on ``day`` from a context's config (the defaults when there is none)."""
    return config.at(day) if isinstance(config, RulesFile) else DEFAULTS
