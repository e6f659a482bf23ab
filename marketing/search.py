"""Global search: source codes, coupons, promotions and campaigns (for users who manage marketing)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from oms.access import has_permission
from oms.search import SearchResult


def search(*, query: str, user, limit: int = 10) -> list[SearchResult]:
    from marketing.models import Campaign, Coupon, Promotion, SourceCode

    if not has_permission(user, "manage_marketing"):
        return []
    code = query.strip().upper()
    results: list[SearchResult] = []
    for source in SourceCode.objects.select_related("campaign").filter(code__istartswith=code).order_by("code")[:limit]:
        results.append(SearchResult(kind=_("Source code"), label=source.code, detail=source.campaign.name,
                                    url=reverse("marketing:sourcecodes_edit", args=[source.pk]),
                                    exact=source.code == code))
    for coupon in Coupon.objects.select_related("promotion").filter(code__istartswith=code).order_by("code")[:limit]:
        results.append(SearchResult(kind=_("Coupon"), label=coupon.code, detail=coupon.promotion.name,
                                    url=reverse("marketing:promotion_detail", args=[coupon.promotion_id]),
                                    exact=coupon.code == code))
    for promotion in Promotion.objects.filter(name__icontains=query.strip()).order_by("-is_active", "name")[:limit]:
        results.append(SearchResult(kind=_("Promotion"), label=promotion.name, detail=promotion.get_kind_display(),
                                    url=reverse("marketing:promotion_detail", args=[promotion.pk])))
    for campaign in Campaign.objects.filter(name__icontains=query.strip()).order_by("name")[:limit]:
        results.append(SearchResult(kind=_("Campaign"), label=campaign.name, detail=campaign.code,
                                    url=reverse("marketing:campaigns_edit", args=[campaign.pk])))
    return results[:limit]
