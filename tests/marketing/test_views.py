import io
import re
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse

from marketing.access import RULES
from marketing.models import Coupon, PriceList, PriceListItem, Promotion, SourceCode, TaxRate
from oms.models import AuditEntry
from tests.marketing.conftest import evaluator_registered
from tests.marketing.factories import (
    CampaignFactory,
    CouponFactory,
    PriceListFactory,
    PriceListItemFactory,
    PromotionFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(db):
    """The sales channels the price lists and promotions below name (a code no channel has is refused)."""
    from tests.orders.factories import ChannelFactory

    return [ChannelFactory(code="phone"), ChannelFactory(code="web")]


def test_every_marketing_page_opens_for_managers_and_is_refused_to_agents(role_client, make_user, client):
    from tests.oms.test_access import all_routes

    routes = [(name, url) for name, url in all_routes() if name.startswith("marketing:")]
    assert {name for name, _url in routes} == set(RULES)
    manager = role_client("manager")
    for name, url in routes:
        assert manager.get(url).status_code in (200, 404, 405), name
    client.force_login(make_user("agent"))
    for name, url in routes:
        assert client.get(url).status_code == 403, name


def test_list_pages_render_with_a_constant_query_count(role_client, django_assert_max_num_queries):
    client = role_client("manager")
    for _i in range(3):
        PromotionFactory()
        PriceListFactory()
    for key in ("promotions", "pricelists", "taxrates", "campaigns", "sourcecodes", "segments", "shippingrates"):
        with django_assert_max_num_queries(12):
            response = client.get(reverse(f"marketing:{key}_list"), {"sort": "-name", "q": ""})
        assert response.status_code == 200, key


def test_create_price_list_and_add_tier_prices(role_client, channels):
    client = role_client("manager")
    response = client.post(reverse("marketing:pricelists_create"), {
        "code": "phone-2026", "name": "Phone 2026", "currency": "BRL", "channel_code": "phone", "priority": "5",
        "is_active": "on"})
    price_list = PriceList.objects.get(code="phone-2026")
    assert response.status_code == 302
    assert response["Location"] == reverse("marketing:pricelist_items", args=[price_list.pk])
    v = VariantFactory(sku="TEE-M")
    url = reverse("marketing:pricelist_items", args=[price_list.pk])
    assert client.post(url, {"sku": "tee-m", "min_quantity": "1", "unit_price": "50"}).status_code == 302
    assert client.post(url, {"sku": "TEE-M", "min_quantity": "10", "unit_price": "45"}).status_code == 302
    bad = client.post(url, {"sku": "TEE-M", "min_quantity": "20", "unit_price": "46"})
    assert bad.status_code == 400
    assert "is above the price from 10 units" in bad.content.decode()
    negative = client.post(url, {"sku": "TEE-M", "min_quantity": "30", "unit_price": "-1"})
    assert negative.status_code == 400
    assert sorted(PriceListItem.objects.filter(variant=v).values_list("min_quantity", "unit_price")) == [
        (1, D("50")), (10, D("45"))]
    assert AuditEntry.objects.filter(object_type="marketing.pricelistitem").count() == 2


def test_overlapping_tax_rates_are_refused(role_client):
    client = role_client("manager")
    data = {"name": "ICMS SP", "region": "sp", "tax_class": "standard", "rate": "18", "valid_from": "2026-01-01"}
    assert client.post(reverse("marketing:taxrates_create"), data).status_code == 302
    again = client.post(reverse("marketing:taxrates_create"), {**data, "valid_from": "2026-06-01"})
    assert again.status_code == 400
    assert "Overlaps the rate" in again.content.decode()
    assert TaxRate.objects.get().region == "SP"


def _csv(text: str):
    return io.BytesIO(text.encode()), "prices.csv"


def test_price_list_import_preview_then_confirm(role_client):
    client = role_client("manager")
    price_list = PriceListFactory()
    VariantFactory(sku="A1")
    VariantFactory(sku="B2")
    upload = io.BytesIO(b"sku,min_quantity,unit_price\nA1,1,10.00\nA1,5,9.50\nB2,,20\n")
    upload.name = "prices.csv"
    url = reverse("marketing:pricelist_import", args=[price_list.pk])
    preview = client.post(url, {"file": upload})
    assert preview.status_code == 200
    assert PriceListItem.objects.count() == 0  # the preview keeps nothing
    assert preview.context["report"].new == 3
    payload = preview.context["payload"]
    done = client.post(url, {"payload": payload, "filename": "prices.csv"})
    assert done.status_code == 302
    assert sorted(PriceListItem.objects.values_list("variant__sku", "min_quantity", "unit_price")) == [
        ("A1", 1, D("10.00")), ("A1", 5, D("9.50")), ("B2", 1, D("20.00"))]


def test_price_list_import_with_bad_rows_changes_nothing(role_client):
    client = role_client("manager")
    price_list = PriceListFactory()
    v = VariantFactory(sku="A1")
    PriceListItemFactory(price_list=price_list, variant=v, unit_price=D("10"))
    upload = io.BytesIO(b"sku,min_quantity,unit_price\nA1,1,12\nNOPE,1,5\nA1,3,-2\nA1,4,abc\n")
    upload.name = "prices.csv"
    preview = client.post(reverse("marketing:pricelist_import", args=[price_list.pk]), {"file": upload})
    assert preview.status_code == 400
    problems = preview.context["report"].problems
    # Rows are the file's lines as a spreadsheet shows them (the header is line 1), as in the other imports.
    assert problems == [(3, "No SKU NOPE."), (4, "unit_price: Ensure this value is greater than or equal to 0."),
                        (5, "unit_price: The price “abc” is not a number.")]
    assert PriceListItem.objects.get().unit_price == D("10")
    # Confirming a bad payload directly is refused as a whole too.
    done = client.post(reverse("marketing:pricelist_import", args=[price_list.pk]),
                       {"payload": preview.context["payload"], "filename": "prices.csv"})
    assert done.status_code == 302
    assert PriceListItem.objects.get().unit_price == D("10")


def test_price_list_import_names_the_row_of_a_repeated_tier_and_of_a_tier_priced_above_the_one_below(role_client):
    """A second price for the same SKU and quantity would silently replace the first, and a tier conflict used to be
    reported without row or SKU; both are refused with the row and SKU named, and nothing is changed."""
    client = role_client("manager")
    price_list = PriceListFactory()
    a1 = VariantFactory(sku="A1")
    VariantFactory(sku="B2")
    PriceListItemFactory(price_list=price_list, variant=a1, min_quantity=1, unit_price=D("10"))
    url = reverse("marketing:pricelist_import", args=[price_list.pk])
    twice = io.BytesIO(b"sku,min_quantity,unit_price\nB2,1,5\nB2,5,4\nB2,,6\n")
    twice.name = "prices.csv"
    preview = client.post(url, {"file": twice})
    assert preview.status_code == 400
    assert preview.context["report"].problems == [
        (4, "SKU B2 from 1 units is already priced on row 2; give each SKU and quantity once.")]
    above = io.BytesIO(b"sku,min_quantity,unit_price\nB2,1,5\nA1,5,9\nA1,10,11\n")
    above.name = "prices.csv"
    preview = client.post(url, {"file": above})
    assert preview.status_code == 400
    assert preview.context["report"].problems == [
        (4, "SKU A1: the price from 10 units (R$\xa011.00) is above the price from 5 units (R$\xa09.00).")]
    done = client.post(url, {"payload": preview.context["payload"], "filename": "prices.csv"}, follow=True)
    assert "nothing was imported" in done.content.decode()
    assert list(PriceListItem.objects.values_list("variant__sku", "min_quantity", "unit_price")) == [
        ("A1", 1, D("10.0000"))]


def test_price_list_import_xlsx_and_missing_column(role_client):
    client = role_client("manager")
    price_list = PriceListFactory()
    VariantFactory(sku="X9")
    book = openpyxl.Workbook()
    book.active.append(["SKU", "unit_price"])
    book.active.append(["X9", 15.5])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "prices.xlsx"
    url = reverse("marketing:pricelist_import", args=[price_list.pk])
    preview = client.post(url, {"file": data})
    assert preview.status_code == 200, preview.context["report"].problems
    client.post(url, {"payload": preview.context["payload"], "filename": "prices.xlsx"})
    assert PriceListItem.objects.get().unit_price == D("15.5")
    bad = io.BytesIO(b"code,price\nX9,1\n")
    bad.name = "prices.csv"
    refused = client.post(url, {"file": bad})
    assert refused.context["report"].problems == [(0, "Missing column(s): sku, unit_price")]


def test_price_list_export_csv_and_xlsx(role_client):
    client = role_client("manager")
    item = PriceListItemFactory(variant=VariantFactory(sku="E1"), unit_price=D("12.34"), min_quantity=2)
    url = reverse("marketing:pricelist_export", args=[item.price_list_id])
    text = client.get(url).content.decode()
    assert text.splitlines() == ["sku,min_quantity,unit_price", "E1,2,12.3400"]
    xlsx = client.get(url, {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]] == ["E1", 2, 12.34]


def test_promotion_create_activate_and_coupons(role_client, channels):
    client = role_client("manager")
    VariantFactory(sku="S1")
    response = client.post(reverse("marketing:promotions_create"), {
        "name": "Winter", "kind": "item_percent", "currency": "BRL", "percent": "15", "skus": "S1",
        "priority": "0", "channel_codes": "phone, web", "customer_groups": "", "shipping_services": "",
        "weekdays": "", "tiers": "[]"})
    assert response.status_code == 302, response.context["form"].errors
    promotion = Promotion.objects.get(name="Winter")
    assert (promotion.is_active, promotion.channel_codes) == (False, ["phone", "web"])
    assert list(promotion.variants.values_list("sku", flat=True)) == ["S1"]
    client.post(reverse("marketing:promotion_activate", args=[promotion.pk]), {"active": "1"})
    promotion.refresh_from_db()
    assert promotion.is_active is True
    client.post(reverse("marketing:coupon_add", args=[promotion.pk]), {"code": "winter10", "usage_limit": ""})
    assert Coupon.objects.get(code="WINTER10").usage_limit is None
    client.post(reverse("marketing:coupon_batch_add", args=[promotion.pk]), {"quantity": "25", "prefix": "wnt"})
    batch = promotion.coupon_batches.get()
    codes = list(batch.coupons.values_list("code", flat=True))
    assert len(set(codes)) == 25
    assert all(re.fullmatch(r"WNT-[A-Z2-9]{8}", c) for c in codes)
    export = b"".join(client.get(reverse("marketing:coupon_batch_export", args=[batch.pk])).streaming_content)
    assert len(export.decode().splitlines()) == 26
    assert client.get(reverse("marketing:promotion_detail", args=[promotion.pk])).status_code == 200


def test_invalid_promotion_is_explained(role_client):
    client = role_client("manager")
    response = client.post(reverse("marketing:promotions_create"), {
        "name": "Tiers", "kind": "tiered_spend", "currency": "BRL", "priority": "0",
        "tiers": '[{"threshold": "500", "percent": "10"}, {"threshold": "300", "percent": "15"}]',
        "skus": "NOPE", "weekdays": "9"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Unknown SKU(s): NOPE" in errors["skus"][0]
    assert Promotion.objects.count() == 0


def test_promote_overstock_in_two_clicks(role_client):
    client = role_client("manager")
    a, b = VariantFactory(sku="OV1"), VariantFactory(sku="OV2")
    page = client.get(reverse("marketing:promote_overstock"), {"sku": ["OV1", "OV2", "GONE"]})
    assert page.status_code == 200
    assert page.context["missing"] == ["GONE"]
    response = client.post(reverse("marketing:promote_overstock"), {
        "name": "Clear winter", "percent": "30", "activate": "on", "skus": "OV1 OV2"})
    promotion = Promotion.objects.get(name="Clear winter")
    assert response.status_code == 302
    assert (promotion.kind, promotion.percent, promotion.is_active) == ("item_percent", D("30"), True)
    assert set(promotion.variants.all()) == {a, b}


def test_price_check_explains_a_phone_order(role_client):
    client = role_client("manager")
    v = VariantFactory(sku="PC1", base_price=D("100"))
    source = SourceCode.objects.create(code="CAT26", campaign=CampaignFactory())
    PromotionFactory(name="Catalogue 10%", campaign=source.campaign)
    CouponFactory(code="EXTRA5", promotion=PromotionFactory(name="Five off", kind="order_fixed", percent=None,
                                                           amount=D("5"), requires_coupon=True))
    response = client.get(reverse("marketing:price_check"), {
        "lines": f"{v.sku} 2", "channel_code": "phone", "source_code": "cat26", "coupons": "extra5",
        "ship_to_region": "SP", "currency": "BRL"})
    assert response.status_code == 200
    result = response.context["result"]
    assert [(d.name, d.amount, d.coupon_code) for d in result.order_discounts] == [
        ("Catalogue 10%", D("20.00"), ""), ("Five off", D("5.00"), "EXTRA5")]
    assert result.discount_total == D("25.00")
    assert "Catalogue 10%" in response.content.decode()
    bad = client.get(reverse("marketing:price_check"), {"lines": "NOPE 1", "channel_code": "phone",
                                                        "ship_to_region": "SP", "currency": "BRL"})
    assert "Unknown SKU(s): NOPE" in bad.content.decode()


def test_segment_export_needs_an_order_history_evaluator(role_client):
    from marketing.models import Segment

    client = role_client("manager")
    response = client.post(reverse("marketing:segments_create"), {
        "code": "big", "name": "Big spenders", "rules": '[{"field": "total_spent", "op": "gte", "value": "1000"}]'})
    segment = Segment.objects.get(code="big")
    assert response.status_code == 302
    bad = client.post(reverse("marketing:segments_create"), {
        "code": "bad", "name": "Bad", "rules": '[{"field": "shoe_size", "op": "gte", "value": 1}]'})
    assert bad.status_code == 400
    assert "unknown field shoe_size" in bad.content.decode()
    with evaluator_registered(None):
        refused = client.get(reverse("marketing:segment_export", args=[segment.pk]))
    assert refused.status_code == 409
    # With the orders app's evaluator (registered at start-up) the export streams a CSV.
    export = client.get(reverse("marketing:segment_export", args=[segment.pk]))
    assert (export.status_code, export["Content-Type"].split(";")[0]) == (200, "text/csv")


def test_overlapping_price_lists_with_the_same_priority_are_refused(role_client, channels):
    client = role_client("manager")
    PriceListFactory(code="a", channel_code="phone", priority=5)
    response = client.post(reverse("marketing:pricelists_create"), {
        "code": "b", "name": "B", "currency": "BRL", "channel_code": "phone", "priority": "5", "is_active": "on"})
    assert response.status_code == 400
    assert "The active list a has the same channel" in response.content.decode()
    ok = client.post(reverse("marketing:pricelists_create"), {
        "code": "b", "name": "B", "currency": "BRL", "channel_code": "phone", "priority": "6", "is_active": "on"})
    assert ok.status_code == 302


def test_edit_pages_render_for_existing_rows(role_client):
    from marketing.models import ChannelTaxSetting, Segment
    from tests.marketing.factories import (
        CampaignFactory,
        CarrierServiceFactory,
        ShippingRateFactory,
        ShippingZoneFactory,
        SourceCodeFactory,
        TaxRateFactory,
    )

    client = role_client("manager")
    promotion = PromotionFactory()
    promotion.variants.set([VariantFactory(sku="ED1")])
    rows = {
        "pricelists": PriceListFactory(), "taxrates": TaxRateFactory(), "zones": ShippingZoneFactory(),
        "carriers": CarrierServiceFactory(), "shippingrates": ShippingRateFactory(), "campaigns": CampaignFactory(),
        "sourcecodes": SourceCodeFactory(), "promotions": promotion,
        "segments": Segment.objects.create(code="s", name="S"),
        "channeltax": ChannelTaxSetting.objects.create(channel_code="store"),
    }
    for key, obj in rows.items():
        response = client.get(reverse(f"marketing:{key}_edit", args=[obj.pk]))
        assert response.status_code == 200, key
    assert "ED1</textarea>" in client.get(reverse("marketing:promotions_edit", args=[promotion.pk])).content.decode()
    for url in (reverse("marketing:promotion_detail", args=[promotion.pk]),
                reverse("marketing:promotion_what_if", args=[promotion.pk]),
                reverse("marketing:segment_detail", args=[rows["segments"].pk]),
                reverse("marketing:pricelist_items", args=[rows["pricelists"].pk]),
                reverse("marketing:pricelist_import", args=[rows["pricelists"].pk]),
                reverse("marketing:home")):
        assert client.get(url).status_code == 200, url


def test_pages_render_in_portuguese_and_arabic(role_client):
    client = role_client("manager")
    PromotionFactory(name="Promo X")
    client.cookies["django_language"] = "pt-br"
    assert "Promoções" in client.get(reverse("marketing:promotions_list")).content.decode()
    client.cookies["django_language"] = "ar"
    assert "العروض الترويجية" in client.get(reverse("marketing:promotions_list")).content.decode()


def test_campaign_list_shows_discounts_given(role_client, price):
    from django.db import transaction

    from marketing.pricing import PriceLineInput
    from marketing.services import promotion_redeem
    from tests.marketing.factories import SourceCodeFactory

    source = SourceCodeFactory(code="RAD1")
    PromotionFactory(campaign=source.campaign, percent=D("10"))
    priced = price(lines=[PriceLineInput(VariantFactory(base_price=D("80")).pk, 1)], source_code="RAD1")
    with transaction.atomic():
        promotion_redeem(priced=priced, order_reference="order:1", customer_id=None, acting_user=None)
    response = role_client("manager").get(reverse("marketing:campaigns_list"))
    row = dict(response.context["table"])[source.campaign]
    assert row[5] == "R$\xa08.00"


def test_sku_suggestions(role_client):
    VariantFactory(sku="SUG-1", name="Blue shirt")
    client = role_client("manager")
    response = client.get(reverse("marketing:sku_suggest"), {"sku": "sug-1"})
    assert response.content.decode() == '<option value="SUG-1">Blue shirt</option>'
    assert client.get(reverse("marketing:sku_suggest"), {"sku": "s"}).content == b""


def test_a_state_belongs_to_one_shipping_zone(role_client):
    from marketing.models import ShippingZone

    client = role_client("manager")
    assert client.post(reverse("marketing:zones_create"), {"code": "se", "name": "Sudeste",
                                                           "regions": "sp, rj"}).status_code == 302
    assert ShippingZone.objects.get().regions == ["SP", "RJ"]
    clash = client.post(reverse("marketing:zones_create"), {"code": "x", "name": "X", "regions": "MG,RJ"})
    assert clash.status_code == 400
    assert "RJ already belong to zone Sudeste." in clash.content.decode()
    assert ShippingZone.objects.count() == 1


def test_deleting_a_campaign_in_use_is_refused(role_client):
    from marketing.models import Campaign
    from tests.marketing.factories import SourceCodeFactory

    client = role_client("manager")
    source = SourceCodeFactory()
    response = client.post(reverse("marketing:campaigns_delete", args=[source.campaign_id]), follow=True)
    assert "is still in use and cannot be deleted" in response.content.decode()
    assert Campaign.objects.filter(pk=source.campaign_id).exists()
    assert not AuditEntry.objects.filter(object_type="marketing.campaign", action=AuditEntry.Action.DELETE).exists()


def test_price_check_with_a_customer_in_a_segment(role_client):
    from marketing.models import Segment, SegmentMember

    segment = Segment.objects.create(code="loyal", name="Loyal")
    SegmentMember.objects.create(segment=segment, customer_id=77)
    PromotionFactory(name="Loyalty 5%", percent=D("5"), segment=segment)
    VariantFactory(sku="LOY1", base_price=D("100"))
    client = role_client("manager")
    query = {"lines": "LOY1", "channel_code": "phone", "ship_to_region": "SP", "currency": "BRL"}
    assert client.get(reverse("marketing:price_check"), query).context["result"].discount_total == D("0")
    with_customer = client.get(reverse("marketing:price_check"), {**query, "customer_id": "77"})
    assert with_customer.context["result"].discount_total == D("5.00")


def test_promotion_page_shows_every_limit_the_form_sets(role_client):
    """Weekdays, hours, categories, brands, source codes and shipping services limit a promotion as much as its
    channels do; the page listed only SKUs, channels, groups, segment, campaign and dates."""
    from datetime import time

    from tests.marketing.factories import BrandFactory, CategoryFactory, SourceCodeFactory

    promotion = PromotionFactory(name="Weekday mornings", weekdays=[5, 1], daily_start=time(9), daily_end=time(12),
                                 shipping_services=["pac"])
    promotion.categories.set([CategoryFactory(name="Shoes")])
    promotion.brands.set([BrandFactory(name="Acme")])
    promotion.source_codes.set([SourceCodeFactory(code="CAT77")])
    client = role_client("manager")
    text = client.get(reverse("marketing:promotion_detail", args=[promotion.pk])).content.decode()
    for shown in ("<dt>Weekdays</dt><dd>Monday, Friday</dd>", "<bdi>09:00</bdi> → <bdi>12:00</bdi>",
                  "<dt>Categories</dt><dd>Shoes</dd>", "<dt>Brands</dt><dd>Acme</dd>",
                  "<dt>Source codes</dt><dd>CAT77</dd>", "<dt>Shipping services</dt><dd>pac</dd>"):
        assert shown in text
    client.cookies["django_language"] = "pt-br"
    assert "Segunda-feira, Sexta-feira" in client.get(
        reverse("marketing:promotion_detail", args=[promotion.pk])).content.decode()


def test_an_order_promotion_does_not_keep_item_limits_it_ignores(role_client):
    """The form hides SKUs, categories and brands for order-level kinds (and shipping services for all but free
    shipping) yet posts what they held; saved, they read as limits on the promotion page that never apply."""
    from tests.marketing.factories import BrandFactory

    client = role_client("manager")
    VariantFactory(sku="S1")
    brand = BrandFactory(name="Acme")
    data = {"name": "Order 10%", "kind": "order_percent", "currency": "BRL", "percent": "10", "priority": "0",
            "skus": "S1", "brands": [brand.pk], "shipping_services": "pac", "weekdays": "", "tiers": ""}
    assert client.post(reverse("marketing:promotions_create"), data).status_code == 302
    promotion = Promotion.objects.get(name="Order 10%")
    assert (list(promotion.variants.all()), list(promotion.brands.all()), promotion.shipping_services) == ([], [], [])
    edit = client.post(reverse("marketing:promotions_edit", args=[promotion.pk]), {**data, "kind": "item_percent"})
    assert edit.status_code == 302
    promotion.refresh_from_db()
    assert ([v.sku for v in promotion.variants.all()], list(promotion.brands.all()), promotion.shipping_services) == (
        ["S1"], [brand], [])


def test_what_if_title_in_portuguese(role_client):
    """The title read "E se “…” tivesse valido nos últimos 30 dias?" ("had been worth", without its accent)."""
    client = role_client("manager")
    client.cookies["django_language"] = "pt-br"
    promotion = PromotionFactory(name="Inverno 10%")
    page = client.get(reverse("marketing:promotion_what_if", args=[promotion.pk])).content.decode()
    assert "E se “Inverno 10%” estivesse em vigor nos últimos 30 dias?" in page


def test_price_check_says_one_day_not_one_days(role_client):
    from tests.marketing.factories import ShippingRateFactory

    ShippingRateFactory(transit_days=1, service__name="Expresso")
    VariantFactory(sku="PC1", base_price=D("100"))
    response = role_client("manager").get(reverse("marketing:price_check"), {
        "lines": "PC1 1", "channel_code": "phone", "ship_to_region": "SP", "currency": "BRL"})
    page = response.content.decode()
    assert ", 1 day" in page and "1 days" not in page


def test_one_segment_member_is_not_one_members(role_client, settings):
    from django.utils import timezone

    from marketing.models import Segment

    segment = Segment.objects.create(code="VIP", name="VIP", rules=[], member_count=1, refreshed_at=timezone.now())
    page = role_client("manager").get(reverse("marketing:segment_detail", args=[segment.pk])).content.decode()
    assert "1 member at the last refresh" in page


def test_a_leaked_coupon_is_stopped_alone_and_can_work_again(role_client):
    """A coupon code passed around where it should not be: the manager stops that code (a single coupon from its
    row, a batch code by typing it); orders can no longer use it, the promotion and its other coupons go on, and
    the trail says who did it."""
    client = role_client("manager")
    v = VariantFactory(sku="LK1", base_price=D("100"))
    promotion = PromotionFactory(name="Ten off", kind="order_fixed", percent=None, amount=D("10"),
                                 requires_coupon=True)
    CouponFactory(code="LEAKED", promotion=promotion, usage_limit=None)
    CouponFactory(code="KEPT", promotion=promotion, usage_limit=None)
    client.post(reverse("marketing:coupon_batch_add", args=[promotion.pk]), {"quantity": "2", "prefix": "vip"})
    batch_code = promotion.coupons.filter(batch__isnull=False).values_list("code", flat=True).first()

    def discount(code: str):
        result = client.get(reverse("marketing:price_check"), {
            "lines": f"{v.sku} 1", "channel_code": "phone", "coupons": code, "ship_to_region": "SP",
            "currency": "BRL"}).context["result"]
        return result.discount_total

    assert discount("leaked") == D("10.00")
    stop = reverse("marketing:coupon_active", args=[promotion.pk])
    page = client.get(reverse("marketing:promotion_detail", args=[promotion.pk])).content.decode()
    assert f'action="{stop}"' in page and 'name="code" value="LEAKED"' in page
    response = client.post(stop, {"code": "LEAKED", "active": "0"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Coupon LEAKED deactivated: orders can no longer use it."]
    assert client.post(stop, {"code": batch_code.lower(), "active": "0"}).status_code == 302
    assert (discount("leaked"), discount(batch_code), discount("kept")) == (D("0"), D("0"), D("10.00"))
    entry = AuditEntry.objects.get(verb="coupon_deactivate", object_repr="LEAKED")
    assert (entry.actor, entry.changes) == (client.user, {"is_active": [True, False]})

    unknown = client.post(stop, {"code": "NOPE", "active": "0"}, follow=True)
    assert [str(m) for m in unknown.context["messages"]] == ["This promotion has no coupon NOPE."]
    client.post(stop, {"code": "LEAKED", "active": "1"})
    assert discount("leaked") == D("10.00")


def test_the_cursor_never_waits_on_deactivating_a_running_promotion(role_client):
    """The promotion's page puts the cursor on "Activate" for a promotion not running yet; on a running one it puts
    it nowhere: the page comes back after each coupon added, and an Enter too many there stopped the promotion."""
    client = role_client("manager")
    promotion = PromotionFactory(name="Running", is_active=True)
    detail = reverse("marketing:promotion_detail", args=[promotion.pk])
    page = client.get(detail).content.decode()
    assert "autofocus" not in page.split('name="active" value="0"')[1].split("</form>")[0]
    Promotion.objects.filter(pk=promotion.pk).update(is_active=False)
    page = client.get(detail).content.decode()
    assert 'class="primary" autofocus>Activate</button>' in page


def test_generating_coupons_twice_from_the_same_page_makes_one_batch(role_client):
    """A double click on "Generate single-use codes" made two batches (twice the codes, each one valid); the same
    copy of the form sent again now finds the first batch, and a new copy of the page makes a new one."""
    client = role_client("manager")
    promotion = PromotionFactory(name="Batch")
    page = client.get(reverse("marketing:promotion_detail", args=[promotion.pk]))
    once = page.context["batch_form"]["once"].value()
    assert f'name="once" value="{once}"' in page.content.decode()
    url = reverse("marketing:coupon_batch_add", args=[promotion.pk])
    for _copy in range(2):
        assert client.post(url, {"quantity": "30", "prefix": "dbl", "once": once}).status_code == 302
    assert (promotion.coupon_batches.count(), promotion.coupons.count()) == (1, 30)
    client.post(url, {"quantity": "5", "prefix": "dbl",
                      "once": client.get(reverse("marketing:promotion_detail", args=[promotion.pk]))
                      .context["batch_form"]["once"].value()})
    assert (promotion.coupon_batches.count(), promotion.coupons.count()) == (2, 35)
