from django.conf import settings
from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from oms.i18n import active_language, text_property
from oms.permissions import PERMISSIONS


class AccessArea(models.Model):  # noqa: DJ008 - never instantiated
    """Holds the back-office permissions; it has no rows (see ``oms.permissions``)."""

    class Meta:
        verbose_name = _("access area")
        verbose_name_plural = _("access areas")
        managed = False
        default_permissions = ()
        permissions = PERMISSIONS


class TranslatedReason(models.Model):
    """A history row whose ``reason`` is either a system text stored as its message id with ``reason_params``
    (translated when read, see ``oms.i18n``) or, with ``reason_params`` null, a text as a person typed it."""

    reason_params = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    reason_text = text_property("reason")


def language_field(**options) -> models.CharField:
    return models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, **options)


class RequestedInLanguage(models.Model):
    """Work done later for a person (a report file, an import's messages, the e-mail about it) is written in the
    language that person was reading when asking for it, not in the worker's."""

    language = language_field(default=active_language, editable=False)

    class Meta:
        abstract = True

    def in_language(self):
        """``with job.in_language(): ...``: texts made inside are in the requester's language."""
        return translation.override(self.language)


class UserPreference(models.Model):
    """What a staff member chose for themselves; ``language`` is also the language of the e-mails sent to them
    (alerts, notifications, reports), kept from their last login or language switch. ``password_temporary``: their
    password is one an administrator made (a new account, a reset), which they must replace before working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = language_field()
    password_temporary = models.BooleanField(_("temporary password"), default=False, editable=False)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        ACCESS = "access", _("Viewed")
        ACTION = "action", _("Action")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    verb = models.CharField(max_length=60, blank=True, help_text="What was done, e.g. stock_adjust.")
    object_type = models.CharField(max_length=60, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}#{self.object_id}"

    @property
    def verb_label(self) -> str:
        from oms.audit_verbs import VERB_LABELS

        return str(VERB_LABELS.get(self.verb, self.verb))

    @property
    def object_type_label(self) -> str:
        """The kind of record in the reader's language ("gift card" for ``payments.giftcard``)."""
        from django.apps import apps

        from oms.audit_verbs import OBJECT_LABELS

        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return str(OBJECT_LABELS.get(self.object_type, self.object_type))


class OutboxMessage(models.Model):
    """Background work recorded in the same transaction as its cause (see ``oms.outbox``)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    topic = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(help_text="Not delivered before this time (retry backoff).")
    claimed_until = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at"], name="outbox_pending_idx", condition=models.Q(status="pending")
            ),
            models.Index(fields=["topic", "-created_at"]),
            # Messages queued under a key (oms.mail: a notice delivered twice sends one e-mail).
            models.Index(KeyTextTransform("key", "payload"), name="outbox_key_idx",
                         condition=models.Q(payload__has_key="key")),
        ]

    def __str__(self) -> str:
        return f"{self.topic}#{self.pk} ({self.status})"
