"""Read queries for views, other apps and reports (no writes)."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from inventory.models import (
    KitComponent,
    Location,
    PurchaseOrder,
    StockLevel,
    Supplier,
    SupplierItem,
    Transfer,
    Variant,
)
from oms.numbers import parse_id


def availability(*, variant_ids: Iterable[int], location_ids: Iterable[int] | None = None) -> dict[int, dict[int, int]]:
    """``{variant_id: {location_id: available}}`` with available = on hand - reserved - safety stock (>= 0).

    Every requested variant is a key (an empty dict when it is stocked nowhere). Without ``location_ids``
    only active locations are considered. A kit's availability at a location is the number of whole kits
    its components allow there.
    """
    variant_ids = list(dict.fromkeys(variant_ids))
    result: dict[int, dict[int, int]] = {v: {} for v in variant_ids}
    if not variant_ids:
        return result
    kit_ids = set(Variant.objects.filter(pk__in=variant_ids, is_kit=True).values_list("pk", flat=True))
    recipes: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for kit_id, component_id, qty in KitComponent.objects.filter(kit_id__in=kit_ids).values_list(
        "kit_id", "component_id", "quantity"
    ):
        recipes[kit_id].append((component_id, qty))
    stocked = set(variant_ids) - kit_ids
    stocked |= {component for recipe in recipes.values() for component, _q in recipe}
    levels = StockLevel.objects.filter(variant_id__in=stocked)
    if location_ids is None:
        levels = levels.filter(location__is_active=True)
    else:
        levels = levels.filter(location_id__in=list(location_ids))
    free: dict[int, dict[int, int]] = defaultdict(dict)
    for variant_id, location_id, on_hand, reserved, safety in levels.values_list(
        "variant_id", "location_id", "on_hand", "reserved", "safety_stock"
    ):
        free[variant_id][location_id] = max(on_hand - reserved - safety, 0)
    for variant_id in variant_ids:
        if variant_id not in kit_ids:
            result[variant_id] = dict(free.get(variant_id, {}))
            continue
        recipe = recipes.get(variant_id, [])
        if not recipe:
            continue
        locations = set().union(*(free.get(component, {}).keys() for component, _q in recipe))
        result[variant_id] = {
            loc: min(free.get(component, {}).get(loc, 0) // qty for component, qty in recipe) for loc in locations
        }
    return result


def variant_by_sku(sku: str) -> Variant | None:
    """The SKU a person or a file names, matched in any case as everywhere SKUs are typed (forms, line lists,
    imports): SKUs that differ only in upper and lower case are one SKU (``services.catalogue_rules``). Should
    older data hold both spellings, the one written exactly wins, else the older SKU."""
    sku = (sku or "").strip()
    if not sku:
        return None
    exact = Case(When(sku=sku, then=Value(True)), default=Value(False), output_field=BooleanField())
    return Variant.objects.filter(sku__iexact=sku).annotate(exact=exact).order_by("-exact", "pk").first()


def variant_search(*, query: str, limit: int = 20) -> list[Variant]:
    """SKUs matching every word of ``query`` in SKU, barcode, name, brand or category; exact SKU/barcode first.

    Uses the trigram index on ``UPPER(search_text)`` so it stays fast with 100,000 SKUs. Two statements: the
    ids of the first ``limit`` matches (a common word matches thousands of SKUs, and sorting bare ids is a
    third cheaper than sorting them joined to their styles and brands), then those rows with their relations.
    """
    words = query.strip().split()
    if not words:
        return []
    exact = query.strip()
    condition = Q()
    for word in words[:6]:
        condition &= Q(search_text__icontains=word)
    is_exact = Case(When(Q(sku__iexact=exact) | Q(barcode=exact), then=Value(True)), default=Value(False),
                    output_field=BooleanField())
    ids = list(
        Variant.objects.filter(condition | Q(sku__iexact=exact) | Q(barcode=exact))
        .annotate(exact=is_exact).order_by("-exact", "-is_active", "sku").values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    rows = Variant.objects.filter(pk__in=ids).select_related("product", "product__brand").annotate(exact=is_exact)
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids]


def on_order(*, keys: Iterable[tuple[int, int]] | None = None) -> dict[tuple[int, int], int]:
    """Open quantity per (variant, location) on draft/sent purchase orders and inbound transfers in transit."""
    from django.db.models import F, Sum

    from inventory.models import PurchaseOrderLine, TransferLine

    open_po = PurchaseOrderLine.objects.filter(purchase_order__status__in=[
        PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED,
    ])
    transit = TransferLine.objects.filter(transfer__status__in=[Transfer.Status.REQUESTED,
                                                                Transfer.Status.IN_TRANSIT])
    if keys is not None:
        keys = list(keys)
        variant_ids = {v for v, _l in keys}
        open_po = open_po.filter(variant_id__in=variant_ids)
        transit = transit.filter(variant_id__in=variant_ids)
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for v, loc, qty in open_po.values_list("variant_id", "purchase_order__location_id").annotate(
        q=Sum(F("quantity_ordered") - F("quantity_received"))
    ):
        totals[(v, loc)] += qty or 0
    for v, loc, qty in transit.values_list("variant_id", "transfer__to_location_id").annotate(q=Sum("quantity")):
        totals[(v, loc)] += qty or 0
    return dict(totals)


def reorder_suppliers(rules) -> dict[int, int | None]:
    """``{rule_id: supplier_id}``: whom each reorder rule's need is ordered from, its preferred supplier while that
    one is active, else the SKU's cheapest active supplier (None: no active supplier sells it). The one choice the
    reorder scan drafts by and the lead times below are read from."""
    preferred = {rule.preferred_supplier_id for rule in rules if rule.preferred_supplier_id}
    active = set(Supplier.objects.filter(pk__in=preferred, is_active=True).values_list("pk", flat=True))
    cheapest: dict[int, int] = {}
    for variant_id, supplier_id in SupplierItem.objects.filter(
            variant_id__in={rule.variant_id for rule in rules}, supplier__is_active=True,
    ).order_by("variant_id", "cost", "supplier_id").values_list("variant_id", "supplier_id"):
        cheapest.setdefault(variant_id, supplier_id)
    return {rule.pk: rule.preferred_supplier_id if rule.preferred_supplier_id in active
            else cheapest.get(rule.variant_id) for rule in rules}


def reorder_lead_times(rules) -> dict[int, int | None]:
    """``{rule_id: days}`` from ordering to receiving: the lead time of the supplier item the rule orders (from
    ``reorder_suppliers``), else that supplier's own; None when no supplier sells the SKU."""
    suppliers = reorder_suppliers(rules)
    chosen = {s for s in suppliers.values() if s is not None}
    item_days = {(supplier_id, variant_id): days for supplier_id, variant_id, days in SupplierItem.objects.filter(
        supplier_id__in=chosen, variant_id__in={rule.variant_id for rule in rules},
    ).values_list("supplier_id", "variant_id", "lead_time_days")}
    own_days = dict(Supplier.objects.filter(pk__in=chosen).values_list("pk", "lead_time_days"))
    result: dict[int, int | None] = {}
    for rule in rules:
        supplier_id = suppliers.get(rule.pk)
        days = item_days.get((supplier_id, rule.variant_id))
        result[rule.pk] = days if days is not None else own_days.get(supplier_id)
    return result


# --- list pages ---------------------------------------------------------------------------------


def product_rows(*, query: str = "", brand_id: str = "", category_id: str = "", active: str = "") -> QuerySet:
    from django.db.models import Count, Exists, OuterRef, Sum

    from inventory.models import Product

    products = Product.objects.select_related("brand", "category").annotate(
        variant_count=Count("variants", distinct=True),
        on_hand=Sum("variants__stock_levels__on_hand"),
    )
    if query:
        condition = Q()
        for word in query.split()[:6]:
            condition &= Q(search_text__icontains=word)
        products = products.filter(Exists(Variant.objects.filter(condition, product=OuterRef("pk"))))
    if (brand := parse_id(brand_id)) is not None:
        products = products.filter(brand_id=brand)
    if (category := parse_id(category_id)) is not None:
        products = products.filter(category_id=category)
    if active in ("1", "0"):
        products = products.filter(is_active=active == "1")
    return products


def movement_rows(*, variant_ids=None, location_id: str = "", reason: str = "", since=None, until=None,
                  reference: str = "") -> QuerySet:
    from inventory.models import StockMovement

    rows = StockMovement.objects.select_related("variant", "location", "user")
    if variant_ids is not None:
        rows = rows.filter(variant_id__in=variant_ids)
    if (location := parse_id(location_id)) is not None:
        rows = rows.filter(location_id=location)
    if reason:
        rows = rows.filter(reason=reason)
    if since:
        rows = rows.filter(created_at__date__gte=since)
    if until:
        rows = rows.filter(created_at__date__lte=until)
    if reference:
        rows = rows.filter(reference=reference)
    return rows


def stock_matrix(*, variants: list[Variant]) -> tuple[list[Location], dict[int, dict[int, StockLevel]]]:
    """Locations holding any of ``variants`` and ``{variant_id: {location_id: level}}`` (2 queries)."""
    levels = StockLevel.objects.filter(variant__in=variants).select_related("location")
    matrix: dict[int, dict[int, StockLevel]] = defaultdict(dict)
    locations: dict[int, Location] = {}
    for level in levels:
        matrix[level.variant_id][level.location_id] = level
        locations[level.location_id] = level.location
    return sorted(locations.values(), key=lambda loc: loc.code), matrix


def overstock_rows(*, window_days: int = 30, cover_days: int = 90) -> list[dict]:
    """SKU/location pairs whose stock covers more than ``cover_days`` of the last ``window_days`` of sales.

    Sales are the units that left through sales and shipments; a SKU with stock and no sales at all has
    infinite cover and is listed first.
    """
    from django.db import connection

    sql = """
    WITH sold AS (
        SELECT variant_id, location_id, -SUM(on_hand_delta) AS units
        FROM inventory_stockmovement
        WHERE reason IN ('sale', 'shipment') AND created_at >= NOW() - make_interval(days => %s)
        GROUP BY variant_id, location_id
    )
    SELECT v.id, v.sku, v.name, loc.id, loc.code, l.on_hand, COALESCE(s.units, 0) AS units,
           CASE WHEN COALESCE(s.units, 0) = 0 THEN NULL
                ELSE ROUND(l.on_hand::numeric * %s / s.units, 1) END AS cover
    FROM inventory_stocklevel l
    JOIN inventory_variant v ON v.id = l.variant_id
    JOIN inventory_location loc ON loc.id = l.location_id
    LEFT JOIN sold s ON s.variant_id = l.variant_id AND s.location_id = l.location_id
    WHERE l.on_hand > 0 AND loc.is_active
      AND (COALESCE(s.units, 0) = 0 OR l.on_hand::numeric * %s / s.units > %s)
    ORDER BY cover DESC NULLS FIRST, l.on_hand DESC, v.sku
    LIMIT 500
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [window_days, window_days, window_days, cover_days])
        keys = ["variant_id", "sku", "name", "location_id", "location_code", "on_hand", "units_sold", "cover_days"]
        return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]
