"""Payments, gift cards, invoices, the general ledger and settlement reconciliation.

Card numbers never reach these tables: a card payment keeps the processor's token, brand, last four
digits and expiry only. Gift-card codes are kept as a keyed hash plus their last four characters.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from oms.money import currency_field, money_field


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
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        return self.kind in (self.Kind.ASSET, self.Kind.EXPENSE)


class JournalEntry(models.Model):
    """A balanced journal entry; a deferred database trigger refuses any entry whose lines do not balance."""

    posted_on = models.DateField(db_index=True)
    currency = currency_field()
    memo = models.CharField(max_length=200)
    reference = models.CharField(max_length=60, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-posted_on", "-id"]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"JE-{self.pk} {self.posted_on} {self.memo}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    debit = money_field()
    credit = money_field()
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                name="journal_line_one_positive_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} Dr {self.debit} Cr {self.credit}"


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
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="giftcard_balance_not_negative"),
            models.CheckConstraint(condition=Q(balance__lte=F("initial_amount")) | Q(kind="store_credit"),
                                   name="giftcard_balance_within_initial"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ••••{self.last4}"


class GiftCardTransaction(models.Model):
    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issued")
        REDEEM = "redeem", _("Redeemed")
        RELOAD = "reload", _("Returned to card")
        DISABLE = "disable", _("Disabled")

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = money_field(help_text="Signed: positive adds to the balance, negative spends it.")
    balance_after = money_field()
    reference = models.CharField(max_length=60, blank=True)
    journal_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on card {self.card_id}"
