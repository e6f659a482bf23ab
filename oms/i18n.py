"""System texts that are stored and read later, by people who read other languages.

A history entry written by a Portuguese-speaking agent, or by a background job with no reader at all, is read by
an Arabic-speaking manager. Such a text is kept as its English source (the message id) and its parameters, and
translated when it is read::

    order_event(order=order, reason=stored_text(gettext_noop("Stock held for %(n)s minutes"), n=15))
    ...
    event.reason_text  # "Estoque reservado por 15 minutos" for a reader in pt-BR

(``gettext_noop`` marks the message for ``makemessages`` without translating it.) A parameter that is itself a
translatable text (a lazy choice label, or another ``stored_text``) is stored the same way and translated with
the rest. A text a person typed is stored as typed, with ``None`` for its parameters, and read as stored.
"""

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext


@dataclass(frozen=True)
class StoredText:
    msgid: str
    params: dict = field(default_factory=dict)


def stored_text(msgid: str, **params) -> StoredText:
    """``msgid`` (marked with ``gettext_noop``) with its parameters, ready to be stored (JSON)."""
    return StoredText(msgid, {name: _storable(value) for name, value in params.items()})


def _storable(value):
    """A parameter as JSON; a translatable one as {"msgid": ..., "params": {...}}."""
    if isinstance(value, StoredText):
        return {"msgid": value.msgid, "params": value.params}
    if isinstance(value, Promise):  # a lazy label: its message id
        with translation.override(None):
            return {"msgid": str(value), "params": {}}
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def split(text: "str | StoredText") -> tuple[str, dict | None]:
    """What to store for ``text``: (message id, parameters) or (the text as typed, None)."""
    if isinstance(text, StoredText):
        return text.msgid, text.params
    return str(text or ""), None


def render(text: str, params: dict | None) -> str:
    """A stored text in the active language (``params`` None: the text was stored as typed, or translated when
    written by an older version, and reads as stored)."""
    if params is None or not text:
        return text or ""
    translated = gettext(text)
    if not params:
        return translated
    values = {name: render(value["msgid"], value["params"]) if isinstance(value, dict) and "msgid" in value
              else value for name, value in params.items()}
    return translated % values
