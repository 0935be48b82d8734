"""Where a resident may pick a document from: removable media and the scans folder, nothing else.

A kiosk must never show its own disk. The picker (ui/widgets/picker.py) asks
this module, which has no Qt in it so the rules can be tested on their own:

- the roots are the mount points under ``/media`` and ``/run/media`` (a USB
  stick or SD card, as the desktop mounts them) and the configured
  ``scans_folder`` (docs/config.md), when it exists;
- inside a root only folders and images/PDF files are listed, hidden entries
  are not;
- every path is resolved (symlinks followed) and refused when the result leaves
  its root, so a link on a stick to ``/etc`` shows nothing and opens nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

#: Where desktops mount removable media: /media/<label>, /media/<user>/<label>,
#: /run/media/<user>/<label>. Only mount points found here are offered.
MEDIA_BASES: tuple[Path, ...] = (Path("/media"), Path("/run/media"))
ACCEPTED_SUFFIXES = (".jpg", ".jpeg", ".png", ".pdf")
MAX_ENTRIES = 500  # a folder with more shows its first 500 (sorted): the picker stays quick


@dataclass(frozen=True)
class Root:
    """One place a resident may start from; ``kind`` is "media" or "scans"."""

    path: Path  # resolved
    kind: str
    label: str


@dataclass(frozen=True)
class Entry:
    path: Path  # resolved, inside its root
    name: str
    is_dir: bool
    size: int = 0


def media_roots(bases: Iterable[Path] = MEDIA_BASES,
                is_mount: Callable[[str], bool] = os.path.ismount) -> list[Root]:
    """Mount points one or two levels under each base (``/media/X`` or ``/media/user/X``)."""
    found: list[Root] = []
    seen: set[Path] = set()
    for base in bases:
        for level1 in _subdirs(base):
            candidates = [level1] if is_mount(str(level1)) else list(_subdirs(level1))
            for cand in candidates:
                if not is_mount(str(cand)):
                    continue
                try:
                    real = cand.resolve(strict=True)
                except OSError:
                    continue
                if real not in seen:
                    seen.add(real)
                    found.append(Root(real, "media", cand.name))
    return found


def scans_root(folder: str) -> Root | None:
    if not folder:
        return None
    try:
        real = Path(folder).expanduser().resolve(strict=True)
    except OSError:
        return None
    return Root(real, "scans", real.name) if real.is_dir() else None


def roots(scans_folder: str = "", bases: Iterable[Path] = MEDIA_BASES,
          is_mount: Callable[[str], bool] = os.path.ismount) -> list[Root]:
    """The scans folder first (staff put residents' scans there), then the media."""
    out: list[Root] = []
    scans = scans_root(scans_folder)
    if scans is not None:
        out.append(scans)
    out += [r for r in media_roots(bases, is_mount) if scans is None or r.path != scans.path]
    return out


def inside(root: Root, path: Path) -> Path | None:
    """``path`` resolved, or None when it does not exist or resolves outside ``root``."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, unreadable, or a symlink loop
        return None
    return real if real == root.path or real.is_relative_to(root.path) else None


def accepted(name: str) -> bool:
    return name.lower().endswith(ACCEPTED_SUFFIXES)


def list_folder(root: Root, folder: Path) -> list[Entry]:
    """Folders first, then accepted files, both by name; nothing outside ``root``."""
    here = inside(root, folder)
    if here is None or not here.is_dir():
        return []
    dirs: list[Entry] = []
    files: list[Entry] = []
    try:
        children = sorted(os.scandir(here), key=lambda e: e.name.casefold())
    except OSError:
        return []
    for child in children:
        if child.name.startswith("."):
            continue
        real = inside(root, Path(child.path))
        if real is None:
            continue
        try:
            if real.is_dir():
                dirs.append(Entry(real, child.name, True))
            elif real.is_file() and accepted(child.name):
                files.append(Entry(real, child.name, False, real.stat().st_size))
        except OSError:
            continue
        if len(dirs) + len(files) >= MAX_ENTRIES:
            break
    return dirs + files


def parent_within(root: Root, folder: Path) -> Path | None:
    """The folder one up, or None at the root (the picker then shows the list of roots)."""
    here = inside(root, folder)
    if here is None or here == root.path:
        return None
    return here.parent


def open_checked(root: Root, path: Path) -> Path | None:
    """The real file to read, re-checked at the moment of choosing (a link may have changed)."""
    real = inside(root, path)
    if real is None or not real.is_file() or not accepted(real.name):
        return None
    return real


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []
