"""ODK functions that need more than a line: date formatting, geography, digests,
seeded shuffles.

Behaviour follows the ODK XForms spec; where it leaves room, javarosa's documented
behaviour (e.g. the Park–Miller generator behind a seeded ``randomize`` so a form
shuffles its choices the same way on every kiosk and in ODK Collect). Every
function returns an empty/NaN result for bad input instead of raising.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import struct
from datetime import date, datetime
from typing import Any

from kiosk.forms.expr_values import (
    NAN,
    NodeSet,
    first,
    to_date,
    to_datetime,
    to_number,
    to_string,
    values,
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def format_date(v: Any, fmt: Any, with_time: bool) -> str:
    """format-date / format-date-time: ``%Y %y %m %n %b %d %e %a`` (+ ``%H %h %M %S %3``)."""
    if with_time:
        dt: date | None = to_datetime(v)
    else:
        one = first(v)  # a date-time (or its text) keeps its time of day (javarosa)
        timed = (isinstance(one, (datetime, int, float)) and not isinstance(one, bool)
                 or isinstance(one, str) and "T" in one)  # a number is an instant (javarosa)
        dt = to_datetime(v) if timed else to_date(v)
    if dt is None:
        return ""
    pattern, out, i = to_string(fmt), [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch != "%" or i + 1 >= len(pattern):
            out.append(ch)
            i += 1
            continue
        code = pattern[i + 1]
        i += 2
        out.append(_field(dt, code))
    return "".join(out)


def _field(d: date, code: str) -> str:
    t = d if isinstance(d, datetime) else None
    simple = {
        "Y": f"{d.year:04d}", "y": f"{d.year % 100:02d}", "m": f"{d.month:02d}",
        "n": str(d.month), "b": _MONTHS[d.month - 1], "d": f"{d.day:02d}", "e": str(d.day),
        "a": _DAYS[d.weekday()], "%": "%",
    }
    if code in simple:
        return simple[code]
    if code in ("H", "h", "M", "S", "3"):
        if t is None:
            return {"H": "00", "h": "0", "M": "00", "S": "00", "3": "000"}[code]
        return {"H": f"{t.hour:02d}", "h": str(t.hour), "M": f"{t.minute:02d}",
                "S": f"{t.second:02d}", "3": f"{t.microsecond // 1000:03d}"}[code]
    return "%" + code


# ---------------------------------------------------------------- geography

EARTH_RADIUS_M = 6_378_100.0  # equatorial radius, as javarosa uses
_CIRCUMFERENCE_M = 2 * math.pi * EARTH_RADIUS_M


def _points(args: tuple[Any, ...]) -> list[tuple[float, float]] | None:
    """Latitude/longitude pairs from geopoint node-sets or a geotrace/geoshape text."""
    texts: list[str] = []
    for a in args:
        for v in values(a):
            texts.extend(p for p in to_string(v).split(";") if p.strip())
    out = []
    for text in texts:
        parts = text.split()
        if len(parts) < 2:
            return None
        lat, lon = to_number(parts[0]), to_number(parts[1])
        if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
            return None
        out.append((lat, lon))
    return out


def distance(*args: Any) -> float:
    pts = _points(args)
    if pts is None:
        return NAN
    total = 0.0
    for (la1, lo1), (la2, lo2) in zip(pts, pts[1:], strict=False):
        p1, p2 = math.radians(la1), math.radians(la2)
        cos_angle = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(
            math.radians(lo1 - lo2))
        total += math.acos(max(-1.0, min(1.0, cos_angle))) * EARTH_RADIUS_M
    return total


def area(*args: Any) -> float:
    """Planar area of the polygon projected around its first point (javarosa's method)."""
    pts = _points(args)
    if pts is None:
        return NAN
    if len(pts) < 3:
        return 0.0
    lat0, lon0 = pts[0]
    xs = [(lon - lon0) * _CIRCUMFERENCE_M * math.cos(math.radians(lat)) / 360.0 for lat, lon in pts[1:]]
    ys = [(lat - lat0) * _CIRCUMFERENCE_M / 360.0 for lat, _lon in pts[1:]]
    total = sum((ys[i - 1] * xs[i] - xs[i - 1] * ys[i]) / 2 for i in range(1, len(xs)))
    return abs(total)


def geofence(point: Any, shape: Any) -> bool:
    """Whether a geopoint lies inside a geoshape (ODK's geofence(); javarosa counts the
    crossings of a ray from the point with the shape's edges, in latitude/longitude)."""
    here, poly = _points((point,)), _points((shape,))
    if not here or not poly or len(poly) < 3:
        return False
    lat, lon = here[0]
    inside = False
    for (la1, lo1), (la2, lo2) in zip(poly, poly[-1:] + poly[:-1], strict=True):
        if (la1 > lat) != (la2 > lat) and lon < (lo2 - lo1) * (lat - la1) / (la2 - la1) + lo1:
            inside = not inside
    return inside


# ---------------------------------------------------------------- digests

_ALGORITHMS = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha384": "sha384",
               "sha512": "sha512"}


def digest(data: Any, algorithm: Any, encoding: Any = "base64") -> str:
    name = _ALGORITHMS.get(to_string(algorithm).lower().replace("-", ""))
    enc = to_string(encoding).lower()
    if name is None or enc not in ("base64", "hex"):
        return ""
    raw = hashlib.new(name, to_string(data).encode("utf-8")).digest()
    return raw.hex() if enc == "hex" else base64.b64encode(raw).decode("ascii")


def base64_decode(v: Any) -> str:
    try:
        return base64.b64decode(to_string(v).strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return ""


# ---------------------------------------------------------------- randomize

_MODULUS = 2147483647
_MULTIPLIER = 16807


class ParkMiller:
    """The minimal-standard generator ODK uses for reproducible shuffles."""

    def __init__(self, seed: int) -> None:
        state = math.fmod(float(seed), _MODULUS)
        if state <= 0:
            state += _MODULUS - 1
        self.state = state

    def next_double(self) -> float:
        self.state = math.fmod(self.state * _MULTIPLIER, _MODULUS)
        return (int(self.state) - 1) / (_MODULUS - 1)


def seed_of(v: Any) -> int:
    """A seed: the number's integer part, else (text) the first 8 bytes of its SHA-256."""
    n = to_number(v)
    if math.isfinite(n):
        return int(n)
    text = to_string(v)
    if not text:
        return 0
    return int(struct.unpack(">q", hashlib.sha256(text.encode("utf-8")).digest()[:8])[0])


def shuffled(items: list[Any], seed: int | None, rng: Any) -> list[Any]:
    """"Inside-out" Fisher–Yates; ``rng`` (random.random) when there is no seed."""
    gen = ParkMiller(seed) if seed is not None else None
    out: list[Any] = [None] * len(items)
    for i, item in enumerate(items):
        r = gen.next_double() if gen is not None else rng()
        j = int(r * (i + 1))
        if j != i:
            out[i] = out[j]
        out[j] = item
    return out


def randomize(nodes: Any, seed: Any = None, seeded: bool = True, rng: Any = None) -> NodeSet:
    """The node-set shuffled; with a seed (even an empty one) always the same way."""
    import random

    vals = values(nodes)
    order = shuffled(list(range(len(vals))), seed_of(seed) if seeded else None,
                     rng or random.random)
    out = NodeSet([vals[i] for i in order])
    if isinstance(nodes, NodeSet) and nodes.nodes is not None:
        out.nodes = [nodes.nodes[i] for i in order]
    return out
