"""Failed logins slow guessing down. Each refused password is a ``LoginFailure`` row, so the
throttle holds across restarts and across processes. Within ``window`` a login is refused (429)
after ``per_pair`` failures of one username from one address, ``per_account`` failures of the
username from anywhere (an attacker spreading guesses over many addresses) or ``per_address``
failures from the address for any usernames (one address trying many accounts), until the
failure that tipped it ages out. A successful login clears its pair's failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlmodel import col

from ledger import clock
from ledger.books import Books
from ledger.db import writer
from ledger.models import LoginFailure


@dataclass(frozen=True)
class Verdict:
    """Seconds to wait (0: may try now), and which limit was reached."""

    wait: int
    limit: str | None = None
    count: int = 0
    allowed: int = 0


class LoginThrottle:
    def __init__(
        self,
        *,
        per_pair: int = 5,
        per_account: int = 20,
        per_address: int = 30,
        window: timedelta = timedelta(minutes=15),
    ) -> None:
        self.per_pair = per_pair
        self.per_account = per_account
        self.per_address = per_address
        self.window = window

    @staticmethod
    def _name(username: str) -> str:
        return username.casefold()[:100]

    def check(self, books: Books, username: str, address: str | None) -> Verdict:
        """Whether this username may try a password from this address now."""
        now = clock.now()
        since = now - self.window
        name = self._name(username)
        recent = select(col(LoginFailure.at)).where(col(LoginFailure.at) > since)
        limits = (
            (
                "account and address",
                self.per_pair,
                recent.where(col(LoginFailure.username) == name).where(_address_is(address)),
            ),
            ("account", self.per_account, recent.where(col(LoginFailure.username) == name)),
            ("address", self.per_address, recent.where(_address_is(address))),
        )
        worst = Verdict(0)
        with books.engine.connect() as connection:
            for label, allowed, query in limits:
                count = connection.execute(
                    select(func.count()).select_from(query.subquery())
                ).scalar_one()
                if count < allowed:
                    continue
                # the failure whose ageing out brings the count under the limit
                times = (
                    connection.execute(query.order_by(col(LoginFailure.at).desc()).limit(allowed))
                    .scalars()
                    .all()
                )
                tipping = _aware(times[-1], now)
                wait = max(1, int((tipping + self.window - now).total_seconds()) + 1)
                if wait > worst.wait:
                    worst = Verdict(wait, label, int(count), allowed)
        return worst

    def failed(self, books: Books, username: str, address: str | None) -> None:
        now = clock.now()
        with writer(books.engine) as session:
            session.add(LoginFailure(username=self._name(username), address=address, at=now))
            # failures older than the window count for nothing: forget them
            session.execute(delete(LoginFailure).where(col(LoginFailure.at) < now - self.window))

    def succeeded(self, books: Books, username: str, address: str | None) -> None:
        with writer(books.engine) as session:
            session.execute(
                delete(LoginFailure)
                .where(col(LoginFailure.username) == self._name(username))
                .where(_address_is(address))
            )


def _address_is(address: str | None) -> ColumnElement[bool]:
    column = col(LoginFailure.address)
    return column.is_(None) if address is None else column == address


def _aware(moment: datetime, now: datetime) -> datetime:
    return moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment
