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
from kiosk.secrets import ODK_CONNECTION, ODK_KEPT_CONNECTION
from sync.odk.openrosa import OpenRosaAuth, OpenRosaClient, safe_url

SECRET_NAME = ODK_CONNECTION
KEPT_NAME = ODK_KEPT_CONNECTION  # a second connection: only its own unsent items go there
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

    @property
    def destination(self) -> tuple[str, str]:
        """(server, project) a submission made under this connection belongs to (the
        token masked: two app users of one project are one destination)."""
        return self.shown_url, self.project

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


class UnsentForOldConnection(ConfigError):
    """Connecting elsewhere would strand submissions made for the old connection."""

    def __init__(self, count: int, old_url: str) -> None:
        super().__init__(key="errors.odk_unsent_for_old_connection",
                         params={"count": count, "url": old_url})
        self.count = count
        self.old_url = old_url


def switch(secrets: Any, store: Any, new: Connection, *, keep_old: bool = False,
           moved: bool = False) -> None:
    """Make ``new`` the connection. Unsent submissions belong to the connection they were
    made for: never delivered elsewhere; connecting to another server or project while
    any are unsent (and not exported) is refused, unless ``keep_old`` keeps the old
    connection to go on delivering them (a kiosk holds at most two), or ``moved`` says
    the new URL is the same server and project (the old one's items go there)."""
    old = load(secrets)
    if old is None or old.destination == new.destination:
        store.stamp_destination(new.destination)
        save(secrets, new)
        return
    store.stamp_destination(old.destination)
    if moved:
        store.move_destination(old.destination, new.destination)
    stranded = store.unsent_elsewhere(new.destination)
    if stranded and not keep_old:
        raise UnsentForOldConnection(stranded, old.shown_url)
    if stranded:
        secrets.set_json(KEPT_NAME, old.as_secret())
    save(secrets, new)


def save(secrets: Any, conn: Connection) -> None:
    secrets.set_json(SECRET_NAME, conn.as_secret())


def load(secrets: Any, name: str = SECRET_NAME) -> Connection | None:
    data = secrets.get_json(name)
    if data is None:
        return None
    try:
        return Connection(kind=str(data["kind"]), url=str(data["url"]),
                          username=str(data.get("username", "")),
                          password=str(data.get("password", "")),
                          project=str(data.get("project", "")))
    except KeyError:
        raise ConfigError(key="wire.odk_secret_damaged", params={"name": name}) from None


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
