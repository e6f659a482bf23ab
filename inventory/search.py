"""Global search: SKUs by code, barcode, name, brand or category."""

from django.urls import reverse

from inventory.selectors import variant_search
from oms.access import has_permission
from oms.search import SearchResult


def search(*, query: str, user, limit: int) -> list[SearchResult]:
    if not has_permission(user, "view_catalogue"):
        return []
    query = query.strip()
    return [
        SearchResult(kind="SKU", label=f"{v.sku} · {v.name}",
                     url=reverse("inventory:product_detail", args=[v.product_id]),
                     detail=v.product.brand.name if v.product.brand else "",
                     exact=v.sku.lower() == query.lower() or (bool(v.barcode) and v.barcode == query))
        for v in variant_search(query=query, limit=limit)
    ]
