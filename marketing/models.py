"""Marketing: price lists, tax rates, shipping rates, campaigns, source codes, promotions, coupons, segments.

Channels and customer groups are keyed by their CODE strings (the ``orders`` app owns the Channel
and Customer models); SKUs, brands and categories point at ``inventory`` by string reference.
"""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms.models import RequestedInLanguage
from oms.money import currency_field, money_field
from oms.numbers import percent_text

BRAZIL_STATES = [
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR", "PE",
    "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
]


def code_list_field(**kwargs):
    """A list of codes (channels, customer groups, regions); empty means "any"."""
    kwargs.setdefault("blank", True)
    kwargs.setdefault("default", list)
    return ArrayField(models.CharField(max_length=40), **kwargs)


class PriceList(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    currency = currency_field(verbose_name=_("currency"))
    channel_code = models.CharField(_("channel"), max_length=40, blank=True,
                                    help_text=_("Empty: every channel."))
    customer_group = models.CharField(_("customer group"), max_length=40, blank=True,
                                      help_text=_("Empty: every customer group."))
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    priority = models.IntegerField(_("priority"), default=0, help_text=_("Higher wins."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["-priority", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_from__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="pricelist_valid_range",
                violation_error_message=_("The end must be after the start."),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class PriceListItem(models.Model):
    """The price of one SKU in a price list from ``min_quantity`` units on (1 = the base row, more = tiers)."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey("inventory.Variant", on_delete=models.CASCADE, related_name="+")
    min_quantity = models.PositiveIntegerField(_("from quantity"), default=1, validators=[MinValueValidator(1)])
    unit_price = money_field(verbose_name=_("unit price"), validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("price list price")
        verbose_name_plural = _("price list prices")
        ordering = ["price_list", "variant", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "variant", "min_quantity"], name="pricelistitem_unique_tier"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="pricelistitem_price_not_negative"),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="pricelistitem_min_quantity_positive"),
        ]

    def __str__(self):
        # The audit trail names the row by it: the list and the SKU by their codes, not their ids.
        return f"{self.price_list.code}: {self.variant.sku} ×{self.min_quantity} = {self.unit_price}"


class ChannelTaxSetting(models.Model):
    """Whether a channel's prices include tax (default: exclusive, tax added on top)."""

    channel_code = models.CharField(_("channel"), max_length=40, unique=True)
    prices_include_tax = models.BooleanField(_("prices include tax"), default=False)

    class Meta:
        verbose_name = _("channel tax setting")
        verbose_name_plural = _("channel tax settings")

    def __str__(self):
        return self.channel_code


class TaxRate(models.Model):
    """A rate for a tax class in a destination region (state); empty region = the generic rate."""

    name = models.CharField(_("name"), max_length=80)
    region = models.CharField(_("region"), max_length=10, blank=True, help_text=_("State code; empty: any region."))
    tax_class = models.CharField(_("tax class"), max_length=40, blank=True, help_text=_("Empty: any class."))
    rate = models.DecimalField(_("rate (%)"), max_digits=7, decimal_places=4,
                               validators=[MinValueValidator(0), MaxValueValidator(100)])
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        ordering = ["region", "tax_class", "-valid_from"]
        indexes = [models.Index(fields=["region", "tax_class"])]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=100), name="taxrate_rate_range"),
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                                   name="taxrate_valid_range",
                                   violation_error_message=_("The end cannot be before the start.")),
        ]

    def __str__(self):
        return f"{self.name}: {percent_text(self.rate)}"


class ShippingZone(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    regions = code_list_field(verbose_name=_("regions"))

    class Meta:
        verbose_name = _("shipping zone")
        verbose_name_plural = _("shipping zones")
        ordering = ["code"]

    def __str__(self):
        return self.name


class CarrierService(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    carrier = models.CharField(_("carrier"), max_length=80)
    currency = currency_field(verbose_name=_("currency"))
    free_shipping_threshold = money_field(verbose_name=_("free above"), null=True, blank=True, default=None,
                                          validators=[MinValueValidator(0)],
                                          help_text=_("Order value (after discounts) from which this service is free."))
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.IntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("carrier service")
        verbose_name_plural = _("carrier services")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class ShippingRate(models.Model):
    """Price of a service to a zone for parcels up to ``max_weight_grams``."""

    service = models.ForeignKey(CarrierService, on_delete=models.CASCADE, related_name="rates",
                                verbose_name=_("service"))
    zone = models.ForeignKey(ShippingZone, on_delete=models.CASCADE, related_name="rates", verbose_name=_("zone"))
    max_weight_grams = models.PositiveIntegerField(_("up to (g)"))
    price = money_field(verbose_name=_("price"), validators=[MinValueValidator(0)])
    transit_days = models.PositiveIntegerField(_("transit days"), default=3)

    class Meta:
        verbose_name = _("shipping rate")
        verbose_name_plural = _("shipping rates")
        ordering = ["service", "zone", "max_weight_grams"]
        constraints = [
            models.UniqueConstraint(fields=["service", "zone", "max_weight_grams"], name="shippingrate_unique_bracket"),
            models.CheckConstraint(condition=Q(price__gte=0), name="shippingrate_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.service_id}/{self.zone_id} ≤{self.max_weight_grams}g"


class Campaign(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    channel_code = models.CharField(_("channel"), max_length=40, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    budget = money_field(verbose_name=_("budget"), validators=[MinValueValidator(0)])
    currency = currency_field(verbose_name=_("currency"))
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                                   name="campaign_valid_range",
                                   violation_error_message=_("The end cannot be before the start.")),
        ]

    def __str__(self):
        return self.name


class SourceCode(models.Model):
    class Kind(models.TextChoices):
        CATALOGUE = "catalogue", _("Catalogue")
        RADIO = "radio", _("Radio spot")
        TV = "tv", _("TV spot")
        EMAIL = "email", _("E-mail")
        WEB = "web", _("Web / affiliate")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=30, unique=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="source_codes",
                                 verbose_name=_("campaign"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CATALOGUE)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("source code")
        verbose_name_plural = _("source codes")
        ordering = ["code"]

    def __str__(self):
        return self.code


class Segment(models.Model):
    """A customer segment defined by rules; evaluation against order history lives on the orders side."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    rules = models.JSONField(_("rules"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    member_count = models.IntegerField(default=0, editable=False)
    refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        ordering = ["code"]

    def __str__(self):
        return self.name


class SegmentMember(models.Model):
    """Materialised membership (refreshed by a background job) so pricing can target segments cheaply."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    customer_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [models.UniqueConstraint(fields=["segment", "customer_id"], name="segmentmember_unique")]

    def __str__(self):
        return f"{self.segment_id}: {self.customer_id}"


class Promotion(models.Model):
    class Kind(models.TextChoices):
        ORDER_PERCENT = "order_percent", _("Percent off the order")
        ORDER_FIXED = "order_fixed", _("Amount off the order")
        ITEM_PERCENT = "item_percent", _("Percent off items")
        ITEM_FIXED = "item_fixed", _("Amount off each item")
        BUY_X_GET_Y = "buy_x_get_y", _("Buy X get Y")
        TIERED_SPEND = "tiered_spend", _("Tiered spend")
        FREE_SHIPPING = "free_shipping", _("Free shipping")

    ITEM_KINDS = {Kind.ITEM_PERCENT, Kind.ITEM_FIXED, Kind.BUY_X_GET_Y}
    ORDER_KINDS = {Kind.ORDER_PERCENT, Kind.ORDER_FIXED, Kind.TIERED_SPEND}

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    currency = currency_field(verbose_name=_("currency"))
    percent = models.DecimalField(_("percent"), max_digits=7, decimal_places=4, null=True, blank=True,
                                  validators=[MinValueValidator(0), MaxValueValidator(100)])
    amount = money_field(verbose_name=_("amount"), null=True, blank=True, default=None,
                         validators=[MinValueValidator(0)])
    buy_quantity = models.PositiveIntegerField(_("buy quantity"), null=True, blank=True)
    get_quantity = models.PositiveIntegerField(_("get quantity"), null=True, blank=True)
    tiers = models.JSONField(_("spend tiers"), default=list, blank=True,
                             help_text=_('For tiered spend: [{"threshold": "300", "percent": "10"}, ...]'))
    min_subtotal = money_field(verbose_name=_("minimum order value"), null=True, blank=True, default=None,
                               validators=[MinValueValidator(0)])
    # What the promotion applies to (item kinds); all empty = every item.
    variants = models.ManyToManyField("inventory.Variant", blank=True, related_name="+", verbose_name=_("SKUs"))
    categories = models.ManyToManyField("inventory.Category", blank=True, related_name="+",
                                        verbose_name=_("categories"))
    brands = models.ManyToManyField("inventory.Brand", blank=True, related_name="+", verbose_name=_("brands"))
    shipping_services = code_list_field(verbose_name=_("shipping services"),
                                        help_text=_("For free shipping; empty: every service."))
    # Who and when.
    channel_codes = code_list_field(verbose_name=_("channels"))
    customer_groups = code_list_field(verbose_name=_("customer groups"))
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="promotions",
                                verbose_name=_("segment"))
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="promotions",
                                 verbose_name=_("campaign"), help_text=_("Any source code of this campaign."))
    source_codes = models.ManyToManyField(SourceCode, blank=True, related_name="promotions",
                                          verbose_name=_("source codes"))
    requires_coupon = models.BooleanField(_("requires a coupon"), default=False)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    weekdays = ArrayField(models.PositiveSmallIntegerField(), blank=True, default=list, verbose_name=_("weekdays"),
                          help_text=_("1 = Monday … 7 = Sunday; empty: every day."))
    daily_start = models.TimeField(_("daily from"), null=True, blank=True)
    daily_end = models.TimeField(_("daily until"), null=True, blank=True)
    # Stacking and limits.
    priority = models.IntegerField(_("priority"), default=0, help_text=_("Higher applies first."))
    exclusive = models.BooleanField(_("exclusive"), default=False,
                                    help_text=_("Not combinable: applies alone when it beats the combined others."))
    usage_limit = models.PositiveIntegerField(_("total uses"), null=True, blank=True)
    usage_limit_per_customer = models.PositiveIntegerField(_("uses per customer"), null=True, blank=True)
    times_used = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-priority", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(starts_at__isnull=True)
                                   | Q(ends_at__gt=models.F("starts_at")),
                                   name="promotion_valid_range",
                                   violation_error_message=_("The end must be after the start.")),
            models.CheckConstraint(condition=Q(usage_limit__isnull=True) | Q(times_used__lte=models.F("usage_limit")),
                                   name="promotion_usage_within_limit"),
        ]

    def __str__(self):
        return self.name


class CouponBatch(models.Model):
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="coupon_batches")
    prefix = models.CharField(_("prefix"), max_length=12, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The form copy that made it (``oms.forms.SentOnceForm``): the same copy sent twice makes one batch.
    request_key = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("coupon batch")
        verbose_name_plural = _("coupon batches")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ×{self.quantity}"


class Coupon(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="coupons")
    batch = models.ForeignKey(CouponBatch, on_delete=models.CASCADE, null=True, blank=True, related_name="coupons")
    usage_limit = models.PositiveIntegerField(_("uses"), null=True, blank=True, default=1,
                                              help_text=_("Empty: unlimited."))
    times_used = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(usage_limit__isnull=True) | Q(times_used__lte=models.F("usage_limit")),
                                   name="coupon_usage_within_limit"),
        ]

    def __str__(self):
        return self.code


class PromotionRedemption(models.Model):
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, null=True, blank=True, related_name="redemptions")
    order_reference = models.CharField(max_length=60)
    customer_id = models.BigIntegerField(null=True, blank=True)
    amount = money_field()
    currency = currency_field()
    source_code = models.CharField(max_length=30, blank=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("promotion redemption")
        verbose_name_plural = _("promotion redemptions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["promotion", "customer_id"]), models.Index(fields=["order_reference"])]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "order_reference"], name="redemption_once_per_order"),
        ]

    def __str__(self):
        return f"{self.promotion_id} on {self.order_reference}"


def segment_export_upload_to(instance, filename: str) -> str:
    return f"marketing/segment-exports/{instance.segment_id}/{filename}"


class SegmentExport(RequestedInLanguage):
    """A background extract of a segment's customers (CSV), for large sets."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to=segment_export_upload_to, blank=True, max_length=300)
    row_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("segment export")
        verbose_name_plural = _("segment exports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.segment_id} export {self.pk}"
