"""``kiosk demo``: the whole round trip on one computer, in one command.

Starts the reference central server (``kiosk-central serve``) on loopback on a
free port with a temporary data folder, makes a one-time enrolment code,
enrols a kiosk living in a temporary data folder, and opens the kiosk UI with
background sync running. A newcomer finishes a form and sees it arrive on the
server. ``--no-ui`` does the same headless with the catalog's sample answers
(for CI and for a terminal-only check).

Nothing real is touched: the demo kiosk's secrets go to an encrypted file in
its temporary folder (with a random passphrase held only by this process),
never into the OS keyring where a real kiosk keeps its device key; the demo
server accepts only DEMO submissions sealed with the published demo keys.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError, NetworkError
from kiosk.i18n import t
from kiosk.paths import ENV_HOME, Home, bundled_catalog_dir

READY_LINE = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
SYNC_INTERVAL = 5
SAMPLE_FORM = "id-card"
#: The demo kiosk's staff PIN, printed when the demo starts (a demo has no secrets to keep).
DEMO_PIN = "472915"


class DemoStopped(BaseException):
    """SIGTERM outside the UI: unwinds to the clean-up (server child, temporary folder).

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` on the way
    (keyring probes, HTTP retries) can swallow it and leave the demo running.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: What a stopped demo must undo (server children, temporary folder), for the watchdog.
_cleanups: list[Any] = []
_finished = threading.Event()
WATCHDOG_SECONDS = 15.0


#: Depth of ``_signals_held`` sections and the stop signals that arrived inside one.
_holding = [0]
_pending: list[int] = []


def _raise_stopped(signum: int, _frame: Any) -> None:
    _watchdog(signum)
    if _holding[0]:
        _pending.append(signum)  # raised when the section ends, with the child recorded
        return
    raise DemoStopped(signum)


def _watchdog(signum: int) -> None:
    """A backstop for the unwinding: an exception raised by a signal handler can still be
    lost (raised inside a finalizer or a C callback, which only report it). If the demo has
    not finished WATCHDOG_SECONDS after the signal, clean up from here and exit."""
    if getattr(_watchdog, "armed", False):
        return
    _watchdog.armed = True  # type: ignore[attr-defined]

    def watch() -> None:
        if _finished.wait(WATCHDOG_SECONDS):
            return
        for cleanup in list(_cleanups):
            try:
                cleanup()
            except Exception:  # noqa: BLE001, S110 - best effort on the way out
                pass
        print(t("demo.stopped", _LANG[0], signal=signal.Signals(signum).name), file=sys.stderr, flush=True)
        os._exit(128 + signum)

    threading.Thread(target=watch, daemon=True, name="demo-stop-watchdog").start()


_STOP = {signal.SIGTERM, signal.SIGINT}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGTERM/SIGINT while a child is started and recorded, so it is never started
    without anyone knowing to stop it (a signal during Popen's fork/exec leaked one).

    Two holds, because either alone leaks: the mask keeps the signal out of this thread
    and out of the forked child until it is set up, but the kernel may hand the signal to
    another thread (the server's output reader), whose C handler still has Python run the
    stop handler in the main thread at its next bytecode; that handler then only notes it,
    and the stop is raised here once the child is recorded.
    """
    masked = hasattr(signal, "pthread_sigmask")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP) if masked else set()
    _holding[0] += 1
    try:
        yield
    finally:
        if masked:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a masked signal runs here
        _holding[0] -= 1
        if not _holding[0] and _pending:
            raise DemoStopped(_pending.pop(0))


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if the demo itself is killed (even by SIGKILL); the
    signals held while starting it are not held in it."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="try it: a local server + an enrolled kiosk; watch a form reach the server",
        description=(
            "Start the reference server on loopback, enrol a kiosk in a temporary folder "
            "and open the kiosk UI with background sync. Nothing real is touched."
        ),
    )
    p.add_argument("--no-ui", action="store_true",
                   help="headless: send the sample answers of one form and exit")
    p.add_argument("--form", default=SAMPLE_FORM, metavar="FORM_ID",
                   help=f"form to send with --no-ui (default {SAMPLE_FORM})")
    p.add_argument("--dir", metavar="DIR",
                   help="keep the demo's server and kiosk folders here (default: temporary)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="seconds to wait for the server to start (default 60)")
    p.set_defaults(func=run)


class DemoServer:
    """``kiosk-central serve`` as a child process on a free loopback port."""

    def __init__(self, data: Path, *, timeout: float) -> None:
        self.data = data
        self.timeout = timeout
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        self.calls: set[subprocess.Popen[str]] = set()  # kiosk-central calls running now
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.log_file = data / "server.log"

    def _central(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "central.cli", *args, "--data", str(self.data)]

    def start(self) -> str:
        self.data.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log, _signals_held():
            self.proc = subprocess.Popen(
                self._central("serve", "--host", "127.0.0.1", "--port", "0", "--accept-demo"),
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                encoding="utf-8",
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
            )
        threading.Thread(target=self._drain, daemon=True, name="demo-server-out").start()
        deadline = time.monotonic() + self.timeout
        while not self.url:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(0.05, min(left, 1.0)))
            except queue.Empty:
                line = ""
            if line is None or (self.proc.poll() is not None and not self.url):
                raise NetworkError(key="demo.server_died", params={"log": self.log_file})
            match = READY_LINE.search(line or "")
            if match:
                self.url = match.group(1)
            elif left <= 0:
                raise NetworkError(key="demo.server_timeout",
                                   params={"seconds": self.timeout, "log": self.log_file})
        self._wait_healthy(deadline)
        return self.url

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _wait_healthy(self, deadline: float) -> None:
        import httpx

        last = ""
        while time.monotonic() < deadline:
            try:
                reply = httpx.get(f"{self.url}/v1/health", timeout=2.0)
                if reply.status_code == 200:
                    return
                last = f"HTTP {reply.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.1)  # polling with a deadline, not synchronisation by sleep
        raise NetworkError(key="demo.server_unhealthy", params={"url": self.url, "error": last})

    def call(self, *args: str) -> Any:
        """Run ``kiosk-central ARGS --json --data DIR`` and return its JSON."""
        with _signals_held():
            child = subprocess.Popen(
                self._central(*args, "--json"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8",
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
            )
            self.calls.add(child)
        try:
            stdout, stderr = child.communicate(timeout=60)
        finally:
            _end(child)
            self.calls.discard(child)
        result = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
        if result.returncode != 0:
            last = result.stderr.strip().splitlines()[-1:]
            raise KioskError(key="tech.central_call_failed",
                             params={"verb": args[0], "detail": last[0] if last else "-"})
        return json.loads(result.stdout)

    def stop(self) -> None:
        """Stop the server and any kiosk-central call still running; wait for each."""
        for child in [*self.calls, self.proc]:
            if child is not None:
                _end(child)
        self.calls.clear()


def _end(child: subprocess.Popen[str]) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=10)


def _prepare_kiosk_home(root: Path) -> Home:
    """A data folder whose secrets can never reach the OS keyring."""
    home = Home(root).ensure()
    home.config_file.write_text(
        f"sync_interval_seconds = {SYNC_INTERVAL}\n"
        'keyring_fallback = "encrypted-file"\n',
        encoding="utf-8",
    )
    os.environ[ENV_HOME] = str(home.root)
    os.environ["KIOSK_SECRETS_PASSPHRASE"] = secrets.token_urlsafe(24)
    return home


def _require_central() -> None:
    import importlib.util

    frozen = bool(getattr(sys, "frozen", False))
    if frozen or importlib.util.find_spec("central") is None or (
        importlib.util.find_spec("starlette") is None
    ):
        raise KioskError(key="demo.no_server")


def _send_sample(home: Home, form_id: str, lang: str) -> str:
    """Fill and finalize the catalog's sample answers, then one sync round."""
    from kiosk.config import load_config
    from kiosk.finalize import fill_from_file
    from kiosk.forms import active_catalog_dir, load_catalog
    from kiosk.store import Store
    from sync.runtime import open_engine

    # The catalog enrolment downloaded from the server (the one the UI shows too).
    catalog = load_catalog(active_catalog_dir(home, load_config(home.config_file)))
    example = bundled_catalog_dir() / "examples" / f"{form_id}.answers.json"
    if not example.is_file():
        raise KioskError(key="tech.no_sample_answers", params={"path": example, "form_id": form_id})
    with Store.open(home) as store:
        env = fill_from_file(store, catalog, form_id, example, lang=lang)
        engine = open_engine(home, store=store)
        report = engine.run_once(deadline=engine.clock() + 60)
    figures = report.as_dict()
    print(t("demo.sent", lang, form=form_id, id=env.submission_id,
            accepted=figures.get("accepted"), state=figures.get("state")), flush=True)
    return str(env.submission_id)


def _set_demo_pin(home: Home, lang: str) -> None:
    from kiosk.pin import set_pin
    from kiosk.store import Store

    with Store.open(home) as store:
        set_pin(store, DEMO_PIN, lang)


def demo_lang(args: argparse.Namespace) -> str:
    """The language the other commands speak: --lang, else the kiosk's config, else mn."""
    from app.commands._common import cli_lang, get_home

    try:
        lang = cli_lang(args, get_home(args))
    except Exception:  # noqa: BLE001 - the language of a message must not cause an error
        lang = "mn"
    _LANG[0] = lang
    return lang


_LANG = ["mn"]  # the demo's language, for the watchdog's last line


def run(args: argparse.Namespace) -> int:
    """The demo; SIGTERM and SIGINT (Ctrl+C) at any point stop the server and remove the folder."""
    _require_central()
    previous = {s: signal.signal(s, _raise_stopped) for s in _STOP}
    lang = demo_lang(args)
    _finished.clear()
    _pending.clear()
    try:
        return _run(args, lang)
    except DemoStopped as stop:  # cleaned up by _run's finally
        print(t("demo.stopped", lang, signal=signal.Signals(stop.signum).name), file=sys.stderr)
        return 128 + stop.signum
    finally:
        _finished.set()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(args: argparse.Namespace, lang: str) -> int:
    from sync.enrol import enroll

    base = Path(args.dir).resolve() if args.dir else Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    saved_env = {k: os.environ.get(k) for k in (ENV_HOME, "KIOSK_SECRETS_PASSPHRASE")}
    server = DemoServer(base / "central", timeout=args.timeout)

    def remove_all() -> None:
        server.stop()
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)

    _cleanups.append(remove_all)
    try:
        url = server.start()
        print(t("demo.server_up", lang, url=url, data=server.data), flush=True)
        code = str(server.call("enroll-code")["code"])
        home = _prepare_kiosk_home(base / "kiosk")
        info = enroll(home, url, code, name="kiosk-demo")
        _set_demo_pin(home, lang)
        print(t("demo.enrolled", lang, device=info.get("device_id", "?"), home=home.root),
              flush=True)
        if args.no_ui:
            submission_id = _send_sample(home, args.form, lang)
        else:
            print(t("demo.open_ui", lang, seconds=SYNC_INTERVAL, pin=DEMO_PIN), flush=True)
            submission_id = ""
            if not os.environ.get("QT_QPA_PLATFORM") == "offscreen":
                os.environ.setdefault("KIOSK_WINDOWED", "1")
            from app import start

            ui_args = argparse.Namespace(home=str(home.root), lang=getattr(args, "lang", None))
            ui_code = int(start.run(ui_args))
            if ui_code >= 128:  # stopped by SIGTERM/SIGINT: clean up and say so, nothing more
                print(t("demo.stopped", lang, signal=signal.Signals(ui_code - 128).name),
                      file=sys.stderr, flush=True)
                return ui_code
        received = server.call("submissions")
        ids = [str(r.get("submission_id")) for r in received]
        print(t("demo.received", lang, count=len(ids), url=url), flush=True)
        if submission_id and submission_id not in ids:
            print(t("demo.not_received", lang, id=submission_id), file=sys.stderr)
            return 1
        return 0
    finally:
        # A second signal must not cut the clean-up short.
        held = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            server.stop()
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            if not args.dir:
                shutil.rmtree(base, ignore_errors=True)
        finally:
            _cleanups.remove(remove_all)
            for signum, handler in held.items():
                signal.signal(signum, handler)
