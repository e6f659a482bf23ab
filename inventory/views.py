"""Inventory screens. Views validate and orchestrate; every write is a call to ``inventory.services``."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory import selectors, services
from inventory.errors import InventoryError, ReceiptOutdated
from inventory.forms import AdjustForm, CountForm, PurchaseOrderForm, SafetyStockForm, TransferForm
from inventory.models import (
    Brand,
    Category,
    Location,
    Product,
    PurchaseOrder,
    ReorderAlert,
    ReorderRule,
    StockLevel,
    StockMovement,
    Supplier,
    Transfer,
    Variant,
)
from oms.access import has_permission
from oms.forms import add_refusal
from oms.listing import paginate, sort_queryset
from oms.numbers import parse_id, parse_whole
from oms.query import next_address, query_date


def _render(request, template: str, partial: str, context: dict):
    name = f"{template}#{partial}" if request.htmx and partial else template
    return render(request, name, context)


def _int(value) -> int | None:
    """A small whole number from the address (window and cover days), or None."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


# --- catalogue ----------------------------------------------------------------------------------

PRODUCT_SORTS = {"code": "code", "name": "name", "brand": "brand__name", "category": "category__path",
                 "variants": "variant_count", "on_hand": "on_hand"}


def product_list(request):
    params = request.GET
    rows = selectors.product_rows(query=params.get("q", "").strip(), brand_id=params.get("brand", ""),
                                  category_id=params.get("category", ""), active=params.get("active", ""))
    rows = sort_queryset(rows, params.get("sort"), PRODUCT_SORTS, "name")
    page = paginate(request, rows)
    return _render(request, "inventory/product_list.html", "table", {
        "page": page, "brands": Brand.objects.order_by("name"), "categories": Category.objects.order_by("path"),
    })


def product_detail(request, pk: int):
    product = get_object_or_404(Product.objects.select_related("brand", "category"), pk=pk)
    variants = list(product.variants.prefetch_related("components__component").order_by("sku"))
    locations, matrix = selectors.stock_matrix(variants=variants)
    availability = selectors.availability(variant_ids=[v.pk for v in variants])
    rows = [{"variant": v, "cells": [matrix.get(v.pk, {}).get(loc.pk) for loc in locations],
             "available": sum(availability.get(v.pk, {}).values())} for v in variants]
    # A kit holds no stock of its own: where it can be sold is how many whole kits its components make there.
    kit_places = {loc.pk: loc for loc in Location.objects.filter(
        pk__in={loc for row in rows if row["variant"].is_kit for loc in availability.get(row["variant"].pk, {})})}
    for row in rows:
        if row["variant"].is_kit:
            row["by_location"] = sorted(((kit_places[loc], kits) for loc, kits in availability[row["variant"].pk]
                                         .items()), key=lambda pair: pair[0].code)
    params = request.GET
    movements = selectors.movement_rows(
        variant_ids=[v.pk for v in variants], location_id=params.get("location", ""), reason=params.get("reason", ""),
        since=query_date(params, "since"), until=query_date(params, "until"),
        reference=params.get("reference", "").strip(),
    )
    page = paginate(request, movements, per_page=25)
    return _render(request, "inventory/product_detail.html", "movements", {
        "product": product, "rows": rows, "locations": locations, "page": page,
        "reasons": StockMovement.Reason.choices, "all_locations": Location.objects.order_by("code"),
        "fields": product.personalization_fields.all(),
        "show_cost": has_permission(request.user, "view_cost"),
    })


# --- locations ----------------------------------------------------------------------------------

LOCATION_SORTS = {"code": "code", "name": "name", "kind": "kind", "city": "city", "skus": "sku_count",
                  "on_hand": "on_hand"}


def location_list(request):
    rows = Location.objects.annotate(sku_count=Count("stock_levels", filter=Q(stock_levels__on_hand__gt=0)),
                                     on_hand=Sum("stock_levels__on_hand"))
    if kind := request.GET.get("kind"):
        rows = rows.filter(kind=kind)
    if q := request.GET.get("q", "").strip():
        rows = rows.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(city__icontains=q))
    rows = sort_queryset(rows, request.GET.get("sort"), LOCATION_SORTS, "code")
    return _render(request, "inventory/location_list.html", "table",
                   {"page": paginate(request, rows), "kinds": Location.Kind.choices})


STOCK_SORTS = {"sku": "variant__sku", "on_hand": "on_hand", "reserved": "reserved", "safety": "safety_stock",
               "available": "free"}


def location_detail(request, pk: int):
    location = get_object_or_404(Location, pk=pk)
    levels = StockLevel.objects.filter(location=location).select_related("variant").annotate(
        free=F("on_hand") - F("reserved") - F("safety_stock"))
    if q := request.GET.get("q", "").strip():
        levels = levels.filter(variant__search_text__icontains=q)
    if request.GET.get("low") == "1":
        levels = levels.filter(free__lte=0)
    levels = sort_queryset(levels, request.GET.get("sort"), STOCK_SORTS, "variant__sku")
    return _render(request, "inventory/location_detail.html", "table",
                   {"location": location, "page": paginate(request, levels)})


# --- stock forms --------------------------------------------------------------------------------


def _stock_form(request, form_class, template: str, call):
    initial = {"sku": request.GET.get("sku", ""), "location": parse_id(request.GET.get("location"))}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                level = call(form.cleaned_data)
        except InventoryError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("%(sku)s at %(location)s: %(on_hand)s on hand.") % {
                "sku": form.cleaned_data["sku"].sku, "location": form.cleaned_data["location"].code,
                "on_hand": level.on_hand})
            # Back to an empty form at the same location, with a link to what was just changed.
            return redirect(f"{request.path}?location={level.location_id}&done={level.variant_id}")
    done = None
    if (done_id := parse_id(request.GET.get("done"))) is not None:
        done = Variant.objects.filter(pk=done_id).only("pk", "sku", "product_id").first()
    status = 422 if request.method == "POST" else 200
    return render(request, template, {"form": form, "done": done, "location_id": initial["location"]},
                  status=status)


def stock_adjust(request):
    return _stock_form(request, AdjustForm, "inventory/stock_adjust.html", lambda d: services.stock_adjust(
        variant_id=d["sku"].pk, location_id=d["location"].pk, delta=d["delta"], reason=d["reason"],
        reference=f"adjust:{d['once']}" if d["once"] else "", acting_user=request.user))


def stock_count(request):
    return _stock_form(request, CountForm, "inventory/stock_count.html", lambda d: services.stock_count(
        variant_id=d["sku"].pk, location_id=d["location"].pk, counted=d["counted"], note=d["note"],
        reference=f"count:{d['once']}" if d["once"] else "", acting_user=request.user))


def safety_stock(request):
    """Safety stock of one SKU at one location; the location and product pages link here pre-filled."""
    initial = {"sku": request.GET.get("sku", ""), "location": parse_id(request.GET.get("location"))}
    if initial["sku"] and initial["location"]:
        initial["safety_stock"] = StockLevel.objects.filter(
            variant__sku=initial["sku"], location_id=initial["location"]).values_list("safety_stock", flat=True).first()
    form = SafetyStockForm(request.POST or None, initial=initial)
    back = next_address(request, "")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                level = services.stock_set_safety(variant_id=data["sku"].pk, location_id=data["location"].pk,
                                                  safety_stock=data["safety_stock"], acting_user=request.user)
        except InventoryError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("%(sku)s at %(location)s: safety stock %(safety)s.") % {
                "sku": data["sku"].sku, "location": data["location"].code, "safety": level.safety_stock})
            return redirect(back or request.path)
    return render(request, "inventory/safety_stock.html", {"form": form, "next": back},
                  status=422 if request.method == "POST" else 200)


# --- transfers ----------------------------------------------------------------------------------

TRANSFER_SORTS = {"number": "pk", "from": "from_location__code", "to": "to_location__code", "status": "status",
                  "created": "created_at", "units": "units"}


def transfer_list(request):
    rows = Transfer.objects.select_related("from_location", "to_location").annotate(units=Sum("lines__quantity"))
    if status := request.GET.get("status"):
        rows = rows.filter(status=status)
    if location := parse_id(request.GET.get("location")):
        rows = rows.filter(Q(from_location_id=location) | Q(to_location_id=location))
    rows = sort_queryset(rows, request.GET.get("sort"), TRANSFER_SORTS, "-created_at")
    return _render(request, "inventory/transfer_list.html", "table", {
        "page": paginate(request, rows), "statuses": Transfer.Status.choices,
        "locations": Location.objects.order_by("code")})


def _document_form(request, form_class, template: str, create, *, success: str, detail: str):
    """A form that creates a transfer or purchase order: errors on the form, else on to the new document."""
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                document = create(form.cleaned_data)
        except InventoryError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, success % {"number": document.number})
            return redirect(detail, pk=document.pk)
    return render(request, template, {"form": form}, status=422 if request.method == "POST" else 200)


def transfer_create(request):
    return _document_form(
        request, TransferForm, "inventory/transfer_form.html", lambda data: services.transfer_create(
            from_location_id=data["from_location"].pk, to_location_id=data["to_location"].pk,
            lines=data["parsed"], notes=data["notes"], request_key=data["once"], acting_user=request.user),
        success=_("Transfer %(number)s requested."), detail="inventory:transfer_detail")


def _transfer_page(request, transfer: Transfer, *, errors=(), entered: dict[int, str] | None = None, status=200):
    """A transfer's page; on a refused receipt, with the refusals and the quantities as they were typed."""
    lines = list(transfer.lines.select_related("variant").order_by("variant__sku"))
    for line in lines:
        line.entered = (entered or {}).get(line.pk, str(line.quantity))
    movements = StockMovement.objects.filter(reference=f"transfer:{transfer.pk}").select_related("variant",
                                                                                                 "location", "user")
    return render(request, "inventory/transfer_detail.html",
                  {"transfer": transfer, "lines": lines, "movements": movements[:200], "errors": errors},
                  status=status)


def transfer_detail(request, pk: int):
    transfer = get_object_or_404(Transfer.objects.select_related("from_location", "to_location", "created_by"), pk=pk)
    return _transfer_page(request, transfer)


def _received_quantities(request, transfer: Transfer) -> tuple[dict[int, int], dict[int, str], list[str]]:
    """``received-<line id>`` as counted at the door: ({line id: units}, {line id: as typed}, refusals). A line
    the page did not send arrived as shipped."""
    from oms.numbers import NumberError

    received, entered, errors = {}, {}, []
    for line in transfer.lines.select_related("variant").order_by("variant__sku"):
        raw = request.POST.get(f"received-{line.pk}")
        if raw is None:
            continue
        entered[line.pk] = raw.strip()
        try:
            received[line.pk] = parse_whole(raw, name=_("The quantity received of %(sku)s") % {
                "sku": line.variant.sku})
        except NumberError as exc:
            errors.append(exc.message)
    return received, entered, errors


@require_POST
def transfer_action(request, pk: int, action: str):
    actions = {"ship": services.transfer_ship, "receive": services.transfer_receive,
               "cancel": services.transfer_cancel}
    transfer = Transfer.objects.select_related("from_location", "to_location", "created_by").filter(pk=pk).first()
    if action not in actions or transfer is None:
        raise Http404
    options = {}
    if action == "receive":
        received, entered, errors = _received_quantities(request, transfer)
        if errors:  # nothing is received: the page comes back as typed
            return _transfer_page(request, transfer, errors=errors, entered=entered, status=422)
        options["received"] = received
    try:
        with transaction.atomic(durable=True):
            transfer = actions[action](transfer_id=pk, acting_user=request.user, **options)
    except InventoryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Transfer %(number)s: %(status)s.") % {
            "number": transfer.number, "status": transfer.get_status_display()})
    return redirect("inventory:transfer_detail", pk=pk)


# --- suppliers ----------------------------------------------------------------------------------

SUPPLIER_SORTS = {"code": "code", "name": "name", "items": "item_count", "lead": "lead_time_days"}


def supplier_list(request):
    rows = Supplier.objects.annotate(item_count=Count("items"))
    if q := request.GET.get("q", "").strip():
        rows = rows.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(email__icontains=q))
    rows = sort_queryset(rows, request.GET.get("sort"), SUPPLIER_SORTS, "name")
    return _render(request, "inventory/supplier_list.html", "table", {"page": paginate(request, rows)})


def supplier_detail(request, pk: int):
    supplier = get_object_or_404(Supplier, pk=pk)
    items = supplier.items.select_related("variant").order_by("variant__sku")
    if q := request.GET.get("q", "").strip():
        items = items.filter(Q(variant__sku__icontains=q) | Q(supplier_sku__icontains=q))
    orders = supplier.purchase_orders.select_related("location").order_by("-created_at")[:20]
    return _render(request, "inventory/supplier_detail.html", "items",
                   {"supplier": supplier, "page": paginate(request, items), "orders": orders})


# --- purchase orders ----------------------------------------------------------------------------

PO_SORTS = {"number": "pk", "supplier": "supplier__name", "location": "location__code", "status": "status",
            "created": "created_at", "expected": "expected_on", "units": "units"}


def po_list(request):
    rows = PurchaseOrder.objects.select_related("supplier", "location").annotate(
        units=Sum("lines__quantity_ordered"), received=Sum("lines__quantity_received"))
    if status := request.GET.get("status"):
        rows = rows.filter(status=status)
    if supplier := parse_id(request.GET.get("supplier")):
        rows = rows.filter(supplier_id=supplier)
    rows = sort_queryset(rows, request.GET.get("sort"), PO_SORTS, "-created_at")
    return _render(request, "inventory/po_list.html", "table", {
        "page": paginate(request, rows), "statuses": PurchaseOrder.Status.choices,
        "suppliers": Supplier.objects.order_by("name")})


def po_create(request):
    return _document_form(
        request, PurchaseOrderForm, "inventory/po_form.html", lambda data: services.po_create(
            supplier_id=data["supplier"].pk, location_id=data["location"].pk, lines=data["parsed"],
            expected_on=data["expected_on"], notes=data["notes"], request_key=data["once"], acting_user=request.user),
        success=_("Purchase order %(number)s drafted."), detail="inventory:po_detail")


def _po_context(request, po: PurchaseOrder) -> dict:
    lines = list(po.lines.select_related("variant").order_by("variant__sku"))
    for line in lines:
        line.total = line.unit_cost * line.quantity_ordered
    total = sum((line.total for line in lines), start=0)
    return {"po": po, "lines": lines, "total": total, "show_cost": has_permission(request.user, "view_cost"),
            "from_alerts": po.reorder_alerts.count(),
            "can_purchase": has_permission(request.user, "manage_purchasing"),
            "can_receive": has_permission(request.user, "manage_stock"),
            "receivable": po.status in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED)}


def po_detail(request, pk: int):
    po = get_object_or_404(PurchaseOrder.objects.select_related("supplier", "location"), pk=pk)
    return render(request, "inventory/po_detail.html", _po_context(request, po))


@require_POST
def po_action(request, pk: int, action: str):
    actions = {"send": services.po_send, "cancel": services.po_cancel}
    if action not in actions or not PurchaseOrder.objects.filter(pk=pk).exists():
        raise Http404
    try:
        with transaction.atomic(durable=True):
            po = actions[action](po_id=pk, acting_user=request.user)
    except InventoryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Purchase order %(number)s: %(status)s.") % {
            "number": po.number, "status": po.get_status_display()})
    return redirect("inventory:po_detail", pk=pk)


@require_POST
def po_lines(request, pk: int):
    """The draft's lines as the buyer changed them on its page: quantities, unit costs (for those who see costs),
    lines ticked to remove and SKUs to add; all applied or, with any refusal, none (the page comes back as typed)."""
    from inventory.forms import parse_lines
    from oms.numbers import NumberError, parse_amount

    po = get_object_or_404(PurchaseOrder.objects.select_related("supplier", "location"), pk=pk)
    context = _po_context(request, po)
    errors, changes, remove = [], {}, set()
    for line in context["lines"]:
        line.entered_quantity = request.POST.get(f"quantity-{line.pk}", str(line.quantity_ordered)).strip()
        line.entered_cost = request.POST.get(f"cost-{line.pk}", "").strip() if context["show_cost"] else ""
        if request.POST.get(f"remove-{line.pk}"):
            line.entered_remove = True
            remove.add(line.pk)
            continue
        try:
            quantity = parse_whole(line.entered_quantity, minimum=1, name=_("Quantity of %(sku)s") % {
                "sku": line.variant.sku})
            cost = line.unit_cost if not line.entered_cost else parse_amount(
                line.entered_cost, minimum=0, name=_("Unit cost of %(sku)s") % {"sku": line.variant.sku})
        except NumberError as exc:
            errors.append(exc.message)
            continue
        changes[line.pk] = (quantity, cost)
    context["add_text"] = request.POST.get("add", "")
    added, add_errors = parse_lines(context["add_text"], with_cost=True)
    errors += add_errors
    if not errors:
        try:
            with transaction.atomic(durable=True):
                services.po_change_lines(po_id=po.pk, lines=changes, remove=remove, acting_user=request.user,
                                         add=[(variant.pk, quantity, cost) for variant, quantity, cost in added])
        except InventoryError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, _("Purchase order %(number)s changed.") % {"number": po.number})
            return redirect("inventory:po_detail", pk=po.pk)
    context["errors"] = errors
    return render(request, "inventory/po_detail.html", context, status=422)


def po_receive(request, pk: int):
    po = get_object_or_404(PurchaseOrder.objects.select_related("supplier", "location"), pk=pk)
    context = _po_context(request, po)
    errors = []
    if request.method == "POST":
        quantities, received_before = {}, {}
        for line in context["lines"]:
            seen = request.POST.get(f"received-{line.pk}", "")
            if seen.isascii() and seen.isdigit():  # as the page showed it: a second click records nothing
                received_before[line.pk] = int(seen)
            line.entered = request.POST.get(f"line-{line.pk}", "").strip()  # shown again if refused
            raw = line.entered or "0"
            try:  # the service refuses more than the open quantity, by name
                quantities[line.pk] = parse_whole(raw)
            except ValueError:
                if raw.isascii() and raw.isdigit():  # a whole number past the column: more than is open
                    errors.append(_("%(sku)s: %(q)s received but only %(open)s still expected.") % {
                        "sku": line.variant.sku, "q": raw, "open": line.quantity_open})
                else:
                    errors.append(_("%(sku)s: %(value)s is not a whole number, zero or more.") % {
                        "sku": line.variant.sku, "value": raw})
        if not errors:
            try:
                with transaction.atomic(durable=True):
                    services.po_receive(po_id=po.pk, quantities=quantities, acting_user=request.user,
                                        received_before=received_before)
            except ReceiptOutdated as exc:
                errors.append(exc.message)
                context = _po_context(request, po)  # what is received now, and nothing typed to send twice
            except InventoryError as exc:
                errors.append(exc.message)
            else:
                messages.success(request, _("Receipt recorded for %(number)s.") % {"number": po.number})
                return redirect("inventory:po_detail", pk=po.pk)
    context["errors"] = errors
    return render(request, "inventory/po_receive.html", context, status=422 if errors else 200)


def po_pdf(request, pk: int):
    from inventory.documents import purchase_order_pdf

    po = get_object_or_404(PurchaseOrder.objects.select_related("supplier", "location"), pk=pk)
    response = HttpResponse(purchase_order_pdf(po), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{po.number}.pdf"'
    return response


# --- reorder ------------------------------------------------------------------------------------

ALERT_SORTS = {"sku": "variant__sku", "location": "location__code", "created": "created_at",
               "available": "available", "quantity": "suggested_quantity", "status": "status"}


def reorder_alerts(request):
    rows = ReorderAlert.objects.select_related("variant", "location", "supplier", "purchase_order")
    status = request.GET.get("status", "live")
    if status == "live":
        rows = rows.filter(status__in=[ReorderAlert.Status.OPEN, ReorderAlert.Status.DRAFTED])
    elif status:
        rows = rows.filter(status=status)
    rows = sort_queryset(rows, request.GET.get("sort"), ALERT_SORTS, "-created_at")
    return _render(request, "inventory/reorder_alerts.html", "table", {
        "page": paginate(request, rows), "statuses": ReorderAlert.Status.choices, "status": status})


@require_POST
def reorder_run(request):
    with transaction.atomic(durable=True):
        result = services.reorder_scan(acting_user=request.user, draft=request.POST.get("draft") == "1")
    messages.success(request, _("%(raised)s new alert(s), %(resolved)s resolved, %(drafted)s drafted.") % {
        "raised": result.raised, "resolved": result.resolved, "drafted": result.drafted_alerts})
    return redirect("inventory:reorder_alerts")


@require_POST
def reorder_alert_action(request, pk: int, action: str):
    if action not in ("dismiss", "draft") or not ReorderAlert.objects.filter(pk=pk).exists():
        raise Http404
    try:
        with transaction.atomic(durable=True):
            if action == "dismiss":
                services.reorder_alert_dismiss(alert_id=pk, acting_user=request.user)
            elif action == "draft":
                count, po_ids = services.reorder_draft_purchase_orders(acting_user=request.user, alert_ids=[pk])
                if not count:
                    messages.error(request, _("This alert has no supplier or is no longer open."))
                else:
                    messages.success(request, _("Drafted on purchase order %(number)s.") % {
                        "number": PurchaseOrder.objects.get(pk=po_ids[0]).number})
    except InventoryError as exc:
        messages.error(request, exc.message)
    return redirect("inventory:reorder_alerts")


RULE_SORTS = {"sku": "variant__sku", "location": "location__code", "point": "reorder_point", "up_to": "order_up_to"}


def reorder_rules(request):
    rows = ReorderRule.objects.select_related("variant", "location", "preferred_supplier")
    if q := request.GET.get("q", "").strip():
        rows = rows.filter(variant__sku__icontains=q)
    if location := parse_id(request.GET.get("location")):
        rows = rows.filter(location_id=location)
    rows = sort_queryset(rows, request.GET.get("sort"), RULE_SORTS, "variant__sku")
    return _render(request, "inventory/reorder_rules.html", "table",
                   {"page": paginate(request, rows), "locations": Location.objects.order_by("code")})


def overstock(request):
    window = min(max(_int(request.GET.get("window")) or 30, 1), 365)
    cover = min(max(_int(request.GET.get("cover")) or 90, 1), 3650)
    rows = selectors.overstock_rows(window_days=window, cover_days=cover)
    return render(request, "inventory/overstock.html", {"rows": rows, "window": window, "cover": cover})
