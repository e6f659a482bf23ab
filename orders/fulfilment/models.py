"""Fulfilment records: sourcing decisions, shipments and their lines/history, returns (RMA), allocation
rules (demand classes), at-risk flags and per-order step timestamps.

State changes go through ``orders.fulfilment.services``: ``shipment_transition`` and
``return_transition`` are the only code that assigns a status.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms.i18n import text_property
from oms.models import TranslatedReason
from oms.money import currency_field, money_field

__all__ = [
    "AllocationRule", "AtRiskFlag", "ConsolidationRoute", "Holiday", "InboundTransfer", "OrderMilestones", "Return",
    "ReturnLine", "Shipment", "ShipmentEvent", "ShipmentLine", "SourcingDecision",
]


class SourcingDecision(TranslatedReason):
    """Why an order's stock comes from where it does: the winning plan, the alternatives and a sentence."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="sourcing_decisions")
    strategy = models.CharField(max_length=20)
    trigger = models.CharField(max_length=20, default="placement", help_text=_("placement, hold, edit or re-source"))
    plan = models.JSONField(default=dict, blank=True)
    alternatives = models.JSONField(default=list, blank=True)
    shortages = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")

    class Meta:
        verbose_name = _("sourcing decision")
        verbose_name_plural = _("sourcing decisions")
        app_label = "orders"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["order", "-created_at"])]

    def __str__(self) -> str:
        return self.reason_text


class Shipment(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for a transfer")
        PENDING = "pending", _("Pending")
        PICKING = "picking", _("Picking")
        PACKED = "packed", _("Packed")
        READY = "ready", _("Ready for pick-up")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        FAILED_DELIVERY = "failed_delivery", _("Delivery failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        SHIP = "ship", _("Parcel to the customer")
        PICKUP = "pickup", _("Store pick-up")
        TRANSFER = "transfer", _("Transfer to the pick-up store")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SHIP)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    wave = models.CharField(max_length=20, blank=True, db_index=True, help_text=_("Pick wave, e.g. 2026-11-23-AM."))
    carrier = models.CharField(max_length=40, blank=True)
    service = models.CharField(max_length=40, blank=True)
    tracking_number = models.CharField(max_length=60, blank=True, db_index=True)
    cost = money_field()
    currency = currency_field()
    captured_amount = money_field()
    ships_on = models.DateField(null=True, blank=True, help_text=_("Planned hand-over to the carrier."))
    arrives_on = models.DateField(null=True, blank=True, help_text=_("Planned arrival."))
    failure_reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    ready_at = models.DateTimeField(null=True, blank=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        app_label = "orders"
        ordering = ["id"]
        indexes = [models.Index(fields=["location", "status"])]

    def __str__(self) -> str:
        return f"S{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.WAITING, self.Status.PENDING, self.Status.PICKING, self.Status.PACKED)

    @property
    def is_packing(self) -> bool:
        """Scans pack units (picking starts with the first scan)."""
        return self.status in (self.Status.PENDING, self.Status.PICKING)

    def inbound_transfers(self) -> list:
        """Inventory transfers bringing items to this shipment, each with ``units``, ``waiting`` (not yet
        received for it) and its locations; oldest first."""
        from inventory.models import Transfer

        open_ids = set(self.inbound.filter(settled_at__isnull=True).values_list("transfer_id", flat=True))
        transfers = list(Transfer.objects.filter(pk__in=self.inbound.values("transfer_id"))
                         .select_related("from_location", "to_location")
                         .annotate(units=models.Sum("lines__quantity")).order_by("pk"))
        for transfer in transfers:
            transfer.waiting = transfer.pk in open_ids
        return transfers


class InboundTransfer(models.Model):
    """Units of an order line travelling on an inventory transfer to the location of the shipment that waits
    for them: the pick-up store, or the location that consolidates the order into one parcel.

    While open, the transfer holds the stock (reserved at its source, then in transit) and the order line has no
    location; on receipt the units are reserved for the order at the destination and the link is settled.
    """

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="inbound")
    transfer = models.ForeignKey("inventory.Transfer", on_delete=models.PROTECT, related_name="+")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    from_location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    settled_at = models.DateTimeField(null=True, blank=True,
                                      help_text=_("Received and reserved for the order, or given up."))

    class Meta:
        verbose_name = _("inbound transfer")
        verbose_name_plural = _("inbound transfers")
        app_label = "orders"
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="inboundtransfer_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.transfer_id} -> {self.shipment_id}: {self.order_line_id} × {self.quantity}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()
    packed_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        app_label = "orders"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(packed_quantity__lte=models.F("quantity")),
                                   name="shipmentline_packed_within_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id} × {self.quantity}"


class ShipmentEvent(TranslatedReason):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shipment event")
        verbose_name_plural = _("shipment events")
        app_label = "orders"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.from_status} -> {self.to_status}"

    @property
    def from_label(self) -> str:
        return Shipment.Status(self.from_status).label if self.from_status in Shipment.Status.values else ""

    @property
    def to_label(self) -> str:
        return Shipment.Status(self.to_status).label if self.to_status in Shipment.Status.values else ""


class Return(models.Model):
    """A return merchandise authorization (RMA)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RECEIVED = "received", _("Received")
        INSPECTED = "inspected", _("Inspected")
        RESTOCKED = "restocked", _("Restocked")
        WRITTEN_OFF = "written_off", _("Written off")
        REFUNDED = "refunded", _("Refunded")
        EXCHANGED = "exchanged", _("Exchanged")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    location = models.ForeignKey("inventory.Location", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", help_text=_("Where the goods were received."))
    note = models.TextField(blank=True)
    refund_amount = money_field()
    refund_method = models.CharField(max_length=20, blank=True)
    exchange_order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="exchange_for")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    # The return form copy that opened it: the same copy sent twice (a double click) opens one return.
    request_key = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        app_label = "orders"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"RMA-{self.pk:06d}" if self.pk else "RMA"


class ReturnLine(models.Model):
    class Reason(models.TextChoices):
        DAMAGED = "damaged", _("Arrived damaged")
        DEFECTIVE = "defective", _("Defective")
        WRONG_ITEM = "wrong_item", _("Wrong item sent")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        SIZE = "size", _("Wrong size or fit")
        CHANGED_MIND = "changed_mind", _("Changed mind")
        LATE = "late", _("Arrived too late")

    class Condition(models.TextChoices):
        RESELL = "resell", _("Resell")
        REFURBISH = "refurbish", _("Refurbish")
        DAMAGED = "damaged", _("Damaged")

    rma = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    condition = models.CharField(max_length=10, choices=Condition.choices, blank=True)
    restocked_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        app_label = "orders"
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.order_line_id} × {self.quantity}"


class AllocationRule(models.Model):
    """Demand class: keep the last ``reserve_units`` of a SKU (or of each SKU of a category) at a location
    (or every location) for one channel or customer group; everyone else sees that much less."""

    name = models.CharField(max_length=100)
    variant = models.ForeignKey("inventory.Variant", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    category = models.ForeignKey("inventory.Category", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    location = models.ForeignKey("inventory.Location", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+", help_text=_("Empty: every location."))
    reserve_units = models.PositiveIntegerField()
    for_channel_code = models.CharField(max_length=30, blank=True)
    for_customer_group = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("allocation rule")
        verbose_name_plural = _("allocation rules")
        app_label = "orders"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(variant__isnull=False) | Q(category__isnull=False),
                                   name="allocationrule_needs_sku_or_category"),
            models.CheckConstraint(condition=~Q(for_channel_code="") | ~Q(for_customer_group=""),
                                   name="allocationrule_needs_demand_class"),
        ]

    def __str__(self) -> str:
        return self.name


class ConsolidationRoute(models.Model):
    """Network rule: ``from_location`` may forward an order's units to ``to_location``, which ships everything
    to the customer in one parcel (e.g. a store sends its units to the DC). Sourcing weighs the extra days and
    cost against the parcels it saves; allocation turns the forwarding into an inventory transfer."""

    from_location = models.ForeignKey("inventory.Location", on_delete=models.CASCADE, related_name="+",
                                      verbose_name=_("forwarding location"))
    to_location = models.ForeignKey("inventory.Location", on_delete=models.CASCADE, related_name="+",
                                    verbose_name=_("consolidating location"))
    transfer_days = models.PositiveSmallIntegerField(_("transfer days"), default=1,
                                                     help_text=_("Working days from hand-over to arrival."))
    cost = money_field(verbose_name=_("cost per transfer"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("consolidation route")
        verbose_name_plural = _("consolidation routes")
        app_label = "orders"
        ordering = ["to_location", "from_location"]
        constraints = [
            models.UniqueConstraint(fields=["from_location", "to_location"], name="consolidationroute_unique"),
            models.CheckConstraint(condition=~Q(from_location=models.F("to_location")),
                                   name="consolidationroute_distinct"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="consolidationroute_cost_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.from_location_id} -> {self.to_location_id}"


class AtRiskFlag(models.Model):
    class Reason(models.TextChoices):
        NOT_ALLOCATED = "not_allocated", _("Not allocated")
        NOT_PICKED = "not_picked", _("Not picked before cut-off")
        SHIPMENT_LATE = "shipment_late", _("Shipment late for its transit time")
        AUTH_EXPIRING = "auth_expiring", _("Authorization expires before capture")
        PLAN_LATE = "plan_late", _("Planned to arrive after the promised date")

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="risk_flags")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # The English message and its values, put together in the reader's language when shown (``detail_text``):
    # the beat job that raises flags has no reader, and managers read them in Portuguese or Arabic.
    detail = models.CharField(max_length=300, blank=True)
    detail_params = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(auto_now_add=True, db_index=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("at-risk flag")
        verbose_name_plural = _("at-risk flags")
        app_label = "orders"
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "reason"], condition=Q(cleared_at__isnull=True),
                                    name="atriskflag_one_open_per_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.reason}"

    detail_text = text_property("detail")  # flags raised before ``detail_params`` existed read as stored


class OrderMilestones(models.Model):
    """When each fulfilment step happened, for step-duration KPIs (placed -> allocated -> shipped -> delivered)."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="milestones")
    allocated_at = models.DateTimeField(null=True, blank=True)
    first_shipped_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order milestones")
        verbose_name_plural = _("order milestones")
        app_label = "orders"

    def __str__(self) -> str:
        return f"{self.order_id}"


class Holiday(models.Model):
    """A day nothing is handed over: without a location a national holiday (every location closed, carriers do
    not count it as a transit day), with one that location's own closure (only its handling waits)."""

    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)
    location = models.ForeignKey("inventory.Location", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="+", verbose_name=_("location"),
                                 help_text=_("Blank: a national holiday, every location is closed."))

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        app_label = "orders"
        ordering = ["date", "location_id"]
        constraints = [
            models.UniqueConstraint(fields=["date"], condition=Q(location__isnull=True),
                                    name="holiday_national_unique"),
            models.UniqueConstraint(fields=["date", "location"], condition=Q(location__isnull=False),
                                    name="holiday_local_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"
