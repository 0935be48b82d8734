"""A non-editable install runs: the wheel carries its assets and finds them by importlib.resources.

The project is built into a wheel from a copy of its tracked files (so nothing of the
checkout can leak in), installed with ``--no-deps`` into a fresh venv that sees the shared
venv's dependencies through a ``.pth`` line (the shared venv's own editable finder is not
loaded that way), and run from a folder outside the repository with PYTHONPATH cleared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from kiosk import i18n
from kiosk.errors import KioskError

REPO = Path(__file__).resolve().parents[2]


def _tracked_copy(dest: Path) -> Path:
    """The files git tracks (what a release tarball holds), copied to ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode("utf-8")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the project installed from its wheel; returns the venv's bin folder."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to know which files a release holds")
    root = tmp_path_factory.mktemp("install")
    source = _tracked_copy(root / "src")
    dist = root / "dist"
    # Build isolation: setuptools/wheel as pyproject.toml's build-system asks (pip cache).
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        check=True, capture_output=True, timeout=600,
    )
    wheel = next(dist.glob("soum_kiosk-*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig;print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )
    # The dependencies (PySide6, cryptography, ...) from the shared venv, without its .pth files.
    (purelib / "_shared_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
         "--no-deps", "--no-index", "--compile", str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    return venv / "bin"


def _run(bin_dir: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHON_KEYRING_BACKEND")}
    env.update(KIOSK_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return subprocess.run(
        [str(bin_dir / "kiosk"), *args], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=240,
    )


def test_the_installed_kiosk_runs_from_its_own_files(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c", "import kiosk.paths as p, ui; print(p.ASSETS_DIR); print(ui.__file__)"],
        cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert all(str(installed.parent) in line for line in where), where  # not the checkout

    selftest = _run(installed, tmp_path, "--lang", "en", "--self-test")
    assert selftest.returncode == 0, selftest.stdout + selftest.stderr
    assert "all 5 steps passed" in selftest.stdout
    assert "propagateSizeHints" not in selftest.stderr  # Qt's harmless noise is filtered

    forms = _run(installed, tmp_path, "forms", "list", "--json")
    assert forms.returncode == 0, forms.stderr
    listed = json.loads(forms.stdout)
    assert len(listed["forms"]) == 10 and not listed["problems"]
    assert str(installed.parent) in listed["catalog"]

    doctor = _run(installed, tmp_path, "--lang", "en", "doctor")
    assert "doctor." not in doctor.stdout + doctor.stderr, doctor.stdout  # no raw i18n keys
    assert "installed Python package" in doctor.stdout  # not "from source"
    assert "Service catalog" in doctor.stdout and "Traceback" not in doctor.stderr

    shots = _run(installed, tmp_path, "screenshots", "--out", str(tmp_path / "shots"))
    assert shots.returncode == 0, shots.stderr
    assert any((tmp_path / "shots").rglob("*.png"))


def test_missing_translation_files_stop_with_one_clear_line(tmp_path: Path, monkeypatch) -> None:
    """A broken install (no package data) names what is missing instead of showing raw keys."""
    monkeypatch.setattr(i18n, "I18N_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        with pytest.raises(KioskError, match="translation files are missing") as caught:
            i18n.t("doctor.status_pass", "en")
        assert str(tmp_path) in str(caught.value)
    finally:
        i18n.catalog.cache_clear()


def test_every_python_package_is_listed_for_the_wheel() -> None:
    """pyproject.toml lists its packages (kiosk.assets comes from the top-level assets/),
    so a new sub-package missing from that list would be missing from the wheel."""
    import tomllib

    from setuptools import find_namespace_packages

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = find_namespace_packages(
        str(REPO), include=["app*", "kiosk*", "ui*", "sync*", "central*"]
    )
    found = [p for p in found if "__pycache__" not in p]
    assert sorted(config["packages"]) == sorted([*found, "kiosk.assets"])
    assert config["package-dir"]["kiosk.assets"] == "assets"
    assert (REPO / "assets" / "i18n").is_dir() and not (REPO / "kiosk" / "assets").exists()
