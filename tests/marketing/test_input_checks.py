"""Bad input of every kind on marketing screens gets a message naming what is wrong, never a server error; and
segment rows saved before their rules were fully checked fail clearly rather than with an empty file."""

import json
import re
from decimal import Decimal as D

import pytest
from django.db import DataError
from django.urls import reverse

from marketing.errors import InvalidConfiguration
from marketing.models import Promotion, Segment, SegmentExport
from marketing.pricing import PriceLineInput
from marketing.segments import clean_rules
from oms.models import OutboxMessage
from oms.numbers import INT_MAX
from tests.marketing.conftest import WHEN, evaluator_registered
from tests.marketing.factories import CampaignFactory, PriceListFactory, PromotionFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _rule(field="total_spent", op="gte", value="1000"):
    return {"field": field, "op": op, "value": value}


def _create_segment(client, rules: str):
    return client.post(reverse("marketing:segments_create"), {"code": "s1", "name": "S1", "rules": rules})


def _errors(response) -> str:
    return " ".join(str(e) for errors in response.context["form"].errors.values() for e in errors)


# ----------------------------------------------------------------------------- segment rules, when saved


@pytest.mark.parametrize(("rules", "expected"), [
    ([_rule(field=["x"])], "Rule 1: unknown field [\"x\"]"),
    ([_rule(op=["gte"])], "Rule 1: operator [\"gte\"] does not apply to total_spent"),
    ([_rule(field={"a": 1})], "Rule 1: unknown field"),
    ([_rule("last_order_date", "within_days", 10**12)],
     "Rule 1 (last_order_date within_days): The number of days must be a whole number from 0 to 36500"),
    ([_rule("last_order_date", "within_days", -1)], "from 0 to 36500"),
    ([_rule("last_order_date", "within_days", True)], "from 0 to 36500"),
    ([_rule("order_count", "gte", 10**12)], "The number of orders must be a whole number from 0 to 2147483647"),
    ([_rule("order_count", "gte", 1.5)], "The number of orders must be a whole number"),
    ([_rule(value="1e999999")], "Rule 1 (total_spent gte): The amount “1e999999” is not a plain number"),
    ([_rule(value="NaN")], "is not a number"),
    ([_rule(value="99999999999999999999")], "too large"),
    ([_rule(value="-5")], "The amount must be at least 0."),
    ([_rule(value=["1"])], "The amount must be a number"),
    ([_rule("last_order_date", "gte", "2026-02-30")], "The date 2026-02-30 does not exist: February 2026 has 28 days."),
    ([_rule("last_order_date", "gte", "30/02/2026")], "Give a date as YYYY-MM-DD"),
    ([_rule("last_order_date", "gte", 20260101)], "Give a date as YYYY-MM-DD"),
    ([_rule("region", "in", [])], "Give a list of 1 to 500 codes"),
    ([_rule("region", "in", "SP")], "Give a list of 1 to 500 codes"),
    ([_rule("region", "in", ["SP", 7])], "7 is not a code"),
    ([_rule("region", "in", ["X" * 41])], "a code has 1 to 40 letters"),
    ([_rule("region", "in", ["S\tP"])], "is not a code"),
    ([_rule()] * 51, "Give at most 50 rules (there are 51)."),
])
def test_segment_rules_that_could_not_be_evaluated_are_refused_when_saved(role_client, rules, expected):
    response = _create_segment(role_client("manager"), json.dumps(rules))
    assert response.status_code == 400
    assert expected in _errors(response)
    assert not Segment.objects.exists()


def test_deeply_nested_or_nul_json_is_refused_with_a_message(role_client):
    client = role_client("manager")
    deep = _create_segment(client, "[" * 3000 + "]" * 3000)
    assert deep.status_code == 400
    assert deep.context["form"].errors["rules"] == ["The JSON is nested more than 10 levels deep."]
    assert "[[[[" in deep.content.decode()  # what was typed is shown back for correcting
    nul = _create_segment(client, '[{"field": "region", "op": "in", "value": ["S\\u0000P"]}]')
    assert nul.status_code == 400
    assert nul.context["form"].errors["rules"] == [
        "The JSON holds a NUL character (\\u0000) in [0].value[0]: remove it."]
    assert not Segment.objects.exists()


def test_segment_rule_values_are_saved_as_the_evaluator_takes_them(role_client):
    rules = [_rule(value="1.234,50"), _rule("last_order_date", "within_days", "30"),
             _rule("region", "in", [" SP ", "RJ"]), _rule("first_order_date", "gte", "2026-01-31")]
    response = _create_segment(role_client("manager"), json.dumps(rules))
    assert response.status_code == 302, _errors(response)
    assert Segment.objects.get().rules == [
        _rule(value="1234.50"), _rule("last_order_date", "within_days", 30), _rule("region", "in", ["SP", "RJ"]),
        _rule("first_order_date", "gte", "2026-01-31")]


# ----------------------------------------------------------------------------- segment rows saved before the checks


@pytest.mark.parametrize("rules", [
    [_rule("last_order_date", "within_days", 10**12)],
    [_rule(value="1e999999")],
    [_rule(field=["x"])],
    {"field": "region"},
])
def test_an_older_segment_that_cannot_be_evaluated_says_so_everywhere(role_client, settings, tmp_path, rules):
    from marketing.services import segment_export_run, segment_refresh
    from marketing.tasks import _deliver_segment_refresh, segments_refresh_all

    settings.MEDIA_ROOT = str(tmp_path)
    client = role_client("manager")
    bad = Segment.objects.create(code="old", name="Old rules", rules=rules)
    good = Segment.objects.create(code="new", name="New rules", rules=[_rule(value="0")])
    detail = client.get(reverse("marketing:segment_detail", args=[bad.pk]), {"count": "1"})
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "These rules cannot be evaluated" in text
    assert reverse("marketing:segment_export", args=[bad.pk]) not in text  # no button that can only fail
    export = client.get(reverse("marketing:segment_export", args=[bad.pk]))
    assert export.status_code == 409  # not a 200 file holding only its header
    assert "The rules of segment Old rules cannot be evaluated" in export.content.decode()
    refresh = client.post(reverse("marketing:segment_refresh", args=[bad.pk]), follow=True)
    assert "The rules of segment Old rules cannot be evaluated" in refresh.content.decode()
    extract = client.post(reverse("marketing:segment_export_start", args=[bad.pk]), follow=True)
    assert "The rules of segment Old rules cannot be evaluated" in extract.content.decode()
    assert not OutboxMessage.objects.filter(topic__startswith="marketing.segment").exists()
    assert not SegmentExport.objects.exists()
    with pytest.raises(InvalidConfiguration):
        segment_refresh(segment_id=bad.pk)
    # A refresh queued before: the delivery ends (no retries for ever), the other segments still refresh.
    _deliver_segment_refresh(OutboxMessage(topic="marketing.segment_refresh", payload={"segment_id": bad.pk}))
    assert segments_refresh_all() == 1
    good.refresh_from_db()
    assert good.refreshed_at is not None
    # An extract queued before: failed, with the message rather than the database's text.
    queued = SegmentExport.objects.create(segment=bad)
    assert segment_export_run(export_id=queued.pk) == SegmentExport.Status.FAILED
    queued.refresh_from_db()
    assert queued.error.startswith("The rules of segment Old rules cannot be evaluated")
    page = client.get(reverse("marketing:segments_list"))
    assert page.status_code == 200


class _BrokenEvaluator:
    """The database refuses the query (as it did for 1e999999 before the rules were checked)."""

    def count(self, *, rules):
        raise DataError("value overflows numeric format")

    def customers(self, *, rules):
        raise DataError("value overflows numeric format")
        yield  # a generator, like the real one: the query runs on the first row


def test_a_failing_evaluation_is_a_clear_error_not_an_empty_file_or_the_raw_text(role_client, settings, tmp_path):
    from marketing.services import segment_export_run

    settings.MEDIA_ROOT = str(tmp_path)
    client = role_client("manager")
    segment = Segment.objects.create(code="vip", name="VIP", rules=[_rule()])
    with evaluator_registered(_BrokenEvaluator()):
        detail = client.get(reverse("marketing:segment_detail", args=[segment.pk]), {"count": "1"})
        export = client.get(reverse("marketing:segment_export", args=[segment.pk]))
        queued = SegmentExport.objects.create(segment=segment)
        assert segment_export_run(export_id=queued.pk) == SegmentExport.Status.FAILED
    assert detail.status_code == 200
    assert "Segment VIP could not be evaluated with its rules" in detail.content.decode()
    assert export.status_code == 409
    assert "Segment VIP could not be evaluated with its rules" in export.content.decode()
    queued.refresh_from_db()
    assert queued.error.startswith("Segment VIP could not be evaluated")
    assert "overflows" not in queued.error


def test_segment_messages_are_translated(role_client):
    response = role_client("manager").post(
        reverse("marketing:segments_create"),
        {"code": "s1", "name": "S1", "rules": json.dumps([_rule("last_order_date", "within_days", 10**12)])},
        HTTP_ACCEPT_LANGUAGE="pt-br")
    assert "O número de dias deve ser um número inteiro de 0 a 36500" in _errors(response)


def test_clean_rules_is_the_check_and_the_normaliser():
    assert clean_rules([_rule("order_count", "gte", "3")]) == ([_rule("order_count", "gte", 3)], [])
    rules, problems = clean_rules([_rule("order_count", "gte", "x"), _rule()])
    assert rules == [] and len(problems) == 1


# ----------------------------------------------------------------------------- promotions


def _create_promotion(client, **fields):
    data = {"name": "P", "kind": "order_percent", "currency": "BRL", "percent": "10", "priority": "0",
            "weekdays": "", "tiers": ""}
    data.update(fields)
    return client.post(reverse("marketing:promotions_create"), data)


def test_total_uses_below_the_uses_already_made_is_refused_with_the_count(role_client):
    """The table refuses it too, but with "Constraint promotion_usage_within_limit is violated." as the message."""
    client = role_client("manager")
    promotion = PromotionFactory(name="Used", usage_limit=10)
    Promotion.objects.filter(pk=promotion.pk).update(times_used=5)
    data = {"name": "Used", "kind": "order_percent", "currency": "BRL", "percent": "10", "priority": "0",
            "weekdays": "", "tiers": ""}
    response = client.post(reverse("marketing:promotions_edit", args=[promotion.pk]), {**data, "usage_limit": "3"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "usage_limit": ["The promotion has already been used 5 times; the total uses cannot be fewer."]}
    assert Promotion.objects.get(pk=promotion.pk).usage_limit == 10
    assert client.post(reverse("marketing:promotions_edit", args=[promotion.pk]),
                       {**data, "usage_limit": "5"}).status_code == 302
    assert Promotion.objects.get(pk=promotion.pk).usage_limit == 5


@pytest.mark.parametrize(("tiers", "expected"), [
    ([{"threshold": "NaN", "percent": "10"}], "Tier 1: the threshold “NaN” is not a number."),
    ([{"threshold": "300", "percent": "Infinity"}], "Tier 1: the percent “Infinity” is not a number."),
    ([{"threshold": "1e30", "percent": "10"}], "Tier 1: the threshold “1e30” is not a plain number"),
    ([{"threshold": "300", "percent": "150"}], "Tier 1: the percent must be more than 0 and at most 100, not 150."),
    ([{"threshold": "-1", "percent": "10"}], "Tier 1: the threshold must be more than 0, not -1."),
    ([{"threshold": True, "percent": "10"}], "Tier 1: the threshold must be a number"),
    ([{"threshold": "300"}], "Tier 1: give exactly threshold and percent."),
    (["300"], "Tier 1: give exactly threshold and percent."),
    ([{"threshold": "300", "percent": "10"}, {"threshold": "300.0", "percent": "15"}],
     "Two tiers have the threshold 300"),
    ([{"threshold": "300", "percent": "10"}] * 21, "Give at most 20 tiers."),
])
def test_spend_tiers_are_explained(role_client, tiers, expected):
    response = _create_promotion(role_client("manager"), kind="tiered_spend", percent="", tiers=json.dumps(tiers))
    assert response.status_code == 400
    assert expected in " ".join(response.context["form"].errors["tiers"])
    assert not Promotion.objects.exists()


def test_spend_tiers_json_that_cannot_be_stored_is_refused(role_client):
    client = role_client("manager")
    deep = _create_promotion(client, kind="tiered_spend", percent="", tiers="[" * 3000 + "]" * 3000)
    assert deep.status_code == 400
    assert deep.context["form"].errors["tiers"] == ["The JSON is nested more than 10 levels deep."]
    nul = _create_promotion(client, tiers='[{"threshold": "\\u0000", "percent": "1"}]')
    assert nul.status_code == 400
    assert nul.context["form"].errors["tiers"] == [
        "The JSON holds a NUL character (\\u0000) in [0].threshold: remove it."]
    nan = _create_promotion(client, kind="tiered_spend", percent="", tiers='[{"threshold": 300, "percent": NaN}]')
    assert nan.status_code == 400
    assert nan.context["form"].errors["tiers"] == [
        "NaN is not a number that can be stored: write the amount itself."]
    assert "&quot;percent&quot;: NaN" in nan.content.decode()  # what was typed is shown back for correcting
    assert not Promotion.objects.exists()


def test_spend_tiers_are_stored_as_numbers_in_order(role_client):
    response = _create_promotion(role_client("manager"), kind="tiered_spend", percent="", tiers=json.dumps(
        [{"threshold": 500, "percent": "12.5"}, {"threshold": "300", "percent": 10}]))
    assert response.status_code == 302, response.context["form"].errors
    assert Promotion.objects.get().tiers == [{"threshold": "300", "percent": "10"},
                                             {"threshold": "500", "percent": "12.5"}]


@pytest.mark.parametrize("weekdays", ["99999", "-1", "0", "8", "x", "1,²"])
def test_weekdays_out_of_range_name_the_day_and_the_range(role_client, weekdays):
    response = _create_promotion(role_client("manager"), weekdays=weekdays)
    assert response.status_code == 400
    message = " ".join(response.context["form"].errors["weekdays"])
    assert "Weekdays go from 1 (Monday) to 7 (Sunday)" in message
    assert weekdays.split(",")[-1] in message
    assert not Promotion.objects.exists()


def test_weekdays_are_read_as_typed(role_client):
    client = role_client("manager")
    response = _create_promotion(client, weekdays="5, 1 5")
    assert response.status_code == 302, response.context["form"].errors
    promotion = Promotion.objects.get()
    assert promotion.weekdays == [1, 5]
    form = client.get(reverse("marketing:promotions_edit", args=[promotion.pk])).content.decode()
    assert 'name="weekdays" value="1,5"' in form


def test_a_promotion_saved_with_a_nan_tier_still_shows_and_prices(role_client, price):
    v = VariantFactory(base_price=D("400"))
    promotion = PromotionFactory(name="Old tiers", kind="tiered_spend", percent=None, is_active=True, tiers=[
        {"threshold": "NaN", "percent": "10"}, {"threshold": "300", "percent": "1e30"},
        {"threshold": "200", "percent": "5"}])
    page = role_client("manager").get(reverse("marketing:promotion_detail", args=[promotion.pk]))
    assert page.status_code == 200
    result = price(lines=[PriceLineInput(v.pk, 1)])
    assert [(d.name, d.amount) for d in result.order_discounts] == [("Old tiers", D("20.00"))]


# ----------------------------------------------------------------------------- price check


def test_price_check_quantity_out_of_range_is_explained(role_client):
    client = role_client("manager")
    VariantFactory(sku="VST001-AZL-G", base_price=D("100"))
    query = {"channel_code": "phone", "ship_to_region": "SP", "currency": "BRL"}
    for quantity in ("99999999999999999999999999999999", "0", "-3", "2²", "1.5"):
        response = client.get(reverse("marketing:price_check"), {**query, "lines": f"VST001-AZL-G {quantity}"})
        assert response.status_code == 200
        assert "Line 1: the quantity must be a whole number from 1 to 2147483647." in response.content.decode()
    most = client.get(reverse("marketing:price_check"), {**query, "lines": f"VST001-AZL-G {INT_MAX}"})
    assert most.status_code == 200
    assert most.context["result"].lines[0].quantity == INT_MAX
    huge_customer = client.get(reverse("marketing:price_check"), {**query, "lines": "VST001-AZL-G 1",
                                                                   "customer_id": "9" * 30})
    assert huge_customer.status_code == 200
    assert huge_customer.context["form"].errors["customer_id"]


# ----------------------------------------------------------------------------- right to left, channel names


def test_date_ranges_and_back_links_point_the_way_the_page_reads(role_client):
    from datetime import date

    client = role_client("manager")
    CampaignFactory(starts_on=date(2026, 10, 25), ends_on=date(2027, 3, 24))
    PriceListFactory()
    promotion = PromotionFactory(kind="tiered_spend", percent=None, tiers=[{"threshold": "300", "percent": "10"}],
                                 starts_at=WHEN, ends_at=None)
    arabic = client.get(reverse("marketing:campaigns_list"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "<bdi>2026-10-25</bdi> ← <bdi>2027-03-24</bdi>" in arabic
    english = client.get(reverse("marketing:campaigns_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<bdi>2026-10-25</bdi> → <bdi>2027-03-24</bdi>" in english
    for key in ("pricelists", "promotions"):
        page = client.get(reverse(f"marketing:{key}_list"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
        assert "<bdi>" in page and "&lt;bdi&gt;" not in page, key
    detail = client.get(reverse("marketing:promotion_detail", args=[promotion.pk]),
                        HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "→ العروض الترويجية</a>" in detail  # back to the list: the arrow points to where an Arabic line starts
    assert "<bdi>R$\xa0300,00</bdi> ← <bdi>10%</bdi>" in detail or "<bdi>R$\xa0300.00</bdi> ← <bdi>10%</bdi>" in detail
    assert "</bdi> ← <bdi>—</bdi>" in detail  # the dates
    detail_en = client.get(reverse("marketing:promotion_detail", args=[promotion.pk]),
                           HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "← Promotions</a>" in detail_en
    assert "</bdi> → <bdi>—</bdi>" in detail_en
    home = client.get(reverse("marketing:home"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "<strong>←</strong>" in home


def test_channels_show_by_name_and_every_channel_reads_as_such(role_client):
    from tests.orders.factories import ChannelFactory

    ChannelFactory(code="phone", name="Televendas")
    client = role_client("manager")
    price_list = PriceListFactory(code="phone-br", channel_code="phone", customer_group="")
    CampaignFactory(channel_code="")
    for language, every in (("ar", "كل القنوات"), ("pt-br", "todos os canais")):
        items = client.get(reverse("marketing:pricelist_items", args=[price_list.pk]),
                           HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "Televendas" in items and ": phone" not in items, language
        campaigns = client.get(reverse("marketing:campaigns_list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f"<td>{every}</td>" in campaigns, language
        lists = client.get(reverse("marketing:pricelists_list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "<td>Televendas</td>" in lists, language


def test_a_daily_window_ending_when_it_starts_is_refused(role_client):
    """From 09:00 until 09:00 is an empty window: the promotion was saved and then never applied."""
    response = _create_promotion(role_client("manager"), daily_start="09:00", daily_end="09:00")
    assert response.status_code == 400
    assert response.context["form"].errors["daily_end"] == [
        "The daily window ends when it starts, so it would never apply; leave both empty for the whole day."]
    assert not Promotion.objects.exists()
    assert _create_promotion(role_client("manager"), daily_start="22:00", daily_end="02:00").status_code == 302


@pytest.mark.parametrize("key,field", [("promotions", "tiers"), ("segments", "rules")])
def test_json_boxes_read_left_to_right_on_an_arabic_page(role_client, key, field):
    """Typed JSON in a right-to-left box put its brackets and quotes on the wrong side."""
    client = role_client("manager")
    client.cookies["django_language"] = "ar"
    page = client.get(reverse(f"marketing:{key}_create")).content.decode()
    assert 'dir="rtl"' in page
    assert re.search(rf'<textarea name="{field}"[^>]* dir="ltr"', page)
