"""Per-type question widgets; :func:`make_widget` picks one for a question."""

from __future__ import annotations

from typing import Any

from ui.widgets.base import Context, QuestionWidget

# The widget classes are imported on the first form, not when the kiosk starts: importing
# ``ui.widgets.common`` for the home screen imports this package too.


def _widgets() -> dict[str, type[QuestionWidget]]:
    from ui.widgets.choices import AimagSoumWidget, ChoiceWidget, ConsentWidget, YesNoWidget
    from ui.widgets.inputs import DateWidget, NumberWidget, RegistryWidget, TextWidget
    from ui.widgets.media import AttachmentWidget, SignatureWidget

    return {
        "text": TextWidget,
        "integer": NumberWidget,
        "decimal": NumberWidget,
        "phone": NumberWidget,
        "postal_code": NumberWidget,
        "registry_number": RegistryWidget,
        "date": DateWidget,
        "select_one": ChoiceWidget,
        "select_multiple": ChoiceWidget,
        "yes_no": YesNoWidget,
        "consent": ConsentWidget,
        "aimag_soum": AimagSoumWidget,
        "attachment": AttachmentWidget,
        "signature": SignatureWidget,
    }


def _table() -> dict[str, type[QuestionWidget]]:
    table = globals().get("WIDGETS")
    if table is None:
        table = globals()["WIDGETS"] = _widgets()
    return table


def __getattr__(name: str) -> Any:
    if name == "WIDGETS":  # ui.widgets.WIDGETS, built on first use
        return _table()
    raise AttributeError(f"module {__name__} has no attribute {name!r}")


def make_widget(question: Any, ctx: Context) -> QuestionWidget | None:
    """The input for ``question``; None for types with no input (note)."""
    from ui.widgets.odk import odk_widget_class  # XForm types and appearances

    cls = odk_widget_class(question) or _table().get(question.type)
    return cls(question, ctx) if cls is not None else None


__all__ = ["Context", "QuestionWidget", "WIDGETS", "make_widget"]
