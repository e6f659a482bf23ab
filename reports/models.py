"""Daily rollups that keep long report ranges cheap, and background report jobs with their files.

Reports read every app and write only these tables. Rollups are recomputed by the beat job
``reports.refresh_rollups`` (see ``reports.rollups``); job status changes only in
``reports.services.job_transition``.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from oms.i18n import text_property
from oms.models import RequestedInLanguage
from oms.money import currency_field, money_field


class DailySales(models.Model):
    """Orders placed on one local day through one channel in one currency (cancelled orders counted apart), and
    the returns refunded that day on the channel's orders in that currency."""

    day = models.DateField()
    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="+")
    currency = currency_field()
    orders = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    revenue = money_field()
    discount = money_field()
    tax = money_field()
    shipping = money_field()
    cancelled = models.PositiveIntegerField(default=0)
    # Gift cards sold as a product: in ``revenue`` (the orders' totals) but not in ``units``.
    gift_cards = models.PositiveIntegerField(default=0)
    gift_card_value = money_field()
    # Returns refunded on this day (``Return.closed_at``), whatever day their orders were placed: their number and
    # the value given back (``Return.refund_amount``, to the payments or as store credit).
    returns = models.PositiveIntegerField(default=0)
    refunded = money_field()

    class Meta:
        verbose_name = _("daily sales total")
        verbose_name_plural = _("daily sales totals")
        constraints = [
            models.UniqueConstraint(fields=["day", "channel", "currency"], name="reports_dailysales_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel_id}: {self.orders}"


class DailyProductSales(models.Model):
    """Units, revenue, cost and refunds of one SKU on one local day through one channel in one currency."""

    day = models.DateField()
    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="+")
    currency = currency_field()
    variant = models.ForeignKey("inventory.Variant", on_delete=models.CASCADE, related_name="+")
    orders = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    revenue = money_field()
    cost = money_field()
    # The SKU's share of the returns refunded this day (``Return.closed_at``) on the channel's orders in that
    # currency, whatever day they were sold: its returned lines' part of each refund (``rollups.refunded_lines_sql``).
    refunded = money_field()

    class Meta:
        verbose_name = _("daily sales of a product")
        verbose_name_plural = _("daily sales of products")
        constraints = [
            models.UniqueConstraint(fields=["day", "channel", "currency", "variant"],
                                    name="reports_dailyproductsales_unique"),
        ]
        indexes = [models.Index(fields=["variant", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.variant_id}: {self.units}"


class RollupState(models.Model):
    """One row: rollups are complete for every day up to ``complete_through`` (later days are read live)."""

    name = models.CharField(max_length=30, unique=True, default="sales")
    complete_through = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sales rollup state")
        verbose_name_plural = _("sales rollup states")

    def __str__(self) -> str:
        return f"{self.name}: {self.complete_through}"


def report_upload_to(job: "ReportJob", filename: str) -> str:
    return f"reports/{job.created_at:%Y/%m}/{filename}"


class ReportJob(RequestedInLanguage):
    class Kind(models.TextChoices):
        ORDERS = "orders", _("Orders")
        ORDER_LINES = "order_lines", _("Order lines")
        INVENTORY = "inventory", _("Inventory snapshot")
        MOVEMENTS = "movements", _("Stock movements")
        CUSTOMERS = "customers", _("Customers")
        PAYMENTS = "payments", _("Payments and refunds")
        JOURNAL = "journal", _("Journal entries")
        TOP = "top", _("Top-N report")
        SALES = "sales", _("Daily sales and returns")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    format = models.CharField(max_length=5, choices=Format.choices, default=Format.CSV)
    parameters = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text=_("Percent done."))
    row_count = models.PositiveIntegerField(default=0)
    total_rows = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=report_upload_to, blank=True, max_length=300)
    # Why the job failed, for the people who asked (``error_text``): a stored text (``oms.i18n``) read in each
    # reader's language; the technical detail goes to the log only.
    error = models.TextField(blank=True)
    error_params = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def dimension_label(self) -> str:
        """What a top-N job ranks, in the reader's language ("Produtos"), "" for other jobs."""
        from reports.selectors import DIMENSIONS

        code = self.parameters.get("dimension") if isinstance(self.parameters, dict) else None
        dimension = DIMENSIONS.get(code) if code else None
        return str(dimension.label) if dimension else (code or "")

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)

    error_text = text_property("error")

    def _day(self, name: str) -> date | None:
        try:
            return date.fromisoformat(self.parameters.get(name) or "")
        except (AttributeError, TypeError, ValueError):
            return None

    @property
    def start_date(self):
        """The first day the file covers (``parameters["start"]``), for showing in the reader's date format."""
        return self._day("start")

    @property
    def end_date(self):
        return self._day("end")


class DailyDimensionSales(models.Model):
    """Orders, units, revenue and cost of one local day x channel x currency x value of a low-cardinality
    dimension (ship-to state, agent, source code, campaign, hour and weekday placed; brand and category of the
    lines sold), so the yearly top-N of those does not read every order."""

    day = models.DateField()
    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="+")
    currency = currency_field()
    dimension = models.CharField(max_length=20)
    key = models.CharField(max_length=64, blank=True)
    orders = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    revenue = money_field()
    line_revenue = money_field()
    cost = money_field()
    # Returns refunded this day on the key's orders (brand, category: its returned lines' part of each refund),
    # whatever day they were placed, keyed by the order's state, agent, hour, weekday... (none for agent hours).
    refunded = money_field()

    class Meta:
        verbose_name = _("daily sales by dimension")
        verbose_name_plural = _("daily sales by dimensions")
        constraints = [
            models.UniqueConstraint(fields=["dimension", "day", "channel", "currency", "key"],
                                    name="reports_dailydimensionsales_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.key}: {self.orders}"


class ReportSchedule(RequestedInLanguage):
    """A report e-mailed daily or weekly: each run queues a ``ReportJob`` over the last ``period_days`` days."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly (Mondays)")

    kind = models.CharField(max_length=20, choices=ReportJob.Kind.choices)
    format = models.CharField(max_length=5, choices=ReportJob.Format.choices, default=ReportJob.Format.XLSX)
    parameters = models.JSONField(default=dict, blank=True)
    period_days = models.PositiveSmallIntegerField(default=7)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    recipients = models.TextField(help_text=_("E-mail addresses separated by commas."))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField(default=True)
    last_run_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_frequency_display()})"

    @property
    def recipient_list(self) -> list[str]:
        return [r.strip() for r in self.recipients.split(",") if r.strip()]
