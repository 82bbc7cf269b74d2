"""The password policy: at least ``MIN_LENGTH`` characters, not only whitespace, not the
username, and not a common password (``api/common_passwords.txt``, also with digits or
punctuation stuck before or after one: ``dragon2024!``). Checked wherever a password is set
(``commons user add``, ``commons user passwd``); a login is never refused by it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ledger.errors import Problem, ValidationFailed
from ledger.messages import Msg, msg

MIN_LENGTH = 10
MAX_LENGTH = 1000
_PADDING = "0123456789!@#$%^&*()-_=+.,;:?/~`'\"[]{}<>|\\ "


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The list of common passwords, lower case (comment lines start with ``#``)."""
    text = Path(__file__).with_name("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def problems(password: str, username: str = "") -> list[Problem]:
    """What is wrong with ``password`` as ``username``'s new password (empty: nothing)."""

    def problem(message: Msg, **details: object) -> Problem:
        return Problem(message, field="password", rule="password", details=dict(details))

    if len(password) < MIN_LENGTH:
        return [
            problem(
                msg(
                    "passwords.password-has-at-least", min_length=MIN_LENGTH, password=len(password)
                ),
                min_length=MIN_LENGTH,
                length=len(password),
            )
        ]
    if len(password) > MAX_LENGTH:
        return [
            problem(
                msg("passwords.password-has-at-most", max_length=MAX_LENGTH), max_length=MAX_LENGTH
            )
        ]
    if not password.strip():
        return [problem(msg("passwords.password-only-spaces"))]
    folded = password.strip().casefold()
    if username and folded == username.strip().casefold():
        return [problem(msg("passwords.password-username"))]
    common = common_passwords()
    if folded in common:
        return [problem(msg("passwords.one-most-common-passwords"))]
    core = folded.strip(_PADDING)
    if core and core in common:
        return [problem(msg("passwords.common-password-with-digits", core=core))]
    return []


def check(password: str, username: str = "") -> None:
    """Raise ``ValidationFailed`` (422) when ``password`` breaks the policy."""
    found = problems(password, username)
    if found:
        raise ValidationFailed(found)
