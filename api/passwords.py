"""The password policy: at least ``MIN_LENGTH`` characters, not only whitespace, not the
username, and not a common password (``api/common_passwords.txt``, also with digits or
punctuation stuck before or after one: ``dragon2024!``). Checked wherever a password is set
(``commons user add``, ``commons user passwd``); a login is never refused by it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ledger.errors import Problem, ValidationFailed

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

    def problem(message: str, **details: object) -> Problem:
        return Problem(message, field="password", rule="password", details=dict(details))

    if len(password) < MIN_LENGTH:
        return [
            problem(
                f"a password has at least {MIN_LENGTH} characters; this one has {len(password)}",
                min_length=MIN_LENGTH,
                length=len(password),
            )
        ]
    if len(password) > MAX_LENGTH:
        return [problem(f"a password has at most {MAX_LENGTH} characters", max_length=MAX_LENGTH)]
    if not password.strip():
        return [problem("a password is not only spaces")]
    folded = password.strip().casefold()
    if username and folded == username.strip().casefold():
        return [problem("a password is not the username")]
    common = common_passwords()
    if folded in common:
        return [problem("this is one of the most common passwords; choose another")]
    core = folded.strip(_PADDING)
    if core and core in common:
        return [
            problem(
                f"this is a common password ({core!r}) with digits or signs added; choose another"
            )
        ]
    return []


def check(password: str, username: str = "") -> None:
    """Raise ``ValidationFailed`` (422) when ``password`` breaks the policy."""
    found = problems(password, username)
    if found:
        raise ValidationFailed(found)
