"""The per-community rules file (``<data>/<slug>/rules.toml``): settings in versions that take
effect on a date, so a change the owners vote applies from its date and the past stays judged by
the rules of its time. Plain TOML, so it diffs and reviews well in git.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any


class RulesFileError(ValueError):
    """The rules file is invalid; the message names the version and the key."""


@dataclass(frozen=True)
class Settings:
    """One version of the rules. Every threshold has a default and the source it comes from."""

    #: Four eyes: spending at or over this (yuan) waits for a second member's approval.
    approval_threshold: Decimal = Decimal("5000.00")

    def describe(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


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
# of the version before it unless it names them again. Amounts are strings in yuan.

[[version]]
effective_from = 2000-01-01
# Four eyes: spending at or over this waits for a second committee member's approval.
approval_threshold = "5000.00"
"""


def _decimal(value: Any, where: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise RulesFileError(f"{where}: not a number: {value!r}") from None
    if not result.is_finite() or result < 0:
        raise RulesFileError(f"{where}: must be a non-negative number, got {value!r}")
    return result


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
        effective = item.get("effective_from")
        if not isinstance(effective, date):
            raise RulesFileError(f"{where}: effective_from must be a date like 2025-01-01")
        unknown = set(item) - known - {"effective_from"}
        if unknown:
            raise RulesFileError(f"{where}: unknown setting(s) {sorted(unknown)}")
        changes: dict[str, Any] = {}
        for key in known & set(item):
            changes[key] = _decimal(item[key], f"{where} {key}")
        current = Settings(**{**current.__dict__, **changes})
        if versions and effective <= versions[-1].effective_from:
            raise RulesFileError(f"{where}: versions must be in increasing date order")
        versions.append(Version(effective, current))
    return RulesFile(tuple(versions))


def load(path: Path) -> RulesFile:
    return parse(path.read_text(encoding="utf-8"), name=path.name)


def write_default(path: Path) -> None:
    path.write_text(DEFAULT_TEXT, encoding="utf-8")
