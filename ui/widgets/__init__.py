"""Per-type question widgets; :func:`make_widget` picks one for a question."""

from __future__ import annotations

from typing import Any

from ui.widgets.base import Context, QuestionWidget
from ui.widgets.choices import AimagSoumWidget, ChoiceWidget, ConsentWidget, YesNoWidget
from ui.widgets.inputs import DateWidget, NumberWidget, RegistryWidget, TextWidget
from ui.widgets.media import AttachmentWidget, SignatureWidget

WIDGETS: dict[str, type[QuestionWidget]] = {
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


def make_widget(question: Any, ctx: Context) -> QuestionWidget | None:
    """The input for ``question``; None for types with no input (note)."""
    from ui.widgets.odk import odk_widget_class  # XForm types and appearances

    cls = odk_widget_class(question) or WIDGETS.get(question.type)
    return cls(question, ctx) if cls is not None else None


__all__ = ["Context", "QuestionWidget", "WIDGETS", "make_widget"]
