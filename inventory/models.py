"""Catalogue, locations, stock levels and their ledger, suppliers, purchasing, transfers and reorder.

State changes go through ``inventory.services``; the models hold fields, choices and the database
constraints that keep stock exact (non-negative on hand and reserved, reserved <= on hand).
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from oms.models import RequestedInLanguage
from oms.money import currency_field, money_field

# --- Catalogue -------------------------------------------------------------------------------


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A node of the category tree; ``path`` is the slash-joined chain of names, kept by services."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    path = models.CharField(_("path"), max_length=500, blank=True, db_index=True)

    class Meta:
        ordering = ["path", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="inventory_category_unique_name_in_parent",
                                    nulls_distinct=False),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="inventory_category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.path or self.name


class Product(models.Model):
    """A style: what the customer sees; it is sold through its variants (SKUs)."""

    code = models.CharField(_("style code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="products",
                              verbose_name=_("brand"))
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="products", verbose_name=_("category"))
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="inventory_product_name_trgm")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TaxClass(models.TextChoices):
    STANDARD = "standard", _("Standard")
    REDUCED = "reduced", _("Reduced")
    ZERO = "zero", _("Zero-rated")
    EXEMPT = "exempt", _("Exempt")


class Variant(models.Model):
    """The SKU: the unit that is stocked, priced and sold."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants",
                                verbose_name=_("product"))
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    barcode = models.CharField(_("barcode (GTIN)"), max_length=32, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=255, help_text=_("Full display name, e.g. 'T-shirt Blue / M'."))
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    length_mm = models.PositiveIntegerField(_("length (mm)"), default=0)
    width_mm = models.PositiveIntegerField(_("width (mm)"), default=0)
    height_mm = models.PositiveIntegerField(_("height (mm)"), default=0)
    cost = money_field(verbose_name=_("cost"))
    base_price = money_field(verbose_name=_("base price"))
    currency = currency_field(verbose_name=_("currency"))
    tax_class = models.CharField(_("tax class"), max_length=20, default=TaxClass.STANDARD)
    is_active = models.BooleanField(_("active"), default=True)
    is_kit = models.BooleanField(_("kit"), default=False)
    # A gift card sold as a product: no stock, no sourcing, no shipment; the agent chooses its value
    # (the base price is the suggested one), it is not taxed and takes no promotion.
    is_gift_card = models.BooleanField(_("gift card"), default=False)
    visible_web = models.BooleanField(_("web"), default=True)
    visible_store = models.BooleanField(_("store"), default=True)
    visible_catalogue = models.BooleanField(_("catalogue"), default=True)
    visible_marketplace = models.BooleanField(_("marketplace"), default=False)
    # Lower-case SKU, barcode, name, brand and category, kept by the catalogue services for search.
    search_text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        indexes = [
            GinIndex(OpClass(Upper("search_text"), name="gin_trgm_ops"), name="inventory_variant_search_trgm"),
            GinIndex(OpClass(Upper("sku"), name="gin_trgm_ops"), name="inventory_variant_sku_trgm"),
            models.Index(fields=["product", "sku"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["barcode"], condition=~Q(barcode=""),
                                    name="inventory_variant_barcode_unique"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="inventory_variant_cost_non_negative"),
            models.CheckConstraint(condition=Q(base_price__gte=0), name="inventory_variant_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class KitComponent(models.Model):
    kit = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="components", verbose_name=_("kit"))
    component = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="kit_memberships",
                                  verbose_name=_("component"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1)

    class Meta:
        verbose_name = _("kit component")
        verbose_name_plural = _("kit components")
        ordering = ["kit", "component"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "component"], name="inventory_kitcomponent_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_kitcomponent_quantity_positive"),
            models.CheckConstraint(condition=~Q(kit=F("component")), name="inventory_kitcomponent_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.kit.sku}: {self.quantity} × {self.component.sku}"


class PersonalizationField(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Engraving text")
        MONOGRAM = "monogram", _("Monogram")
        GIFT_MESSAGE = "gift_message", _("Gift message")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="personalization_fields",
                                verbose_name=_("product"))
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TEXT)
    max_length = models.PositiveIntegerField(_("max length"), default=30)
    required = models.BooleanField(_("required"), default=False)
    extra_price = money_field(verbose_name=_("extra price"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("personalization field")
        verbose_name_plural = _("personalization fields")
        ordering = ["product", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="inventory_personalization_unique_code"),
            models.CheckConstraint(condition=Q(max_length__gt=0), name="inventory_personalization_max_length"),
            models.CheckConstraint(condition=Q(extra_price__gte=0), name="inventory_personalization_price"),
        ]

    def __str__(self) -> str:
        return self.label


# --- Suppliers and locations ----------------------------------------------------------------


class Supplier(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    contact_name = models.CharField(_("contact"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.TextField(_("address"), blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    currency = currency_field(verbose_name=_("currency"))
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=7)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return self.name


class SupplierItem(models.Model):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="items", verbose_name=_("supplier"))
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="supplier_items",
                                verbose_name=_("variant"))
    supplier_sku = models.CharField(_("supplier SKU"), max_length=64, blank=True)
    cost = money_field(verbose_name=_("cost"))
    min_order_quantity = models.PositiveIntegerField(_("minimum order quantity"), default=1)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), null=True, blank=True)

    class Meta:
        verbose_name = _("supplier item")
        verbose_name_plural = _("supplier items")
        ordering = ["supplier", "variant"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "variant"], name="inventory_supplieritem_unique"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="inventory_supplieritem_cost_non_negative"),
            models.CheckConstraint(condition=Q(min_order_quantity__gt=0), name="inventory_supplieritem_moq_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier.code}: {self.variant.sku}"


class Location(models.Model):
    class Kind(models.TextChoices):
        DC = "dc", _("Distribution centre")
        STORE = "store", _("Store")
        THIRD_PARTY = "third_party", _("Third-party warehouse")
        DROPSHIP = "dropship", _("Drop-ship supplier")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STORE)
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="locations",
                                 verbose_name=_("drop-ship supplier"))
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=2, blank=True, help_text=_("Two-letter region code, e.g. SP."))
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="BR")
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    can_ship = models.BooleanField(_("ships orders"), default=True)
    can_pickup = models.BooleanField(_("store pick-up"), default=False)
    handling_days = models.PositiveIntegerField(_("handling days"), default=1)
    cutoff_time = models.TimeField(_("daily cut-off"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90) | Q(latitude__isnull=True),
                                   name="inventory_location_latitude_range"),
            models.CheckConstraint(condition=Q(longitude__gte=-180, longitude__lte=180) | Q(longitude__isnull=True),
                                   name="inventory_location_longitude_range"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# --- Stock -------------------------------------------------------------------------------


class StockLevel(models.Model):
    """Stock of one SKU at one location; changed only by ``inventory.services`` with a movement row."""

    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="stock_levels",
                                verbose_name=_("variant"))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_levels",
                                 verbose_name=_("location"))
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    safety_stock = models.IntegerField(_("safety stock"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["variant", "location"]
        indexes = [models.Index(fields=["location", "variant"])]
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="inventory_stocklevel_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_stocklevel_on_hand_non_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="inventory_stocklevel_reserved_non_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")),
                                   name="inventory_stocklevel_reserved_le_on_hand"),
            models.CheckConstraint(condition=Q(safety_stock__gte=0), name="inventory_stocklevel_safety_non_negative"),
        ]

    def __str__(self) -> str:
        # The SKU and location a person knows (the audit trail shows and searches it), not row ids.
        return f"{self.variant.sku} @ {self.location.code}"

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved - self.safety_stock, 0)


class StockMovement(models.Model):
    """One line of the stock ledger: the sum of a level's movements equals the level."""

    class Reason(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        SALE = "sale", _("Sale")
        SHIPMENT = "shipment", _("Shipment")
        RETURN = "return", _("Return")
        ADJUSTMENT = "adjustment", _("Adjustment")
        COUNT = "count", _("Cycle count")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        RESERVATION = "reservation", _("Reservation")
        RELEASE = "release", _("Release")
        IMPORT = "import", pgettext_lazy("stock movement reason", "Import")

    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="movements",
                                verbose_name=_("variant"))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements",
                                 verbose_name=_("location"))
    on_hand_delta = models.IntegerField(_("on-hand change"), default=0)
    reserved_delta = models.IntegerField(_("reserved change"), default=0)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("user"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["variant", "location", "-created_at"]),
            models.Index(fields=["location", "-created_at"]),
            models.Index(fields=["reference"]),
            models.Index(fields=["reason", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(on_hand_delta=0, reserved_delta=0),
                                   name="inventory_stockmovement_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.variant_id}@{self.location_id} {self.on_hand_delta:+}/{self.reserved_delta:+}"


# --- Purchasing ---------------------------------------------------------------------------


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        PARTIALLY_RECEIVED = "partially_received", _("Partially received")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders",
                                 verbose_name=_("supplier"))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="purchase_orders",
                                 verbose_name=_("deliver to"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    currency = currency_field(verbose_name=_("currency"))
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The form copy that created it (see oms.once): a second copy finds it instead.
    request_key = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"PO-{self.pk:06d}" if self.pk else "PO-new"


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="purchase_order_lines",
                                verbose_name=_("variant"))
    quantity_ordered = models.PositiveIntegerField(_("ordered"))
    quantity_received = models.PositiveIntegerField(_("received"), default=0)
    unit_cost = money_field(verbose_name=_("unit cost"))

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["purchase_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "variant"], name="inventory_poline_unique_variant"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="inventory_poline_ordered_positive"),
            models.CheckConstraint(condition=Q(quantity_received__lte=F("quantity_ordered")),
                                   name="inventory_poline_received_le_ordered"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="inventory_poline_cost_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order_id}:{self.variant_id} x{self.quantity_ordered}"

    @property
    def quantity_open(self) -> int:
        return self.quantity_ordered - self.quantity_received


# --- Transfers ----------------------------------------------------------------------------


class Transfer(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_out",
                                      verbose_name=_("from"))
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_in",
                                    verbose_name=_("to"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The form copy that created it (see oms.once): a second copy finds it instead.
    request_key = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(from_location=F("to_location")), name="inventory_transfer_distinct"),
        ]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"TR-{self.pk:06d}" if self.pk else "TR-new"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="transfer_lines",
                                verbose_name=_("variant"))
    quantity = models.PositiveIntegerField(_("quantity"))
    # What arrived at the destination (counted at the door; may differ from what was shipped), once received.
    quantity_received = models.PositiveIntegerField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")
        ordering = ["transfer", "id"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "variant"], name="inventory_transferline_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_transferline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}:{self.variant_id} x{self.quantity}"


# --- Reorder ------------------------------------------------------------------------------


class ReorderRule(models.Model):
    """When available + on order falls to ``reorder_point`` or below, order up to ``order_up_to``."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="reorder_rules",
                                verbose_name=_("variant"))
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="reorder_rules",
                                 verbose_name=_("location"))
    reorder_point = models.PositiveIntegerField(_("reorder point"))
    order_up_to = models.PositiveIntegerField(_("order up to"))
    preferred_supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="reorder_rules", verbose_name=_("preferred supplier"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reorder rule")
        verbose_name_plural = _("reorder rules")
        ordering = ["variant", "location"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="inventory_reorderrule_unique"),
            models.CheckConstraint(condition=Q(order_up_to__gt=F("reorder_point")),
                                   name="inventory_reorderrule_up_to_above_point"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} @ {self.location.code}"


class ReorderAlert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DRAFTED = "drafted", _("PO drafted")
        DISMISSED = "dismissed", _("Dismissed")
        RESOLVED = "resolved", _("Resolved")

    rule = models.ForeignKey(ReorderRule, on_delete=models.CASCADE, related_name="alerts")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="reorder_alerts")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="reorder_alerts")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    available = models.IntegerField(_("available"))
    on_order = models.IntegerField(_("on order"))
    suggested_quantity = models.PositiveIntegerField(_("suggested quantity"))
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    purchase_order = models.ForeignKey(PurchaseOrder, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="reorder_alerts")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reorder alert")
        verbose_name_plural = _("reorder alerts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            # One live alert per rule: the same need is never raised (or drafted) twice.
            models.UniqueConstraint(fields=["rule"], condition=Q(status__in=["open", "drafted"]),
                                    name="inventory_reorderalert_one_live_per_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.location_id} ({self.status})"


# --- imports ------------------------------------------------------------------------------------


class ImportJob(RequestedInLanguage):
    """An uploaded CSV/XLSX file: validated into a preview, then applied all-or-nothing on confirm."""

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Validating")
        READY = "ready", _("Ready to apply")
        INVALID = "invalid", _("Has errors")
        APPLYING = "applying", _("Applying")
        DONE = "done", _("Applied")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        SET = "set", _("Set on hand to the counted quantity")
        ADD = "add", _("Add the received quantity to on hand")

    kind = models.CharField(_("kind"), max_length=30)
    mode = models.CharField(_("stock mode"), max_length=10, choices=Mode.choices, default=Mode.SET)
    filename = models.CharField(_("file"), max_length=200)
    data = models.BinaryField()
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.VALIDATING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the job reached its status: one validating or applying for too long lost its worker.
    status_since = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} ({self.status})"

    @property
    def progress(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0
