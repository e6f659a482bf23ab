"""Customers and their addresses: create with duplicate detection, update, add addresses."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.audit import audit_record, diff, snapshot
from oms.i18n import is_language
from oms.models import AuditEntry
from oms.once import created_by_request
from orders.errors import CustomerErased, CustomerMerged, DuplicateCustomer, InvalidCustomer
from orders.models import Address, Customer, Order
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


def refuse_retired(customer: Customer) -> None:
    """An erased customer's record only keeps their past orders, and a duplicate merged into another customer keeps
    nothing: neither takes a new order, data or address."""
    if customer.erased_at:
        raise CustomerErased(field="customer")
    if customer.merged_into_id:
        raise CustomerMerged(customer.merged_into)


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
    matches = Customer.objects.filter(query, merged_into__isnull=True)  # a merged record is its customer now
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
        refuse_retired(customer)
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


# What a merge copies from the duplicate where the customer kept has nothing.
MERGE_FILLS = ["email", "phone", "tax_id", "group_code", "language"]


def customer_merge(*, customer_id: int, duplicate_id: int, acting_user) -> Customer:
    """Folds a duplicate record of the same person or company into ``customer_id``, in one transaction.

    Its orders (drafts too), addresses, saved cards, segment memberships and promotion uses move to the customer
    kept; what the kept record lacks (e-mail, phone, tax id, group, language) is taken from it, its phone becomes the
    second phone when that is free, and its notes are added. Marketing consent stays only if both records gave it
    (one of them may have been told no). The duplicate stays, inactive and pointing to the customer kept, so old
    links and the audit trail still lead somewhere; the search and the duplicate check no longer find it.
    Refused: the same record, an erased or already merged one, or two different tax ids (two people)."""
    from marketing.models import PromotionRedemption, Segment, SegmentMember
    from payments.models import SavedCard

    if customer_id == duplicate_id:
        raise InvalidCustomer(_("Choose another customer: a record cannot be merged into itself."),
                              field="duplicate")
    with transaction.atomic(durable=True):
        records = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[customer_id, duplicate_id])
                   .order_by("pk")}
        if duplicate_id not in records:
            raise InvalidCustomer(_("Customer #%(id)s does not exist.") % {"id": duplicate_id}, field="duplicate")
        kept, duplicate = records[customer_id], records[duplicate_id]
        refuse_retired(kept)
        refuse_retired(duplicate)
        if kept.tax_id and duplicate.tax_id and kept.tax_id != duplicate.tax_id:
            raise InvalidCustomer(_("%(a)s and %(b)s have different tax ids: they are not the same person or "
                                    "company.") % {"a": kept.tax_id_display, "b": duplicate.tax_id_display},
                                  field="duplicate")
        before = snapshot(kept, CUSTOMER_FIELDS)
        for field in MERGE_FILLS:
            if not getattr(kept, field) and getattr(duplicate, field):
                setattr(kept, field, getattr(duplicate, field))
        if duplicate.phone and duplicate.phone not in (kept.phone, kept.phone_alt) and not kept.phone_alt:
            kept.phone_alt = duplicate.phone
        if duplicate.notes.strip() and duplicate.notes.strip() not in kept.notes:
            kept.notes = "\n".join(part for part in (kept.notes.strip(), duplicate.notes.strip()) if part)
        if kept.marketing_consent and not duplicate.marketing_consent:
            kept.marketing_consent, kept.consent_at = False, None
        kept.save()

        one_default = {"is_default": False} if kept.addresses.filter(is_default=True).exists() else {}
        moved = {
            "orders": Order.objects.filter(customer=duplicate).update(customer=kept),
            "addresses": Address.objects.filter(customer=duplicate).update(customer=kept, **one_default),
            "saved_cards": SavedCard.objects.filter(customer=duplicate).update(customer=kept),
            "promotion_uses": PromotionRedemption.objects.filter(customer_id=duplicate.pk).update(customer_id=kept.pk),
        }
        # A segment both records were members of keeps one member, and counts one less.
        both = SegmentMember.objects.filter(customer_id=duplicate.pk, segment_id__in=SegmentMember.objects.filter(
            customer_id=kept.pk).values("segment_id"))
        Segment.objects.filter(pk__in=both.values("segment_id")).update(member_count=F("member_count") - 1)
        both.delete()
        moved["segments"] = SegmentMember.objects.filter(customer_id=duplicate.pk).update(customer_id=kept.pk)

        duplicate.merged_into, duplicate.is_active = kept, False
        duplicate.save(update_fields=["merged_into", "is_active"])
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=kept, verb="customer_merge", changes={
            "merged": [duplicate.pk, duplicate.name], **diff(before, snapshot(kept, CUSTOMER_FIELDS)), **{
                name: [0, count] for name, count in moved.items() if count}})
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=duplicate, verb="customer_merged_into",
                     changes={"merged_into": [None, kept.pk]})
    return kept


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
        refuse_retired(customer)
        if clean.get("is_default"):
            customer.addresses.update(is_default=False)
        address = Address.objects.create(customer=customer, **clean)
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=address, verb="address_add")
    return address
