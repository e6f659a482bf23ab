"""What an admin types on the marketing configuration screens: each mistake gets a message naming it (never the
name of a database constraint), and a saved rule is one the pricing can apply."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from marketing.models import Campaign, ChannelTaxSetting, PriceList, Promotion, TaxRate
from oms.models import AuditEntry
from tests.marketing.factories import PriceListFactory

pytestmark = pytest.mark.django_db


def _errors(response) -> list[str]:
    return [str(e) for errors in response.context["form"].errors.values() for e in errors]


@pytest.mark.parametrize(("key", "data", "model"), [
    ("pricelists", {"code": "late", "name": "Late", "currency": "BRL", "priority": "0",
                    "valid_from": "2026-05-01T00:00", "valid_until": "2026-04-01T00:00"}, PriceList),
    ("taxrates", {"name": "ICMS", "region": "SP", "rate": "18", "valid_from": "2026-05-01",
                  "valid_until": "2026-04-01"}, TaxRate),
    ("campaigns", {"code": "late", "name": "Late", "starts_on": "2026-05-01", "ends_on": "2026-04-01",
                   "budget": "10", "currency": "BRL"}, Campaign),
    ("promotions", {"name": "Late", "kind": "order_percent", "currency": "BRL", "percent": "10", "priority": "0",
                    "starts_at": "2026-05-01T00:00", "ends_at": "2026-04-01T00:00"}, Promotion),
])
def test_an_end_before_the_start_is_refused_in_words_not_by_constraint_name(role_client, key, data, model):
    response = role_client("manager").post(reverse(f"marketing:{key}_create"), data)
    assert response.status_code == 400
    errors = _errors(response)
    assert any("The end" in e and "the start" in e for e in errors), errors
    assert not any("onstraint" in e or "valid_range" in e for e in errors), errors
    assert not model.objects.exists()


def test_the_end_before_the_start_reads_in_portuguese(role_client):
    client = role_client("manager")
    response = client.post(reverse("marketing:campaigns_create"), {
        "code": "late", "name": "Late", "starts_on": "2026-05-01", "ends_on": "2026-04-01", "budget": "10",
        "currency": "BRL"}, HTTP_ACCEPT_LANGUAGE="pt-br")
    assert "O fim não pode ser antes do início." in _errors(response)


# ----------------------------------------------------------------------------- channel and service codes


@pytest.fixture
def channels(db):
    from tests.orders.factories import ChannelFactory

    return [ChannelFactory(code="phone"), ChannelFactory(code="web")]


def test_a_price_list_for_a_channel_typed_in_capitals_prices_that_channels_orders(role_client, channels, price):
    from marketing.pricing import PriceLineInput
    from tests.marketing.factories import VariantFactory

    variant = VariantFactory(sku="PL1", base_price="100.00")
    client = role_client("manager")
    response = client.post(reverse("marketing:pricelists_create"), {
        "code": "phone-26", "name": "Phone 26", "currency": "BRL", "channel_code": "PHONE", "priority": "5",
        "is_active": "on"})
    assert response.status_code == 302
    price_list = PriceList.objects.get(code="phone-26")
    assert price_list.channel_code == "phone"
    client.post(reverse("marketing:pricelist_items", args=[price_list.pk]),
                {"sku": "PL1", "min_quantity": "1", "unit_price": "80.00"})
    priced = price(lines=[PriceLineInput(variant_id=variant.pk, quantity=1)], channel_code="phone")
    assert priced.subtotal == D("80.00")


@pytest.mark.parametrize(("key", "data", "field"), [
    ("pricelists", {"code": "tv", "name": "TV", "currency": "BRL", "channel_code": "tv", "priority": "0"},
     "channel_code"),
    ("campaigns", {"code": "tv", "name": "TV", "channel_code": "tv", "starts_on": "2026-05-01", "budget": "10",
                   "currency": "BRL"}, "channel_code"),
    ("channeltax", {"channel_code": "tv", "prices_include_tax": "on"}, "channel_code"),
    ("promotions", {"name": "TV", "kind": "order_percent", "currency": "BRL", "percent": "10", "priority": "0",
                    "channel_codes": "phone, tv"}, "channel_codes"),
])
def test_a_channel_code_no_channel_has_is_refused_naming_the_channels(role_client, channels, key, data, field):
    response = role_client("manager").post(reverse(f"marketing:{key}_create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [
        "No sales channel has the code “tv”. The channels are: phone, web."]
    assert not AuditEntry.objects.exists()


def test_promotion_channels_in_another_case_are_the_channels_and_the_promotion_applies(role_client, channels, price):
    from marketing.pricing import PriceLineInput
    from tests.marketing.factories import VariantFactory

    variant = VariantFactory(base_price="100.00")
    response = role_client("manager").post(reverse("marketing:promotions_create"), {
        "name": "Phone 10%", "kind": "order_percent", "currency": "BRL", "percent": "10", "priority": "0",
        "channel_codes": "Phone, PHONE"})
    assert response.status_code == 302
    promotion = Promotion.objects.get(name="Phone 10%")
    assert promotion.channel_codes == ["phone"]
    Promotion.objects.filter(pk=promotion.pk).update(is_active=True)
    priced = price(lines=[PriceLineInput(variant_id=variant.pk, quantity=1)], channel_code="phone")
    assert priced.discount_total == D("10.00")


def test_free_shipping_for_a_service_typed_in_capitals_frees_that_service(role_client, price):
    from marketing.pricing import PriceLineInput
    from tests.marketing.factories import (
        CarrierServiceFactory,
        ShippingRateFactory,
        ShippingZoneFactory,
        VariantFactory,
    )

    zone = ShippingZoneFactory(regions=["SP"])
    ShippingRateFactory(service=CarrierServiceFactory(code="sedex"), zone=zone, price=D("30"))
    ShippingRateFactory(service=CarrierServiceFactory(code="pac"), zone=zone, price=D("15"))
    client = role_client("manager")
    data = {"name": "Free SEDEX", "kind": "free_shipping", "currency": "BRL", "priority": "0"}
    refused = client.post(reverse("marketing:promotions_create"), {**data, "shipping_services": "fedex"})
    assert refused.context["form"].errors["shipping_services"] == [
        "No carrier service has the code “fedex”. The services are: pac, sedex."]
    saved = client.post(reverse("marketing:promotions_create"), {**data, "shipping_services": "SEDEX"})
    assert saved.status_code == 302
    promotion = Promotion.objects.get(name="Free SEDEX")
    assert promotion.shipping_services == ["sedex"]
    Promotion.objects.filter(pk=promotion.pk).update(is_active=True)
    variant = VariantFactory(base_price="100.00")
    priced = price(lines=[PriceLineInput(variant_id=variant.pk, quantity=1)], shipping_service="sedex")
    assert priced.shipping_total == D("0")


def test_a_channel_tax_setting_typed_in_capitals_is_the_channels_and_says_when_it_exists(role_client, channels):
    client = role_client("manager")
    assert client.post(reverse("marketing:channeltax_create"),
                       {"channel_code": "WEB", "prices_include_tax": "on"}).status_code == 302
    assert ChannelTaxSetting.objects.get().channel_code == "web"
    again = client.post(reverse("marketing:channeltax_create"), {"channel_code": " Web ", "prices_include_tax": "on"})
    assert again.status_code == 400
    assert ChannelTaxSetting.objects.count() == 1


# ----------------------------------------------------------------------------- amounts


def test_a_negative_free_shipping_threshold_or_minimum_order_value_is_refused(role_client):
    """Saved, "free above -1" made every order's shipping free."""
    from marketing.models import CarrierService

    client = role_client("manager")
    carrier = client.post(reverse("marketing:carriers_create"), {
        "code": "pac", "name": "PAC", "carrier": "Correios", "currency": "BRL", "sort_order": "0",
        "free_shipping_threshold": "-1"})
    assert carrier.status_code == 400
    assert _errors(carrier) == ["Ensure this value is greater than or equal to 0."]
    assert not CarrierService.objects.exists()
    promotion = client.post(reverse("marketing:promotions_create"), {
        "name": "Min", "kind": "order_percent", "currency": "BRL", "percent": "5", "priority": "0",
        "min_subtotal": "-10"})
    assert promotion.status_code == 400
    assert _errors(promotion) == ["Ensure this value is greater than or equal to 0."]
    assert not Promotion.objects.exists()


def test_an_overlapping_tax_rate_names_the_other_rates_start_as_the_reader_writes_dates(role_client):
    from tests.marketing.factories import TaxRateFactory

    TaxRateFactory(name="ICMS SP", region="SP", tax_class="standard", valid_from="2026-01-01")
    client = role_client("manager")
    data = {"name": "ICMS SP 2", "region": "SP", "tax_class": "standard", "rate": "18", "valid_from": "2026-03-01"}
    english = client.post(reverse("marketing:taxrates_create"), data)
    assert english.context["form"].errors["valid_from"] == [
        "Overlaps the rate “ICMS SP” from 01/01/2026 for the same region and class."]
    portuguese = client.post(reverse("marketing:taxrates_create"), data, HTTP_ACCEPT_LANGUAGE="pt-br")
    assert "01/01/2026" in portuguese.context["form"].errors["valid_from"][0]
    assert TaxRate.objects.count() == 1


def test_a_quantity_tier_priced_above_the_one_below_names_both_prices_as_money(role_client):
    """The message read "(30.5) ... (20.9300)" where the table beside it shows R$ 20,93."""
    from tests.marketing.factories import PriceListItemFactory, VariantFactory

    price_list = PriceListFactory()
    variant = VariantFactory(sku="MUG-1")
    PriceListItemFactory(price_list=price_list, variant=variant, min_quantity=1, unit_price=D("20.93"))
    response = role_client("manager").post(reverse("marketing:pricelist_items", args=[price_list.pk]),
                                           {"sku": "MUG-1", "min_quantity": "100", "unit_price": "1030.5"},
                                           HTTP_ACCEPT_LANGUAGE="pt-br")
    assert response.status_code == 400
    assert response.context["form"].errors["unit_price"] == [
        "O preço a partir de 100 unidades (R$\xa01.030,50) está acima do preço a partir de 1 unidade (R$\xa020,93)."]


# ----------------------------------------------------------------------------- deleting what is in use


def test_a_source_code_a_promotion_is_limited_to_cannot_be_deleted(role_client, price):
    """Deleted, it left the promotion with no condition on the source code: 10% off every order."""
    from marketing.models import SourceCode
    from marketing.pricing import PriceLineInput
    from tests.marketing.factories import PromotionFactory, SourceCodeFactory, VariantFactory

    code = SourceCodeFactory(code="CAT26")
    promotion = PromotionFactory(name="Catalogue 10%", kind="order_percent", percent=D("10"), is_active=True)
    promotion.source_codes.set([code])
    variant = VariantFactory(base_price="100.00")
    client = role_client("manager")
    response = client.post(reverse("marketing:sourcecodes_delete", args=[code.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The source code CAT26 is a condition of the promotion(s) Catalogue 10%; take it off them first."]
    assert SourceCode.objects.filter(pk=code.pk).exists()
    assert price(lines=[PriceLineInput(variant_id=variant.pk, quantity=1)]).discount_total == D("0")
    promotion.source_codes.clear()
    client.post(reverse("marketing:sourcecodes_delete", args=[code.pk]))
    assert not SourceCode.objects.filter(pk=code.pk).exists()


def test_customer_groups_typed_in_another_case_are_the_customers_groups(role_client, channels, price):
    """Customers of group "vip" got nothing from a price list or promotion saved for "VIP"."""
    from marketing.pricing import PriceLineInput
    from tests.marketing.factories import VariantFactory
    from tests.orders.factories import CustomerFactory

    CustomerFactory(group_code="vip")
    variant = VariantFactory(sku="PL1", base_price="100.00")
    client = role_client("manager")
    assert client.post(reverse("marketing:pricelists_create"), {
        "code": "vip", "name": "VIP", "currency": "BRL", "customer_group": " VIP ", "priority": "5",
        "is_active": "on"}).status_code == 302
    price_list = PriceList.objects.get(code="vip")
    assert price_list.customer_group == "vip"
    client.post(reverse("marketing:pricelist_items", args=[price_list.pk]),
                {"sku": "PL1", "min_quantity": "1", "unit_price": "90.00"})
    assert client.post(reverse("marketing:promotions_create"), {
        "name": "VIP 10%", "kind": "order_percent", "currency": "BRL", "percent": "10", "priority": "0",
        "customer_groups": "Vip, partners, VIP"}).status_code == 302
    promotion = Promotion.objects.get(name="VIP 10%")
    assert promotion.customer_groups == ["vip", "partners"]  # a group no customer has yet is kept as typed
    Promotion.objects.filter(pk=promotion.pk).update(is_active=True)
    priced = price(lines=[PriceLineInput(variant_id=variant.pk, quantity=1)], customer_group="vip")
    assert (priced.subtotal, priced.discount_total) == (D("90.00"), D("9.00"))


def test_a_price_list_price_is_named_in_the_audit_trail_by_its_list_and_sku(role_client):
    """The audit trail read "1 ×50: 99999": the SKU's id, and no list."""
    from tests.marketing.factories import VariantFactory

    price_list = PriceListFactory(code="b2b")
    VariantFactory(sku="MUG-1")
    client = role_client("manager")
    client.post(reverse("marketing:pricelist_items", args=[price_list.pk]),
                {"sku": "mug-1", "min_quantity": "50", "unit_price": "12.5"})
    item = price_list.items.get()
    client.post(reverse("marketing:pricelist_item_delete", args=[price_list.pk, item.pk]))
    assert list(AuditEntry.objects.filter(object_type="marketing.pricelistitem").order_by("pk").values_list(
        "action", "object_repr")) == [("create", "b2b: MUG-1 ×50 = 12.5"), ("delete", "b2b: MUG-1 ×50 = 12.5000")]


def test_rates_and_percents_read_in_the_readers_format(role_client):
    """Saving a rate said "ICMS: 7.5000% saved." in Portuguese too, and the lists showed 7,5000 and 12.5%."""
    from tests.marketing.factories import PromotionFactory, TaxRateFactory

    rate = TaxRateFactory(name="ICMS", rate=D("7.5"))
    PromotionFactory(name="Twelve and a half", percent=D("12.5"))
    client = role_client("manager")
    saved = client.post(reverse("marketing:taxrates_edit", args=[rate.pk]), {
        "name": "ICMS", "region": "SP", "tax_class": "standard", "rate": "18", "valid_from": "2026-01-01"},
        HTTP_ACCEPT_LANGUAGE="pt-br", follow=True)
    assert [str(m) for m in saved.context["messages"]] == ["ICMS: 18% salvo."]
    rate.rate = D("7.5")
    rate.save()
    rates = client.get(reverse("marketing:taxrates_list"), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "7,5%" in rates and "7,5000" not in rates
    promotions = client.get(reverse("marketing:promotions_list"), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "12,5%" in promotions


def test_a_tax_class_typed_in_another_case_is_the_skus_class(role_client, price):
    """A rate for "Standard" taxed no SKU of class "standard", and did not count as overlapping its rate."""
    from marketing.pricing import PriceLineInput
    from tests.marketing.factories import TaxRateFactory, VariantFactory

    variant = VariantFactory(base_price="100.00", tax_class="standard")
    client = role_client("manager")
    data = {"name": "ICMS SP", "region": "sp", "tax_class": "Standard ", "rate": "18", "valid_from": "2026-01-01"}
    assert client.post(reverse("marketing:taxrates_create"), data).status_code == 302
    rate = TaxRate.objects.get()
    assert (rate.region, rate.tax_class) == ("SP", "standard")
    priced = price(lines=[PriceLineInput(variant_id=variant.pk, quantity=1)], ship_to_region="SP")
    assert priced.tax_total == D("18.00")
    again = client.post(reverse("marketing:taxrates_create"), {**data, "tax_class": "STANDARD"})
    assert "valid_from" in again.context["form"].errors
    TaxRateFactory(region="RJ", tax_class="Gourmet")  # a class no SKU has yet stays as typed
    assert client.post(reverse("marketing:taxrates_create"), {**data, "region": "MG", "tax_class": "Gourmet"}
                       ).status_code == 302
    assert TaxRate.objects.filter(tax_class="Gourmet").count() == 2


def test_a_carrier_service_a_promotion_or_a_channel_names_cannot_be_deleted(role_client):
    """Deleted (with its rates), the marketplace's "Expressa" orders were still mapped to a service with no rates."""
    from marketing.models import CarrierService
    from orders.channels.models import ShippingMapping
    from tests.marketing.factories import CarrierServiceFactory, PromotionFactory
    from tests.orders.factories import ChannelFactory

    sedex = CarrierServiceFactory(code="sedex")
    channel = ChannelFactory(code="marketplace", name="Mercado Livre")
    mapping = ShippingMapping.objects.create(channel=channel, channel_method="Expressa", service_code="sedex")
    promotion = PromotionFactory(name="Free SEDEX", kind="free_shipping", percent=None, shipping_services=["sedex"])
    client = role_client("manager")
    url = reverse("marketing:carriers_delete", args=[sedex.pk])
    messages = [str(m) for m in client.post(url, follow=True).context["messages"]]
    assert messages == ["The carrier service sedex is named by the promotion(s) Free SEDEX. Untick “active” to stop "
                        "offering it instead."]
    Promotion.objects.filter(pk=promotion.pk).update(shipping_services=[])
    messages = [str(m) for m in client.post(url, follow=True).context["messages"]]
    assert messages == ["The shipping methods of the channel(s) Mercado Livre are mapped to the carrier service sedex. "
                        "Untick “active” to stop offering it instead."]
    assert CarrierService.objects.filter(pk=sedex.pk).exists()
    mapping.delete()
    client.post(url)
    assert not CarrierService.objects.filter(pk=sedex.pk).exists()


def test_a_channels_price_list_cannot_be_deleted(role_client, price):
    """Deleted, the phone channel's orders went back to base prices with nothing said."""
    from marketing.pricing import PriceLineInput
    from tests.marketing.factories import PriceListItemFactory, VariantFactory
    from tests.orders.factories import ChannelFactory

    price_list = PriceListFactory(code="phone-br", channel_code="")
    variant = VariantFactory(base_price="100.00")
    PriceListItemFactory(price_list=price_list, variant=variant, unit_price=D("80"))
    ChannelFactory(code="phone", name="Televendas", price_list_code="phone-br")
    client = role_client("manager")
    response = client.post(reverse("marketing:pricelists_delete", args=[price_list.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The price list phone-br is the price list of the channel(s) Televendas; choose another one for them first."]
    assert price(lines=[PriceLineInput(variant_id=variant.pk, quantity=1)], channel_code="phone").subtotal == D("80")


def test_a_channels_price_list_keeps_its_code(role_client):
    from tests.orders.factories import ChannelFactory

    price_list = PriceListFactory(code="phone-br", name="Phone", channel_code="")
    ChannelFactory(code="phone", name="Televendas", price_list_code="phone-br")
    client = role_client("manager")
    data = {"code": "phone-2027", "name": "Phone", "currency": "BRL", "priority": "0", "is_active": "on"}
    response = client.post(reverse("marketing:pricelists_edit", args=[price_list.pk]), data)
    assert response.context["form"].errors["code"] == [
        "The channel(s) Televendas use this price list by its code phone-br; choose another list for them first."]
    assert client.post(reverse("marketing:pricelists_edit", args=[price_list.pk]),
                       {**data, "code": "phone-br", "name": "Phone 2027"}).status_code == 302
    price_list.refresh_from_db()
    assert (price_list.code, price_list.name) == ("phone-br", "Phone 2027")


def test_a_carrier_service_a_channel_maps_to_keeps_its_code(role_client):
    from orders.channels.models import ShippingMapping
    from tests.marketing.factories import CarrierServiceFactory
    from tests.orders.factories import ChannelFactory

    sedex = CarrierServiceFactory(code="sedex", name="SEDEX")
    channel = ChannelFactory(code="marketplace", name="Mercado Livre")
    ShippingMapping.objects.create(channel=channel, channel_method="Expressa", service_code="sedex")
    data = {"code": "sedex-10", "name": "SEDEX", "carrier": "Correios", "currency": "BRL", "sort_order": "0",
            "is_active": "on"}
    client = role_client("manager")
    response = client.post(reverse("marketing:carriers_edit", args=[sedex.pk]), data)
    assert response.context["form"].errors["code"] == [
        "The shipping methods of the channel(s) Mercado Livre are mapped to the carrier service sedex. Keep its code, "
        "or change them first."]
    assert client.post(reverse("marketing:carriers_edit", args=[sedex.pk]),
                       {**data, "code": "sedex", "name": "SEDEX 10"}).status_code == 302


def test_a_segments_rules_show_their_values_as_written(role_client):
    """A list of codes showed as Python writes it: region in ['SP', 'RJ']."""
    from marketing.models import Segment

    segment = Segment.objects.create(code="sudeste", name="Sudeste", rules=[
        {"field": "region", "op": "in", "value": ["SP", "RJ"]}, {"field": "total_spent", "op": "gte", "value": "500"}])
    page = role_client("manager").get(reverse("marketing:segment_detail", args=[segment.pk])).content.decode()
    assert '<code dir="ltr">region in [&quot;SP&quot;, &quot;RJ&quot;]</code>' in page
    assert '<code dir="ltr">total_spent gte 500</code>' in page


def _seen(client, url) -> str:
    return client.get(url).content.decode().split('name="seen" value="')[1].split('"')[0]


def test_a_form_opened_before_another_administrators_change_does_not_undo_it(role_client, monkeypatch):
    """Two managers open the same promotion; the first adds a SKU and raises the percent; the second, from the old
    page, renames it: refused, nothing saved, and the page comes back as the promotion is now. Orders using the
    promotion meanwhile (its use count) are no conflict. A record deleted meanwhile is not made again."""
    from tests.marketing.factories import PromotionFactory, VariantFactory

    first, second = role_client("manager"), role_client("manager")
    promotion = PromotionFactory(name="Spring", kind="item_percent", percent=D("10"))
    sku = VariantFactory(sku="SPRING-1")
    edit = reverse("marketing:promotions_edit", args=[promotion.pk])
    seen = _seen(second, edit)
    data = {"name": "Spring", "kind": "item_percent", "currency": "BRL", "percent": "10", "priority": "0",
            "weekdays": "", "tiers": ""}
    assert first.post(edit, {**data, "percent": "15", "skus": "SPRING-1", "seen": seen}).status_code == 302

    stale = second.post(edit, {**data, "name": "Spring sale", "seen": seen})
    assert stale.status_code == 409 and "Someone changed this record after you opened it" in stale.content.decode()
    promotion.refresh_from_db()
    assert (promotion.name, promotion.percent, list(promotion.variants.all())) == ("Spring", D("15"), [sku])
    assert 'value="15' in stale.content.decode() and "SPRING-1" in stale.content.decode()  # as it is now
    assert stale.context["form"].fields["name"].widget.attrs.get("autofocus")  # the cursor where typing starts

    seen = _seen(second, edit)
    Promotion.objects.filter(pk=promotion.pk).update(times_used=3)  # orders used it meanwhile: no conflict
    again = {**data, "percent": "15", "skus": "SPRING-1", "name": "Spring sale", "seen": seen}
    assert second.post(edit, again).status_code == 302
    assert Promotion.objects.get(pk=promotion.pk).name == "Spring sale"

    price_list = PriceListFactory(code="gone", name="Gone")
    list_edit = reverse("marketing:pricelists_edit", args=[price_list.pk])
    seen = _seen(first, list_edit)
    price_list_data = {"code": "gone", "name": "Back", "currency": "BRL", "priority": "0", "seen": seen}
    # Deleted between the page and its save (the save's view has already read the row).
    import marketing.views
    from marketing.services import marketing_object_save

    def deleted_first(**kwargs):
        PriceList.objects.filter(pk=price_list.pk).delete()
        return marketing_object_save(**kwargs)

    monkeypatch.setattr(marketing.views, "marketing_object_save", deleted_first)
    response = first.post(list_edit, price_list_data, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Someone deleted this record after you opened it; nothing was saved."]
    assert not PriceList.objects.filter(code="gone").exists()


@pytest.mark.parametrize("days", ["91", "1000", "2147483647"])
def test_transit_days_beyond_any_carrier_are_refused(role_client, days):
    """Transit days typed wrong (1000 for 10, or the largest number the box takes) promised orders years ahead, and
    past the calendar's last day pricing an order to that zone failed with a server error."""
    from marketing.models import ShippingRate
    from orders.services.core import promise_date
    from tests.marketing.factories import CarrierServiceFactory, ShippingZoneFactory

    service, zone = CarrierServiceFactory(code="pac"), ShippingZoneFactory(code="sp", regions=["SP"])
    client = role_client("manager")
    data = {"service": service.pk, "zone": zone.pk, "max_weight_grams": "1000", "price": "15.00",
            "transit_days": days}
    response = client.post(reverse("marketing:shippingrates_create"), data)
    assert response.status_code == 400
    assert _errors(response) == ["A carrier delivers within at most 90 days."]
    assert not ShippingRate.objects.exists()
    assert client.post(reverse("marketing:shippingrates_create"), {**data, "transit_days": "90"}).status_code == 302
    promise_date(ShippingRate.objects.get().transit_days)


@pytest.mark.parametrize(("key", "data", "field"), [
    ("pricelists", {"code": "far", "name": "Far", "currency": "BRL", "priority": "0",
                    "valid_until": "9999-12-31T23:59"}, "valid_until"),
    ("promotions", {"name": "Far", "kind": "order_percent", "currency": "BRL", "percent": "10", "priority": "0",
                    "starts_at": "0001-01-01T00:00", "weekdays": "", "tiers": ""}, "starts_at"),
    ("campaigns", {"code": "far", "name": "Far", "starts_on": "2026-05-01", "ends_on": "9999-12-31",
                   "budget": "10", "currency": "BRL"}, "ends_on"),
    ("taxrates", {"name": "ICMS", "region": "SP", "rate": "18", "valid_from": "1899-05-01"}, "valid_from"),
])
def test_a_date_outside_the_years_a_setting_can_have_is_refused(role_client, key, data, field):
    """9999-12-31 23:59 (for "forever") is in year 10000 in UTC: PostgreSQL kept it, could not give it back, and
    every page listing price lists or promotions failed with a server error, for everybody."""
    client = role_client("manager")
    response = client.post(reverse(f"marketing:{key}_create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == ["Give a date in the years 2000 to 2999."]
    assert client.get(reverse(f"marketing:{key}_list")).status_code == 200
    assert response.context["form"]._meta.model.objects.count() == 0
