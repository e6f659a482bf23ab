from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import Address, Customer, Order


class CustomerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices, initial=Customer.Kind.PERSON)
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    phone_alt = forms.CharField(label=_("Other phone"), max_length=30, required=False)
    tax_id = forms.CharField(label=_("CPF/CNPJ or tax id"), max_length=40, required=False)
    tax_country = forms.CharField(label=_("Tax country"), max_length=2, initial="BR")
    group_code = forms.CharField(label=_("Customer group"), max_length=40, required=False)
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365, initial=0)
    credit_limit = forms.DecimalField(label=_("Credit limit"), min_value=0, max_digits=14, decimal_places=2,
                                      initial=0)
    marketing_consent = forms.BooleanField(label=_("Agrees to marketing"), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AddressForm(forms.Form):
    kind = forms.ChoiceField(label=_("Use"), choices=Address.Kind.choices, initial=Address.Kind.BOTH)
    recipient = forms.CharField(label=_("Recipient"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("CEP / postal code"), max_length=12)
    street = forms.CharField(label=_("Street"), max_length=200)
    number = forms.CharField(label=_("Number"), max_length=20, required=False)
    complement = forms.CharField(label=_("Complement"), max_length=100, required=False)
    district = forms.CharField(label=_("District"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    state = forms.CharField(label=_("State"), max_length=3)
    country = forms.CharField(label=_("Country"), max_length=2, initial="BR")
    is_default = forms.BooleanField(label=_("Default address"), required=False)


class QuickCustomerForm(forms.Form):
    """The phone screen's inline "new customer": contact plus one address."""

    name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    tax_id = forms.CharField(label=_("CPF/CNPJ"), max_length=40, required=False)
    postal_code = forms.CharField(label=_("CEP"), max_length=12)
    street = forms.CharField(label=_("Street"), max_length=200)
    number = forms.CharField(label=_("Number"), max_length=20, required=False)
    district = forms.CharField(label=_("District"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    state = forms.CharField(label=_("State"), max_length=3)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), max_length=500)


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Order.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
