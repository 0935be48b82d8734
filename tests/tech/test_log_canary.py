"""The log canary: fill every bundled form, enrol, sync, at DEBUG; then grep the logs.

The example answers files of the sample catalog are full of personal-data-shaped
values (names, registry numbers, phones, addresses). After a real run through the
CLI — enrolment with a live reference server, `kiosk fill` of every form, a
refused fill, `kiosk sync --once`, status, doctor and the support export — none
of them, and none of the kiosk's secrets, may appear in any log file or in the
support zip.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

from kiosk.paths import bundled_catalog_dir

EXAMPLES = bundled_catalog_dir() / "examples"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_CODE = re.compile(r"^[A-Za-z0-9_.\-/]+$")  # choice values, aimag codes, file names


def _canaries(value: Any, out: set[str]) -> None:
    if isinstance(value, dict):
        if "file" in value:
            return
        for item in value.values():
            _canaries(item, out)
    elif isinstance(value, list):
        for item in value:
            _canaries(item, out)
    elif isinstance(value, str):
        text = value.strip()
        if _DATE.match(text):
            return
        if text.isdigit():
            if len(text) >= 6:
                out.add(text)  # phones and other numbers
            return
        if _CODE.match(text):
            return
        if len(text) >= 4:
            out.add(text)
            # Registry numbers and names are also caught on their own inside longer texts.
            out.update(w for w in re.findall(r"[А-ЯЁӨҮ]{2}\d{8}", text))


def _keyring_secrets() -> list[str]:
    path = Path(os.environ["KIOSK_TEST_KEYRING"])
    found: list[str] = []
    for value in json.loads(path.read_text(encoding="utf-8")).values():
        try:
            data = json.loads(value)
        except ValueError:
            found.append(value)  # e.g. the data key (base64url)
            continue
        if isinstance(data, dict):
            found += [str(data[k]) for k in ("d", "certificate") if k in data]
    return [s for s in found if len(s) >= 16]


def test_no_personal_data_or_secret_in_logs_after_a_canary_run(kiosk_cli, isolated_home, tmp_path):
    from app.demo import DemoServer

    (isolated_home / "config.toml").write_text('log_level = "DEBUG"\n', encoding="utf-8")
    canaries: set[str] = set()
    server = DemoServer(tmp_path / "central", timeout=60)
    try:
        url = server.start()
        code = str(server.call("enroll-code")["code"])
        result = kiosk_cli("enroll", "--server", url, "--code", code)
        assert result.returncode == 0, result.stderr
        filled = 0
        for example in sorted(EXAMPLES.glob("*.answers.json")):
            data = json.loads(example.read_text(encoding="utf-8"))
            _canaries(data["answers"], canaries)
            result = kiosk_cli("fill", data["form_id"], "--answers", str(example))
            assert result.returncode == 0, (example.name, result.stderr)
            filled += 1
        # A refused fill: the error names the question; the value must not reach the log.
        bad = json.loads((EXAMPLES / "id-card.answers.json").read_text(encoding="utf-8"))
        bad["answers"]["phone"] = "КАНАРЬ 12345"
        canaries.add("КАНАРЬ 12345")
        bad_file = EXAMPLES / "id-card.answers.json"
        bad_copy = tmp_path / "bad.answers.json"
        bad_copy.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
        (tmp_path / "files").symlink_to(bad_file.parent / "files")
        result = kiosk_cli("fill", "id-card", "--answers", str(bad_copy))
        assert result.returncode != 0 and "Traceback" not in result.stderr
        result = kiosk_cli("sync", "--once")
        assert result.returncode == 0, result.stdout + result.stderr
        received = server.call("submissions")
        assert len(received) == filled
        for args in (("status",), ("doctor", "--json"), ("receipt", "--help")):
            kiosk_cli(*args)
        support = tmp_path / "support.zip"
        assert kiosk_cli("logs", "--export", str(support)).returncode == 0
    finally:
        server.stop()

    assert filled >= 9 and len(canaries) > 50
    secrets = _keyring_secrets()
    assert secrets, "the run should have stored a device key and a data key"
    texts: dict[str, str] = {}
    for file in sorted((isolated_home / "logs").glob("kiosk.log*")):
        texts[file.name] = file.read_text(encoding="utf-8", errors="replace")
    with zipfile.ZipFile(support) as zf:
        for name in zf.namelist():
            texts[f"support.zip:{name}"] = zf.read(name).decode("utf-8", errors="replace")
    everything = "\n".join(texts.values())
    assert everything.count("\n") > 20, "the canary run should have logged something"
    leaks = sorted(c for c in canaries if c in everything)
    assert not leaks, f"personal data in logs: {leaks[:10]}"
    leaked_secrets = [s[:6] + "…" for s in secrets if s in everything]
    assert not leaked_secrets, f"secrets in logs: {leaked_secrets}"
