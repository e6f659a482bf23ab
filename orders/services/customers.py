"""Customers and their addresses: create with duplicate detection, update, add addresses."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.audit import audit_record, diff, snapshot
from oms.i18n import is_language
from oms.models import AuditEntry
from oms.once import created_by_request
from orders.errors import CustomerErased, DuplicateCustomer, InvalidCustomer
from orders.models import Address, Customer
from orders.validators import (
    normalize_phone,
    phone_forms,
    validate_cep,
    validate_phone,
    validate_state,
    validate_tax_id,
)

CUSTOMER_FIELDS = ["kind", "name", "email", "phone", "phone_alt", "tax_country", "tax_id", "group_code",
                   "payment_terms_days", "credit_limit", "currency", "language", "marketing_consent", "notes"]
EMAIL_MAX_LENGTH = Customer._meta.get_field("email").max_length
ADDRESS_FIELDS = ["kind", "label", "recipient", "street", "number", "complement", "district", "city", "state",
                  "postal_code", "country", "phone", "is_default"]


def refuse_erased(customer: Customer) -> None:
    """An erased customer's record only keeps their past orders: it takes no new order, data or address."""
    if customer.erased_at:
        raise CustomerErased(field="customer")


def _clean_customer(data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in CUSTOMER_FIELDS}
    errors = {}
    data["name"] = (data.get("name") or "").strip()
    if not data["name"]:
        errors["name"] = _("The name is required.")
    email = (data.get("email") or "").strip().lower()
    if len(email) > EMAIL_MAX_LENGTH:  # an address the e-mail validator takes (up to 320) but the column does not
        errors["email"] = _("The e-mail address is too long: at most %(limit)s characters.") % {
            "limit": EMAIL_MAX_LENGTH}
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("“%(value)s” is not a valid e-mail address.") % {"value": email}
    data["email"] = email
    if data.get("language") and not is_language(data["language"]):
        errors["language"] = _("“%(value)s” is not a language of this system.") % {"value": data["language"]}
    for key in ("phone", "phone_alt"):
        if key in data:
            try:
                data[key] = validate_phone(data.get(key) or "")
            except ValidationError as exc:
                errors[key] = exc.messages[0]
    try:
        data["tax_id"] = validate_tax_id(data.get("tax_id") or "", country=data.get("tax_country") or "BR",
                                         kind=data.get("kind") or Customer.Kind.PERSON)
    except ValidationError as exc:
        errors["tax_id"] = exc.messages[0]
    if errors:
        raise InvalidCustomer("; ".join(errors.values()), field=next(iter(errors)), errors=errors)
    return data


def customer_duplicates(*, email: str = "", phone: str = "", tax_id: str = "", exclude_id: int | None = None):
    """Existing customers sharing the e-mail, a phone number or the tax id."""
    query = Q()
    if email:
        query |= Q(email__iexact=email)
    if normalize_phone(phone):
        _digits, forms = phone_forms(phone)  # "+5511987654321" and "11987654321" are one number
        query |= Q(phone__in=forms) | Q(phone_alt__in=forms)
    if tax_id:
        query |= Q(tax_id=tax_id)
    if not query:
        return Customer.objects.none()
    matches = Customer.objects.filter(query)
    if exclude_id:
        matches = matches.exclude(pk=exclude_id)
    return matches.order_by("pk")[:5]


def customer_create(*, data: dict, acting_user, address: dict | None = None, allow_duplicate: bool = False,
                    request_key: str | None = None) -> Customer:
    """Creates a customer (and optionally a first address); refuses likely duplicates unless told otherwise.

    ``request_key`` names the form copy it comes from: the same copy sent twice returns the first customer."""
    data = _clean_customer(data)
    address_data = address_clean(address) if address else None
    with transaction.atomic(durable=True):
        if (sent_before := created_by_request(Customer, request_key)) is not None:
            return sent_before  # a second copy sent while the first was being saved waited for it
        if not allow_duplicate:
            matches = list(customer_duplicates(email=data["email"], phone=data.get("phone", ""),
                                               tax_id=data["tax_id"]))
            if matches:
                raise DuplicateCustomer(matches=matches)
        customer = Customer(**data, created_by=acting_user if acting_user and acting_user.is_authenticated else None,
                            request_key=request_key or None)
        if customer.marketing_consent:
            customer.consent_at = timezone.now()
        customer.save()
        if address_data:
            Address.objects.create(customer=customer, **{**address_data, "is_default": True})
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=customer, verb="customer_create",
                     changes=snapshot(customer, ["name", "email", "phone", "tax_id"]))
    return customer


def customer_update(*, customer_id: int, data: dict, acting_user, allow_duplicate: bool = False) -> Customer:
    """Saves the customer's changes; an e-mail, phone or tax id changed to another customer's is refused as a likely
    duplicate (as on creation) unless told otherwise."""
    with transaction.atomic(durable=True):
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        refuse_erased(customer)
        merged = {**snapshot(customer, CUSTOMER_FIELDS), **data}
        clean = _clean_customer(merged)
        before = snapshot(customer, CUSTOMER_FIELDS)
        if not allow_duplicate:
            # Only what changes is checked: duplicates kept before do not stop an edit of something else.
            changed = {key: clean.get(key, "") for key in ("email", "phone", "tax_id")
                       if clean.get(key, "") != before.get(key, "")}
            matches = list(customer_duplicates(**changed, exclude_id=customer.pk)) if changed else []
            if matches:
                raise DuplicateCustomer(matches=matches)
        if clean.get("marketing_consent") and not customer.marketing_consent:
            customer.consent_at = timezone.now()
        for key, value in clean.items():
            setattr(customer, key, value)
        customer.save()
        changes = diff(before, snapshot(customer, CUSTOMER_FIELDS))
        if changes:
            audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=customer, verb="customer_update",
                         changes=changes)
    return customer


# An address's fields that must be there, by the names the forms give them.
ADDRESS_REQUIRED = {"street": gettext_lazy("Street"), "city": gettext_lazy("City"), "state": gettext_lazy("State"),
                    "postal_code": gettext_lazy("CEP / postal code")}


def address_clean(data: dict) -> dict:
    """The address as it is stored (state and CEP checked and written as they are everywhere), or
    ``InvalidCustomer`` naming the first field at fault (``errors``: each field's message)."""
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if k in ADDRESS_FIELDS}
    errors = {}
    for key, label in ADDRESS_REQUIRED.items():
        if not data.get(key):
            errors[key] = _("%(field)s is required.") % {"field": label}
    data["country"] = (data.get("country") or "BR").upper()
    try:
        data["state"] = validate_state(data.get("state") or "", data["country"])
    except ValidationError as exc:
        errors["state"] = exc.messages[0]
    if data["country"] == "BR" and data.get("postal_code"):
        try:
            data["postal_code"] = validate_cep(data["postal_code"])
        except ValidationError as exc:
            errors["postal_code"] = exc.messages[0]
    if errors:
        raise InvalidCustomer("; ".join(errors.values()), field=next(iter(errors)), errors=errors)
    return data


def address_add(*, customer_id: int, data: dict, acting_user) -> Address:
    clean = address_clean(data)
    with transaction.atomic(durable=True):
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        refuse_erased(customer)
        if clean.get("is_default"):
            customer.addresses.update(is_default=False)
        address = Address.objects.create(customer=customer, **clean)
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=address, verb="address_add")
    return address
