"""A missing system library for Qt's platform plugin is named in one line, before Qt aborts.

The plugin is a real copy of PySide6's ``libqxcb.so`` whose dependency on
``libxcb-cursor.so.0`` is renamed in its dynamic string table to a library no system
has, so the dynamic loader really fails to resolve it (as on a plain Debian desktop
without libxcb-cursor0), wherever the test runs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from ui import platform_check

GONE = b"libxcb-cursoZ.so.0"


def _qt_dir() -> Path:
    spec = importlib.util.find_spec("PySide6")
    assert spec and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "Qt"


@pytest.fixture
def broken_plugin(tmp_path: Path) -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("Qt's xcb platform plugin exists on Linux only")
    real = _qt_dir() / "plugins" / "platforms" / "libqxcb.so"
    data = real.read_bytes()
    assert b"libxcb-cursor.so.0\0" in data, "this Qt's xcb plugin no longer links libxcb-cursor"
    copy = tmp_path / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(data.replace(b"libxcb-cursor.so.0\0", GONE + b"\0"))
    (tmp_path / "Qt" / "lib").symlink_to(_qt_dir() / "lib")  # its $ORIGIN/../../lib RPATH
    return copy


def test_the_missing_library_is_found_as_the_loader_sees_it(broken_plugin: Path) -> None:
    missing = platform_check.missing_libraries(broken_plugin)
    assert GONE.decode() in missing
    assert not any(name.startswith("libQt6") for name in missing)  # Qt's own libraries resolve


def test_the_dlopen_fallback_names_a_missing_library_too(broken_plugin: Path, monkeypatch) -> None:
    import shutil

    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert platform_check.missing_libraries(broken_plugin)  # the first one the loader met


def test_kiosk_start_says_one_line_and_does_not_abort(broken_plugin: Path, monkeypatch, capsys) -> None:
    from app import cli
    from kiosk.errors import EXIT_CONFIG

    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":77")
    monkeypatch.setattr(platform_check, "plugin_file", lambda name: broken_plugin if name == "xcb" else None)
    code = cli.main(["--lang", "en"])
    err = capsys.readouterr().err
    assert code == EXIT_CONFIG
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "xcb" in lines[0] and GONE.decode() in lines[0] and "sudo apt-get install" in lines[0]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, "offscreen"),
        ({"QT_QPA_PLATFORM": "xcb;wayland"}, "xcb"),
        ({"DISPLAY": ":0"}, "xcb"),
        ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}, "wayland"),
        ({}, None),
    ],
)
def test_the_platform_qt_will_pick(env: dict[str, str], expected: str | None) -> None:
    assert platform_check.chosen_platform(env) == expected


def test_known_libraries_name_their_debian_package() -> None:
    assert platform_check.DEBIAN_PACKAGES["libxcb-cursor.so.0"] == "libxcb-cursor0"
    assert platform_check.problem({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_readme_desktop_packages_are_installed_by_the_test_command() -> None:
    import re

    from tests.setup_machine import PACKAGES

    repo = Path(__file__).resolve().parents[2]
    readme = repo.joinpath("README.md").read_text("utf-8")
    block = readme.split("Debian packages:", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"\b(lib[\w.+-]+|speech-dispatcher|espeak-ng)\b", block))
    installed = {name for group in PACKAGES.values() for name in group}
    assert {"libxcb-cursor0", "libpulse0", "espeak-ng"} <= listed
    assert listed - installed == set()
    # every package the check can name for the xcb plugin is one README lists
    assert {p for p in platform_check.DEBIAN_PACKAGES.values() if p.startswith("libxcb-")} - listed <= {
        "libxcb-render0", "libxcb-shm0", "libxcb-sync1", "libxcb-util1", "libxcb-xfixes0",
        "libxcb-xinerama0", "libxcb-xinput0", "libxcb1",  # pulled in by the ones listed
    }

