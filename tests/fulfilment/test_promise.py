"""The promised date stored at placement is the date the phone screen showed for the chosen option."""

import re
import uuid

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from orders.fulfilment import services as ful
from orders.fulfilment.calendar import add_working_days, arrival_date
from orders.services import PaymentRequest, draft_create, draft_hold_stock, draft_line_add, draft_update, order_place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _draft(net, user, lines, **changes):
    order = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=net["customer"].pk)
    for variant, qty in lines:
        draft_line_add(order_id=order.pk, variant_id=variant.pk, quantity=qty, acting_user=user)
    draft_update(order_id=order.pk, acting_user=user,
                 **{"payment_method": "invoice", "shipping_service": net["service"], **changes})
    return order


def _shown(body: str, code: str) -> str:
    label = re.search(rf'id="ship-{re.escape(code)}"[^>]*>(.*?)</label>', body, re.S).group(1)
    return re.search(r"arrives (\w{3} \d\d/\d\d)", label).group(1)


def _place(order):
    return order_place(order_id=order.pk, idempotency_key=uuid.uuid4().hex, acting_user=None,
                       payment=PaymentRequest(method="invoice"))


def test_the_screen_date_is_the_stored_promised_date(make_user, role_client, net):
    agent = make_user("agent")
    draft = _draft(net, agent, [(net["shirt"], 5)])  # only the DC has 5: one handling day, then transit
    client = role_client("agent")
    body = client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    shown = _shown(body, net["service"])
    order = _place(draft)
    order.refresh_from_db()
    assert date_format(order.promised_date, "D d/m") == shown
    transit = next(o["transit_days"] for o in order.shipping_options if o["code"] == net["service"])
    today = ful.request_for(order, [], strategy="nearest").now.date()
    assert order.promised_date == arrival_date(shipped_on=add_working_days(today, 1), transit_days=transit)
    assert order.promised_date.weekday() < 5


def test_a_held_draft_is_promised_the_same_date_as_it_was_shown(make_user, role_client, net):
    agent = make_user("agent")
    draft = _draft(net, agent, [(net["mug"], 3)])  # the store's 3 mugs: held by this draft
    client = role_client("agent")
    before = _shown(client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode(), net["service"])
    draft_hold_stock(order_id=draft.pk, acting_user=agent)
    held = _shown(client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode(), net["service"])
    assert held == before  # its own hold does not push it to the DC
    order = _place(draft)
    order.refresh_from_db()
    assert date_format(order.promised_date, "D d/m") == before


def test_pickup_stores_the_store_ready_date_shown_on_the_screen(make_user, role_client, net):
    agent = make_user("agent")
    draft = _draft(net, agent, [(net["shirt"], 5)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    body = role_client("agent").get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    shown = re.search(r"Ready for pick-up (\w{3} \d\d/\d\d)", body).group(1)
    order = _place(draft)
    order.refresh_from_db()
    assert date_format(order.promised_date, "D d/m") == shown
    # the shirts come from the DC: its handling day plus the transfer's transit, later than the store alone
    today = ful.request_for(order, [], strategy="nearest").now.date()
    assert order.promised_date > add_working_days(today, 0)


def test_the_sourcing_reason_and_the_shipment_arrive_on_the_promised_date(make_user, net, place_order):
    """The customer chose a 3-day service: the agent's reason, the decision and the shipment's planned arrival say
    the promised date, not the one-day guess from the distance (which put "arrives" two days before the promise)."""
    from datetime import date, datetime, time, timedelta

    from django.utils import timezone

    from orders.fulfilment.models import AtRiskFlag

    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])  # the store, 0.9 km away: ships today
    order.refresh_from_db()
    transit = next(o["transit_days"] for o in order.shipping_options if o["code"] == net["service"])
    assert transit == 3
    decision = order.sourcing_decisions.first()
    assert date.fromisoformat(decision.plan["arrives_on"]) == order.promised_date
    assert f"arrives {date_format(order.promised_date, 'D')}" in decision.reason_text
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    assert shipment.arrives_on == order.promised_date
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR1", acting_user=user)

    def noon(day):
        return timezone.make_aware(datetime.combine(day, time(12, 0)))

    ful.at_risk_scan(now=noon(order.promised_date))  # on its way, due today: not late yet
    assert not AtRiskFlag.objects.filter(order=order).exists()
    ful.at_risk_scan(now=noon(order.promised_date + timedelta(days=1)))
    assert AtRiskFlag.objects.get(order=order).reason == AtRiskFlag.Reason.SHIPMENT_LATE
