"""Reverse proxies: ``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` are
believed only from the addresses in ``--forwarded-allow-ips`` (``COMMONS_FORWARDED_ALLOW_IPS``:
addresses or networks, comma-separated, ``*`` for any; default none). From anyone else they are
removed before the app sees them, so a client cannot choose the address the login throttle
counts and the audit trail records, nor the scheme and host the CSRF origin check compares
with. ``commons serve`` turns uvicorn's own handling off (it trusts 127.0.0.1 by default)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_HEADERS = frozenset(
    {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded"}
)
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def parse_allowed(value: str | Iterable[str] | None) -> tuple[bool, tuple[Network, ...]]:
    """``(any, networks)`` from ``"10.0.0.1, 192.168.0.0/16"`` or ``"*"``; a bad entry is a
    ``ValueError`` naming it."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    networks: list[Network] = []
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        if item == "*":
            return True, ()
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"--forwarded-allow-ips: {item!r} is not an IP address or network"
            ) from None
    return False, tuple(networks)


class ProxyHeaders:
    """Apply the forwarded headers of a trusted proxy to the ASGI scope (client address,
    scheme, Host) and drop them from everyone else's requests."""

    def __init__(self, app: ASGIApp, allowed: str | Iterable[str] | None = None) -> None:
        self.app = app
        self.any, self.networks = parse_allowed(allowed)

    def trusted(self, host: str | None) -> bool:
        if self.any:
            return True
        if not host or not self.networks:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", ()))
        forwarded = {name: value for name, value in headers if name in FORWARDED_HEADERS}
        if not forwarded:
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        client = scope.get("client")
        if client and self.trusted(client[0]):
            self._apply(scope, headers, forwarded)
        else:
            scope["headers"] = [(n, v) for n, v in headers if n not in FORWARDED_HEADERS]
        await self.app(scope, receive, send)

    def _apply(
        self, scope: Scope, headers: list[tuple[bytes, bytes]], forwarded: dict[bytes, bytes]
    ) -> None:
        if b"x-forwarded-for" in forwarded:
            hops = [h.strip() for h in forwarded[b"x-forwarded-for"].decode("latin-1").split(",")]
            hops = [h for h in hops if h]
            # the nearest hop not itself a trusted proxy is the client
            untrusted = [h for h in reversed(hops) if not self.trusted(h)]
            chosen = untrusted[0] if untrusted else (hops[0] if hops else "")
            if chosen:
                port = scope["client"][1] if scope.get("client") else 0
                scope["client"] = (chosen[:100], port)
        if b"x-forwarded-proto" in forwarded:
            proto = forwarded[b"x-forwarded-proto"].decode("latin-1").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                if scope["type"] == "websocket":
                    proto = "wss" if proto == "https" else "ws"
                scope["scheme"] = proto
        if b"x-forwarded-host" in forwarded:
            host = forwarded[b"x-forwarded-host"].decode("latin-1").split(",")[-1].strip()
            if _HOST.match(host):
                headers = [(n, v) for n, v in headers if n != b"host"]
                headers.append((b"host", host.encode("latin-1")))
                scope["headers"] = headers
