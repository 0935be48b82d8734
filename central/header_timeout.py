"""Cut off clients that trickle request *headers* (slowloris).

uvicorn times out idle keep-alive connections and the app bounds bodies
(central.http_body), but nothing bounds the time between a connection's first
byte and the end of a request's headers: a client sending one header line a
second holds a connection for ever. This wraps uvicorn's HTTP protocol class
with one timer per request: armed when the connection opens and after each
response, it closes the connection if no request has started by then.
"""

from __future__ import annotations

import asyncio
from typing import Any


def with_header_timeout(base: type[asyncio.Protocol], seconds: float) -> type[asyncio.Protocol]:
    class HeaderTimeoutProtocol(base):  # type: ignore[valid-type, misc]
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm_header_timer()

        def _arm_header_timer(self) -> None:
            self._disarm_header_timer()
            self._header_timer = self.loop.call_later(seconds, self._headers_too_slow)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            cycle = getattr(self, "cycle", None)
            waiting = cycle is None or cycle.response_complete  # no request in progress
            if waiting and not self.transport.is_closing():
                self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            super().connection_lost(exc)

    HeaderTimeoutProtocol.__name__ = f"HeaderTimeout{base.__name__}"
    return HeaderTimeoutProtocol
