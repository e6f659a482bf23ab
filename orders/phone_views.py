"""The phone-order screen: one page, keyboard first; every change is a small htmx POST that calls one
service and re-renders the screen (so the draft is always saved and always priced by marketing).
"""

import uuid
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from oms.query import missing_is_404
from oms.templatetags.oms_tags import money
from orders import selectors, services
from orders.errors import DuplicateCustomer, OrderError, PaymentFailed, StockUnavailable
from orders.forms import (
    CustomerChoiceForm,
    DraftHeaderForm,
    LineAddForm,
    LineUpdateForm,
    QuickCustomerForm,
    StoredValuePaymentForm,
    form_error_message,
    refuse_control_characters,
)
from orders.models import Channel, Order
from orders.services import PaymentRequest
from payments.installments import installments_text

PAYMENT_METHODS = [
    ("card", gettext_lazy("Credit/debit card")), ("pix", gettext_lazy("PIX")), ("boleto", gettext_lazy("Boleto")),
    ("invoice", gettext_lazy("Invoice on terms (B2B)")), ("cod", gettext_lazy("Pay on delivery or at pick-up")),
    ("gift_card", gettext_lazy("Gift card")), ("store_credit", gettext_lazy("Store credit")),
]


def phone_start(request):
    """Lists the agent's open drafts and starts a new one (POST)."""
    if request.method == "POST":
        channel = Channel.objects.filter(kind=Channel.Kind.PHONE, is_active=True).order_by("pk").first()
        if channel is None:
            messages.error(request, _("No active phone channel is configured."))
            return redirect("orders:phone_start")
        form = CustomerChoiceForm({"customer_id": request.POST.get("customer", "")})
        customer_id = form.cleaned_data["customer_id"] if form.is_valid() else None
        if customer_id is None and request.POST.get("customer", "").strip():
            messages.error(request, form_error_message(form))
            return redirect("orders:phone_start")
        try:
            order = services.draft_create(channel_id=channel.pk, acting_user=request.user, customer_id=customer_id)
        except OrderError as exc:
            messages.error(request, exc.message)
            return redirect("orders:phone_start")
        return redirect("orders:phone_order", pk=order.pk)
    drafts = (Order.objects.filter(status=Order.Status.DRAFT, created_by=request.user)
              .select_related("customer").order_by("-updated_at")[:20])
    return render(request, "orders/phone_start.html", {"drafts": drafts})


def _draft(pk: int) -> Order:
    try:
        return selectors.draft_for_screen(pk=pk)
    except Order.DoesNotExist:
        raise Http404


def _screen_context(order: Order, **extra) -> dict:
    from inventory.models import Location
    from inventory.selectors import availability

    lines = list(order.lines.all())
    stock = availability(variant_ids=[line.variant_id for line in lines]) if lines else {}
    locations = list(Location.objects.filter(is_active=True).order_by("code"))
    location_names = {loc.pk: loc.code for loc in locations}
    for line in lines:
        line.stock = [(location_names.get(loc), qty) for loc, qty in sorted(stock.get(line.variant_id, {}).items())
                      if qty > 0 and loc in location_names]
        line.fields = list(line.variant.product.personalization_fields.all())
        for field in line.fields:
            field.value = (line.personalization or {}).get(field.code, "")
    addresses = list(order.customer.addresses.all()) if order.customer_id else []
    pickup_locations = [loc for loc in locations if loc.can_pickup]
    for loc in pickup_locations:
        loc.has_everything = bool(lines) and all(
            stock.get(line.variant_id, {}).get(loc.pk, 0) >= line.quantity for line in lines)
    hold_seconds = None
    if order.stock_held_until:
        hold_seconds = max(int((order.stock_held_until - timezone.now()).total_seconds()), 0)
    from orders.fulfilment.services import PICKUP_PROMISE, promise_for_options
    from orders.services.core import promise_date

    # The network's promise (location handling days, cut-off, working-day transit), the same computation
    # placement stores; the simple rule only when nothing can be sourced for the draft right now.
    pickup = order.delivery_method == Order.Delivery.PICKUP and order.pickup_location_id
    promised = promise_for_options(order, lines) if (order.shipping_options or pickup) else {}
    for option in order.shipping_options or []:
        option["arrives"] = promised.get(option["code"]) or promise_date(int(option.get("transit_days") or 0))
    from orders.giftcards import needs_shipping

    return {
        "order": order,
        "lines": lines,
        "nothing_to_ship": bool(lines) and not needs_shipping(lines),  # gift cards only: no delivery choices
        "addresses": addresses,
        "pickup_locations": pickup_locations,
        "pickup_ready": promised.get(PICKUP_PROMISE) if pickup else None,
        "payment_methods": PAYMENT_METHODS,
        "installment_options": _installment_options(order),
        "hold_seconds": hold_seconds,
        "idempotency_key": uuid.uuid4().hex,
        "priorities": Order.Priority.choices,
        "quick_form": extra.pop("quick_form", None) or QuickCustomerForm(prefix="new"),
        **extra,
    }


def _installment_options(order: Order) -> list[tuple[int, str, bool]]:
    """``(count, how it is billed, offered)`` for the card installments list: the counts the channel offers for the
    total, and the draft's choice when the total no longer allows it (placing refuses it; the list says why)."""
    if order.payment_method != "card" or order.channel.card_installments_max <= 1:
        return []
    offered = order.channel.installment_offer.counts(order.total, order.currency)
    counts = sorted({*offered, order.payment_installments})
    if counts == [1]:
        return []  # nothing to choose (no items yet, or a total too small to split)
    return [(count, installments_text(order.total, count, order.currency), count in offered) for count in counts]


def _render(request, order_id: int, status: int = 200, **extra):
    order = _draft(order_id)
    if order.status != Order.Status.DRAFT:
        # Placed, or discarded, meanwhile (another tab, another agent): its page says which; the refusal goes along.
        if extra.get("error"):
            messages.error(request, extra["error"])
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("orders:order_detail", args=[order.pk])
            return response
        return redirect("orders:order_detail", pk=order.pk)
    template = "orders/phone.html#screen" if request.htmx else "orders/phone.html"
    return render(request, template, _screen_context(order, **extra), status=status)


def phone_order(request, pk: int):
    return _render(request, pk)


# Refused input answers 422 with the screen and the message (phone.html lets htmx swap 422 responses).
INVALID = 422


def _refuse(request, pk: int, form=None, message: str = "", **extra):
    return _render(request, pk, status=INVALID, error=message or form_error_message(form), **extra)


def _call(request, pk: int, func, **kwargs):
    """Runs a draft service; a domain error is shown on the screen instead of changing anything."""
    try:
        func(order_id=pk, acting_user=request.user, **kwargs)
    except StockUnavailable as exc:
        return _render(request, pk, error=exc.message, shortages=exc.shortages)
    except OrderError as exc:
        return _render(request, pk, error=exc.message)
    return _render(request, pk)


# The quick lookup's short list; when more customers match, the list says so and asks for more of the search.
CUSTOMER_PICKS = 8


def customer_search(request, pk: int):
    results = selectors.customer_search(query=request.GET.get("q", ""), limit=CUSTOMER_PICKS + 1)
    return render(request, "orders/phone.html#customer_results", {
        "results": results[:CUSTOMER_PICKS], "more": len(results) > CUSTOMER_PICKS, "order_id": pk,
        "query": request.GET.get("q", "")})


@require_POST
@missing_is_404(Order)
def set_customer(request, pk: int):
    form = CustomerChoiceForm(request.POST)
    if not form.is_valid():
        return _refuse(request, pk, form)
    return _call(request, pk, services.draft_update, customer_id=form.cleaned_data["customer_id"])


@require_POST
@missing_is_404(Order)
def create_customer(request, pk: int):
    form = QuickCustomerForm(request.POST, prefix="new")
    if not form.is_valid():
        return _render(request, pk, quick_form=form, open_new_customer=True)
    data = form.cleaned_data
    address = {key: data[key] for key in ("postal_code", "street", "number", "district", "city", "state")}
    try:
        customer = services.customer_create(
            data={key: data[key] for key in ("name", "phone", "email", "tax_id", "language")}, address=address,
            acting_user=request.user, allow_duplicate=bool(request.POST.get("allow_duplicate")),
        )
    except DuplicateCustomer as exc:
        return _render(request, pk, quick_form=form, open_new_customer=True, duplicates=exc.matches,
                       error=exc.message)
    except OrderError as exc:
        for field, message in (exc.details.get("errors") or {}).items():
            form.add_error(field if field in form.fields else None, message)
        return _render(request, pk, quick_form=form, open_new_customer=True, error=exc.message)
    return _call(request, pk, services.draft_update, customer_id=customer.pk)


def sku_search(request, pk: int):
    from inventory.models import Location
    from inventory.selectors import availability, variant_search

    query = request.GET.get("sku", "").strip()
    results = variant_search(query=query, limit=8) if len(query) >= 2 else []
    stock = availability(variant_ids=[v.pk for v in results]) if results else {}
    codes = dict(Location.objects.filter(is_active=True).values_list("pk", "code")) if results else {}
    for variant in results:
        per = stock.get(variant.pk, {})
        variant.stock = [(codes[loc], qty) for loc, qty in sorted(per.items()) if qty > 0 and loc in codes]
        variant.total_available = sum(qty for loc, qty in per.items() if loc in codes)
    return render(request, "orders/phone.html#sku_results", {"results": results, "order_id": pk, "query": query})


@require_POST
@missing_is_404(Order)
def add_line(request, pk: int):
    form = LineAddForm(request.POST)
    if not form.is_valid():
        return _refuse(request, pk, form)
    return _call(request, pk, services.draft_line_add, variant_id=form.cleaned_data["variant_id"],
                 quantity=form.cleaned_data["quantity"])


@require_POST
@missing_is_404(Order)
def update_line(request, pk: int, line_id: int):
    if request.POST.get("remove"):
        return _call(request, pk, services.draft_line_remove, line_id=line_id)
    form = LineUpdateForm(request.POST)
    if not form.is_valid():
        return _refuse(request, pk, form)
    personalization = {key[len("p_"):]: value for key, value in request.POST.items() if key.startswith("p_")}
    if any(_has_control_characters(value) for value in personalization.values()):
        return _refuse(request, pk, message=_("Remove the control characters (such as NUL) from this text."))
    kwargs = {"line_id": line_id, "quantity": form.cleaned_data["quantity"], "personalization": personalization}
    price = form.cleaned_data["override_unit_price"]
    if price is not None:
        kwargs.update(override_unit_price=price, override_reason=form.cleaned_data["override_reason"])
    elif "override_unit_price" in request.POST:
        kwargs["clear_override"] = True
    return _call(request, pk, services.draft_line_update, **kwargs)


def _has_control_characters(value: str) -> bool:
    try:
        refuse_control_characters(value)
    except ValidationError:
        return True
    return False


def _header_form(post, pk: int) -> DraftHeaderForm:
    """The draft header fields present in a POST (delivery, shipping, codes, priority, payment, notes, address);
    when valid, ``form.changes()`` holds what to pass to ``services.draft_update``."""
    form = DraftHeaderForm(post)
    if form.is_valid() and "address_id" in post:
        order = _draft(pk)
        address_id = form.cleaned_data["address_id"]
        address = next((a for a in order.customer.addresses.all() if a.pk == address_id), None) \
            if order.customer_id else None
        if address is not None and address.snapshot() != order.shipping_address:
            form.address = address.snapshot()
    return form


def _header_changes(form: DraftHeaderForm) -> dict:
    changes = form.changes()
    if getattr(form, "address", None) is not None:
        changes["shipping_address"] = form.address
    return changes


@require_POST
@missing_is_404(Order)
def update_header(request, pk: int):
    """Autosaves the delivery, shipping, codes, payment method and notes part of the draft."""
    form = _header_form(request.POST, pk)
    if not form.is_valid():
        return _refuse(request, pk, form)
    return _call(request, pk, services.draft_update, **_header_changes(form))


@require_POST
@missing_is_404(Order)
def hold_stock(request, pk: int):
    if request.POST.get("release"):
        return _call(request, pk, services.draft_release_stock)
    return _call(request, pk, services.draft_hold_stock)


@require_POST
@missing_is_404(Order)
def discard(request, pk: int):
    try:
        services.draft_discard(order_id=pk, acting_user=request.user, reason=request.POST.get("reason", ""))
    except OrderError as exc:
        return _render(request, pk, error=exc.message)
    messages.success(request, _("Draft discarded."))
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("orders:phone_start")
        return response
    return redirect("orders:phone_start")


def _total_moved(order: Order, shown: str) -> bool:
    """Whether the draft's total is no longer the one its screen showed (``shown``: the place form's copy of it;
    absent or unreadable, nothing to compare)."""
    try:
        return bool(shown.strip()) and Decimal(shown.strip()) != order.total
    except InvalidOperation:
        return False


def _card_or_method(post, method: str) -> PaymentRequest:
    """A payment request for ``method``; for a card, the hosted field's token and what it showed (never a number)."""
    if method != "card":
        return PaymentRequest(method=method)
    details = {"brand": post.get("card_brand", ""), "last4": post.get("card_last4", "")[-4:],
               "exp_month": post.get("card_exp_month", ""), "exp_year": post.get("card_exp_year", "")}
    return PaymentRequest(method=method, token=post.get("card_token", ""), details=details)


@require_POST
@missing_is_404(Order)
def place(request, pk: int):
    post = request.POST
    key = post.get("idempotency_key", "").strip()[:80]
    if not key:
        return _render(request, pk, error=_("The form expired; reload the page and try again."))
    # The header travels with the place request, so a note typed just before "Place" is not lost.
    form = _header_form(post, pk)
    if not form.is_valid():
        return _refuse(request, pk, form)
    changes = _header_changes(form)
    if changes:
        try:
            order = services.draft_update(order_id=pk, acting_user=request.user, **changes)
        except OrderError as exc:
            return _render(request, pk, error=exc.message)
    else:
        order = _draft(pk)
    if _total_moved(order, post.get("shown_total", "")):
        # A change saved after the screen was drawn (a shipping choice still on its way, a quantity saved by the
        # click on "Place"): the customer has not heard this total yet.
        return _render(request, pk, error=_("The total is now %(total)s, not the %(shown)s the screen showed: tell "
                                            "the customer and place the order again.") % {
            "total": money(order.total, order.currency), "shown": money(post["shown_total"], order.currency)})
    method = order.payment_method
    if method in ("gift_card", "store_credit"):
        # The code goes only into the payment request's details: never saved on the draft, never echoed back.
        gift_form = StoredValuePaymentForm(post)
        if not gift_form.is_valid():
            return _refuse(request, pk, gift_form)
        remainder = None
        if gift_form.cleaned_data["remainder_method"]:
            remainder = _card_or_method(post, gift_form.cleaned_data["remainder_method"])
        payment = PaymentRequest(method=method, details={"code": gift_form.cleaned_data["gift_code"]},
                                 remainder=remainder)
    else:
        if method == "card" and not post.get("card_token"):
            return _render(request, pk, error=_("Enter the card in the secure card field first."))
        payment = _card_or_method(post, method)
    try:
        order = services.order_place(order_id=pk, idempotency_key=key, acting_user=request.user, payment=payment,
                                     accept_backorder=bool(post.get("accept_backorder")), shipping_chosen=True)
    except StockUnavailable as exc:
        return _render(request, pk, error=exc.message, shortages=exc.shortages)
    except PaymentFailed as exc:
        if payment.method == "card":  # what the agent says next to the caller
            return _render(request, pk, error=_("%(reason)s Ask for another card (Change card in the card field) or "
                                                "another way to pay.") % {"reason": exc.message})
        return _render(request, pk, error=exc.message)
    except OrderError as exc:
        return _render(request, pk, error=exc.message)
    if issued := _issue_gift_cards(request, order):  # codes shown once, right here
        return issued
    messages.success(request, _("Order %(number)s placed.") % {"number": order.number})
    url = reverse("orders:order_detail", args=[order.pk])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _issue_gift_cards(request, order: Order):
    """Gift cards sold on the order and already paid are issued now, their codes shown once to the agent."""
    from orders.giftcard_views import render_issued
    from orders.giftcards import order_giftcards_issue, order_has_open_gift_cards
    from payments.errors import PaymentError

    if not order_has_open_gift_cards(order.pk):
        return None
    try:
        issued = order_giftcards_issue(order_id=order.pk, acting_user=request.user)
    except (OrderError, PaymentError) as exc:
        messages.warning(request, exc.message)
        return None
    if not issued:
        return None
    return render_issued(request, order, issued, placed=True)
