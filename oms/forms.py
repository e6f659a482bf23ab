import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput, JSONString
from django.utils.translation import gettext_lazy as _

from oms.jsontext import MAX_DEPTH, JsonTextError, load_json
from oms.permissions import ROLE_LABELS, ROLES


class FocusFirstError:
    """A form mixin: refused, its ``autofocus`` moves to its first visible field in error, so the page itself puts
    the cursor there (its usual first field, the SKU box of a stock form, is not where the quantity is fixed). The
    page script (``static/js/oms.js``) does the same for forms whose fields carry no ``autofocus``; for these it
    no longer has to undo one."""

    def full_clean(self):
        super().full_clean()
        first = next((name for name, field in self.fields.items()
                      if name in self._errors and not field.widget.is_hidden), None)
        if first is not None:
            for field in self.fields.values():
                field.widget.attrs.pop("autofocus", None)
            self.fields[first].widget.attrs["autofocus"] = True


class SentOnceForm(forms.Form):
    """A form whose every copy carries a one-off token (hidden), so that the same copy sent twice (a double
    click, a retry) does its work once: the service is handed the token (stored as the created row's
    ``request_key``) and recognises a second copy."""

    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["once"].initial = uuid.uuid4().hex

    def clean_once(self):
        token = self.cleaned_data["once"]
        return token if token.isascii() and token.isalnum() else ""


def add_refusal(form: forms.Form, exc) -> None:
    """Shows a service's refusal (any domain error: ``message`` and the ``field`` it names) on that field of the
    form, or above the form when the form has no such field."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class PlainDecimalField(forms.DecimalField):
    """A decimal box refusing what Python reads but nobody types as a number ("1e3" was a price of 1000), with
    ``oms.numbers.refuse_unwritten``'s message naming the field and the value; the rest is Django's (a number box
    sends "1234.5"; "Infinity" is not a number)."""

    def to_python(self, value):
        from oms.numbers import NumberError, refuse_unwritten

        if isinstance(value, str):
            try:
                refuse_unwritten(value, name=str(self.label or _("The number")))
            except NumberError as exc:
                raise ValidationError(exc.message, code="invalid") from exc
        return super().to_python(value)


class PlainDecimals:
    """Mixin for model forms: their decimal boxes (a ``DecimalField`` column's) are ``PlainDecimalField``s."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if type(field) is forms.DecimalField:
                field.__class__ = PlainDecimalField


class JsonTextField(forms.JSONField):
    """JSON typed by people, read by ``oms.jsontext.load_json``: what it refuses (too deep, NaN, a NUL character, a
    syntax error...) is a message on the field, never a server error, and the typed text is shown back for
    correcting. ``max_depth``: how deep arrays and objects may nest (the top one counts as 1)."""

    def __init__(self, *, max_depth: int = MAX_DEPTH, **kwargs):
        self.max_depth = max_depth
        super().__init__(**kwargs)

    def to_python(self, value):
        if self.disabled:
            return value
        if value in self.empty_values:
            return None
        if isinstance(value, (list, dict, int, float, JSONString)):
            return value
        try:
            converted = load_json(value, max_depth=self.max_depth)
        except JsonTextError as exc:
            raise ValidationError(exc.message, code="invalid") from None
        return JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return load_json(data, max_depth=self.max_depth)
        except JsonTextError:
            return InvalidJSONInput(data)


class StaffForm(forms.Form):
    """A staff account: the user name is set once, at creation."""

    username = forms.CharField(label=_("User name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254,  # the account's column
                             help_text=_("Alerts, approvals and scheduled reports are sent here."))
    roles = forms.MultipleChoiceField(label=_("Roles"), widget=forms.CheckboxSelectMultiple,
                                      choices=[(role, ROLE_LABELS[role]) for role in ROLES])
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    is_active = forms.BooleanField(label=_("Active (may log in)"), required=False, initial=True)
    seen = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)  # ``staff.account_version``

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["username"].disabled = True
        else:
            del self.fields["is_active"], self.fields["seen"]
