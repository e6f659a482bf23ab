from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from oms.permissions import ROLE_LABELS, ROLES


def add_refusal(form: forms.Form, exc) -> None:
    """Shows a service's refusal (any domain error: ``message`` and the ``field`` it names) on that field of the
    form, or above the form when the form has no such field."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class StaffForm(forms.Form):
    """A staff account: the user name is set once, at creation."""

    username = forms.CharField(label=_("User name"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False,
                             help_text=_("Alerts, approvals and scheduled reports are sent here."))
    roles = forms.MultipleChoiceField(label=_("Roles"), widget=forms.CheckboxSelectMultiple,
                                      choices=[(role, ROLE_LABELS[role]) for role in ROLES])
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    is_active = forms.BooleanField(label=_("Active (may log in)"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["username"].disabled = True
        else:
            del self.fields["is_active"]
