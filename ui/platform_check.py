"""Will Qt's platform plugin load here? Asked before a QApplication exists.

When the plugin Qt would pick cannot be loaded (on a plain Debian desktop the
xcb plugin needs libxcb-cursor0, libxcb-icccm4, … which are not installed by
default), Qt prints a paragraph that blames one library and aborts the process
(SIGABRT, exit 134). Here the plugin's shared-library dependencies are resolved
first, the way the dynamic loader will resolve them (``ldd``, or a ``dlopen`` in
this process where ``ldd`` is missing), and every missing library is named in
one line together with the Debian package that provides it.

This module does not import Qt: it only finds PySide6's plugin folder.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

#: Library sonames the Qt platform plugins need → the Debian package that ships them.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
_DLOPEN_MISSING = re.compile(r"([\w.+-]+\.so[\w.]*): cannot open shared object file")
#: Platforms that need no system window libraries (tests, benchmarks, screenshots).
_NO_CHECK = {"offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs"}


def chosen_platform(env: Mapping[str, str]) -> str | None:
    """The platform plugin Qt will load first, or None when nothing needs checking."""
    wanted = env.get("QT_QPA_PLATFORM", "")
    if wanted:
        return wanted.split(";")[0].split(":")[0].strip() or None
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb" if env.get("DISPLAY") else None


def plugin_file(platform: str) -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "Qt" / "plugins" / "platforms" / f"libq{platform}.so"
        if candidate.is_file():
            return candidate
    return None


def missing_libraries(plugin: Path) -> list[str]:
    """Sonames the dynamic loader cannot find for ``plugin`` (and what it links), in order."""
    import shutil
    import subprocess

    ldd = shutil.which("ldd")
    if ldd:
        try:
            out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20,
                                 env={**os.environ, "LC_ALL": "C"}).stdout
        except (OSError, subprocess.SubprocessError):
            out = None
        if out is not None:
            return list(dict.fromkeys(_NOT_FOUND.findall(out)))
    import ctypes

    try:  # no ldd: the loader names the first library it cannot find
        ctypes.CDLL(str(plugin), mode=getattr(os, "RTLD_LAZY", 1) | getattr(os, "RTLD_LOCAL", 0))
    except OSError as exc:
        found = _DLOPEN_MISSING.search(str(exc))
        return [found.group(1)] if found else []
    return []


def problem(env: Mapping[str, str] | None = None) -> tuple[str, list[str], list[str]] | None:
    """(platform, missing sonames, Debian packages) when Qt's platform plugin cannot load."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    platform = chosen_platform(env)
    if platform is None or platform in _NO_CHECK:
        return None
    plugin = plugin_file(platform)
    if plugin is None:
        return None  # Qt says itself that it has no such plugin; nothing to add
    missing = missing_libraries(plugin)
    if not missing:
        return None
    packages = list(dict.fromkeys(DEBIAN_PACKAGES.get(name, name) for name in missing))
    return platform, missing, packages
