"""A failed background operation is said on screen in the resident's or staff's language:
a kiosk error in its catalog words, anything else as an internal error, never a library's
English sentence (the staff dashboard, the review page and the held list used ``str(exc)``)."""

from __future__ import annotations

from kiosk.errors import StorageError
from kiosk.i18n import t
from ui.bridge import failure_words


def test_a_kiosk_error_is_worded_in_the_chosen_language() -> None:
    fields = {"path": "/data/kiosk", "reason": "Read-only file system", "code": "EROFS"}
    exc = StorageError(key="core.folder_unusable", params=fields)
    mn, en = failure_words(exc, "mn"), failure_words(exc, "en")
    assert mn == t("core.folder_unusable", "mn", **fields)
    assert mn != en and "/data/kiosk" in mn


def test_any_other_failure_is_an_internal_error_without_its_english_text() -> None:
    said = failure_words(ValueError("could not convert string to float: 'x'"), "mn")
    assert said == t("ui.error_internal", "mn") and "convert" not in said
