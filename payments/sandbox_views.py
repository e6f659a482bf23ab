"""The sandbox processor's own pages: the hosted card field and its tokenize endpoint.

Conceptually these belong to the processor, not to the OMS: the card number is posted here from
inside the iframe, turned into a token and never written to the database or a log. The decorators
keep the number out of Django's error reports too.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST, require_safe

from payments.gateway import GatewayError, get_gateway

logger = logging.getLogger(__name__)


@require_safe
@xframe_options_sameorigin
def hosted_field(request):
    return render(request, "payments/sandbox/hosted_field.html", {"parent_origin": request.GET.get("origin", "")})


def _month_year(expiry: str) -> tuple[int, int]:
    month, _sep, year = expiry.replace(" ", "").partition("/")
    if not (month.isascii() and month.isdigit() and year.isascii() and year.isdigit()) or len(year) > 4:
        raise GatewayError("Enter the expiry as MM/YY.", code="invalid_expiry")
    year_number = int(year)
    return int(month), year_number + 2000 if year_number < 100 else year_number


def _too_many(request) -> bool:
    """At most PAYMENTS_SANDBOX_TOKENIZE_PER_MINUTE attempts per client address (card testing defence)."""
    limit = int(getattr(settings, "PAYMENTS_SANDBOX_TOKENIZE_PER_MINUTE", 30))
    key = f"sandbox-gw:rate:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, 60)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        return False


@csrf_exempt  # called cross-origin by the processor's own field in a real deployment; it changes no OMS state
@require_POST
@sensitive_post_parameters("number", "cvc")
@sensitive_variables("number", "cvc", "data")
def tokenize(request):
    if _too_many(request):
        return JsonResponse({"code": "rate_limited", "message": "Too many attempts; wait a minute."}, status=429)
    data = request.POST
    number, cvc = data.get("number", ""), data.get("cvc", "")
    try:
        month, year = _month_year(data.get("expiry", ""))
        token = get_gateway("sandbox").tokenize(number=number, exp_month=month, exp_year=year, cvc=cvc)
    except GatewayError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=400)
    except Exception as exc:  # noqa: BLE001 - never let Django's error page (local variables, POST) show the number
        logger.error("Sandbox tokenize failed with %s", type(exc).__name__)  # not the message: it may hold data
        return JsonResponse({"code": "processor_error", "message": "The processor failed; try again."}, status=500)
    return JsonResponse({"token": token.token, "brand": token.brand, "last4": token.last4,
                         "exp_month": token.exp_month, "exp_year": token.exp_year})
