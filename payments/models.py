"""Payments, gift cards, invoices, the general ledger and settlement reconciliation.

Card numbers never reach these tables: a card payment keeps the processor's token, brand, last four
digits and expiry only. Gift-card codes are kept as a keyed hash plus their last four characters.
"""

from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oms.i18n import StoredText, stored_value, text_property
from oms.money import currency_field, money_field
from payments.installments import MAX_INSTALLMENTS, installments_text


def masked(last4: str) -> str:
    """``••••0030`` for a sentence (a message, a stored text): isolated (U+2066 … U+2069) so that it stays in this
    order inside an Arabic sentence; templates use ``{{ card.masked_number|ltr }}`` instead."""
    return f"\u2066••••{last4}\u2069"


class Account(models.Model):
    """One account of the chart of accounts, keyed by its code (e.g. ``1010``)."""

    class Kind(models.TextChoices):
        ASSET = "asset", _("Asset")
        LIABILITY = "liability", _("Liability")
        EQUITY = "equity", _("Equity")
        REVENUE = "revenue", _("Revenue")
        EXPENSE = "expense", _("Expense")

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def label(self) -> str:
        """The name in the reader's language while it is the standard chart's (``payments.ledger.account_name``)."""
        from payments.ledger import account_name

        return account_name(self.code, self.name)

    @property
    def debit_normal(self) -> bool:
        return self.kind in (self.Kind.ASSET, self.Kind.EXPENSE)


class JournalEntry(models.Model):
    """A balanced journal entry; a deferred database trigger refuses any entry whose lines do not balance."""

    posted_on = models.DateField(db_index=True)
    currency = currency_field()
    memo = models.CharField(max_length=200)
    memo_params = models.JSONField(null=True, blank=True, editable=False)  # see ``memo_text``
    reference = models.CharField(max_length=60, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-posted_on", "-id"]

    def __str__(self) -> str:
        return f"JE-{self.pk} {self.posted_on} {self.memo_text}"

    memo_text = text_property("memo")  # entries posted before ``memo_params`` existed read as stored


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    debit = money_field()
    credit = money_field()
    description = models.CharField(max_length=200, blank=True)
    description_params = models.JSONField(null=True, blank=True, editable=False)  # see ``description_text``

    description_text = text_property("description")

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                name="journal_line_one_positive_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} Dr {self.debit} Cr {self.credit}"


GIFT_CARD_SOURCES = [("goodwill", _("Goodwill")), ("promotion", _("Promotion")),
                     ("refund", _("Refund as store credit")), ("sale", _("Sold"))]


class GiftCard(models.Model):
    """A gift card or a store-credit balance; the code is stored only as a keyed hash."""

    class Kind(models.TextChoices):
        GIFT_CARD = "gift_card", _("Gift card")
        STORE_CREDIT = "store_credit", _("Store credit")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DISABLED = "disabled", _("Disabled")

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.GIFT_CARD)
    code_hash = models.CharField(max_length=64, unique=True)
    last4 = models.CharField(max_length=4)
    currency = currency_field()
    initial_amount = money_field()
    balance = money_field()
    expires_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=20, help_text="sale, refund, goodwill or promotion")
    reference = models.CharField(max_length=60, blank=True)
    # The issue form copy that created it (``GiftCardIssueForm.once``): the same copy sent again finds it.
    request_key = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="gift_cards_sold", help_text="The order that sold this card.")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces",
                                       help_text="The card issued in place of this one (code lost).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="giftcard_balance_not_negative"),
            models.CheckConstraint(condition=Q(balance__lte=F("initial_amount")) | Q(kind="store_credit"),
                                   name="giftcard_balance_within_initial"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ••••{self.last4}"

    @property
    def masked_number(self) -> str:
        return f"••••{self.last4}"

    @property
    def source_label(self) -> str:
        """Why it was issued, in the reader's language (a source unknown to this version as stored)."""
        return str(dict(GIFT_CARD_SOURCES).get(self.source, self.source))


class GiftCardTransaction(models.Model):
    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issued")
        REDEEM = "redeem", _("Redeemed")
        RELOAD = "reload", _("Returned to card")
        DISABLE = "disable", _("Disabled")
        VOID = "void", _("Voided (refunded)")
        REPLACE = "replace", _("Moved to a replacement card")

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = money_field(help_text="Signed: positive adds to the balance, negative spends it.")
    balance_after = money_field()
    reference = models.CharField(max_length=60, blank=True)
    reference_params = models.JSONField(null=True, blank=True, editable=False)  # see ``reference_text``
    journal_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("gift card transaction")
        verbose_name_plural = _("gift card transactions")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on card {self.card_id}"

    # A system text ("replaced by ••••C3YE") read in the reader's language; an order or payment reference as stored.
    reference_text = text_property("reference")


class Payment(models.Model):
    """One way the customer pays (part of) an order; an order may have several."""

    class Method(models.TextChoices):
        CARD = "card", _("Credit/debit card")
        PIX = "pix", _("PIX")
        BOLETO = "boleto", _("Boleto")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        PAYPAL = "paypal", _("PayPal")
        COD = "cod", _("Cash on delivery")
        CHECK = "check", _("Check")
        INVOICE = "invoice", _("Invoice on terms")
        GIFT_CARD = "gift_card", _("Gift card")
        STORE_CREDIT = "store_credit", _("Store credit")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        AUTHORIZED = "authorized", _("Authorized")
        PARTIALLY_CAPTURED = "partially_captured", _("Partially captured")
        CAPTURED = "captured", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        VOIDED = "voided", _("Voided")
        DECLINED = "declined", _("Declined")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=Method.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    currency = currency_field()
    amount = money_field(help_text="Authorized (or expected) amount.")
    captured_amount = money_field()
    refunded_amount = money_field()
    idempotency_key = models.CharField(max_length=120, unique=True)
    gateway = models.CharField(max_length=20, blank=True)
    gateway_reference = models.CharField(max_length=80, blank=True, db_index=True)
    token = models.CharField(max_length=120, blank=True, help_text="Processor token; never a card number.")
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    installments = models.PositiveSmallIntegerField(default=1, help_text=_(
        "Monthly parts the card's issuer bills the amount in (1: at once); cards only."))
    gift_card = models.ForeignKey(GiftCard, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    instructions = models.JSONField(default=dict, blank=True, help_text="PIX code, boleto line, check number...")
    decline_code = models.CharField(max_length=40, blank=True)
    decline_message = models.CharField(max_length=200, blank=True)
    decline_message_params = models.JSONField(null=True, blank=True, editable=False)  # see ``decline_text``
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(condition=Q(captured_amount__gte=0, captured_amount__lte=F("amount")),
                                   name="payment_captured_within_amount"),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("captured_amount")),
                                   name="payment_refunded_within_captured"),
            models.CheckConstraint(condition=Q(installments__gte=1, installments__lte=MAX_INSTALLMENTS)
                                   & (Q(installments=1) | Q(method="card")), name="payment_installments_card_only"),
        ]
        indexes = [models.Index(fields=["order", "status"])]

    def __str__(self) -> str:
        label = self.get_method_display()
        if self.card_last4:
            label += f" {self.card_brand} ••••{self.card_last4}"
        elif self.gift_card_id:
            label += f" ••••{self.gift_card.last4}"
        return label

    @property
    def masked_number(self) -> str:
        """``••••1111`` for a card or gift card (templates: ``{{ p.masked_number|ltr }}``), else empty."""
        if self.card_last4:
            return f"••••{self.card_last4}"
        return f"••••{self.gift_card.last4}" if self.gift_card_id else ""

    decline_text = text_property("decline_message")

    @property
    def installments_text(self) -> str:
        """``3 × R$ 68,61`` for a card paid in installments, else empty."""
        return installments_text(self.amount, self.installments, self.currency) if self.installments > 1 else ""

    @property
    def decline_reason(self) -> "StoredText | str":
        """Why it was refused, as stored: our own texts read in each reader's language, a processor's as it said."""
        return stored_value(self.decline_message, self.decline_message_params)

    @property
    def pay_by(self) -> datetime | date | None:
        """Until when the customer can pay a PIX charge (its expiry, a time) or a boleto (its due date); else None."""
        info = self.instructions or {}
        if self.method == self.Method.PIX and info.get("expires_at"):
            return datetime.fromisoformat(info["expires_at"])
        if self.method == self.Method.BOLETO and info.get("due_on"):
            return date.fromisoformat(info["due_on"])
        return None

    @property
    def past_pay_by(self) -> bool:
        """Still pending after ``pay_by``: a PIX charge the customer's bank no longer takes, a boleto overdue."""
        when = self.pay_by
        if self.status != self.Status.PENDING or when is None:
            return False
        if isinstance(when, datetime):
            return when <= timezone.now()
        return when < timezone.localdate()

    @property
    def net_paid(self):
        return self.captured_amount - self.refunded_amount

    @property
    def capturable(self):
        """What is authorized and not yet captured. A refund of what was captured leaves the rest of the
        authorization to capture (a void sets the amount to what was captured, so nothing is left after it)."""
        if self.status in OPEN_AUTHORIZATION:
            return self.amount - self.captured_amount
        return 0

    @property
    def refundable(self):
        return self.captured_amount - self.refunded_amount

    @property
    def voidable(self) -> bool:
        """Something not yet received can be released: a pending or failed payment, or an authorization's rest."""
        return ((self.status in (self.Status.PENDING, self.Status.FAILED) or self.capturable > 0)
                and self.method not in (self.Method.GIFT_CARD, self.Method.STORE_CREDIT))


# Statuses in which part of an authorization may still be uncaptured (``Payment.capturable``).
OPEN_AUTHORIZATION = (Payment.Status.AUTHORIZED, Payment.Status.PARTIALLY_CAPTURED, Payment.Status.PARTIALLY_REFUNDED)


class PaymentTransaction(models.Model):
    """Each call to the processor (or each offline money event): authorize, capture, void, refund, confirm."""

    class Kind(models.TextChoices):
        AUTHORIZE = "authorize", _("Authorization")
        CAPTURE = "capture", _("Capture")
        VOID = "void", _("Void")
        REFUND = "refund", _("Refund")
        CONFIRM = "confirm", _("Payment received")

    class Result(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCESS = "success", _("Success")
        DECLINED = "declined", _("Declined")
        ERROR = "error", _("Error")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.PENDING)
    amount = money_field()
    idempotency_key = models.CharField(max_length=140, unique=True)
    gateway_reference = models.CharField(max_length=80, blank=True, db_index=True)
    code = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=60, blank=True, help_text="Shipment, return or edit that caused it.")
    reason = models.CharField(max_length=200, blank=True)
    journal_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("payment transaction")
        verbose_name_plural = _("payment transactions")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.result})"


class Invoice(models.Model):
    """A B2B invoice on terms: issued when an invoice payment is captured (at shipment), paid later."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        VOID = "void", _("Void")

    number = models.CharField(max_length=20, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="invoices")
    customer_name = models.CharField(max_length=200, blank=True)
    currency = currency_field()
    amount = money_field()
    paid_amount = money_field()
    credited_amount = money_field()
    issued_on = models.DateField()
    due_on = models.DateField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(paid_amount__gte=0, credited_amount__gte=0)
                                   & Q(amount__gte=F("paid_amount") + F("credited_amount")),
                                   name="invoice_not_overpaid"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def open_amount(self):
        return self.amount - self.paid_amount - self.credited_amount


class InvoiceMovement(models.Model):
    """What lowered an invoice's open amount, and on which day: a payment received or a credit note. The aging as of
    a past day adds back what came after it."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment received")
        CREDIT = "credit", _("Credit note")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = money_field()
    on = models.DateField()
    journal_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invoice movement")
        verbose_name_plural = _("invoice movements")
        ordering = ["invoice", "on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_movement_positive")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on {self.on}"


class SettlementBatch(models.Model):
    """A processor settlement file as imported."""

    file_name = models.CharField(max_length=200)
    gateway = models.CharField(max_length=20, default="sandbox")
    row_count = models.PositiveIntegerField(default=0)
    gross = money_field()
    fees = money_field()
    currency = currency_field()
    journal_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("settlement batch")
        verbose_name_plural = _("settlement batches")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d})"


class SettlementLine(models.Model):
    class Kind(models.TextChoices):
        CAPTURE = "capture", _("Capture")
        REFUND = "refund", _("Refund")

    class Match(models.TextChoices):
        MATCHED = "matched", _("Matched")
        AMOUNT_DIFFERS = "amount_differs", _("Amount differs")
        UNMATCHED = "unmatched", _("Not found in the OMS")
        ALREADY_SETTLED = "already_settled", _("Already settled")

    batch = models.ForeignKey(SettlementBatch, on_delete=models.CASCADE, related_name="lines")
    row_number = models.PositiveIntegerField()
    settled_on = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    gateway_reference = models.CharField(max_length=80, db_index=True)
    amount = money_field()
    fee = money_field()
    transaction = models.ForeignKey(PaymentTransaction, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="settlement_lines")
    match = models.CharField(max_length=16, choices=Match.choices)

    class Meta:
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        ordering = ["batch", "row_number"]
        constraints = [  # a processor's transaction is settled (and posted to the ledger) once
            models.UniqueConstraint(fields=["transaction"], condition=models.Q(match="matched"),
                                    name="payments_settlement_matched_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.gateway_reference} {self.amount}"


class SupplierInvoice(models.Model):
    """A supplier's bill for a purchase order, checked against the order and what was received."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched")
        DIFFERENCES = "differences", _("Differences")
        APPROVED = "approved", _("Approved despite differences")

    purchase_order = models.ForeignKey("inventory.PurchaseOrder", on_delete=models.PROTECT,
                                       related_name="supplier_invoices")
    number = models.CharField(max_length=40)
    invoice_date = models.DateField()
    currency = currency_field()
    total = money_field()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DIFFERENCES)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supplier invoice")
        verbose_name_plural = _("supplier invoices")
        ordering = ["-invoice_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["purchase_order", "number"],
                                               name="supplier_invoice_unique_number")]

    def __str__(self) -> str:
        return self.number


class SupplierInvoiceLine(models.Model):
    invoice = models.ForeignKey(SupplierInvoice, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("inventory.Variant", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_cost = money_field()

    class Meta:
        verbose_name = _("supplier invoice line")
        verbose_name_plural = _("supplier invoice lines")
        ordering = ["invoice", "id"]
        constraints = [models.UniqueConstraint(fields=["invoice", "variant"], name="supplier_invoice_line_unique"),
                       models.CheckConstraint(condition=Q(unit_cost__gte=0), name="supplier_invoice_cost_ok")]

    def __str__(self) -> str:
        return f"{self.variant_id} x{self.quantity} @ {self.unit_cost}"


class SavedCard(models.Model):
    """A customer's card kept at the processor: we hold its long-lived token, never the number."""

    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="saved_cards")
    gateway = models.CharField(max_length=20, default="sandbox")
    token = models.CharField(max_length=120, unique=True)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved card")
        verbose_name_plural = _("saved cards")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.brand.upper()} ••••{self.last4} {self.exp_month:02d}/{self.exp_year % 100:02d}"
