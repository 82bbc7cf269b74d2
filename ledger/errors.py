"""The ledger's exception tree. Each carries the HTTP status the API answers with, and a list
of problems (field or rule, message, details) that becomes the JSON ``detail``.

A problem's words are a :class:`ledger.messages.Msg` (a catalogue key and its parameters),
rendered in the reader's language only where it is shown: :meth:`LedgerError.detail` takes the
language; ``message`` is the Chinese rendering, the community default; ``str()`` of an error,
for logs and tracebacks, is English.

    LedgerError
    ├── NotFound                   404  community, account, entry
    ├── ValidationFailed           422  malformed drafts: balance, accounts, amounts, dates, text
    ├── RuleViolations             422  the allocation rules refused the transaction
    ├── Forbidden                  403  e.g. approving one's own entry
    └── Conflict                   409
        ├── IdempotencyConflict        same key, another body
        ├── PeriodLocked               date inside a closed period
        ├── AlreadyReversed            an entry is reversed at most once
        └── StateConflict              approving an entry that is not pending, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from http import HTTPStatus
from typing import Any

from ledger.messages import DEFAULT_LANG, Msg


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: where (field) or which rule, in words, with numbers."""

    text: Msg
    field: str | None = None
    rule: str | None = None
    details: dict[str, Any] = dc_field(default_factory=dict)

    @property
    def message(self) -> str:
        """The words in the community default language."""
        return self.text.render()

    def as_dict(self, lang: str = DEFAULT_LANG) -> dict[str, Any]:
        return {
            "field": self.field,
            "rule": self.rule,
            "message": self.text.render(lang),
            "details": self.details,
        }


class LedgerError(Exception):
    """Base of every refusal; never a crash."""

    status: HTTPStatus = HTTPStatus.BAD_REQUEST

    def __init__(self, problems: list[Problem] | Msg) -> None:
        if isinstance(problems, Msg):
            problems = [Problem(problems, rule=self.default_rule())]
        self.problems = problems
        # str() is for logs and tracebacks, read by maintainers: English. What a person reads
        # is rendered where it is shown, in their language (``detail(lang)``, ``message``).
        super().__init__("; ".join(p.text.render("en") for p in problems))

    @classmethod
    def default_rule(cls) -> str | None:
        return None

    def detail(self, lang: str = DEFAULT_LANG) -> list[dict[str, Any]]:
        return [p.as_dict(lang) for p in self.problems]


class NotFound(LedgerError):
    status = HTTPStatus.NOT_FOUND


class ValidationFailed(LedgerError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY


class RuleViolations(LedgerError):
    """The rules refused the transaction; ``problems`` carry rule, message and numbers."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


class Forbidden(LedgerError):
    status = HTTPStatus.FORBIDDEN


class Conflict(LedgerError):
    status = HTTPStatus.CONFLICT


class IdempotencyConflict(Conflict):
    @classmethod
    def default_rule(cls) -> str:
        return "idempotency"


class PeriodLocked(Conflict):
    """The period is closed; post a correction in an open period."""

    @classmethod
    def default_rule(cls) -> str:
        return "closed-period"


class AlreadyReversed(Conflict):
    @classmethod
    def default_rule(cls) -> str:
        return "reverse-once"


class StateConflict(Conflict):
    pass
