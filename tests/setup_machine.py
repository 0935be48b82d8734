"""Sets up a test machine: the system packages the tests need, from apt (issue 18).

``python -m tests.setup_machine`` is part of the README's test command. On Debian or
Ubuntu, as root or with passwordless sudo, it installs what is missing of PACKAGES (Qt's
xcb window libraries, Xvfb + D-Bus + AT-SPI for the screen-reader test, speech-dispatcher
+ espeak-ng for read-aloud, faketime, PostgreSQL for the ODK Central and kiosk-central
database tests, fonts with Mongolian Cyrillic) and npm when there is no Node 24 (ODK
Central's Node 24 itself comes from the npm registry when tests/odk start it). Anywhere
else it says in one line what it could not do and goes on: the tests that need a missing
part then skip naming its package (a failure under CI=true: tests/support/system_parts.py).
It never fails the command itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

#: why -> Debian/Ubuntu packages
PACKAGES = {
    "Qt offscreen and its xcb window": [
        "libegl1", "libgl1", "libxkbcommon0", "libxkbcommon-x11-0", "libfontconfig1", "libdbus-1-3",
        "libglib2.0-0", "libx11-xcb1", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1",
        "libxcb-image0", "libxcb-randr0", "libxcb-render-util0", "libxcb-shape0", "libxcb-xkb1"],
    "read-aloud": ["libpulse0", "speech-dispatcher", "speech-dispatcher-espeak-ng", "espeak-ng"],
    "the screen-reader test": ["xvfb", "dbus", "at-spi2-core"],
    "clock tests": ["faketime"],
    "database servers": ["postgresql"],
    "screenshots with Cyrillic": ["fonts-dejavu-core"],
}


def say(text: str) -> None:
    print(f"setup_machine: {text}", flush=True)


def wanted() -> list[str]:
    names = [name for group in PACKAGES.values() for name in group]
    if shutil.which("npm") is None and not _has_node_24():
        names.append("npm")  # fetches ODK Central's Node 24 from the npm registry
    return names


def _has_node_24() -> bool:
    node = shutil.which("node")
    if node is None:
        return False
    out = subprocess.run([node, "-p", "process.versions.node.split('.')[0]"],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() == "24"


def installed(package: str) -> bool:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip().endswith(" installed")


def privilege() -> list[str] | None:
    """The prefix that makes apt-get run as root: [] as root, sudo -n if it needs no password."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True,
                                               check=False).returncode == 0:
        return ["sudo", "-n"]
    return None


def apt(prefix: list[str], args: list[str], log: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with open(log, "a", encoding="utf-8") as out:
        try:
            done = subprocess.run([*prefix, "apt-get", "-o", "DPkg::Lock::Timeout=600", *args], stdout=out, stderr=subprocess.STDOUT,
                                  env=env, timeout=1200, check=False)
        except subprocess.TimeoutExpired:
            return False
    return done.returncode == 0


def install(missing: list[str]) -> None:
    prefix = privilege()
    if prefix is None:
        say(f"not root and no passwordless sudo: not installing {' '.join(missing)}")
        return
    log = os.path.join(tempfile.gettempdir(), "soum-kiosk-setup-machine.log")
    say(f"installing {len(missing)} packages with apt-get (log: {log}): {' '.join(missing)}")
    started = time.monotonic()
    ok = apt(prefix, ["update", "-q"], log) and apt(
        prefix, ["install", "-y", "-q", "--no-install-recommends", *missing], log)
    still = [name for name in missing if not installed(name)]
    if ok and not still:
        say(f"installed in {time.monotonic() - started:.0f} s")
    else:
        say(f"apt-get could not install {' '.join(still) or 'everything'} (see {log}); going on")


def main() -> int:
    if sys.platform != "linux" or shutil.which("apt-get") is None or shutil.which("dpkg-query") is None:
        say("not a Debian/Ubuntu machine (no apt-get): install the system packages listed in "
            "tests/setup_machine.py yourself; tests needing them skip naming them")
        return 0
    missing = [name for name in wanted() if not installed(name)]
    if not missing:
        say("every system package the tests need is installed")
        return 0
    install(missing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
