"""Server-side sorting, filtering and pagination shared by every list page."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

DEFAULT_PAGE_SIZE = 50


def sort_queryset(queryset: QuerySet, sort: str | None, allowed: dict[str, str], default: str) -> QuerySet:
    """Orders by a whitelisted key (``allowed`` maps public names to ORM paths); unknown keys fall back."""
    descending = bool(sort) and sort.startswith("-")
    key = (sort or "").lstrip("-")
    if key not in allowed:
        return queryset.order_by(default, "pk")
    path = allowed[key]
    return queryset.order_by(f"-{path}" if descending else path, "pk")


def paginate(request, queryset, per_page: int = DEFAULT_PAGE_SIZE) -> Page:
    """The requested page; a bad or out-of-range page number gives the nearest valid page."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))
