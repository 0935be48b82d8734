"""The stable command line: version, help, one-line errors."""

from __future__ import annotations

from kiosk import __version__
from kiosk.i18n import t


def test_version(kiosk_cli):
    result = kiosk_cli("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_help_lists_commands(kiosk_cli):
    result = kiosk_cli("--help")
    assert result.returncode == 0
    assert "--home" in result.stdout


def test_unknown_command_is_one_clear_error(kiosk_cli):
    result = kiosk_cli("--lang", "en", "no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "'no-such-command' is not a choice" in result.stderr  # argparse's, translated
    assert result.stderr.count("\n") == 1


def test_every_subcommand_has_help(kiosk_cli):
    from app.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    names = list(sub.choices)
    for name in names:
        result = kiosk_cli(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert t("help.argparse_usage", "mn").strip() in result.stdout  # the default language


def test_core_does_not_import_qt():
    import subprocess
    import sys

    code = (
        "import sys, app.cli, kiosk.config, kiosk.paths, kiosk.i18n;"
        "app.cli.build_parser();"
        "bad=[m for m in sys.modules if m.startswith(('PySide6','shiboken6'))];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_closed_output_pipe_is_not_an_internal_error(tmp_path):
    """`kiosk --help | head -1`-style readers that leave early get no error line."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "forms", "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader leaves before the writer writes anything
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "internal error" not in err and "Traceback" not in err


def test_no_screen_is_one_clear_line_not_a_qt_abort():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "app", "--lang", "en"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 4, result.stderr
    assert result.stderr.startswith("kiosk: error: no screen") and result.stderr.count("\n") == 1
    mongolian = subprocess.run([sys.executable, "-m", "app", "--lang", "mn"], env=env,
                               capture_output=True, text=True, timeout=60)
    assert mongolian.returncode == 4 and "дэлгэц алга" in mongolian.stderr, mongolian.stderr
