from datetime import timedelta
from decimal import Decimal as D
from io import StringIO

import pytest

from marketing import demo
from marketing.models import Coupon, PriceListItem, Promotion, Segment, SegmentMember, ShippingRate, TaxRate
from marketing.pricing import PriceLineInput
from marketing.search import search
from marketing.segments import SegmentCustomer, validate_rules
from marketing.services import segment_refresh
from marketing.whatif import HistoricOrder, what_if
from tests.marketing.conftest import WHEN, evaluator_registered
from tests.marketing.factories import CouponFactory, PromotionFactory, SourceCodeFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_prices_a_phone_order(price):
    variants = [VariantFactory(base_price=D("100")) for _i in range(6)]
    demo.seed(stdout=StringIO())
    counts = (TaxRate.objects.count(), PriceListItem.objects.count(), Promotion.objects.count(),
              Coupon.objects.count(), ShippingRate.objects.count())
    out = StringIO()
    demo.seed(stdout=out)
    assert out.getvalue() == "Marketing demo: already there"
    assert counts == (TaxRate.objects.count(), PriceListItem.objects.count(), Promotion.objects.count(),
                      Coupon.objects.count(), ShippingRate.objects.count())
    assert TaxRate.objects.filter(tax_class="standard").count() == 27
    result = price(lines=[PriceLineInput(variants[0].pk, 1)], source_code="CAT26A", ship_to_region="BA",
                   shipping_service="pac", when=WHEN.replace(year=2030))
    assert result.lines[0].unit_price == D("95.00")
    assert result.lines[0].tax_rate == D("20.5")
    assert result.shipping_total > 0


def test_search_finds_codes_for_marketing_users_only(make_user):
    SourceCodeFactory(code="RADIO99")
    CouponFactory(code="RADIOFREE")
    manager, agent = make_user("manager"), make_user("agent")
    results = search(query="radio99", user=manager)
    assert [(str(r.kind), r.label, r.exact) for r in results] == [("Source code", "RADIO99", True)]
    assert [r.label for r in search(query="radio", user=manager)] == ["RADIO99", "RADIOFREE"]
    assert search(query="radio", user=agent) == []


def test_segment_rule_validation():
    assert validate_rules([{"field": "order_count", "op": "gte", "value": 3},
                           {"field": "region", "op": "in", "value": ["SP"]}]) == []
    assert validate_rules({"field": "x"}) == ["Rules must be a list."]
    assert validate_rules([{"field": "order_count", "op": "in", "value": 3}]) == [
        "Rule 1: operator in does not apply to order_count (use eq, gt, gte, lt, lte)."]
    assert validate_rules([{"field": "total_spent", "op": "gte", "value": "-5"}]) == [
        "Rule 1 (total_spent gte): The amount must be at least 0."]


class _ListEvaluator:
    """Stands in for the orders app's evaluator: the interface is what is under test here."""

    def __init__(self, ids):
        self.ids = ids

    def count(self, *, rules):
        return len(self.ids)

    def customers(self, *, rules):
        return iter(SegmentCustomer(customer_id=i, name=f"C{i}", email=f"c{i}@example.com") for i in self.ids)


def test_segment_refresh_replaces_members():
    segment = Segment.objects.create(code="s", name="S")
    SegmentMember.objects.create(segment=segment, customer_id=99)
    with evaluator_registered(_ListEvaluator([1, 2, 3])):
        assert segment_refresh(segment_id=segment.pk) == 3
    assert sorted(SegmentMember.objects.values_list("customer_id", flat=True)) == [1, 2, 3]
    segment.refresh_from_db()
    assert segment.member_count == 3


def test_what_if_reprices_orders_with_an_inactive_promotion():
    v = VariantFactory(base_price=D("100"))
    draft = PromotionFactory(name="Draft 20%", percent=D("20"), is_active=False,
                             starts_at=WHEN + timedelta(days=60))
    orders = [
        HistoricOrder(reference=f"order:{n}", placed_at=WHEN - timedelta(days=n), channel_code="phone",
                      customer_id=None, customer_group="", source_code="", ship_to_region="SP", currency="BRL",
                      lines=[PriceLineInput(v.pk, n)])
        for n in (1, 2)
    ] + [HistoricOrder(reference="order:usd", placed_at=WHEN, channel_code="phone", customer_id=None,
                       customer_group="", source_code="", ship_to_region="SP", currency="USD",
                       lines=[PriceLineInput(v.pk, 1)])]
    report = what_if(promotion_id=draft.pk, orders=orders, currency="BRL")
    assert (report.orders_seen, report.orders_affected, report.discount_given) == (2, 2, D("60.00"))
    assert (report.revenue_before, report.revenue_after, report.revenue_change) == (D("300"), D("240.00"),
                                                                                    D("-60.00"))
    draft.refresh_from_db()
    assert draft.is_active is False


def test_segment_extract_runs_in_the_background_and_downloads_are_audited(role_client, settings, tmp_path):
    from django.urls import reverse

    from marketing.models import SegmentExport
    from marketing.services import segment_export_run
    from oms.models import AuditEntry, OutboxMessage

    settings.MEDIA_ROOT = str(tmp_path)
    client = role_client("manager")
    segment = Segment.objects.create(code="vip", name="VIP")
    with evaluator_registered(None):
        refused = client.post(reverse("marketing:segment_export_start", args=[segment.pk]))
    assert refused.status_code == 302
    assert SegmentExport.objects.count() == 0
    with evaluator_registered(_ListEvaluator([4, 5])):
        client.post(reverse("marketing:segment_export_start", args=[segment.pk]))
        export = SegmentExport.objects.get()
        assert OutboxMessage.objects.get(topic="marketing.segment_export").payload == {"export_id": export.pk}
        page = client.get(reverse("marketing:segment_detail", args=[segment.pk]), HTTP_HX_REQUEST="true")
        assert 'hx-trigger="every 2s"' in page.content.decode()
        assert segment_export_run(export_id=export.pk) == "done"
        assert segment_export_run(export_id=export.pk) == "done"  # a redelivery changes nothing
    export.refresh_from_db()
    assert export.row_count == 2
    response = client.get(reverse("marketing:segment_export_download", args=[export.pk]))
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("customer_id,name,email")
    assert lines[1].startswith("4,C4,c4@example.com")
    audit = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, object_type="marketing.segmentexport")
    assert audit.count() == 1
    page = client.get(reverse("marketing:segment_detail", args=[segment.pk]), HTTP_HX_REQUEST="true")
    assert "every 2s" not in page.content.decode()


def test_what_if_for_a_price_list_not_yet_active():
    from tests.marketing.factories import PriceListFactory, PriceListItemFactory

    v = VariantFactory(base_price=D("100"))
    draft = PriceListFactory(is_active=False, channel_code="phone")
    PriceListItemFactory(price_list=draft, variant=v, unit_price=D("90"))
    orders = [HistoricOrder(reference="order:1", placed_at=WHEN, channel_code="phone", customer_id=None,
                            customer_group="", source_code="", ship_to_region="SP", currency="BRL",
                            lines=[PriceLineInput(v.pk, 4)])]
    report = what_if(price_list_id=draft.pk, orders=orders, currency="BRL")
    assert (report.orders_affected, report.revenue_before, report.revenue_after) == (1, D("400.00"), D("360.00"))
    with pytest.raises(ValueError):
        what_if(orders=orders, currency="BRL")


def test_what_if_pages_explain_that_order_history_is_missing(role_client, monkeypatch):
    from django.urls import reverse

    from marketing import whatif
    from tests.marketing.factories import PriceListFactory

    monkeypatch.setattr(whatif, "_history", None)  # as without the orders app
    client = role_client("manager")
    for url in (reverse("marketing:pricelist_what_if", args=[PriceListFactory().pk]),
                reverse("marketing:promotion_what_if", args=[PromotionFactory().pk])):
        response = client.get(url, {"run": "1"})
        assert response.status_code == 200
        assert "it has not registered its order history yet" in response.content.decode()
