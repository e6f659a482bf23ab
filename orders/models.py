"""Channels, customers and addresses, orders with their lines, holds and history.

State changes go through ``orders.services`` only: ``order_transition`` is the one function that
assigns ``Order.status`` (``line_transition`` for lines, ``hold_transition`` for holds).
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from oms.i18n import supported_language, text_property
from oms.models import TranslatedReason, language_field
from oms.money import currency_field, money_field
from orders.validators import format_phone, format_tax_id
from payments.installments import MAX_INSTALLMENTS, InstallmentOffer


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


class Channel(models.Model):
    class Kind(models.TextChoices):
        WEB = "web", _("Web shop")
        MARKETPLACE = "marketplace", _("Marketplace")
        POS = "pos", _("Store / POS")
        PHONE = "phone", _("Phone / call center")
        B2B = "b2b", _("B2B")

    class Sourcing(models.TextChoices):
        FIRST_AVAILABLE = "first_available", _("First location with stock")
        NEAREST = "nearest", _("Nearest location")
        LOWEST_COST = "lowest_cost", _("Lowest cost")
        FEWEST_SHIPMENTS = "fewest_shipments", _("Fewest shipments")
        STORE_PICKUP = "store_pickup", _("Store pick-up")

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    order_prefix = models.CharField(max_length=6, unique=True, help_text=_("Prefix of order numbers, e.g. PH."))
    price_list_code = models.CharField(max_length=40, blank=True)
    sourcing_strategy = models.CharField(max_length=20, choices=Sourcing.choices, default=Sourcing.FIRST_AVAILABLE)
    allow_oversell = models.BooleanField(default=False)
    currency = currency_field()
    language = language_field(blank=True, help_text=_(
        "The language of e-mails to this channel's customers who have not chosen one; blank: the site's."))
    notify_customers = models.BooleanField(default=True, help_text=_(
        "E-mail customers when their order is confirmed, ships or is cancelled; off when the shop or "
        "marketplace does it itself."))
    card_installments_max = models.PositiveSmallIntegerField(default=1, validators=[
        MinValueValidator(1), MaxValueValidator(MAX_INSTALLMENTS)], help_text=_(
        "The most installments a card payment may be split into, without interest (1: paid at once)."))
    card_installment_minimum = money_field(validators=[MinValueValidator(0)], help_text=_(
        "The smallest installment offered, in the channel's currency (0: any)."))
    last_order_number = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["name"]
        constraints = [models.CheckConstraint(
            condition=Q(card_installments_max__gte=1, card_installments_max__lte=MAX_INSTALLMENTS,
                        card_installment_minimum__gte=0), name="channel_card_installments_in_range")]

    def __str__(self) -> str:
        return self.name

    @property
    def installment_offer(self) -> InstallmentOffer:
        """The card installments this channel offers (``payments.installments``)."""
        return InstallmentOffer(most=self.card_installments_max, smallest=self.card_installment_minimum, by=self.name)


class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=30, blank=True, db_index=True, help_text=_("Digits, + prefix allowed."))
    phone_alt = models.CharField(max_length=30, blank=True, db_index=True)
    tax_country = models.CharField(max_length=2, default="BR")
    tax_id = models.CharField(max_length=40, blank=True, db_index=True, help_text=_("CPF/CNPJ digits in Brazil."))
    group_code = models.CharField(max_length=40, blank=True, help_text=_("Customer group/segment code."))
    payment_terms_days = models.PositiveSmallIntegerField(default=0, help_text=_("B2B invoice terms (0 = prepaid)."))
    credit_limit = money_field()
    currency = currency_field()
    language = language_field(blank=True, help_text=_(
        "The language of e-mails to the customer; blank: the language of the channel the order came from."))
    marketing_consent = models.BooleanField(default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    # The new-customer form copy that created it: the same copy sent twice (a double click) makes one customer.
    request_key = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erased_at = models.DateTimeField(null=True, blank=True, editable=False,
                                     help_text=_("When the personal data was erased at the customer's request."))
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records", editable=False,
        help_text=_("The customer this duplicate record was merged into: its orders and addresses are there now."))

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        # The duplicate check and channel intake match e-mails case-insensitively (UPPER(email) = UPPER(%s)).
        indexes = [models.Index(fields=["name"]), models.Index(Upper("email"), name="customer_email_upper")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_b2b(self) -> bool:
        return self.kind == self.Kind.COMPANY

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    @property
    def phone_alt_display(self) -> str:
        return format_phone(self.phone_alt)

    @property
    def tax_id_display(self) -> str:
        """A CPF or CNPJ with its dots, slash and dash (stored as digits); other countries' ids as stored."""
        return format_tax_id(self.tax_id) if self.tax_country == "BR" else self.tax_id


class Address(models.Model):
    class Kind(models.TextChoices):
        SHIPPING = "shipping", _("Shipping")
        BILLING = "billing", _("Billing")
        BOTH = "both", _("Billing and shipping")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BOTH)
    label = models.CharField(max_length=60, blank=True)
    recipient = models.CharField(max_length=200, blank=True)
    street = models.CharField(max_length=200)
    number = models.CharField(max_length=20, blank=True)
    complement = models.CharField(max_length=100, blank=True)
    district = models.CharField(max_length=100, blank=True, help_text=_("Bairro"))
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=3, help_text=_("Region code, e.g. SP."))
    postal_code = models.CharField(max_length=12, help_text=_("CEP in Brazil, e.g. 01310-100."))
    country = models.CharField(max_length=2, default="BR")
    phone = models.CharField(max_length=30, blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]

    def __str__(self) -> str:
        return self.one_line()

    SNAPSHOT_FIELDS = ("recipient", "street", "number", "complement", "district", "city", "state", "postal_code",
                       "country", "phone")

    def snapshot(self) -> dict:
        data = {name: getattr(self, name) for name in self.SNAPSHOT_FIELDS}
        data["recipient"] = data["recipient"] or self.customer.name
        data["address_id"] = self.pk
        return data

    def one_line(self) -> str:
        return format_address(self.snapshot() if self.pk else {})


def format_address(data: dict | None) -> str:
    if not data:
        return ""
    street = " ".join(p for p in [data.get("street", ""), data.get("number", "")] if p)
    parts = [street, data.get("complement", ""), data.get("district", ""),
             f"{data.get('city', '')}/{data.get('state', '')}", data.get("postal_code", "")]
    return ", ".join(p for p in parts if p and p != "/")


class Order(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PLACED = "placed", _("Placed")
        ON_HOLD = "on_hold", _("On hold")
        CONFIRMED = "confirmed", _("Confirmed")
        BACKORDERED = "backordered", _("Backordered")
        ALLOCATED = "allocated", _("Allocated")
        PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
        SHIPPED = "shipped", _("Shipped")
        DELIVERY_FAILED = "delivery_failed", _("Delivery failed")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        PARTIALLY_RETURNED = "partially_returned", _("Partially returned")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    class Delivery(models.TextChoices):
        SHIP = "ship", _("Ship to address")
        PICKUP = "pickup", _("Pick up in store")

    class Priority(models.IntegerChoices):
        LOW = 0, _("Low")
        STANDARD = 1, pgettext_lazy("order priority", "Standard")
        HIGH = 2, _("High")
        URGENT = 3, _("Urgent")

    number = models.CharField(max_length=20, blank=True, help_text=_("Given when the order is placed."))
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="orders")
    external_ref = models.CharField(max_length=80, blank=True)
    idempotency_key = models.CharField(max_length=80, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    delivery_method = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.SHIP)
    pickup_location = models.ForeignKey(
        "inventory.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    currency = currency_field()
    subtotal = money_field()
    discount_total = money_field()
    shipping_total = money_field()
    tax_total = money_field()
    total = money_field()
    shipping_service = models.CharField(max_length=40, blank=True)
    source_code = models.CharField(max_length=40, blank=True, db_index=True)
    campaign_id = models.PositiveIntegerField(null=True, blank=True)
    coupons = models.JSONField(default=list, blank=True)
    pricing_messages = models.JSONField(default=list, blank=True)
    order_discounts = models.JSONField(default=list, blank=True)
    shipping_options = models.JSONField(default=list, blank=True, help_text=_("Quotes from the last pricing."))
    payment_method = models.CharField(max_length=30, blank=True)
    payment_installments = models.PositiveSmallIntegerField(
        default=1, help_text=_("Card installments the customer chose (1: at once)."))
    card_fingerprint = models.CharField(max_length=64, blank=True, db_index=True,
                                        help_text=_("Brand, last four digits and expiry; never the card number."))
    placing_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    channel_placed_at = models.DateTimeField(
        _("placed at channel"), null=True, blank=True,
        help_text=_("When the customer placed the order at the sales channel, as the channel sent it; placed at is "
                    "when the OMS placed it."))
    promised_date = models.DateField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.STANDARD)
    notes = models.TextField(blank=True)
    tracking_token = models.CharField(max_length=40, unique=True, default=new_tracking_token, editable=False)
    stock_held_until = models.DateTimeField(
        null=True, blank=True, help_text=_("A draft's stock hold expires then (released by a beat job).")
    )
    cancel_reason = models.TextField(blank=True)
    cancel_reason_params = models.JSONField(null=True, blank=True, editable=False)
    cancel_reason_text = text_property("cancel_reason")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("sales order", "order")
        verbose_name_plural = _("orders")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="order_number_unique"),
            models.UniqueConstraint(
                fields=["channel", "external_ref"], condition=~Q(external_ref=""), name="order_external_ref_unique"
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"], condition=~Q(idempotency_key=""), name="order_idempotency_key_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-placed_at"]),
            models.Index(fields=["channel", "-placed_at"]),
            models.Index(fields=["status", "-placed_at"]),
            models.Index(fields=["stock_held_until"], name="order_stock_hold_idx",
                         condition=Q(stock_held_until__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number or _("Draft %(id)s") % {"id": self.pk}

    @property
    def label(self) -> str:
        return str(self)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def payment_method_label(self) -> str:
        """The payment method in the reader's language ("Boleto", "Fatura a prazo"), not its code."""
        from payments.models import Payment

        return str(dict(Payment.Method.choices).get(self.payment_method, self.payment_method))

    @property
    def shipping_service_name(self) -> str:
        """The chosen shipping option as the screen offered it ("SEDEX"), else its code."""
        return next((str(option.get("name") or self.shipping_service) for option in self.shipping_options or []
                     if option.get("code") == self.shipping_service), self.shipping_service)

    @property
    def shipping_address_line(self) -> str:
        return format_address(self.shipping_address)

    @property
    def customer_language(self) -> str:
        """The language of e-mails to the customer about this order: the customer's, else the channel's, else the
        site's."""
        chosen = self.customer.language if self.customer_id else ""
        return supported_language(chosen or self.channel.language)


# The names the phone screen gives a gift card line's details (payments/partials/giftcard_line_fields.html).
GIFT_CARD_DETAIL_LABELS = {"recipient_name": _("Recipient"), "recipient_email": _("Recipient e-mail"),
                           "message": _("Message")}


class OrderLine(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESERVED = "reserved", _("Reserved")
        BACKORDERED = "backordered", _("Backordered")
        ALLOCATED = "allocated", _("Allocated")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    variant = models.ForeignKey("inventory.Variant", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    list_price = money_field()
    unit_price = money_field()
    override_unit_price = money_field(null=True, blank=True, default=None)
    override_reason = models.CharField(max_length=200, blank=True)
    override_reason_params = models.JSONField(null=True, blank=True, editable=False)
    override_reason_text = text_property("override_reason")
    extra_unit_price = money_field(help_text=_("Personalization surcharge per unit."))
    discount_total = money_field()
    discounts = models.JSONField(default=list, blank=True)
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    tax_amount = money_field()
    line_total = money_field()
    explanation = models.JSONField(default=list, blank=True)
    personalization = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    backorder_date = models.DateField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    cancel_reason_params = models.JSONField(null=True, blank=True, editable=False)
    cancel_reason_text = text_property("cancel_reason")

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"

    @property
    def is_active(self) -> bool:
        return self.status not in (self.Status.CANCELLED, self.Status.RETURNED)

    def personalization_items(self) -> list[tuple[str, str]]:
        """The personalization as (label, value) pairs in the reader's language, in the product's field order: the
        label the phone screen showed for each field ("Engraving", not its code ``engraving``), the gift card's
        details by their names; a field the product no longer has reads as its code. Reads the variant's product
        and its fields: prefetch ``variant__product__personalization_fields`` for a list of lines."""
        values = self.personalization or {}
        if not values:
            return []
        if self.variant.is_gift_card:
            labels = dict(GIFT_CARD_DETAIL_LABELS)
        else:
            labels = {f.code: f.label for f in self.variant.product.personalization_fields.all()}
        known = [(str(label), str(values[code])) for code, label in labels.items()
                 if values.get(code) not in (None, "")]
        return known + [(code, str(value)) for code, value in values.items()
                        if code not in labels and value not in (None, "")]


class OrderLineAllocation(models.Model):
    """Where an order line's stock is held: ``quantity`` units at ``location``.

    A line sourced from one location has one row; a line split across locations (6 at a store, 4 at the
    DC) has one row per location, and the rows add up to the line's quantity. Rows exist while the line
    is reserved and stay after its units shipped (where they came from); releasing a line removes them.
    ``orders.services.core`` (``line_parts``, ``stock_lines``, ``set_line_allocations``) is the only code
    that writes or interprets them.
    """

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("order line allocation")
        verbose_name_plural = _("order line allocations")
        ordering = ["line_id", "-quantity", "location_id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "location"], name="orderlineallocation_line_location_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderlineallocation_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} @ {self.location_id} × {self.quantity}"


class OrderHold(models.Model):
    """A business rule that stopped an order until a manager approves or rejects it."""

    class Rule(models.TextChoices):
        PRICE_OVERRIDE = "price_override", _("Manual price override beyond the limit")
        HIGH_VALUE = "high_value", _("Order above the value limit")
        CREDIT_LIMIT = "credit_limit", _("B2B credit limit exceeded")
        ADDRESS_MISMATCH = "address_mismatch", _("Billing and shipping addresses in different states")
        CARD_VELOCITY = "card_velocity", _("Many orders from one card")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed")  # not decided: the order was cancelled or rejected on another hold

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    rule = models.CharField(max_length=30, choices=Rule.choices)
    detail = models.CharField(max_length=300, blank=True)
    detail_params = models.JSONField(null=True, blank=True, editable=False)  # see ``detail_text``
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    decision_reason_params = models.JSONField(null=True, blank=True, editable=False)  # see ``decision_reason_text``

    class Meta:
        verbose_name = _("order hold")
        verbose_name_plural = _("order holds")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order} · {self.get_rule_display()}"

    detail_text = text_property("detail")
    decision_reason_text = text_property("decision_reason")


class OrderEvent(TranslatedReason):
    """The order's history: every status change, hold, edit, cancellation, payment step and note."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status change")
        HOLD = "hold", _("Hold")
        APPROVAL = "approval", _("Approval")
        EDIT = "edit", _("Edit")
        CANCEL = "cancel", _("Cancellation")
        PAYMENT = "payment", _("Payment")
        STOCK = "stock", _("Stock")
        NOTE = "note", _("Note")
        DATES = "dates", _("Planned dates")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STATUS)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} -> {self.to_status}"

    @property
    def from_label(self) -> str:
        """The status's name in the reader's language (the raw code when it is not an order status)."""
        return Order.Status(self.from_status).label if self.from_status in Order.Status.values else self.from_status

    @property
    def to_label(self) -> str:
        return Order.Status(self.to_status).label if self.to_status in Order.Status.values else self.to_status


from orders.channels.models import *  # noqa: E402,F401,F403
from orders.fulfilment.models import *  # noqa: E402,F401,F403
