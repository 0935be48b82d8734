"""A cap on open connections per source network.

uvicorn's ``limit_concurrency`` counts every open connection of the process:
past it, *every* client gets 503. 500 idle sockets from one address therefore
stopped every kiosk. This wraps uvicorn's HTTP protocol class so one source
network (``central.policy.source_prefix``: /24 for IPv4, /64 for IPv6) holds at
most ``per_source`` connections; the next one is closed as soon as it opens,
before it is read. Proxies the operator trusts (``Settings.trusted_proxies``)
are exempt: behind nginx every kiosk arrives from nginx's address.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from central.policy import source_prefix


def with_connection_cap(base: type[asyncio.Protocol], per_source: int,
                        exempt: frozenset[str] = frozenset()) -> type[asyncio.Protocol]:
    open_by_source: Counter[str] = Counter()  # one count per server (per wrapped class)

    class ConnectionCapProtocol(base):  # type: ignore[valid-type, misc]
        _source: str | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            peer = transport.get_extra_info("peername")
            host = str(peer[0]) if isinstance(peer, tuple) and peer else ""
            if not host or host in exempt:
                return
            source = source_prefix(host)
            if open_by_source[source] >= per_source:
                transport.close()  # not counted: its connection_lost frees nothing
                return
            open_by_source[source] += 1
            self._source = source

        def connection_lost(self, exc: Exception | None) -> None:
            if self._source is not None:
                open_by_source[self._source] -= 1
                if open_by_source[self._source] <= 0:
                    del open_by_source[self._source]
                self._source = None
            super().connection_lost(exc)

    ConnectionCapProtocol.__name__ = f"ConnectionCap{base.__name__}"
    return ConnectionCapProtocol
