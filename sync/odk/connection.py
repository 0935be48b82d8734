"""The kiosk's connection to one OpenRosa server, kept in the secrets store.

Why all of it is a secret: an ODK Central app-user URL carries its token in the path
(``…/v1/key/TOKEN/projects/N``), so the URL itself is a credential; a user connection
has a password. Nothing of it goes to config.toml or to logs — logs and screens show
``safe_url`` (token masked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from kiosk.errors import ConfigError, KioskError
from kiosk.secrets import ODK_CONNECTION
from sync.odk.openrosa import OpenRosaAuth, OpenRosaClient, safe_url

SECRET_NAME = ODK_CONNECTION
_APP_USER = re.compile(r"^(?P<base>https?://[^/?#]+(?:/[^?#]*?)?)/v1/key/(?P<token>[^/?#]+)"
                       r"/projects/(?P<project>\d+)/?$")


@dataclass(frozen=True)
class Connection:
    kind: str  # "app-user" | "user"
    url: str  # the OpenRosa base URL (formList and submission are under it)
    username: str = ""
    password: str = ""
    project: str = ""

    @property
    def shown_url(self) -> str:
        return safe_url(self.url)

    def as_secret(self) -> dict[str, Any]:
        return {"v": 1, "kind": self.kind, "url": self.url, "username": self.username,
                "password": self.password, "project": self.project}

    def describe(self) -> dict[str, Any]:
        """What staff and `--json` may see: never the token or the password."""
        return {"kind": self.kind, "url": self.shown_url, "username": self.username,
                "project": self.project}

    def auth(self) -> httpx.Auth | None:
        return OpenRosaAuth(self.username, self.password) if self.kind == "user" else None

    def client(self, **kw: Any) -> OpenRosaClient:
        return OpenRosaClient(self.url, auth=self.auth(), **kw)


def parse_url(url: str, *, username: str | None = None, password: str | None = None
              ) -> Connection:
    """An app-user URL, or a server URL with a user. One clear line when it is neither."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KioskError(key="errors.odk_not_http",
                         params={"url": safe_url(url) if "://" in url else repr(url)})
    m = _APP_USER.match(url)
    if m and not username:
        return Connection("app-user", url.rstrip("/"), project=m.group("project"))
    if not username:
        raise KioskError(key="errors.odk_not_app_user_url")
    if password is None:
        raise KioskError(key="errors.odk_password_needed")
    # over plain http (not loopback) the password goes only with Digest: OpenRosaAuth
    # never sends Basic there, so such a server answers 401 and connect says so
    project = ""
    pm = re.search(r"/projects/(\d+)", parts.path)
    if pm:
        project = pm.group(1)
    return Connection("user", url.rstrip("/"), username=username, password=password,
                      project=project)


def save(secrets: Any, conn: Connection) -> None:
    secrets.set_json(SECRET_NAME, conn.as_secret())


def load(secrets: Any) -> Connection | None:
    data = secrets.get_json(SECRET_NAME)
    if data is None:
        return None
    try:
        return Connection(kind=str(data["kind"]), url=str(data["url"]),
                          username=str(data.get("username", "")),
                          password=str(data.get("password", "")),
                          project=str(data.get("project", "")))
    except KeyError:
        raise ConfigError(f"secret {SECRET_NAME!r} is damaged: run kiosk odk connect again") \
            from None


def require(secrets: Any) -> Connection:
    conn = load(secrets)
    if conn is None:
        raise ConfigError(key="errors.odk_not_connected")
    return conn


def forget(secrets: Any) -> bool:
    if secrets.get(SECRET_NAME) is None:
        return False
    secrets.delete(SECRET_NAME)
    return True
