"""Orders pages: order list/detail, approvals, customers and the customer 360, tracking, PDFs.

Views validate input and call ``orders.services``; domain errors become messages or form errors.
The phone-order screen lives in ``orders.phone_views``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oms.audit import audit_access
from oms.forms import add_refusal
from oms.listing import paginate, sort_queryset
from oms.numbers import NumberError, parse_id, parse_whole
from oms.preferences import chosen_language
from oms.query import next_address
from orders import selectors, services
from orders.errors import CustomerErased, DuplicateCustomer, OrderError
from orders.forms import (
    MAX_LINE_QUANTITY,
    AddressForm,
    CancelForm,
    CustomerForm,
    CustomerMergeForm,
    DecisionForm,
    ErasureForm,
    NewCustomerForm,
    OrderAddressForm,
    TransitionForm,
    form_error_message,
    refuse_control_characters,
)
from orders.models import Channel, Customer, Order, OrderHold
from orders.services.core import EDITABLE

# --- orders ---------------------------------------------------------------------------------------


def order_list(request):
    orders = sort_queryset(selectors.order_list(params=request.GET), request.GET.get("sort"), selectors.ORDER_SORTS,
                           "-placed_at")
    page = paginate(request, orders)
    context = {
        "page": page,
        "statuses": [s for s in Order.Status.choices if s[0] != Order.Status.DRAFT],
        "channels": Channel.objects.order_by("name"),
    }
    template = "orders/order_list.html#table" if request.htmx else "orders/order_list.html"
    return render(request, template, context)


def _order_or_404(pk: int) -> Order:
    try:
        return selectors.order_detail(pk=pk)
    except Order.DoesNotExist:
        raise Http404


def order_detail(request, pk: int):
    order = _order_or_404(pk)
    if order.status == Order.Status.DRAFT:
        return redirect("orders:phone_order", pk=order.pk)
    context = {
        "order": order,
        "payments": selectors.order_payments(order),
        "targets": sorted(services.manual_targets(order)),
        "editable": order.status in EDITABLE,
        "transition_form": TransitionForm(),
        "status_labels": dict(Order.Status.choices),
    }
    return render(request, "orders/order_detail.html", context)


@require_POST
def order_transition_view(request, pk: int):
    order = get_object_or_404(Order, pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect("orders:order_detail", pk=order.pk)
    try:
        services.order_transition(order_id=order.pk, to_status=form.cleaned_data["to_status"],
                                  reason=form.cleaned_data["reason"], acting_user=request.user)
        messages.success(request, _("Order %(number)s is now %(status)s.") % {
            "number": order.number, "status": Order.Status(form.cleaned_data["to_status"]).label})
    except OrderError as exc:
        messages.error(request, exc.message)
    return redirect("orders:order_detail", pk=order.pk)


@require_POST
def order_note(request, pk: int):
    order = get_object_or_404(Order, pk=pk)
    try:
        services.order_add_note(order_id=order.pk, text=request.POST.get("text", ""), acting_user=request.user)
        messages.success(request, _("Note added."))
    except OrderError as exc:
        messages.error(request, exc.message)
    return redirect("orders:order_detail", pk=order.pk)


def order_cancel_view(request, pk: int):
    order = _order_or_404(pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        line_ids = [x for x in map(parse_id, request.POST.getlist("line")) if x] or None
        try:
            services.order_cancel(order_id=order.pk, reason=form.cleaned_data["reason"], line_ids=line_ids,
                                  acting_user=request.user)
        except OrderError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Lines cancelled.") if line_ids else _("Order cancelled."))
            return redirect("orders:order_detail", pk=order.pk)
    # Refused, the lines stay ticked as they were sent: none ticked here means the whole order.
    chosen = request.POST if request.method == "POST" else request.GET
    selected = {x for x in map(parse_id, chosen.getlist("line")) if x}
    return render(request, "orders/order_cancel.html", {"order": order, "form": form, "selected": selected})


def _gift_card_details(post, variant) -> list[dict]:
    """The value, recipient and message typed for a gift card added on the edit page (``p_`` fields, as on the
    phone screen); nothing for another SKU. ``ValidationError`` for control characters or a missing value."""
    if not variant.is_gift_card:
        return []
    details = {key[len("p_"):]: post.get(key, "").strip()
               for key in ("p_amount", "p_recipient_name", "p_recipient_email", "p_message")}
    for value in details.values():
        refuse_control_characters(value)
    if not details["amount"]:  # the phone screen asks for the value and the recipient; so does this page
        raise ValidationError(_("%(sku)s is a gift card: give its value, and the recipient if it is a present, "
                                "in “New gift card”.") % {"sku": variant.sku})
    return [details]


def order_edit_view(request, pk: int):
    order = _order_or_404(pk)
    error = None
    shortages = []
    if request.method == "POST":
        quantities = {}
        for line in order.lines.all():
            raw = request.POST.get(f"qty_{line.pk}")
            if raw is None or not line.is_active:
                continue
            try:
                value = parse_whole(raw, maximum=MAX_LINE_QUANTITY,
                                    name=_("Quantity for %(sku)s") % {"sku": line.sku})
            except NumberError as exc:
                error = exc.message
                break
            if value != line.quantity:
                quantities[line.pk] = value
        add = []
        sku = request.POST.get("add_sku", "").strip()
        if sku and not error:
            from inventory.selectors import variant_by_sku

            variant = variant_by_sku(sku)
            if variant is None:
                error = _("No SKU “%(sku)s”.") % {"sku": sku}
            else:
                try:
                    add_qty = parse_whole(request.POST.get("add_qty") or "1", minimum=1, maximum=MAX_LINE_QUANTITY,
                                          name=_("Quantity for %(sku)s") % {"sku": variant.sku})
                    add.append((variant.pk, add_qty, *_gift_card_details(request.POST, variant)))
                except NumberError as exc:
                    error = exc.message
                except ValidationError as exc:
                    error = exc.messages[0]
        address = None
        if request.POST.get("change_address") and not error:
            form = OrderAddressForm(request.POST, prefix="addr")
            if form.is_valid():
                address = form.cleaned_data
            else:
                error = _("Check the address: %(errors)s") % {"errors": form_error_message(form)}
        reason = request.POST.get("reason", "")
        if not error:
            try:
                refuse_control_characters(reason, multiline=True)
            except ValidationError as exc:
                error = exc.messages[0]
        if not error:
            try:
                services.order_edit(order_id=order.pk, acting_user=request.user, quantities=quantities, add=add,
                                    shipping_address=address, reason=reason)
            except OrderError as exc:
                error = exc.message
                shortages = getattr(exc, "shortages", [])
            else:
                messages.success(request, _("Order %(number)s updated.") % {"number": order.number})
                return redirect("orders:order_detail", pk=order.pk)
    # Refused, the page shows what was typed (quantities, address, reason), not the saved order: saved again after a
    # fix, it would otherwise drop the rest of the edit.
    lines = [line for line in order.lines.all() if line.is_active]
    for line in lines:
        line.shown_quantity = request.POST.get(f"qty_{line.pk}", line.quantity) if error else line.quantity
    if error and request.POST.get("change_address"):
        address_form = OrderAddressForm(request.POST, prefix="addr")
    else:
        address_form = OrderAddressForm(prefix="addr", initial=order.shipping_address)
    return render(request, "orders/order_edit.html", {"order": order, "lines": lines, "error": error,
                                                      "shortages": shortages, "address_form": address_form})


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def order_invoice_pdf(request, pk: int):
    from orders.documents import invoice_pdf

    order = _order_or_404(pk)
    audit_access(request, order, verb="invoice_pdf")
    return _pdf_response(invoice_pdf(order), f"invoice-{order.number}.pdf")


def order_packing_slip_pdf(request, pk: int):
    from orders.documents import packing_slip_pdf

    order = _order_or_404(pk)
    return _pdf_response(packing_slip_pdf(order), f"packing-slip-{order.number}.pdf")


# --- approvals ------------------------------------------------------------------------------------


def approval_list(request):
    holds = list(selectors.approval_queue())
    return render(request, "orders/approval_list.html", {"holds": holds, "form": DecisionForm()})


@require_POST
def approval_decide(request, pk: int):
    hold = get_object_or_404(OrderHold, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_message(form))  # which of the two, and why (a reason too long...)
        return redirect("orders:approval_list")
    try:
        if form.cleaned_data["decision"] == "approve":
            services.hold_approve(hold_id=hold.pk, reason=form.cleaned_data["reason"], acting_user=request.user)
            messages.success(request, _("Hold approved."))
        else:
            services.hold_reject(hold_id=hold.pk, reason=form.cleaned_data["reason"], acting_user=request.user)
            messages.success(request, _("Order rejected and cancelled."))
    except OrderError as exc:
        messages.error(request, exc.message)
    return redirect(next_address(request, reverse("orders:approval_list")))


# --- customers ------------------------------------------------------------------------------------

CUSTOMER_SORTS = {"name": "name", "email": "email", "created": "created_at"}


def customer_list(request):
    """Every customer, or every match of the search, a page at a time (a search showed its first 50 and no more)."""
    query = request.GET.get("q", "").strip()
    sort = request.GET.get("sort")
    if query and (sort or "").lstrip("-") not in CUSTOMER_SORTS:
        customers = selectors.customer_matches(query=query)  # exact contact matches first
    else:
        customers = sort_queryset(selectors.customer_matches(query=query) if query else Customer.objects.all(),
                                  sort, CUSTOMER_SORTS, "name")
    page = paginate(request, customers)
    customers = list(page)
    template = "orders/customer_list.html#table" if request.htmx else "orders/customer_list.html"
    return render(request, template, {"customers": customers, "page": page, "query": query})


def _erased_to_detail(request, customer: Customer, message: str):
    """An erased customer's edit, address and erase pages only lead back to its page, saying why (a second click
    on "Erase" showed the form again, then refused it)."""
    messages.info(request, message)
    return redirect("orders:customer_detail", pk=customer.pk)


# What the address part of the new-customer form has filled in from the start (its use, the country, "default").
ADDRESS_PRESET = ("kind", "country", "is_default")


def customer_create_view(request):
    form = NewCustomerForm(request.POST or None)
    # The address is optional, but one typed in part is checked whole: a CEP and city without the street were
    # dropped without a word. Left empty, it comes back empty, not with six "required" fields.
    address_given = any(request.POST.get(f"addr-{name}", "").strip() for name in AddressForm.base_fields
                        if name not in ADDRESS_PRESET)
    # Nor does the page mark its boxes required: the browser then refused to save a customer without an address.
    if address_given:
        address_form = AddressForm(request.POST, prefix="addr", use_required_attribute=False)
    else:
        address_form = AddressForm(prefix="addr", use_required_attribute=False,
                                   initial={name: request.POST[f"addr-{name}"] for name in ADDRESS_PRESET
                                            if f"addr-{name}" in request.POST})
    duplicates = []
    if request.method == "POST" and form.is_valid():
        address = None
        if address_given:
            if address_form.is_valid():
                address = address_form.cleaned_data
            else:
                return render(request, "orders/customer_form.html", {"form": form, "address_form": address_form})
        try:
            customer = services.customer_create(data=form.cleaned_data, address=address, acting_user=request.user,
                                                allow_duplicate=bool(request.POST.get("allow_duplicate")),
                                                request_key=form.cleaned_data["once"])
        except DuplicateCustomer as exc:
            duplicates = exc.matches
            form.add_error(None, exc.message)
        except OrderError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("orders:customer_detail", pk=customer.pk)
    return render(request, "orders/customer_form.html",
                  {"form": form, "address_form": address_form, "duplicates": duplicates})


def customer_edit_view(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    if customer.erased_at:
        return _erased_to_detail(request, customer, CustomerErased.default_message)
    initial = {f: getattr(customer, f) for f in CustomerForm.base_fields}
    form = CustomerForm(request.POST or None, initial=initial)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(customer_id=customer.pk, data=form.cleaned_data, acting_user=request.user,
                                     allow_duplicate=bool(request.POST.get("allow_duplicate")))
        except DuplicateCustomer as exc:
            duplicates = exc.matches
            form.add_error(None, exc.message)
        except OrderError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect("orders:customer_detail", pk=customer.pk)
    return render(request, "orders/customer_form.html", {"form": form, "customer": customer, "duplicates": duplicates})


def customer_address_add(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    if customer.erased_at:
        return _erased_to_detail(request, customer, CustomerErased.default_message)
    form = AddressForm(request.POST or None, prefix="addr")
    if request.method == "POST" and form.is_valid():
        try:
            services.address_add(customer_id=customer.pk, data=form.cleaned_data, acting_user=request.user)
        except OrderError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Address added."))
            return redirect("orders:customer_detail", pk=customer.pk)
    return render(request, "orders/customer_address_form.html", {"form": form, "customer": customer})


def customer_detail(request, pk: int):
    customer = get_object_or_404(Customer.objects.select_related("merged_into").prefetch_related("addresses"), pk=pk)
    audit_access(request, customer, verb="customer_360")
    context = {"customer": customer, **selectors.customer_360(customer=customer)}
    return render(request, "orders/customer_detail.html", context)


def customer_merge_view(request, pk: int):
    """Folds a duplicate record into this customer: choose it (likely duplicates are offered), see what moves,
    confirm. GET with ``duplicate`` shows the preview; POST with ``confirm`` merges."""
    customer = get_object_or_404(Customer, pk=pk)
    form = CustomerMergeForm(request.POST or request.GET or None)
    duplicate = None
    if form.is_bound and form.is_valid():
        duplicate = selectors.customer_merge_preview(customer_id=form.cleaned_data["duplicate"])
        if request.method == "POST" and not form.cleaned_data["confirm"]:
            form.add_error("confirm", _("Tick the box to confirm the merge."))
        elif request.method == "POST":
            try:
                services.customer_merge(customer_id=customer.pk, duplicate_id=duplicate.pk, acting_user=request.user)
            except OrderError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("%(name)s (#%(id)s) was merged into this customer.")
                                 % {"name": duplicate.name, "id": duplicate.pk})
                return redirect("orders:customer_detail", pk=customer.pk)
    context = {"customer": customer, "form": form, "duplicate": duplicate,
               "suggestions": services.customer_duplicates(email=customer.email, phone=customer.phone,
                                                           tax_id=customer.tax_id, exclude_id=customer.pk)}
    return render(request, "orders/customer_merge.html", context, status=422 if form.errors else 200)


def customer_data_export(request, pk: int):
    """The customer's personal data as a JSON file, for the customer who asked for it (LGPD)."""
    customer = get_object_or_404(Customer, pk=pk)
    data = services.customer_personal_data(customer_id=customer.pk, acting_user=request.user)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}-personal-data.json"'
    response["Cache-Control"] = "no-store"
    return response


def customer_erase_view(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    if customer.erased_at:
        return _erased_to_detail(request, customer, _("This customer's personal data was already erased."))
    form = ErasureForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.customer_erase(customer_id=customer.pk, reason=form.cleaned_data["reason"],
                                        acting_user=request.user)
            except OrderError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("The customer's personal data was erased."))
                return redirect("orders:customer_detail", pk=customer.pk)
    return render(request, "orders/customer_erase.html", {"form": form, "customer": customer}, status=status)


# --- public tracking ---------------------------------------------------------------------------------


# The customer's four steps, and the step each status of the order is at (none for a cancelled order).
TRACKING_STEPS = [Order.Status.PLACED, Order.Status.CONFIRMED, Order.Status.SHIPPED, Order.Status.DELIVERED]
TRACKING_STEP_OF = {
    Order.Status.PLACED: Order.Status.PLACED, Order.Status.ON_HOLD: Order.Status.PLACED,
    Order.Status.CONFIRMED: Order.Status.CONFIRMED, Order.Status.BACKORDERED: Order.Status.CONFIRMED,
    Order.Status.ALLOCATED: Order.Status.CONFIRMED,
    Order.Status.PARTIALLY_SHIPPED: Order.Status.SHIPPED, Order.Status.SHIPPED: Order.Status.SHIPPED,
    Order.Status.DELIVERY_FAILED: Order.Status.SHIPPED,
    Order.Status.DELIVERED: Order.Status.DELIVERED, Order.Status.COMPLETED: Order.Status.DELIVERED,
    Order.Status.PARTIALLY_RETURNED: Order.Status.DELIVERED, Order.Status.RETURNED: Order.Status.DELIVERED,
}


def tracking(request, token: str):
    """Public, unguessable page: status and shipments only, nothing else about the customer."""
    from orders.fulfilment.models import Shipment

    order = (Order.objects.select_related("customer", "channel").filter(tracking_token=token)
             .exclude(status=Order.Status.DRAFT).first())
    if order is None:
        raise Http404
    # In the customer's language (their e-mails link here), not the browser's: unless the visitor chose one.
    language = chosen_language(request) or order.customer_language
    translation.activate(language)
    request.LANGUAGE_CODE = language
    # The parcels coming to the customer: not a cancelled one, nor a transfer between our own locations.
    shipments = list(order.shipments.exclude(status=Shipment.Status.CANCELLED)
                     .exclude(kind=Shipment.Kind.TRANSFER).order_by("pk"))
    return render(request, "orders/tracking.html", {
        "order": order, "shipments": shipments, "current": TRACKING_STEP_OF.get(order.status),
        "steps": [(s, Order.Status(s).label) for s in TRACKING_STEPS],
    })


def add_service_errors(form, exc: OrderError) -> None:
    """Puts a service's field errors on the form (unknown fields become form-wide errors)."""
    errors = exc.details.get("errors") or {}
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)
    if not errors:
        form.add_error(None, exc.message)
