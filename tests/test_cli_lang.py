"""Every error path of the technician's command line speaks the kiosk's language.

Each case runs ``python -m app --lang mn ...`` as a real subprocess and fails if
what it writes on stderr holds Latin-script prose. Allowed in Latin script: the
``kiosk: error:`` marker, paths, options, URLs, exit-code-like numbers, the
command line's own names (commands, verbs, metavars, choices), identifiers (with
``_ - . = @``, CamelCase exception names, catalog ids) and a short list of proper
names and acronyms (ODK, XLSForm, TOML, KWallet, ...). The same cases in English
must give a different line (so a case cannot pass by printing nothing but names).
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import build_parser
from kiosk.errors import EXIT_FAILED, EXIT_USAGE
from kiosk.i18n import t

REPO = Path(__file__).resolve().parent.parent
PROPER = {"ODK", "XLSForm", "XForm", "TOML", "JSON", "JWK", "PIN", "ID", "URL", "CODE",
          "FILE", "DIR", "KWallet", "Ctrl", "D", "DEBUG", "INFO", "WARNING", "ERROR",
          "CRITICAL", "kiosk", "keyring", "mn", "en", "USB", "http", "https"}
MARKER = re.compile(r"^kiosk(?: [\w-]+)*: error: ", re.MULTILINE)


def _cli_names() -> set[str]:
    """Every command, verb, option, metavar and choice of the kiosk's parser."""
    names: set[str] = set()

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            names.update(action.option_strings)
            if action.metavar:
                names.add(str(action.metavar))
            names.add(action.dest.upper())
            for choice in action.choices or ():
                names.add(str(choice))
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    walk(child)

    walk(build_parser())
    return names


CLI_NAMES = _cli_names()


def _catalog_ids() -> set[str]:
    """Ids of the bundled catalog's categories, agencies and forms (named in messages)."""
    catalog = json.loads((REPO / "assets" / "catalog" / "catalog.json").read_text("utf-8"))
    ids = {f.stem for f in (REPO / "assets" / "catalog" / "forms").glob("*.json")}
    for kind in ("categories", "agencies"):
        entries = catalog.get(kind, {})
        ids |= set(entries) if isinstance(entries, dict) else {e["id"] for e in entries}
    return ids


CATALOG_IDS = _catalog_ids()


def latin_prose(text: str, given: frozenset[str] = frozenset()) -> list[str]:
    """The Latin-script words of ``text`` that are neither names, identifiers nor values
    the command line was ``given``."""
    text = MARKER.sub("", text)
    text = re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\{[^}]*\}", " ", text)  # quoted = named
    words = []
    for token in text.split():
        token = token.strip("()[],:;!?").rstrip(".")
        if not re.search(r"[A-Za-z]", token) or token in CLI_NAMES | PROPER | CATALOG_IDS | given:
            continue
        if re.search(r"[/\\_.=@+\d]", token) or token.startswith("-") or "-" in token.strip("-"):
            continue  # a path, an option, an identifier or a file name
        if re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]*)+", token):
            continue  # an exception class name (FileNotFoundError)
        if re.search(r"[\u0400-\u04FF]", token) and re.fullmatch(r"[A-Za-z]+[-\u0400-\u04FF]+",
                                                                 token):
            continue  # a name with a Mongolian suffix (ODK-д)
        words.append(token)
    return words


def test_the_prose_check_can_fail() -> None:
    assert latin_prose("kiosk: error: these arguments are needed: FORM_ID") == [
        "these", "arguments", "are", "needed"]
    assert latin_prose("kiosk forms: error: хавтас олдсонгүй: /nope (--home, ODK, x.xlsx)") == []


@pytest.fixture
def kiosk_here(isolated_home: Path, kiosk_cli) -> Path:  # type: ignore[no-untyped-def]
    """A data folder that holds a kiosk (its database), not enrolled, no ODK server."""
    made = kiosk_cli("--lang", "en", "pin", "set", "--stdin", input="135790\n")
    assert made.returncode == 0, made.stderr
    return isolated_home


def _agency() -> str:
    catalog = json.loads((REPO / "assets" / "catalog" / "catalog.json").read_text("utf-8"))
    agencies = catalog["agencies"]
    return str(next(iter(agencies)) if isinstance(agencies, dict) else agencies[0]["id"])


def _int_option() -> list[str]:
    """A command (with its verb) and one of its whole-number options, found in the parser."""

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> list[str] | None:
        for action in parser._actions:
            if action.type is int and action.option_strings:
                return [*path, action.option_strings[-1], "many"]
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found = walk(child, [*path, name])
                    if found:
                        return found
        return None

    found = walk(build_parser(), [])
    assert found, "no command has a whole-number option any more: pick another case"
    return found


def _cases(tmp: Path) -> dict[str, list[str]]:
    bad_answers = tmp / "bad.json"
    bad_answers.write_text("[]", encoding="utf-8")
    a_file = tmp / "a-file"
    a_file.write_text("x", encoding="utf-8")
    xlsx = str(tmp / "form.xlsx")
    return {
        "unknown command": ["nonsense"],
        "group without verb": ["forms"],
        "invalid verb": ["forms", "chek"],
        "missing arguments": ["fill"],
        "unknown option": ["status", "--bogus"],
        "option without value": ["logs", "--export"],
        "bad whole number": _int_option(),
        "import missing file, no flags": ["forms", "import", xlsx],
        "import with unknown category": ["forms", "import", xlsx, "--category", "nope"],
        "import missing file": ["forms", "import", xlsx, "--category", "land",
                                "--agency", _agency()],
        "check missing folder": ["forms", "check", str(tmp / "nope")],
        "remove unknown form": ["forms", "remove", "nope"],
        "export to a non-xlsx": ["forms", "export-xlsform", "id-card", "--out", str(tmp / "x.txt")],
        "fill unknown form": ["fill", "nope", "--answers", str(bad_answers)],
        "fill missing answers": ["fill", "id-card", "--answers", str(tmp / "none.json")],
        "fill bad answers": ["fill", "id-card", "--answers", str(bad_answers)],
        "home is a file": ["--home", str(a_file), "status"],
        "no receipt": ["receipt", "show", "999"],
        "not enrolled": ["sync", "--once"],
        "acks when not enrolled": ["import-acks", str(a_file)],
        "no ODK server": ["odk", "pull"],
        "logs to a missing folder": ["logs", "--export", str(tmp / "no" / "x.zip")],
        "receipt key file missing": ["receipt", "verify", "x", "--key", str(tmp / "k.jwk")],
        "location out of range": ["location", "set", "91 200"],
        "server unreachable": ["enroll", "--server", "http://127.0.0.1:9", "--code", "x"],
        "ODK URL not http": ["odk", "connect", "ftp://x"],
        "ODK server URL without user": ["odk", "connect", "http://127.0.0.1:9"],
        "export to a missing USB folder": ["export", "--out", str(tmp / "usb" / "x.bundle")],
    }


def _run(kiosk_cli, lang: str, args: list[str]):  # type: ignore[no-untyped-def]
    return kiosk_cli("--lang", lang, *args, input="")


def test_every_cli_error_path_speaks_mongolian(kiosk_here: Path, kiosk_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for name, args in _cases(tmp_path).items():
        mn, en = _run(kiosk_cli, "mn", args), _run(kiosk_cli, "en", args)
        lines = mn.stderr.strip().splitlines()
        if mn.returncode in (0, 70) or len(lines) != 1 or "Traceback" in mn.stderr:
            problems.append(f"{name}: exit {mn.returncode}, stderr {mn.stderr!r}")
        elif latin_prose(mn.stderr, frozenset(args)) or mn.stderr == en.stderr:
            problems.append(f"{name}: {latin_prose(mn.stderr, frozenset(args))} in {mn.stderr!r}")
    assert not problems, "\n".join(problems)


def test_broken_config_and_missing_keyring_speak_mongolian(kiosk_here: Path, kiosk_cli,  # type: ignore[no-untyped-def]
                                                           monkeypatch) -> None:
    (kiosk_here / "config.toml").write_text('retention_days = -1\n', encoding="utf-8")
    broken = _run(kiosk_cli, "mn", ["forms", "list"])
    assert broken.returncode == 4 and "retention_days" in broken.stderr, broken.stderr
    assert not latin_prose(broken.stderr), broken.stderr
    (kiosk_here / "config.toml").unlink()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    no_keyring = _run(kiosk_cli, "mn", ["fill", "id-card", "--answers",
                                        str(REPO / "assets/catalog/examples/id-card.answers.json")])
    assert no_keyring.returncode == 4 and not latin_prose(no_keyring.stderr), no_keyring.stderr


def test_a_damaged_or_newer_database_speaks_mongolian(kiosk_here: Path, kiosk_cli) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    db = kiosk_here / "kiosk.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    newer = _run(kiosk_cli, "mn", ["status"])
    assert newer.returncode == 5 and "999" in newer.stderr, newer.stderr
    assert not latin_prose(newer.stderr), newer.stderr
    for name in ("kiosk.db-wal", "kiosk.db-shm"):
        (kiosk_here / name).unlink(missing_ok=True)
    db.write_bytes(b"not a database at all, " * 100)
    damaged = _run(kiosk_cli, "mn", ["status"])
    assert damaged.returncode == 5 and str(db) in damaged.stderr, damaged.stderr
    assert not latin_prose(damaged.stderr), damaged.stderr


def test_a_usage_error_names_the_file_it_is_about(kiosk_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    form = tmp_path / "my-form.xlsx"
    result = _run(kiosk_cli, "mn", ["forms", "import", str(form), "--category", "nope"])
    assert result.returncode == EXIT_USAGE and str(form) in result.stderr
    result = _run(kiosk_cli, "mn", ["forms", "import", str(form)])  # no flags: allowed (issue 22)
    assert result.returncode == 1 and str(form) in result.stderr and not latin_prose(
        result.stderr, frozenset({str(form)}))


def test_a_group_without_verb_prints_its_help(kiosk_cli) -> None:  # type: ignore[no-untyped-def]
    for group, verb in (("forms", "import"), ("odk", "connect"), ("pin", "set")):
        result = _run(kiosk_cli, "mn", [group])
        assert result.returncode == EXIT_USAGE, result.stderr
        usage = t("help.argparse_usage", "mn")  # argparse's own words in mn too
        assert result.stdout.startswith(usage + "kiosk " + group) and verb in result.stdout
        assert verb in result.stderr and not latin_prose(result.stderr)


def test_lang_en_is_honoured_by_enroll(kiosk_cli) -> None:  # type: ignore[no-untyped-def]
    """`kiosk --lang en enroll` against no server: an English line, not Mongolian."""
    result = kiosk_cli("--lang", "en", "enroll", "--server", "http://127.0.0.1:9",
                       "--code", "x", timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert not re.search(r"[\u0400-\u04FF]", result.stderr), result.stderr


def test_end_of_input_at_the_pin_prompt_is_one_line(isolated_home: Path) -> None:
    """Ctrl+D at `kiosk pin set` (a real terminal): one Mongolian line, not an internal error."""
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "app", "--lang", "mn", "pin", "set"],
                            stdin=child, stdout=child, stderr=child, cwd=REPO,
                            start_new_session=True, env=dict(os.environ))
    os.close(child)
    seen, deadline, sent = b"", time.monotonic() + 60, False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        seen += chunk
        if b":" in seen and not sent:
            os.write(main, b"\x04")  # Ctrl+D
            sent = True
    os.close(main)
    assert proc.wait(timeout=30) == EXIT_FAILED, seen
    text = seen.decode("utf-8", "replace")
    assert "Ctrl+D" in text and "internal" not in text and "Traceback" not in text, text
    assert not latin_prose(text[text.index("kiosk: error:"):]), text
