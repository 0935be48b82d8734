"""Where the kiosk keeps its data.

One data folder ("home") holds everything a kiosk owns: the database, the
config file, logs, the downloaded catalog and temporary files. It comes from
platformdirs by default; ``--home DIR`` or ``KIOSK_HOME`` override it
everywhere, so tests, technicians and ``kiosk demo`` never touch the real one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "soum-kiosk"
ENV_HOME = "KIOSK_HOME"

PACKAGE_DIR = Path(__file__).resolve().parent


def _assets_dir() -> Path:
    """The assets folder (catalog, translations, themes, icons, fonts, admin units).

    In the source tree it is the top-level ``assets/`` folder. Installed, it is data of
    the ``kiosk`` package: pyproject.toml maps ``assets/`` to ``kiosk/assets`` in a
    wheel, and build.spec copies it to ``kiosk/assets`` in the PyInstaller bundle. So:
    ``kiosk/assets`` beside this package first (a wheel or a bundle), then ``assets/``
    beside the package's parent folder (a source checkout or an editable install),
    then importlib.resources for any other loader. Plain path checks come first:
    importing importlib.resources costs 40-60 ms at start-up here (tempfile,
    zipfile). The app reads the assets with plain file APIs (glob, Qt loaders), so
    they must be a real folder: a zipped install is refused plainly.
    """
    installed = PACKAGE_DIR / "assets"
    if installed.is_dir():
        return installed
    checkout = PACKAGE_DIR.parent / "assets"
    if (checkout / "i18n").is_dir() and (PACKAGE_DIR.parent / "pyproject.toml").is_file():
        return checkout
    from importlib.resources import files

    resource = files("kiosk").joinpath("assets")
    if not isinstance(resource, Path):  # a zipped install: there is no folder to hand Qt
        raise RuntimeError(f"kiosk assets are not on the file system ({resource!r})")
    return resource


# The one place every part of the app (and the tests) finds its data files.
ASSETS_DIR = _assets_dir()


def default_home() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def resolve_home(cli_home: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``--home`` first, then ``KIOSK_HOME``, then platformdirs."""
    if cli_home:
        return Path(cli_home).expanduser().resolve()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().resolve()
    return default_home()


@dataclass(frozen=True)
class Home:
    """The layout of a data folder. Creating it is explicit (``ensure``)."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "kiosk.db"

    @property
    def config_file(self) -> Path:
        return self.root / "config.toml"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def tmp(self) -> Path:
        """Private temp folder: nothing personal is ever written here in plaintext."""
        return self.root / "tmp"

    @property
    def catalog(self) -> Path:
        """Catalog downloaded from the central server (overrides the bundled one)."""
        return self.root / "catalog"

    @property
    def local_forms(self) -> Path:
        """Imported XLSForm/XForm forms (kiosk.forms.local_catalog), one folder each."""
        return self.root / "local-forms"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    def ensure(self) -> Home:
        """Create the folders (0700) and make the files already in the root 0600 —
        a data folder written by an older build, or by hand, is made private too."""
        for folder in (self.root, self.logs, self.tmp, self.catalog, self.backups):
            folder.mkdir(parents=True, exist_ok=True)
            try:
                folder.chmod(0o700)
            except OSError:  # e.g. FAT on a USB stick; not fatal
                pass
        for folder in (self.root, self.logs, self.backups):
            try:
                entries = list(folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.is_file() and not entry.is_symlink() and (
                            entry.stat().st_mode & 0o077):
                        entry.chmod(0o600)
                except OSError:
                    pass
        return self


def home(cli_home: str | os.PathLike[str] | None = None) -> Home:
    return Home(resolve_home(cli_home))


def bundled_catalog_dir() -> Path:
    return ASSETS_DIR / "catalog"
