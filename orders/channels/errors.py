"""Domain errors of the channel integration: a stable ``code``, a human ``message``, the ``field`` at fault."""

from django.utils.translation import gettext_lazy as _


class ChannelError(Exception):
    code = "channel_error"
    status = 422
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, field: str = "", **details):
        self.message = str(message or self.default_message)
        self.field = field
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}


class Unauthorized(ChannelError):
    code = "unauthorized"
    status = 401
    default_message = _("A valid API key is required (header Authorization: Bearer <key>).")


class BadSignature(ChannelError):
    code = "bad_signature"
    status = 401
    default_message = _("The X-Signature header does not match the body.")


class RateLimited(ChannelError):
    code = "rate_limited"
    status = 429
    default_message = _("Too many requests for this API key; wait a minute.")


class PayloadTooLarge(ChannelError):
    code = "payload_too_large"
    status = 413
    default_message = _("The request body is too large.")


class MalformedJson(ChannelError):
    code = "malformed_json"
    status = 400
    default_message = _("The body is not valid JSON.")


class InvalidPayload(ChannelError):
    code = "invalid"
    status = 422


class UnknownSku(ChannelError):
    code = "unknown_sku"
    status = 422
    default_message = _("Unknown SKU.")


class BadTotals(ChannelError):
    code = "bad_totals"
    status = 422
    default_message = _("The totals do not add up.")


class IdempotencyConflict(ChannelError):
    code = "idempotency_key_reused"
    status = 409
    default_message = _("This Idempotency-Key was already used with a different body.")


class NotFound(ChannelError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class ImportFileError(ChannelError):
    code = "bad_file"
    status = 422
    default_message = _("The file cannot be read in the chosen format.")


class PreviousAttemptFailed(ChannelError):
    code = "previous_attempt_failed"
    status = 409
    default_message = _("An earlier attempt to create this order failed; ask the OMS team to look at it.")
