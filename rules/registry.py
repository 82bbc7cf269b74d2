"""The rules in force, in the order they are checked. Each entry builds a rule from a Context."""

from __future__ import annotations

from rules.engine import RuleFactory

RULES: list[RuleFactory] = []
