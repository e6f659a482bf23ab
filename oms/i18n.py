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
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext


@dataclass(frozen=True)
class StoredText:
    msgid: str
    params: dict = field(default_factory=dict)
    plural: str = ""  # with ``number``: ngettext(msgid, plural, number)
    number: int | None = None

    def as_param(self) -> dict:
        value = {"msgid": self.msgid, "params": self.params}
        if self.plural:
            value.update(plural=self.plural, n=self.number)
        return value

    def __str__(self) -> str:  # in the active language
        return render(self.msgid, self.params, self.plural, self.number)


def stored_text(msgid: str, **params) -> StoredText:
    """``msgid`` (marked with ``gettext_noop``) with its parameters, ready to be stored (JSON)."""
    return StoredText(msgid, {name: _storable(value) for name, value in params.items()})


def stored_plural(singular: str, plural: str, number: int, **params) -> StoredText:
    """The form of ``singular``/``plural`` for ``number``, chosen when read (``makemessages`` extracts both: see
    ``oms.management.commands.makemessages``)."""
    return StoredText(singular, {name: _storable(value) for name, value in params.items()}, plural, number)


def stored_join(separator: str, texts) -> StoredText:
    """Texts (stored texts or plain strings) joined by ``separator``, each read in the reader's language."""
    texts = list(texts)
    pattern = separator.replace("%", "%%").join(f"%({index})s" for index in range(len(texts)))
    return stored_text(pattern, **{str(index): text for index, text in enumerate(texts)})


@dataclass(frozen=True)
class StoredDate:
    """A date shown with ``format`` (a Django date format, e.g. "D" for the weekday) in the reader's language; or a
    moment (an aware ``datetime``, e.g. with "SHORT_DATETIME_FORMAT"), shown in the site's time zone."""

    value: date | datetime
    format: str


@dataclass(frozen=True)
class StoredMoney:
    """An amount shown in the reader's number format (``R$ 1.234,56`` in pt-BR, ``R$ 1,234.56`` in English)."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class StoredNumber:
    """A number shown with ``places`` decimals in the reader's format (``98,0`` in pt-BR, ``98.0`` in English)."""

    value: Decimal | float | int
    places: int


def _storable(value):
    """A parameter as JSON: a translatable one as {"msgid": ..., "params": {...}}, a date as {"date", "format"},
    an amount as {"money", "currency"}, a number as {"number", "places"}: each shown in the reader's language."""
    if isinstance(value, StoredText):
        return value.as_param()
    if isinstance(value, StoredDate):
        return {"date": value.value.isoformat(), "format": value.format}
    if isinstance(value, StoredMoney):
        return {"money": str(value.amount), "currency": value.currency}
    if isinstance(value, StoredNumber):
        return {"number": str(value.value), "places": value.places}
    if isinstance(value, Promise):  # a lazy label: its message id
        with translation.override(None):
            return {"msgid": str(value), "params": {}}
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def as_stored(text) -> "StoredText | str":
    """``text`` in the form history keeps: a stored text as is, a lazy translation (``gettext_lazy``) as its
    message, anything else (a person's or another system's words) as a plain string."""
    if isinstance(text, StoredText):
        return text
    if isinstance(text, Promise):
        with translation.override(None):
            return StoredText(str(text))
    return str(text or "")


def stored_value(text: str, params: dict | None) -> "StoredText | str":
    """What ``split`` stored, back as a stored text (``params`` None: a plain string, as it was typed)."""
    return text if params is None else StoredText(text, params)


def split(text: "str | StoredText") -> tuple[str, dict | None]:
    """What to store for ``text``: (message id, parameters) or (the text as typed, None)."""
    if isinstance(text, StoredText):
        if text.plural:  # kept whole as the one parameter of a bare pattern
            return "%(text)s", {"text": text.as_param()}
        return text.msgid, text.params
    return str(text or ""), None


def to_json(text: "str | StoredText"):
    """``text`` for a JSON snapshot (a price breakdown kept on an order): a stored text as a dict, a str as is."""
    return text.as_param() if isinstance(text, StoredText) else str(text or "")


def from_json(value) -> str:
    """A value written by ``to_json`` in the active language (the ``stored`` template filter)."""
    return "" if value is None else str(_rendered(value))


def render(text: str, params: dict | None, plural: str = "", number: int | None = None) -> str:
    """A stored text in the active language (``params`` None: the text was stored as typed, or translated when
    written by an older version, and reads as stored; ``plural`` and ``number``: the form for ``number``)."""
    if params is None or not text:
        return text or ""
    translated = ngettext(text, plural, number) if plural else gettext(text)
    if not params:
        return translated
    values = {name: _rendered(value) for name, value in params.items()}
    source = text if not plural or number == 1 else plural
    for pattern in (translated, source):  # a translation whose placeholders do not match falls back to English
        try:
            return pattern % values
        except (KeyError, ValueError, TypeError):
            continue
    return source


def _rendered(value):
    if isinstance(value, dict) and "msgid" in value:
        return render(value["msgid"], value["params"], value.get("plural", ""), value.get("n"))
    if isinstance(value, dict) and "date" in value:
        day = value["date"]
        day = timezone.localtime(datetime.fromisoformat(day)) if "T" in day else date.fromisoformat(day)
        return date_format(day, value["format"])
    if isinstance(value, dict) and "money" in value:
        from oms.templatetags.oms_tags import money

        return money(value["money"], value["currency"])
    if isinstance(value, dict) and "number" in value:
        return number_format(Decimal(value["number"]), decimal_pos=value["places"], use_l10n=True)
    return value


_ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")


def without_isolates(text: str) -> str:
    """``text`` for another program (a spreadsheet, an accounting system): without the direction isolates kept
    around codes and masked numbers for Arabic pages."""
    return text.translate(_ISOLATES)


def text_property(field_name: str) -> property:
    """A model property giving the stored text in ``field_name`` (its parameters in ``<field_name>_params``) in
    the active language: ``reason_text = text_property("reason")``."""

    def read(obj) -> str:
        return render(getattr(obj, field_name), getattr(obj, f"{field_name}_params"))

    return property(read, doc=f"``{field_name}`` in the reader's language (see ``oms.i18n``).")


def is_language(code: str | None) -> bool:
    """Whether ``code`` is exactly one of ``settings.LANGUAGES`` (as a form or an API must send it)."""
    return code in dict(settings.LANGUAGES)


def supported_language(code: str | None) -> str:
    """``code`` as one of ``settings.LANGUAGES`` (``pt-BR`` -> ``pt-br``), or the site's language."""
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def active_language() -> str:
    """The language the current request (or ``translation.override``) is read in; the default of the
    ``language`` of work done later for the person asking now (``oms.models.RequestedInLanguage``)."""
    return supported_language(translation.get_language())
