"""Themes, text size and fonts, applied to the whole application at once.

The palettes live in ``assets/themes/*.json`` and the one stylesheet template in
``assets/themes/kiosk.qss``; sizes in the template are computed here from the
resident's chosen text scale so 150 % and 200 % grow every text *and* every
touch target together (nothing clips when the layout reflows). Contrast is
computed with the WCAG 2.x formula so tests can check the palette files
themselves instead of trusting a comment.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from string import Template

from kiosk.paths import ASSETS_DIR
from ui.qt import (
    QApplication,
    QByteArray,
    QColor,
    QFont,
    QFontDatabase,
    QImage,
    QPalette,
    QPixmap,
)

THEMES_DIR = ASSETS_DIR / "themes"
FONTS_DIR = ASSETS_DIR / "fonts"
THEMES = ("default", "high-contrast")
SCALES = (100, 150, 200)
FALLBACK_FONT = "DejaVu Sans"
BASE_BODY_PX = 22
# The smallest touch target anywhere (WCAG 2.2 2.5.5 asks 44 CSS px).
MIN_TARGET_PX = 44

# Text/background pairs that must meet the contrast bar of their theme.
TEXT_PAIRS = (
    ("text", "window"),
    ("text", "surface"),
    ("muted", "window"),
    ("muted", "surface"),
    ("on_primary", "primary"),
    ("on_secondary", "secondary"),
    ("on_secondary", "window"),
    ("error", "error_bg"),
    ("error", "window"),
    ("success", "surface"),
    ("on_banner", "banner"),
    ("on_tile", "tile"),
    ("on_primary", "pressed"),
    ("warn", "surface"),
    ("error", "surface"),
    ("success", "window"),
)
# The focus ring and borders are non-text: WCAG asks 3:1 against what they sit on.
# On filled buttons (primary, checked) the ring is doubled around a gap of the colour
# behind the button, so it is measured against window and surface only there.
NON_TEXT_PAIRS = (
    ("focus", "surface"),
    ("focus", "window"),
    ("focus", "secondary"),
    ("focus", "tile"),
    ("border", "surface"),
)


@lru_cache(maxsize=4)
def palette(name: str) -> dict[str, str]:
    if name not in THEMES:
        name = "default"
    data = json.loads((THEMES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return {k: str(v) for k, v in data.items()}


def _channel(c: float) -> float:
    c = c / 255.0
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str | QColor) -> float:
    q = QColor(color) if isinstance(color, str) else color
    return 0.2126 * _channel(q.red()) + 0.7152 * _channel(q.green()) + 0.0722 * _channel(q.blue())


def contrast_ratio(a: str | QColor, b: str | QColor) -> float:
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def required_contrast(theme: str) -> float:
    """AA (4.5:1) for the default theme; AAA (7:1) for high contrast."""
    return 7.0 if theme == "high-contrast" else 4.5


@lru_cache(maxsize=1)
def font_family() -> str:
    """Register the bundled Cyrillic-complete font (Noto Sans); fall back to DejaVu."""
    family = ""
    for file in sorted(FONTS_DIR.glob("*.ttf")):
        font_id = QFontDatabase.addApplicationFont(str(file))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if families and not family:
            family = families[0]
    return family or FALLBACK_FONT


def sizes(scale: int) -> dict[str, int]:
    """Pixel sizes for a text scale; touch targets never go under 48 px."""
    f = max(scale, 100) / 100.0
    body = round(BASE_BODY_PX * f)
    # The chrome (top bar, banner) grows to 150 % at most so that at 200 % the
    # question itself keeps most of the screen.
    chrome = round(BASE_BODY_PX * min(f, 1.5))
    return {
        "chrome": chrome,
        "chrome_target": max(56, round(chrome * 2.2)),
        "body": body,
        "title": round(34 * f),
        "question": round(28 * f),
        "huge": round(56 * f),
        "target": max(56, round(body * 1.9) + 14),
        # A text field's box: one line of text needs less than a row to tap (the same at
        # 100 %; at 200 % 18 px less, so that a question's label, hint and field fit
        # above the keys on a 1024x768 screen).
        "field": max(56, round(body * 1.5) + 14),
        "pad": round(8 * f),
        "pad2": round(16 * f),
        # Padding under a focus ring 2 px (4 px for the doubled ring) wider than the border.
        "pad_f": round(8 * f) - 2,
        "pad2_f": round(16 * f) - 2,
        "pad_r": round(8 * f) - 4,
        "pad2_r": round(16 * f) - 4,
        "indicator": max(36, round(body * 1.4)),
        # Scroll bars and their arrows, the dropdown's arrow: touch targets too (>= 44 px).
        "scrollbar": max(MIN_TARGET_PX, round(22 * f)),
    }


@lru_cache(maxsize=16)
def stylesheet(theme: str, scale: int) -> str:
    template = Template((THEMES_DIR / "kiosk.qss").read_text(encoding="utf-8"))
    values: dict[str, object] = dict(palette(theme))
    values.update(sizes(scale))
    values["font"] = font_family()
    values["arrows"] = (THEMES_DIR / "arrows").as_posix()
    return template.substitute(values)


def qpalette(theme: str) -> QPalette:
    """A QPalette matching the stylesheet, for widgets QSS does not reach."""
    p = palette(theme)
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: p["window"],
        QPalette.ColorRole.WindowText: p["text"],
        QPalette.ColorRole.Base: p["surface"],
        QPalette.ColorRole.AlternateBase: p["window"],
        QPalette.ColorRole.Text: p["text"],
        QPalette.ColorRole.Button: p["secondary"],
        QPalette.ColorRole.ButtonText: p["on_secondary"],
        QPalette.ColorRole.Highlight: p["primary"],
        QPalette.ColorRole.HighlightedText: p["on_primary"],
        QPalette.ColorRole.ToolTipBase: p["surface"],
        QPalette.ColorRole.ToolTipText: p["text"],
        QPalette.ColorRole.PlaceholderText: p["muted"],
        QPalette.ColorRole.Link: p["on_secondary"],
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    return pal


def apply(app: QApplication, theme: str, scale: int) -> None:
    family = font_family()
    font = QFont(family)
    font.setPixelSize(sizes(scale)["body"])
    app.setFont(font)
    app.setPalette(qpalette(theme))
    app.setStyleSheet(stylesheet(theme, scale))


def icon_path(name: str) -> Path | None:
    """An icon from ``assets/icons`` (the catalog's), or None when absent."""
    if not name:
        return None
    path = ASSETS_DIR / "icons" / f"{name}.svg"
    return path if path.exists() else None


def icon_size(scale: int) -> int:
    """Service-tile icons grow with the text: 48 px at 100 %, 72 at 150 %, 96 at 200 %."""
    return round(48 * max(scale, 100) / 100)


def icon_pixmap(path: Path, size: int, color: QColor | str) -> QPixmap:
    """An SVG icon drawn at ``size`` px in ``color``.

    The catalog's icons are drawn with ``currentColor``, which Qt's SVG reader
    paints black whatever the theme (invisible on the high-contrast black
    tiles); here ``currentColor`` is replaced with the colour of the text the
    icon stands beside, and the SVG is rasterised at the target size (no
    blurry scaling at 200 %).
    """
    name = QColor(color).name() if isinstance(color, str) else color.name()
    return QPixmap.fromImage(_icon_image(str(path), size, name))


@lru_cache(maxsize=256)
def _icon_image(path: str, size: int, color: str) -> QImage:
    svg = Path(path).read_text(encoding="utf-8").replace("currentColor", color)
    # Drawn at the target size by giving the root element that size (its viewBox scales
    # the drawing), not by scaling a small raster up.
    root_end = svg.index(">", svg.index("<svg"))
    root = re.sub(r'\s(width|height)="[^"]*"', "", svg[:root_end])
    svg = f'{root} width="{size}" height="{size}"' + svg[root_end:]
    image = QImage()
    image.loadFromData(QByteArray(svg.encode("utf-8")), "SVG")
    return image
