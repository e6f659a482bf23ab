"""A segment's channel and customer group codes are the codes pricing compares: a rule for group "VIP" selected
nobody when the customers' group is "vip"."""

import json

import pytest
from django.urls import reverse

from marketing.models import Segment
from marketing.services import segment_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(db):
    from tests.orders.factories import ChannelFactory

    return [ChannelFactory(code="phone"), ChannelFactory(code="web")]


def _save(client, rules, code="vip"):
    return client.post(reverse("marketing:segments_create"),
                       {"code": code, "name": code.title(), "rules": json.dumps(rules)})


def test_a_group_typed_in_another_case_selects_the_groups_customers(role_client, channels):
    from tests.orders.factories import CustomerFactory

    vip = CustomerFactory(group_code="vip")
    CustomerFactory(group_code="retail")
    client = role_client("manager")
    response = _save(client, [{"field": "group", "op": "in", "value": ["VIP", " Vip ", "partners"]},
                              {"field": "channel", "op": "not_in", "value": ["PHONE"]}])
    assert response.status_code == 302
    segment = Segment.objects.get(code="vip")
    # as the price lists' and promotions' groups: the customers' spelling, a group nobody has yet kept as typed
    assert segment.rules == [{"field": "group", "op": "in", "value": ["vip", "partners"]},
                             {"field": "channel", "op": "not_in", "value": ["phone"]}]
    assert segment_count(segment=segment) == 1
    from orders.marketing_bridge import OrdersSegmentEvaluator

    assert [c.customer_id for c in OrdersSegmentEvaluator().customers(rules=segment.rules)] == [vip.pk]


def test_a_channel_no_channel_has_is_refused_naming_the_channels(role_client, channels):
    response = _save(role_client("manager"), [{"field": "group", "op": "in", "value": ["vip"]},
                                              {"field": "channel", "op": "in", "value": ["shop"]}])
    assert response.status_code == 400
    assert response.context["form"].errors["rules"] == [
        "Rule 2 (channel in): No sales channel has the code “shop”. The channels are: phone, web."]
    assert not Segment.objects.exists()


def test_editing_a_segment_resolves_its_codes_too(role_client, channels):
    from tests.orders.factories import CustomerFactory

    CustomerFactory(group_code="vip")
    segment = Segment.objects.create(code="S", name="S", rules=[])
    response = role_client("manager").post(reverse("marketing:segments_edit", args=[segment.pk]), {
        "code": "S", "name": "S", "rules": json.dumps([{"field": "group", "op": "not_in", "value": ["VIP"]}])})
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.rules == [{"field": "group", "op": "not_in", "value": ["vip"]}]


def test_rules_saved_before_are_spelled_as_the_codes_by_the_migration(channels):
    """Segments saved before codes were resolved keep selecting nobody until their rules are spelled as the codes."""
    import importlib

    from django.apps import apps

    from tests.orders.factories import CustomerFactory

    migration = importlib.import_module("marketing.migrations.0008_segment_rule_codes_as_pricing_compares")
    vip = CustomerFactory(group_code="vip")
    CustomerFactory(group_code="Gold")
    CustomerFactory(group_code="GOLD")  # two groups differ only in case: neither is guessed
    old = Segment.objects.create(code="old", name="Old", rules=[
        {"field": "group", "op": "in", "value": ["VIP", "gold", "partners"]},
        {"field": "channel", "op": "not_in", "value": ["WEB", "shop"]},
        {"field": "region", "op": "in", "value": ["SP"]}])
    odd = Segment.objects.create(code="odd", name="Odd", rules={"not": "a list"})
    assert segment_count(segment=old) == 0
    migration.resolve_segment_codes(apps, None)
    old.refresh_from_db()
    odd.refresh_from_db()
    assert old.rules == [{"field": "group", "op": "in", "value": ["vip", "gold", "partners"]},
                         {"field": "channel", "op": "not_in", "value": ["web", "shop"]},
                         {"field": "region", "op": "in", "value": ["SP"]}]
    assert odd.rules == {"not": "a list"}
    from orders.marketing_bridge import OrdersSegmentEvaluator

    assert [c.customer_id for c in OrdersSegmentEvaluator().customers(rules=[old.rules[0]])] == [vip.pk]
