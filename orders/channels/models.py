"""Sales-channel integration: API keys, idempotency, mappings, imports, webhooks and their delivery log.

State changes go through ``orders.channels.services``; ``import_job_transition`` and
``import_row_transition`` are the only functions that assign a status here.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from oms.models import RequestedInLanguage
from oms.money import money_field

__all__ = [
    "ApiKey", "ChannelIntegration", "ChannelOrder", "IdempotencyRecord", "ImportJob", "ImportRow", "ShippingMapping",
    "SkuMapping", "StatusMapping", "WebhookDelivery", "WebhookEndpoint",
]


class ImportFormat(models.TextChoices):
    SHOPIFY_CSV = "shopify_csv", _("Shopify orders CSV")
    WOOCOMMERCE_JSON = "woocommerce_json", _("WooCommerce REST order JSON")
    WOOCOMMERCE_CSV = "woocommerce_csv", _("WooCommerce orders CSV")
    AMAZON_TSV = "amazon_tsv", _("Amazon Seller Central order report (TSV)")
    GENERIC_CSV = "generic_csv", _("Generic CSV")


class ChannelIntegration(models.Model):
    """How one sales channel talks to us: file format, where files come from, stock buffer, rate limit."""

    channel = models.OneToOneField("orders.Channel", on_delete=models.CASCADE, related_name="integration")
    import_format = models.CharField(_("import format"), max_length=20, choices=ImportFormat.choices,
                                     default=ImportFormat.GENERIC_CSV)
    stock_buffer = models.PositiveIntegerField(
        _("stock buffer"), default=0, help_text=_("Units held back from this channel's available-to-sell per SKU.")
    )
    watch_folder = models.CharField(_("watch folder"), max_length=300, blank=True,
                                    help_text=_("Server folder scanned for new files."))
    pull_url = models.URLField(blank=True, help_text=_("Order export fetched on a schedule."))
    pull_every_minutes = models.PositiveIntegerField(_("pull every (minutes)"), default=60)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(_("API calls allowed per minute"), default=120)
    require_signature = models.BooleanField(_("require a signature"), default=False,
                                            help_text=_("Refuse API calls without a body signature."))

    class Meta:
        verbose_name = _("channel integration")
        verbose_name_plural = _("channel integrations")

    def __str__(self) -> str:
        return str(self.channel)


class ApiKey(models.Model):
    """A channel's API key: ``<prefix>.<secret>``; only a SHA-256 of the secret is stored."""

    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    hmac_secret = models.CharField(
        max_length=64, blank=True, help_text=_("Shared secret for the X-Signature body signature (optional).")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first answer given to a request carrying an ``Idempotency-Key`` (replayed on retries)."""

    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="channel_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.key}"


class ChannelOrder(models.Model):
    """Links a channel's order id to our order, with what the channel says it charged and collected."""

    class Source(models.TextChoices):
        API = "api", _("API")
        IMPORT = "import", _("File import")

    channel = models.ForeignKey("orders.Channel", on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(max_length=80)
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="channel_link")
    source = models.CharField(max_length=10, choices=Source.choices)
    import_job = models.ForeignKey("orders.ImportJob", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    channel_status = models.CharField(max_length=40, blank=True)
    declared_subtotal = money_field()
    declared_discount = money_field()
    declared_shipping = money_field()
    declared_tax = money_field()
    declared_total = money_field()
    payments = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("channel order")
        verbose_name_plural = _("channel orders")
        constraints = [models.UniqueConstraint(fields=["channel", "external_id"], name="channel_order_unique")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.external_id}"


class SkuMapping(models.Model):
    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="sku_mappings")
    channel_sku = models.CharField(max_length=100)
    variant = models.ForeignKey("inventory.Variant", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("SKU mapping")
        verbose_name_plural = _("SKU mappings")
        ordering = ["channel_sku"]
        constraints = [models.UniqueConstraint(fields=["channel", "channel_sku"], name="sku_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.channel_sku} -> {self.variant_id}"


class ShippingMapping(models.Model):
    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="shipping_mappings")
    channel_method = models.CharField(max_length=100)
    service_code = models.CharField(max_length=40, help_text=_("Our carrier service code."))

    class Meta:
        verbose_name = _("shipping method mapping")
        verbose_name_plural = _("shipping method mappings")
        ordering = ["channel_method"]
        constraints = [models.UniqueConstraint(fields=["channel", "channel_method"], name="shipping_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.channel_method} -> {self.service_code}"


class StatusMapping(models.Model):
    class Action(models.TextChoices):
        IMPORT = "import", _("Import the order")
        IMPORT_CANCELLED = "cancel", _("Import it cancelled")
        SKIP = "skip", _("Do not import")

    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="status_mappings")
    channel_status = models.CharField(max_length=60)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.IMPORT)

    class Meta:
        verbose_name = _("channel status mapping")
        verbose_name_plural = _("channel status mappings")
        ordering = ["channel_status"]
        constraints = [models.UniqueConstraint(fields=["channel", "channel_status"], name="status_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.channel_status} -> {self.action}"


class ImportJob(RequestedInLanguage):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Upload")
        FOLDER = "folder", _("Watched folder")
        URL = "url", _("URL pull")

    channel = models.ForeignKey("orders.Channel", on_delete=models.PROTECT, related_name="import_jobs")
    format = models.CharField(max_length=20, choices=ImportFormat.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    file = models.FileField(upload_to="channel_imports/%Y/%m/")
    file_name = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    total = models.PositiveIntegerField(default=0, help_text=_("Orders found in the file."))
    cursor = models.PositiveIntegerField(default=0, help_text=_("Orders processed so far (committed)."))
    created_count = models.PositiveIntegerField(default=0)
    present_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order import")
        verbose_name_plural = _("order imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name or self.file.name} ({self.get_format_display()})"

    @property
    def percent(self) -> int:
        return int(self.cursor * 100 / self.total) if self.total else (100 if self.status == "done" else 0)


class ImportRow(models.Model):
    """The outcome of one order of an import file (keyed by its first row number); rejected ones wait here."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        PRESENT = "present", _("Already present")
        REJECTED = "rejected", _("Rejected")
        DISCARDED = "discarded", _("Discarded")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    external_id = models.CharField(max_length=80, blank=True)
    raw = models.JSONField(default=dict)
    fixed = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order import row")
        verbose_name_plural = _("order import rows")
        ordering = ["job", "row_number"]
        constraints = [models.UniqueConstraint(fields=["job", "row_number"], name="import_row_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.row_number}"


class WebhookEndpoint(models.Model):
    class Event(models.TextChoices):
        ORDER_STATUS = "order_status", _("Order status (shipped, cancelled, refunded)")
        AVAILABILITY = "availability", _("Availability feed")

    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField()
    secret = models.CharField(max_length=64)
    events = models.JSONField(default=list, help_text=_("Which events are sent here."))
    is_active = models.BooleanField(default=True)
    last_feed_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["channel", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One message to a channel's endpoint; its attempts are retried by the outbox with backoff."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    source_key = models.CharField(max_length=80, help_text=_("What caused it (keeps a redelivery from duplicating)."))
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField(default=dict)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "source_key"], name="webhook_delivery_unique")]

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint_id}"
