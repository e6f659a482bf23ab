"""Global search: invoice numbers and processor references (for finance users)."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from oms.access import has_permission
from oms.search import SearchResult
from payments.models import Invoice, Payment


def search(*, query: str, user, limit: int = 10) -> list[SearchResult]:
    if not has_permission(user, "view_finance"):
        return []
    q = query.strip()
    results = [
        SearchResult(kind=_("Invoice"), label=i.number, exact=True,
                     url=reverse("payments:invoice_list") + "?" + urlencode({"q": i.number}),
                     detail=f"{i.customer_name} · {i.get_status_display()}")
        for i in Invoice.objects.filter(number__iexact=q)[:limit]
    ]
    if len(q) >= 8:
        results += [
            SearchResult(kind=_("Payment"), label=str(p), exact=True,
                         url=reverse("payments:order_payments", args=[p.order_id]),
                         detail=f"{p.gateway_reference} · {p.get_status_display()}")
            for p in Payment.objects.filter(gateway_reference=q).select_related("gift_card")[:limit]
        ]
    return results[:limit]
