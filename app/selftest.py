"""``kiosk --self-test``: does this installation work, end to end, right now?

Run by technicians after copying a build to a kiosk and by CI inside the built
PyInstaller folder. Everything happens in a throw-away data folder with a
throw-away, in-memory secrets store: the real database, the real keyring and
the real device key are never touched (a self-test that clobbered the device
key would un-enrol the kiosk it was checking).

Steps, each depending on the one before: open and migrate a new database;
load the bundled catalog; finalize a sample submission from the catalog's
example answers (validated, signed, encrypted, stored in one transaction);
verify its record signature and open it with the published demo agency key;
render one kiosk screen offscreen. One line per step; exit 0, or exit 1
naming the step that failed and why.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_urlsafe
from typing import Any

from kiosk.errors import EXIT_FAILED, EXIT_OK, KioskError
from kiosk.i18n import t
from kiosk.paths import ENV_HOME, Home, bundled_catalog_dir

# Preferred sample (has an attachment, so attachment sealing is covered too).
PREFERRED_SAMPLES = ("id-card", "birth-registration")
PASSPHRASE_ENV = "KIOSK_SECRETS_PASSPHRASE"  # kiosk.secrets.ENV_PASSPHRASE


class _MemoryBackend:
    """Secrets that live and die with the self-test process."""

    description = "self-test (in memory)"

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def set(self, name: str, value: str) -> None:
        self._values[name] = value

    def delete(self, name: str) -> None:
        self._values.pop(name, None)


@dataclass
class _State:
    home: Home
    lang: str
    secrets: Any = None
    store: Any = None
    catalog: Any = None
    envelope: Any = None
    form_id: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


class StepFailed(Exception):
    """A step's plain one-line reason."""


def _step_database(st: _State) -> str:
    from kiosk.secrets import Secrets
    from kiosk.store import SCHEMA_VERSION, Store

    st.secrets = Secrets(_MemoryBackend())
    st.store = Store(st.home.db, backups=st.home.backups, secrets=st.secrets)
    version = st.store.schema_version()
    if version != SCHEMA_VERSION:
        raise StepFailed(f"schema {version} after migration, expected {SCHEMA_VERSION}")
    check = st.store.integrity_check()
    if check != "ok":
        raise StepFailed(f"integrity_check: {check}")
    return t("doctor.selftest_db_ok", st.lang, version=version)


def _step_catalog(st: _State) -> str:
    from kiosk.forms import load_catalog

    folder = bundled_catalog_dir()
    st.catalog = load_catalog(folder)
    if st.catalog.problems:
        raise StepFailed(f"{folder}: {st.catalog.problems[0]}")
    if not st.catalog.forms:
        raise StepFailed(f"{folder}: no forms")
    return t("doctor.selftest_catalog_ok", st.lang, forms=len(st.catalog.forms))


def _sample(st: _State) -> tuple[str, Path]:
    examples = bundled_catalog_dir() / "examples"
    found: dict[str, Path] = {}
    for path in sorted(examples.glob("*.answers.json")):
        try:
            form_id = json.loads(path.read_text(encoding="utf-8")).get("form_id")
        except (OSError, ValueError):
            continue
        if isinstance(form_id, str) and form_id in st.catalog.forms:
            found[form_id] = path
    for form_id in (*PREFERRED_SAMPLES, *sorted(found)):
        if form_id in found:
            return form_id, found[form_id]
    raise StepFailed(f"{examples}: no example answers file for a form in the catalog")


def _step_finalize(st: _State) -> str:
    from kiosk.finalize import fill_from_file

    st.form_id, path = _sample(st)
    st.envelope = fill_from_file(st.store, st.catalog, st.form_id, path, lang=st.lang)
    counts = st.store.counts()
    if sum(counts.get(s, 0) for s in ("sealed", "queued")) != 1:
        raise StepFailed(f"the outbox does not hold the sample ({counts})")
    return t("doctor.selftest_finalize_ok", st.lang, form=st.form_id,
             size=len(st.envelope.jwe) // 1024 + 1)


def _step_verify(st: _State) -> str:
    from kiosk.device import load_device
    from kiosk.envelope import open_envelope, verify_record

    env = st.store.envelope(st.envelope.submission_id)
    if env is None or env.jwe != st.envelope.jwe:
        raise StepFailed("the stored envelope differs from the sealed one")
    device = load_device(st.secrets)
    claims = verify_record(env.record, env.jwe, device.public_jwk)
    if claims.get("submission_id") != env.submission_id:
        raise StepFailed("record names another submission")
    key_file = bundled_catalog_dir() / "demo-keys" / f"{env.agency_kid}.json"
    if not key_file.is_file():
        raise StepFailed(f"{key_file}: no demo key for agency key {env.agency_kid}")
    agency_key = json.loads(key_file.read_text(encoding="utf-8"))
    payload = open_envelope(env.jwe, agency_key, device.public_jwk)
    if payload.get("submission_id") != env.submission_id or payload.get("form_id") != st.form_id:
        raise StepFailed("the decrypted payload is not the sample")
    if not payload.get("answers"):
        raise StepFailed("the decrypted payload has no answers")
    if not st.store.receipt_qr(env.submission_id):
        raise StepFailed("no receipt was stored")
    return t("doctor.selftest_verify_ok", st.lang, kid=env.agency_kid)


def _render_home(home: Home, out: Path, lang: str) -> Path:
    """The kiosk's start screen, built exactly as ``kiosk`` builds it (ui.app.build)."""
    from ui import qtlog
    from ui.app import build
    from ui.screenshots import settle

    qtlog.install()  # no "propagateSizeHints" lines in the technician's terminal
    kiosk = build(home, lang)
    try:
        kiosk.window.show()
        settle(lambda: kiosk.bridge.is_idle())
        path = out / f"selftest-home-{lang}.png"
        if not kiosk.window.grab().save(str(path)):
            raise StepFailed(f"{path}: Qt could not write the PNG")
        return path
    finally:
        kiosk.close()


def _step_screen(st: _State) -> str:
    # Offscreen even on a kiosk with a screen: nothing flashes up in front of a resident.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    out = st.home.tmp / "screens"
    out.mkdir(parents=True, exist_ok=True)
    paths = [_render_home(st.home, out, st.lang)]
    pngs = [p for p in paths if p.is_file() and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"]
    if not pngs:
        raise StepFailed("no PNG was rendered")
    _check_receipt_qr(st)
    return t("doctor.selftest_screen_ok", st.lang, name=pngs[0].name,
             size=pngs[0].stat().st_size // 1024 + 1)


def _check_receipt_qr(st: _State) -> None:
    """The sample's receipt QR drawn the way the receipt screen draws it.

    It needs an image library the core can do without, so a build that
    forgot it would only fail in front of a resident who just finished a form.
    """
    from ui.views.receipt import qr_image

    image = qr_image(st.store.receipt_qr(st.envelope.submission_id))
    if image.isNull() or image.width() < 21:
        raise StepFailed("the receipt QR code could not be drawn")


STEPS: tuple[tuple[str, Callable[[_State], str]], ...] = (
    ("database", _step_database),
    ("catalog", _step_catalog),
    ("finalize", _step_finalize),
    ("verify", _step_verify),
    ("screen", _step_screen),
)


def _language(args: argparse.Namespace) -> str:
    lang = getattr(args, "lang", None)
    if lang:
        return str(lang)
    try:
        from kiosk.config import load_config
        from kiosk.paths import home

        return load_config(home(getattr(args, "home", None)).config_file).language
    except KioskError:
        return "mn"


def run(args: argparse.Namespace) -> int:
    """Run every step in a temporary data folder; 0 when all pass, 1 naming the failure."""
    lang = _language(args)
    saved = {k: os.environ.get(k) for k in (ENV_HOME, PASSPHRASE_ENV, "QT_QPA_PLATFORM")}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kiosk-selftest-") as tmp:
        home = Home(Path(tmp) / "home").ensure()
        # Anything that resolves the data folder by itself lands here, and a config
        # that forbids the OS keyring: no path leads to the real device key.
        (home.config_file).write_text(
            'keyring_fallback = "encrypted-file"\n', encoding="utf-8"
        )
        os.environ[ENV_HOME] = str(home.root)
        # The throw-away secrets file's passphrase, for parts that open secrets themselves.
        os.environ[PASSPHRASE_ENV] = token_urlsafe(24)
        st = _State(home=home, lang=lang)
        try:
            for name, step in STEPS:
                step_started = time.perf_counter()
                try:
                    detail = step(st)
                except StepFailed as exc:
                    return _fail(name, str(exc), lang)
                except KioskError as exc:
                    return _fail(name, exc.message, lang)
                except Exception as exc:  # noqa: BLE001 - named, logged, never a traceback
                    import logging

                    logging.getLogger("kiosk.selftest").exception("self-test step %s crashed", name)
                    return _fail(name, f"{type(exc).__name__}: {exc}", lang)
                ms = round((time.perf_counter() - step_started) * 1000)
                print(t("doctor.selftest_step_ok", lang, step=name, detail=detail, ms=ms),
                      flush=True)
        finally:
            if st.store is not None:
                st.store.close()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    total = round(time.perf_counter() - started, 1)
    print(t("doctor.selftest_passed", lang, steps=len(STEPS), seconds=total), flush=True)
    return EXIT_OK


def _fail(step: str, reason: str, lang: str) -> int:
    print(t("doctor.selftest_failed", lang, step=step, reason=reason.splitlines()[0]),
          file=sys.stderr, flush=True)
    return EXIT_FAILED
