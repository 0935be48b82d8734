"""A keyring backend for tests: never the real OS keyring.

Stores secrets in a JSON file named by ``KIOSK_TEST_KEYRING`` so that
subprocesses (CLI tests, crash tests) see the same secrets as the test that
started them. Selected in child processes with
``PYTHON_KEYRING_BACKEND=tests.support.keyring_backend.FileTestKeyring``
(the conftest sets both variables and PYTHONPATH).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileTestKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["KIOSK_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        path = self._path()
        if not path.exists():
            return {}
        return json.loads(path.read_text(encoding="utf-8"))

    def _save(self, data: dict[str, str]) -> None:
        path = self._path()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\x00{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\x00{username}", None) is None:
            raise PasswordDeleteError(username)
        self._save(data)
