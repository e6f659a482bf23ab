"""A placed order keeps only the source code and coupons pricing applied; the others are shown as not applied,
with pricing's reason, instead of being listed on the order page as if they had counted."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone, translation

from oms.i18n import render
from orders.models import OrderEvent
from tests.marketing.factories import CouponFactory, SourceCodeFactory

NOT_APPLIED = "Codes not applied: %(codes)s"


def test_unknown_codes_are_not_kept_on_the_placed_order_and_the_page_says_why(role_client, place, world):
    client = role_client("agent")
    coupon = CouponFactory(code="TENOFF")
    source = SourceCodeFactory(code="RADIO")
    order = place(client.user, source_code="NOPE", coupons=["TENOFF", "GHOST"])
    order.refresh_from_db()
    assert (order.source_code, order.coupons) == ("", ["TENOFF"])
    assert order.discount_total == Decimal("10.00")  # the real coupon still counts
    note = OrderEvent.objects.get(order=order, reason=NOT_APPLIED)
    assert note.reason_params == {"codes": "NOPE, GHOST"}

    page = client.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    assert '<dd id="order-source-code">—</dd>' in page
    assert '<dd id="order-coupons">TENOFF</dd>' in page
    assert "Source code NOPE does not exist." in page
    assert "Coupon GHOST does not exist." in page
    assert "GHOST</dd>" not in page

    kept = place(client.user, source_code=source.code, coupons=[coupon.code.lower()])
    kept.refresh_from_db()
    assert (kept.source_code, kept.coupons) == ("RADIO", [])  # TENOFF was used up by the first order
    assert OrderEvent.objects.get(order=kept, reason=NOT_APPLIED).reason_params == {"codes": "TENOFF"}


def test_an_expired_coupon_is_not_kept_and_the_note_reads_in_the_readers_language(make_user, place, world):
    agent = make_user("agent")
    CouponFactory(code="OLD", promotion__ends_at=timezone.now() - timezone.timedelta(days=1))
    order = place(agent, coupons=["OLD"])
    order.refresh_from_db()
    assert order.coupons == []
    note = OrderEvent.objects.get(order=order, reason=NOT_APPLIED)
    with translation.override("pt-br"):
        assert render(note.reason, note.reason_params) == "Códigos não aplicados: OLD"
