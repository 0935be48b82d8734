"""Home: the catalog's services as large tiles grouped by category, with icons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.i18n import pick, t
from ui.qt import QGridLayout, QPalette, QWidget
from ui.theme import icon_path, icon_pixmap, icon_size
from ui.widgets.common import Page, WrapButton, text_label


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


class HomeView(Page):
    """Rebuilt from the catalog on every language or size change (it is cheap)."""

    def __init__(self, open_form: Callable[[str], object]) -> None:
        super().__init__()
        self.setObjectName("screen")
        self.open_form = open_form
        self.tiles: dict[str, WrapButton] = {}
        self.catalog: Any = None

    def present(self, catalog: Any, lang: str, scale: int, problems: int = 0,
               out_of_service: str | None = None) -> None:
        self.catalog = catalog
        self.clear()
        self.tiles = {}
        if out_of_service:
            # Answers could not be kept safely (e.g. no keyring): offer no form at all and
            # say so plainly to the resident. The technical reason (a keyring backend, a
            # docs page) is for staff only: it is shown behind the PIN (StaffView).
            self.column.addWidget(text_label(t("ui.home_out_of_service", lang), "title"))
            self.column.addWidget(text_label(t("ui.home_out_of_service_hint", lang), ""))
            self.column.addWidget(text_label(t("widgets.home_out_of_service_staff", lang), "hint"))
            self.column.addStretch(1)
            self.show_all()
            return
        self.column.addWidget(text_label(t("ui.home_welcome", lang), "title"))
        if problems:
            self.column.addWidget(text_label(t("ui.home_broken_forms", lang, count=problems), "hint"))
        forms = list(_forms(catalog))
        if not forms:
            self.column.addWidget(text_label(t("ui.home_no_forms", lang), "hint"))
        columns = 3 if scale <= 100 else (2 if scale <= 150 else 1)
        categories = list(_get(catalog, "categories", []) or [])
        known = {_get(c, "id") for c in categories}
        groups: list[tuple[str, Any, list[Any]]] = []
        for cat in categories:
            members = [f for f in forms if _get(f, "category") == _get(cat, "id")]
            if members:
                groups.append((pick(_get(cat, "title"), lang), _get(cat, "icon"), members))
        orphans = [f for f in forms if _get(f, "category") not in known]
        if orphans:
            groups.append(("", None, orphans))
        size = icon_size(scale)
        for title, _icon, members in groups:
            if title:
                self.column.addWidget(text_label(title, "category"))
            grid_host = QWidget()
            grid = QGridLayout(grid_host)
            grid.setContentsMargins(0, 0, 0, 0)
            grid.setHorizontalSpacing(16)
            grid.setVerticalSpacing(16)
            for i, form in enumerate(members):
                form_id = str(_get(form, "id"))
                name = pick(_get(form, "title"), lang)
                icon = icon_path(str(_get(form, "icon") or ""))
                tile = WrapButton(
                    name,
                    t("ui.home_tile_desc", lang, title=name),
                    role="tile",
                    icon=icon,
                    icon_size=size,
                )
                _recolour_icon(tile, icon, size)
                tile.setObjectName(f"tile-{form_id}")
                tile.clicked.connect(lambda _=False, fid=form_id: self.open_form(fid))
                grid.addWidget(tile, i // columns, i % columns)
                self.tiles[form_id] = tile
            for c in range(columns):
                grid.setColumnStretch(c, 1)
            self.column.addWidget(grid_host)
        self.column.addStretch(1)
        self.show_all()

    def focus_order(self) -> list[QWidget]:
        return list(self.tiles.values())


def _recolour_icon(tile: WrapButton, icon: Any, size: int) -> None:
    """Draw the tile's icon in the colour the theme gives the tile's text."""
    if icon is None or tile.icon_label is None:
        return
    tile.label.ensurePolished()  # the stylesheet's colour for this role, now
    color = tile.label.palette().color(QPalette.ColorRole.WindowText)
    tile.icon_label.setPixmap(icon_pixmap(icon, size, color))


def _forms(catalog: Any) -> list[Any]:
    forms = _get(catalog, "forms", []) or []
    if isinstance(forms, dict):
        return list(forms.values())
    return list(forms)
