"""Payment gateway adapters; ``get_gateway(name)`` returns the configured adapter."""

from django.conf import settings
from django.utils.module_loading import import_string

from payments.gateway.base import (  # noqa: F401 - re-exported
    CardToken,
    GatewayError,
    GatewayResult,
    GatewayTimeout,
    PaymentGateway,
)

DEFAULT_GATEWAYS = {
    "sandbox": "payments.gateway.sandbox.SandboxGateway",
}


def get_gateway(name: str = "sandbox") -> PaymentGateway:
    paths = {**DEFAULT_GATEWAYS, **getattr(settings, "PAYMENT_GATEWAYS", {})}
    if name not in paths:
        raise GatewayError(f"No payment gateway named {name!r}")
    return import_string(paths[name])()
