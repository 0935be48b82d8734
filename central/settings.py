"""The server's settings, advertised limits, abuse guards and problem replies.

``Limits`` are what kiosks are told (``/v1/health``, enrolment); ``Guards`` bound
abuse (slow bodies, rate limits, parallel bundle imports) and are not advertised.
``Problem`` is every client-facing refusal: an RFC 9457 ``problem+json`` reply,
never a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from central.http_body import BodyTimeouts
from sync.jsonlimits import JsonLimits

PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://soum-kiosk.example/problems/"


@dataclass
class Limits:
    max_batch_items: int = 500
    max_batch_bytes: int = 2_000_000
    max_attachment_bytes: int = 32_000_000
    max_chunk_bytes: int = 1_000_000
    max_bundle_bytes: int = 512_000_000

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Guards:
    """Limits on abuse, not on payloads (so not advertised to kiosks)."""

    body: BodyTimeouts = field(default_factory=BodyTimeouts)
    header_timeout: float = 30.0  # seconds from connection (or last reply) to a request's headers
    enrol_per_minute: float = 10.0  # per address
    enrol_burst: int = 10
    enrol_device_per_minute: float = 3.0  # per device key
    enrol_device_burst: int = 5
    auth_failures_per_minute: float = 30.0  # per address and per claimed device
    auth_failures_burst: int = 30
    parallel_bundles: int = 1  # bundle imports at once (each may hold a big line)
    bundle_import_seconds: float = 120.0  # an uploaded bundle's import, then it stops (resumable)
    connection_limit: int = 500  # open connections in all; past it uvicorn answers 503
    connections_per_source: int = 50  # open connections per source network (/24, /64)


@dataclass
class Settings:
    data_dir: Path
    catalog_dir: Path
    accept_demo: bool = False
    limits: Limits = field(default_factory=Limits)
    guards: Guards = field(default_factory=Guards)
    database_url: str | None = None  # postgresql://… : all shared state there (several nodes)
    # addresses of reverse proxies whose X-Forwarded-For/-Proto are believed; none by
    # default (uvicorn's own default believes loopback: any local process could then
    # claim any address and walk through the per-address rate limits)
    trusted_proxies: tuple[str, ...] = ()


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra
        self.headers = headers or {}


def problem_response(status: int, code: str, detail: str, *,
                     headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"type": PROBLEM_BASE + code, "title": code.replace("-", " "), "status": status,
            "detail": detail, **extra}
    return Response(json.dumps(body), status_code=status, media_type=PROBLEM,
                    headers=headers)


JSON_LIMITS = JsonLimits(max_bytes=64_000, max_depth=8, max_items=64, max_int_digits=20)


def batch_json_limits(max_bytes: int, max_items: int) -> JsonLimits:
    # a batch item is {submission_id, record, jwe}: 4 values; the body adds 2
    return JsonLimits(max_bytes=max_bytes, max_depth=8, max_items=8 * max_items + 8,
                      max_int_digits=20)


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
