"""One error type for everything a user can be told about.

The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``;
the UI shows ``error.message`` in the current language. Nothing else should
ever reach a resident or technician as a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping

from kiosk.i18n_data import english

# Exit codes are part of the stable command line (DESIGN.md §6).
EXIT_OK = 0
EXIT_FAILED = 1  # a check failed / validation errors / warnings in doctor
EXIT_USAGE = 2  # bad arguments (argparse uses 2 as well); doctor: failures
EXIT_NOT_FOUND = 3  # form, file, submission or folder not found
EXIT_CONFIG = 4  # broken config, unusable keyring, not enrolled
EXIT_IO = 5  # disk full, I/O error, database locked or corrupt
EXIT_NETWORK = 6  # server unreachable, captive portal, TLS, bad reply
EXIT_SECURITY = 7  # signature/verification failure, revoked device
EXIT_INTERNAL = 70  # a bug: logged with a reference, never a traceback on screen


class KioskError(Exception):
    """An error with a plain one-line message and a meaningful exit code.

    ``key`` and ``params`` (optional) name the message in the translation catalog
    (kiosk/i18n.py): ``kiosk.i18n.error_text(exc, lang)`` says it in the kiosk's
    language; ``message`` (and ``str()``) is the English text, for logs and callers
    without a language, worded from the translation files by ``kiosk.i18n_data``
    (below this module; ``kiosk.i18n``, which raises these errors, is above it).
    """

    exit_code: int = EXIT_FAILED

    def __init__(self, message: str = "", exit_code: int | None = None, *,
                 key: str | None = None, params: Mapping[str, object] | None = None) -> None:
        self.key = key
        self.params = dict(params or {})
        if not message and key:
            message = english(key, self.params)
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


def os_reason(exc: OSError) -> dict[str, str]:
    """An OS error's fields for a message: ``reason`` (the system's English words, e.g.
    "Not a directory") and ``code`` (its errno name, e.g. ENOTDIR, what a message in
    another language names)."""
    import errno

    name = type(exc).__name__
    return {"reason": exc.strerror or name,
            "code": errno.errorcode.get(exc.errno or 0, name)}


class NotFoundError(KioskError):
    exit_code = EXIT_NOT_FOUND


class ConfigError(KioskError):
    exit_code = EXIT_CONFIG


class StorageError(KioskError):
    exit_code = EXIT_IO


class NetworkError(KioskError):
    exit_code = EXIT_NETWORK


class SecurityError(KioskError):
    exit_code = EXIT_SECURITY
