"""Global search: orders by number/external reference, customers by phone, e-mail, name or tax id."""

from django.urls import reverse
from django.utils.translation import gettext as _

from oms.access import has_permission
from oms.search import SearchResult
from orders import selectors
from orders.models import Order


def search(*, query: str, user, limit: int = 10) -> list[SearchResult]:
    results: list[SearchResult] = []
    if has_permission(user, "view_orders"):
        orders = Order.objects.exclude(status=Order.Status.DRAFT).filter(selectors.order_number_match(query))
        for order in orders.select_related("customer")[:limit]:
            results.append(SearchResult(
                kind=_("Order"), label=order.number or str(order), url=reverse("orders:order_detail", args=[order.pk]),
                detail=f"{order.get_status_display()} · {order.customer.name if order.customer else ''}", exact=True,
            ))
    if has_permission(user, "take_orders"):
        for customer in selectors.customer_search(query=query, limit=limit):
            exact = customer.contact_rank == 0  # the e-mail, whole phone or tax id, however it was typed
            results.append(SearchResult(
                kind=_("Customer"), label=customer.name, url=reverse("orders:customer_detail", args=[customer.pk]),
                detail=" · ".join(x for x in (customer.phone_display, customer.email) if x), exact=exact,
            ))
    return results[:limit]
