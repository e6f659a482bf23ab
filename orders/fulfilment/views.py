"""Warehouse screens (shipments to work, pick list, scan packing, ship), store pick-up, carrier file upload,
returns, the at-risk queue, the sourcing simulation and the order page's fulfilment panel.

Views validate input and call ``orders.fulfilment.services``; domain errors become messages.
"""

from datetime import date

from django.contrib import messages
from django.db.models import Count, Prefetch, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from oms.forms import SentOnceForm
from oms.listing import paginate, sort_queryset
from oms.numbers import INT_MAX, NumberError, parse_amount, parse_id, parse_whole
from oms.query import date_refusal, missing_is_404, to_date
from orders.errors import OrderError
from orders.fulfilment import selectors, services, sourcing
from orders.fulfilment.models import AtRiskFlag, Return, ReturnLine, Shipment, ShipmentLine
from orders.models import Order

OPEN = [Shipment.Status.WAITING, Shipment.Status.PENDING, Shipment.Status.PICKING, Shipment.Status.PACKED,
        Shipment.Status.READY]
STRATEGY_LABELS = [(sourcing.NEAREST, gettext_lazy("Nearest")), (sourcing.LOWEST_COST, gettext_lazy("Lowest cost")),
                   (sourcing.FEWEST_SHIPMENTS, gettext_lazy("Fewest shipments")),
                   (sourcing.WEIGHTED, gettext_lazy("Weighted"))]
SHIPMENT_SORTS = {"id": "pk", "order": "order__number", "status": "status", "ships_on": "ships_on",
                  "location": "location__code"}


def _locations():
    from inventory.models import Location

    return list(Location.objects.filter(is_active=True).order_by("code"))


def _int(value) -> int | None:
    """A whole number from a form or address (an id, days, a quantity), or None for anything an integer column
    cannot hold."""
    try:
        return parse_whole(value, minimum=-INT_MAX)
    except NumberError:
        return None


# --- shipments to work -------------------------------------------------------------------------------


def shipment_queue(request):
    location_id = _int(request.GET.get("location"))
    status = request.GET.get("status", "open")
    found = request.GET.get("find", "").strip()
    shipments = (Shipment.objects.select_related("order", "location")
                 .annotate(units=Sum("lines__quantity"), packed=Sum("lines__packed_quantity")))
    if found:  # a scanned or typed order number, tracking number or shipment (S81): straight to it when it is one
        shipment_id = parse_id(found[1:] if found[:1] in "sS" else found)
        shipments = shipments.filter(Q(order__number__iexact=found) | Q(order__external_ref__iexact=found)
                                     | Q(tracking_number__iexact=found) | Q(pk=shipment_id or 0))
        matches = list(shipments.values_list("pk", flat=True)[:2])
        if len(matches) == 1 and not request.htmx:
            return redirect("orders:fulfilment_shipment", pk=matches[0])
        status = "all"
    if location_id:
        shipments = shipments.filter(location_id=location_id)
    if wave := request.GET.get("wave", "").strip():
        shipments = shipments.filter(wave=wave)
    if status == "open":
        shipments = shipments.filter(status__in=OPEN)
    elif status in Shipment.Status.values:
        shipments = shipments.filter(status=status)
    page = paginate(request, sort_queryset(shipments, request.GET.get("sort"), SHIPMENT_SORTS, "ships_on"))
    waiting = services.releasable_orders().select_related("customer", "channel")[:50]
    context = {"page": page, "locations": _locations(), "location_id": location_id, "status": status, "find": found,
               "statuses": Shipment.Status.choices, "waiting": waiting, "wave": wave,
               "waves": sorted(set(Shipment.objects.filter(status__in=OPEN).values_list("wave", flat=True)))}
    template = "orders/fulfilment/queue.html#table" if request.htmx else "orders/fulfilment/queue.html"
    return render(request, template, context)


@require_POST
@missing_is_404(Order)
def order_release(request, pk: int):
    try:
        shipments = services.order_allocate(order_id=pk, acting_user=request.user)
        messages.success(request, ngettext("%(n)s shipment released to the warehouse.",
                                           "%(n)s shipments released to the warehouse.", len(shipments))
                         % {"n": len(shipments)})
    except OrderError as exc:
        messages.error(request, exc.message)
    return redirect("orders:fulfilment_queue")


def pick_list(request):
    locations = _locations()
    location_id = _int(request.GET.get("location")) or (locations[0].pk if locations else None)
    wave = request.GET.get("wave", "")
    location = next((loc for loc in locations if loc.pk == location_id), None)
    rows = selectors.pick_rows(location_id=location_id, wave=wave) if location else []
    if request.GET.get("format") == "pdf" and location:
        from orders.fulfilment.documents import pick_list_pdf

        return _pdf(pick_list_pdf(location=location, wave=wave, rows=rows), f"pick-list-{location.code}.pdf")
    waves = sorted(set(Shipment.objects.filter(status__in=OPEN).values_list("wave", flat=True)))
    return render(request, "orders/fulfilment/pick_list.html", {
        "locations": locations, "location": location, "wave": wave, "waves": waves, "rows": rows})


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _shipment_or_404(pk: int) -> Shipment:
    try:
        return (Shipment.objects.select_related("order__customer", "location")
                .prefetch_related(Prefetch("lines", ShipmentLine.objects.select_related("order_line__variant")),
                                  "events__actor").get(pk=pk))
    except Shipment.DoesNotExist:
        raise Http404


def shipment_detail(request, pk: int):
    shipment = _shipment_or_404(pk)
    template = "orders/fulfilment/shipment.html#work" if request.htmx else "orders/fulfilment/shipment.html"
    return render(request, template, {"shipment": shipment, "reasons_failed": True})


def _after_action(request, pk: int, *, refused: str = ""):
    if request.htmx:
        return render(request, "orders/fulfilment/shipment.html#work",
                      {"shipment": _shipment_or_404(pk), "refused": refused})
    return redirect("orders:fulfilment_shipment", pk=pk)


@require_POST
@missing_is_404(Shipment)
def shipment_scan(request, pk: int):
    """One scan. Refused on the redrawn screen (htmx): the refusal sits under the scan box, which is marked
    invalid, where the packer's eyes are; without htmx it is the page's message."""
    code = request.POST.get("code", "")
    try:
        line = services.shipment_scan(shipment_id=pk, code=code, acting_user=request.user)
        messages.success(request, _("Packed 1 × %(sku)s (%(n)s of %(q)s).") % {
            "sku": line.order_line.sku, "n": line.packed_quantity, "q": line.quantity})
    except OrderError as exc:
        if request.htmx:
            return _after_action(request, pk, refused=exc.message)
        messages.error(request, exc.message)
    return _after_action(request, pk)


@require_POST
@missing_is_404(Shipment)
def shipment_unscan(request, pk: int):
    """A line's "Remove one": takes back a unit counted by mistake, before the parcel is handed over."""
    try:
        line = services.shipment_unscan(shipment_id=pk, line_id=parse_id(request.POST.get("line")),
                                        acting_user=request.user)
        messages.success(request, _("Took 1 × %(sku)s back (%(n)s of %(q)s packed).") % {
            "sku": line.order_line.sku, "n": line.packed_quantity, "q": line.quantity})
    except OrderError as exc:
        messages.error(request, exc.message)
    return _after_action(request, pk)


@require_POST
@missing_is_404(Shipment)
def shipment_step(request, pk: int, step: str):
    """The other buttons of the shipment screen: start picking, ship, ready/collected, deliver, fail, retry."""
    user = request.user
    try:
        if step == "pick":
            services.shipment_start_picking(shipment_id=pk, acting_user=user)
        elif step == "ship":
            cost = None
            if request.POST.get("cost", "").strip():
                try:
                    cost = parse_amount(request.POST["cost"], name=_("The shipping cost"))
                except NumberError as exc:
                    raise OrderError(exc.message, field="cost")
            services.shipment_ship(shipment_id=pk, carrier=request.POST.get("carrier", ""),
                                   service=request.POST.get("service", ""),
                                   tracking_number=request.POST.get("tracking_number", ""), cost=cost,
                                   acting_user=user)
            messages.success(request, _("Shipped."))
        elif step == "ready":
            services.pickup_ready(shipment_id=pk, acting_user=user)
            messages.success(request, _("Ready for pick-up."))
            if not request.htmx:
                # The page comes back without the cursor on "Customer collected it": an Enter pressed again (a
                # double press, a scanner's second line end) would hand the parcel over with no customer there.
                return redirect(reverse("orders:fulfilment_shipment", args=[pk]) + "?from=ready")
        elif step == "collected":
            services.pickup_confirm(shipment_id=pk, acting_user=user)
            messages.success(request, _("Collected by the customer."))
        elif step == "deliver":
            services.shipment_deliver(shipment_id=pk, acting_user=user)
            messages.success(request, _("Delivered."))
        elif step == "fail":
            services.shipment_fail(shipment_id=pk, reason=request.POST.get("reason", ""), acting_user=user)
            messages.success(request, _("Failed delivery recorded."))
        elif step == "retry":
            services.shipment_retry(shipment_id=pk, acting_user=user)
            messages.success(request, _("Delivery will be tried again."))
        else:
            raise Http404
    except OrderError as exc:
        messages.error(request, exc.message)
    return _after_action(request, pk)


def shipment_pdf(request, pk: int, kind: str):
    from orders.fulfilment.documents import label_pdf, packing_slip_pdf

    shipment = _shipment_or_404(pk)
    if kind == "slip":
        return _pdf(packing_slip_pdf(shipment), f"packing-slip-{shipment}.pdf")
    if kind == "label":
        return _pdf(label_pdf(shipment), f"label-{shipment}.pdf")
    raise Http404


def carrier_upload(request):
    errors: list = []
    applied = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = [(0, _("Choose a CSV file."))]
        else:
            try:
                content = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                errors = [(0, _("The file is not UTF-8 text."))]
            else:
                try:
                    applied = services.carrier_update_csv(content=content, acting_user=request.user)
                    messages.success(request, ngettext("%(n)s shipment updated.", "%(n)s shipments updated.",
                                                       applied) % {"n": applied})
                except services.CarrierFileError as exc:
                    errors = exc.rows
    status = 400 if errors else 200
    return render(request, "orders/fulfilment/carrier_upload.html", {"errors": errors, "applied": applied},
                  status=status)


# --- order panel, returns --------------------------------------------------------------------------


def order_panel(request, pk: int):
    order = get_object_or_404(Order.objects.select_related("channel"), pk=pk)
    decision = order.sourcing_decisions.first()
    planned = (decision.plan or {}).get("arrives_on") if decision and order.status in services.UNRELEASED else None
    context = {
        "order": order,
        "decision": decision,
        # Not released yet: the arrival its plan has now (holidays saved since sourcing move it; the reason keeps
        # the sentence of the decision).
        "planned": date.fromisoformat(planned) if planned else None,
        # Each alternative's arrival as a date, written as the reader writes dates (the plan keeps it in ISO).
        "alternatives": [{**alt, "arrives_on": date.fromisoformat(alt["arrives_on"])}
                         for alt in (decision.alternatives if decision else [])],
        "shipments": list(order.shipments.select_related("location").annotate(units=Sum("lines__quantity"))),
        "transfers": selectors.order_transfers(order),
        "returns": list(order.returns.select_related("location").annotate(units=Sum("lines__quantity"))),
        "flags": list(order.risk_flags.filter(cleared_at__isnull=True)),
        "returnable": bool(services.returnable_quantities(order)),
    }
    return render(request, "orders/fulfilment/order_panel.html", context)


def return_new(request, pk: int):
    order = get_object_or_404(Order, pk=pk)
    allowed = services.returnable_quantities(order)
    lines = [(line, allowed[line.pk]) for line in order.lines.all() if line.pk in allowed]
    error = ""
    posted = request.POST if request.method == "POST" else {}
    once = SentOnceForm(posted or None)  # the page's copy of the form: sent twice, it opens one return
    if request.method == "POST":
        try:
            # A quantity that is not a whole number is refused by name (it used to count as 0: the line was left
            # out of the return without a word, or "choose at least one item" when it was the only one).
            picked = []
            for line, _max in lines:
                raw = (posted.get(f"qty_{line.pk}") or "").strip()
                try:
                    qty = parse_whole(raw, minimum=-INT_MAX, name=_("Quantity for %(sku)s") % {"sku": line.sku}) \
                        if raw else 0
                except NumberError as exc:
                    raise OrderError(exc.message, field="lines")
                if qty:
                    picked.append((line.pk, qty, posted.get(f"reason_{line.pk}", "")))
            rma = services.return_request(order_id=order.pk, lines=picked, note=posted.get("note", ""),
                                          acting_user=request.user,
                                          request_key=once.cleaned_data["once"] if once.is_valid() else None)
            messages.success(request, _("%(rma)s requested.") % {"rma": rma})
            return redirect("orders:order_detail", pk=order.pk)
        except OrderError as exc:
            error = exc.message
    # Refused: the form comes back as it was sent (each line's quantity and reason, the note).
    rows = [(line, most, posted.get(f"qty_{line.pk}", "0"), posted.get(f"reason_{line.pk}", ""))
            for line, most in lines]
    return render(request, "orders/fulfilment/return_new.html", {
        "order": order, "lines": rows, "reasons": ReturnLine.Reason.choices, "error": error,
        "note": posted.get("note", ""), "once": once,
    }, status=400 if error else 200)


def return_list(request):
    status = request.GET.get("status", "")
    returns = Return.objects.select_related("order", "location").annotate(units=Sum("lines__quantity"))
    if status in Return.Status.values:
        returns = returns.filter(status=status)
    page = paginate(request, sort_queryset(returns, request.GET.get("sort"), {"id": "pk", "status": "status",
                                                                              "created": "created_at"}, "-id"))
    return render(request, "orders/fulfilment/return_list.html", {
        "page": page, "status": status, "statuses": Return.Status.choices})


def return_detail(request, pk: int):
    rma = get_object_or_404(Return.objects.select_related("order", "location", "exchange_order"), pk=pk)
    return render(request, "orders/fulfilment/return_detail.html", {
        "rma": rma, "lines": list(rma.lines.select_related("order_line")), "locations": _locations(),
        "conditions": ReturnLine.Condition.choices, "value": services.return_value(rma)})


def _return_action(request, pk: int, action, done: str):
    try:
        result = action()
        messages.success(request, done)
        if isinstance(result, Order):
            return redirect("orders:phone_order", pk=result.pk)
    except OrderError as exc:
        messages.error(request, exc.message)
    return redirect("orders:fulfilment_return", pk=pk)


@require_POST
@missing_is_404(Return)
def return_approve(request, pk: int):
    approve = request.POST.get("decision", "approve") == "approve"
    return _return_action(request, pk, lambda: services.return_approve(
        return_id=pk, approve=approve, reason=request.POST.get("reason", ""), acting_user=request.user),
        _("Return approved.") if approve else _("Return rejected."))


@require_POST
@missing_is_404(Return)
def return_receive(request, pk: int):
    return _return_action(request, pk, lambda: services.return_receive(
        return_id=pk, location_id=_int(request.POST.get("location")) or 0, acting_user=request.user),
        _("Goods received."))


@require_POST
def return_inspect(request, pk: int):
    rma = get_object_or_404(Return, pk=pk)
    conditions = {rl.pk: request.POST.get(f"condition_{rl.pk}", "") for rl in rma.lines.all()}
    return _return_action(request, pk, lambda: services.return_inspect(
        return_id=pk, conditions=conditions, acting_user=request.user), _("Inspection recorded."))


@require_POST
@missing_is_404(Return)
def return_refund(request, pk: int):
    return _return_action(request, pk, lambda: services.return_refund(
        return_id=pk, method=request.POST.get("method", "original"), acting_user=request.user), _("Refunded."))


@require_POST
@missing_is_404(Return)
def return_exchange(request, pk: int):
    return _return_action(request, pk, lambda: services.return_exchange(return_id=pk, acting_user=request.user),
                          _("Exchange order started: complete it on the phone screen."))


# --- at risk, simulation ------------------------------------------------------------------------------


def at_risk(request):
    flags = (AtRiskFlag.objects.filter(cleared_at__isnull=True).select_related("order__customer")
             .order_by("-raised_at", "-id"))
    reason = request.GET.get("reason", "")
    if reason in AtRiskFlag.Reason.values:
        flags = flags.filter(reason=reason)
    counts = dict(AtRiskFlag.objects.filter(cleared_at__isnull=True).values_list("reason")
                  .annotate(n=Count("id")).values_list("reason", "n"))
    return render(request, "orders/fulfilment/at_risk.html", {
        "page": paginate(request, flags), "reason": reason, "reasons": AtRiskFlag.Reason.choices, "counts": counts})


def simulation(request):
    locations = _locations()
    result = None
    error = ""
    strategy = request.GET.get("strategy", sourcing.LOWEST_COST)
    days = _int(request.GET.get("days")) or 7
    off = [x for x in (_int(v) for v in request.GET.getlist("off")) if x]
    consolidation = "run" not in request.GET or request.GET.get("consolidation") == "1"
    if "run" in request.GET:
        if not 1 <= days <= 90:
            error = _("Days must be between 1 and 90.")
        else:
            try:
                result = services.simulate(days=days, strategy=strategy, switched_off=off,
                                           consolidation=consolidation)
            except OrderError as exc:
                error = exc.message
    return render(request, "orders/fulfilment/simulation.html", {
        "locations": locations, "result": result, "strategy": strategy, "days": days, "off": off, "error": error,
        "consolidation": consolidation,
        "strategies": STRATEGY_LABELS}, status=400 if error else 200)


# --- consolidation routes (network rule) ------------------------------------------------------------


def consolidation_routes(request):
    from orders.fulfilment.models import ConsolidationRoute

    error, field, status = "", "", 200
    if request.method == "POST":
        try:
            cost = parse_amount(request.POST.get("cost") or "0", name=_("The cost"))
            services.consolidation_route_save(
                from_location_id=_int(request.POST.get("from_location")) or 0,
                to_location_id=_int(request.POST.get("to_location")) or 0,
                transfer_days=_int(request.POST.get("transfer_days")) if request.POST.get("transfer_days") else -1,
                cost=cost, acting_user=request.user)
        except NumberError as exc:
            error, field, status = exc.message, "cost", 400
        except OrderError as exc:
            error, field, status = exc.message, getattr(exc, "field", ""), 400
        else:
            messages.success(request, _("Route saved."))
            return redirect("orders:fulfilment_routes")
    routes = ConsolidationRoute.objects.select_related("from_location", "to_location")
    return render(request, "orders/fulfilment/routes.html", {
        "routes": routes, "locations": _locations(), "error": error, "field": field, "posted": request.POST},
        status=status)


@require_POST
def consolidation_route_delete(request, pk: int):
    try:
        services.consolidation_route_delete(route_id=pk, acting_user=request.user)
    except OrderError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Route removed."))
    return redirect("orders:fulfilment_routes")


# --- holidays (shipping calendar) --------------------------------------------------------------------


def holidays(request):
    """National holidays and locations' own closure days: the list, a form to add one, and ``?edit=<id>`` to
    change one."""
    from inventory.models import Location
    from orders.fulfilment.models import Holiday

    error, field, status = "", "", 200
    editing = None
    if request.GET.get("edit"):
        editing = get_object_or_404(Holiday, pk=parse_id(request.GET["edit"]))
    if request.method == "POST":
        # Posted but not an id: 0, which the service refuses by name (an unknown holiday or location).
        holiday_id = (parse_id(request.POST["holiday"]) or 0) if request.POST.get("holiday") else None
        location_id = (parse_id(request.POST["location"]) or 0) if request.POST.get("location") else None
        typed = (request.POST.get("date") or "").strip()
        try:
            if typed and to_date(typed) is None:  # empty: the service asks for the date
                raise OrderError(date_refusal(typed), field="date")
            change = services.holiday_save(holiday_id=holiday_id, day=to_date(typed),
                                           name=request.POST.get("name", ""), location_id=location_id,
                                           acting_user=request.user)
        except OrderError as exc:
            error, field, status = exc.message, getattr(exc, "field", ""), 400
        else:
            _calendar_changed(request, _("Holiday saved."), change)
            return redirect("orders:fulfilment_holidays")
    rows = Holiday.objects.select_related("location").order_by("date", "location__code")
    year = _int(request.GET.get("year"))
    year = year if year and 1 <= year <= 9999 else None  # a year a date can have; anything else: every year
    if year:
        rows = rows.filter(date__year=year)
    page = paginate(request, rows, per_page=100)
    posted = request.POST if request.method == "POST" else (
        {"holiday": str(editing.pk), "date": editing.date.isoformat(), "name": editing.name,
         "location": str(editing.location_id or "")} if editing else {})
    return render(request, "orders/fulfilment/holidays.html", {
        "page": page, "locations": list(Location.objects.order_by("code")), "error": error, "field": field,
        "posted": posted, "editing": editing or posted.get("holiday"), "year": year or ""}, status=status)


@require_POST
def holiday_delete(request, pk: int):
    try:
        change = services.holiday_delete(holiday_id=pk, acting_user=request.user)
    except OrderError as exc:
        messages.error(request, exc.message)
    else:
        _calendar_changed(request, _("Holiday removed."), change)
    return redirect("orders:fulfilment_holidays")


def _calendar_changed(request, done: str, change) -> None:
    """``done``, and what the change did to the plans: shipments and orders planned again, orders not yet released
    whose sourcing plan was planned again, and the orders now planned to arrive after their promised date (a
    warning: someone has to act on them)."""
    if not change.shipments and not change.unreleased:
        messages.success(request, " ".join([done, _("No open shipment or order waiting for release had to be planned "
                                                    "again.")]))
        return
    said = [done]
    if change.shipments:
        orders = ngettext("%(n)d order", "%(n)d orders", change.orders) % {"n": change.orders}
        said.append(ngettext(
            "%(n)d open shipment (%(orders)s) planned again: new hand-over and arrival dates.",
            "%(n)d open shipments (%(orders)s) planned again: new hand-over and arrival dates.",
            change.shipments) % {"n": change.shipments, "orders": orders})
    if change.unreleased:
        said.append(ngettext(
            "%(n)d order not yet released to the warehouse planned again: it will be released with the new dates.",
            "%(n)d orders not yet released to the warehouse planned again: they will be released with the new "
            "dates.", change.unreleased) % {"n": change.unreleased})
    messages.success(request, " ".join(said))
    if change.late_orders:
        messages.warning(request, ngettext(
            "%(n)d order is now planned to arrive after the date promised to the customer: it is flagged at risk.",
            "%(n)d orders are now planned to arrive after the date promised to the customer: they are flagged at "
            "risk.", change.late_orders) % {"n": change.late_orders})


# --- available to promise ----------------------------------------------------------------------------


def available_to_promise(request):
    from inventory.selectors import variant_search

    query = request.GET.get("q", "").strip()
    quantity = max(_int(request.GET.get("quantity")) or 1, 1)
    variants = variant_search(query=query, limit=10) if query else []
    promises = services.available_to_promise(variant_ids=[v.pk for v in variants]) if variants else {}
    names = {loc.pk: loc for loc in _locations()}
    rows = []
    for variant in variants:
        promise = promises[variant.pk]
        rows.append({
            "variant": variant, "total": promise.total, "date": promise.date_for(quantity),
            "by_location": [(names[loc], qty) for loc, qty in sorted(promise.by_location.items()) if loc in names],
            "incoming": [(day, names.get(loc), qty, ref) for day, loc, qty, ref in promise.incoming],
        })
    return render(request, "orders/fulfilment/atp.html", {"query": query, "quantity": quantity, "rows": rows})
