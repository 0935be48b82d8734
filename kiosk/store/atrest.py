"""Encryption at rest for drafts and attachment metadata (AES-256-GCM).

The key is the local data key from the keyring (kiosk.secrets), never stored in
the database. The associated data binds each ciphertext to its table and row,
so a stolen DB cannot have one applicant's draft swapped into another row.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.errors import SecurityError


class AtRest:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("data key must be 32 bytes")
        self._aead = AESGCM(key)
        self._key = key

    def subkey(self, purpose: str) -> bytes:
        """A separate 32-byte key for one purpose (HKDF-SHA256 from the data key), so a
        MAC made for one use (audit head, PIN verifier) never doubles as another."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=f"soum-kiosk/{purpose}".encode()).derive(self._key)

    def seal(self, obj: Any, *, table: str, row_id: str) -> bytes:
        nonce = os.urandom(12)
        plain = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return nonce + self._aead.encrypt(nonce, plain, f"{table}:{row_id}".encode())

    def open(self, blob: bytes, *, table: str, row_id: str) -> Any:
        try:
            plain = self._aead.decrypt(blob[:12], blob[12:], f"{table}:{row_id}".encode())
        except (InvalidTag, ValueError):
            raise SecurityError(key="core.row_undecryptable",
                                params={"table": table, "row": row_id}) from None
        return json.loads(plain)
