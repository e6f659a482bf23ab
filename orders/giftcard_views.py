"""Gift cards sold on an order: issue now (codes shown once) and refund an unused card."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.errors import OrderError
from orders.giftcards import IssuedCard, order_giftcard_refund, order_giftcards_issue
from orders.models import Order


def render_issued(request, order: Order, issued: list[IssuedCard], *, placed: bool = False) -> HttpResponse:
    """The codes, once: this response is the only place they appear (never stored, never in a message).

    From the phone screen (htmx) the codes replace the screen and the address becomes the order's, so a
    reload shows the order, not the codes.
    """
    url = reverse("orders:order_detail", args=[order.pk])
    template = "payments/order_giftcards_issued.html#codes" if request.htmx else "payments/order_giftcards_issued.html"
    response = render(request, template, {"order": order, "issued": issued, "order_url": url, "placed": placed})
    response["Cache-Control"] = "no-store"
    if request.htmx:
        response["HX-Retarget"] = "#screen"
        response["HX-Push-Url"] = url
    return response


def _issue_error(exc: Exception) -> str:
    return getattr(exc, "message", "") or str(exc)


@require_POST
def giftcards_issue(request, pk: int):
    order = get_object_or_404(Order, pk=pk)
    from payments.errors import PaymentError

    try:
        issued = order_giftcards_issue(order_id=order.pk, acting_user=request.user)
    except (OrderError, PaymentError) as exc:
        messages.error(request, _issue_error(exc))
        return redirect("orders:order_detail", pk=order.pk)
    if not issued:
        messages.info(request, _("No gift card could be issued now: the order is not confirmed or not paid yet."))
        return redirect("orders:order_detail", pk=order.pk)
    return render_issued(request, order, issued)


@require_POST
def giftcard_refund(request, pk: int, line_id: int):
    order = get_object_or_404(Order, pk=pk)
    try:
        amount = order_giftcard_refund(order_id=order.pk, line_id=line_id, reason=request.POST.get("reason", ""),
                                       acting_user=request.user, remainder=request.POST.get("remainder") == "1")
    except OrderError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Gift card voided and %(amount)s refunded.") % {"amount": amount})
    return redirect("orders:order_detail", pk=order.pk)
