"""Per-type question widgets; :func:`make_widget` picks one for a question."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ui.widgets.base import Context, QuestionWidget

if TYPE_CHECKING:
    from kiosk.forms.model import QuestionType

# The widget classes are imported on the first form, not when the kiosk starts: importing
# ``ui.widgets.common`` for the home screen imports this package too.


def _widgets() -> dict[QuestionType, type[QuestionWidget]]:
    from kiosk.forms.model import QuestionType as Q
    from ui.widgets.choices import AimagSoumWidget, ChoiceWidget, ConsentWidget, YesNoWidget
    from ui.widgets.inputs import DateWidget, NumberWidget, RegistryWidget, TextWidget
    from ui.widgets.media import AttachmentWidget, SignatureWidget

    return {
        Q.TEXT: TextWidget,
        Q.INTEGER: NumberWidget,
        Q.DECIMAL: NumberWidget,
        Q.PHONE: NumberWidget,
        Q.POSTAL_CODE: NumberWidget,
        Q.REGISTRY_NUMBER: RegistryWidget,
        Q.DATE: DateWidget,
        Q.SELECT_ONE: ChoiceWidget,
        Q.SELECT_MULTIPLE: ChoiceWidget,
        Q.YES_NO: YesNoWidget,
        Q.CONSENT: ConsentWidget,
        Q.AIMAG_SOUM: AimagSoumWidget,
        Q.ATTACHMENT: AttachmentWidget,
        Q.SIGNATURE: SignatureWidget,
    }


def _table() -> dict[QuestionType, type[QuestionWidget]]:
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
    from ui.widgets.longchoice import LongChoiceWidget, is_long
    from ui.widgets.odk import odk_widget_class  # XForm types and appearances

    cls = odk_widget_class(question) or _table().get(question.type)
    if cls is _table().get(question.type) and is_long(question, ctx):
        cls = LongChoiceWidget  # thousands of choices: a search and a list, not a button each
    return cls(question, ctx) if cls is not None else None


__all__ = ["Context", "QuestionWidget", "WIDGETS", "make_widget"]
