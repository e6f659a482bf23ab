"""Consolidation: a location forwards its units to another, which ships everything in one parcel.

Pure sourcing on a hand-made network (Monday 09:00): DC Cajamar has only shirts, Store Pinheiros only mugs,
the customer lives in Pinheiros; the store may forward to the DC in one working day for R$ 5.
"""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import translation

from orders.fulfilment.geo import Point, distance_km, point_for_postal_code
from orders.fulfilment.sourcing import (
    FEWEST_SHIPMENTS,
    LOWEST_COST,
    NEAREST,
    Candidate,
    Line,
    RateCard,
    Request,
    Route,
    decide,
)
from tests.fulfilment.allocations import held_at, held_by_variant

CUSTOMER = point_for_postal_code("05422-030")
CAJAMAR = Point(-23.3560, -46.8770)
PINHEIROS = Point(-23.5663, -46.6936)
MOOCA = Point(-23.5586, -46.5996)
MONDAY_MORNING = datetime(2026, 11, 23, 9, 0)
SHIRT, MUG = 1, 2
DC, STORE, MOOCA_STORE = 10, 12, 14
TO_DC = Route(STORE, DC, days=1, cost=Decimal("5.00"))


def network(dc_mugs=0):
    return [
        Candidate(DC, "DC Cajamar", CAJAMAR, {SHIRT: 50, MUG: dc_mugs}, handling_days=1, cutoff=time(14, 0)),
        Candidate(STORE, "Store Pinheiros", PINHEIROS, {SHIRT: 0, MUG: 4}, can_pickup=True, handling_days=0,
                  cutoff=time(16, 0)),
    ]


def request(strategy=FEWEST_SHIPMENTS, **kwargs):
    return Request(lines=(Line(SHIRT, 2, 300), Line(MUG, 1, 400)), destination=CUSTOMER, now=MONDAY_MORNING,
                   strategy=strategy, **kwargs)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_fewest_shipments_prefers_one_consolidated_parcel_with_its_days_and_cost():
    decision = decide(request(), network(), routes=[TO_DC])
    plan = decision.plan
    assert plan.kind == "consolidate" and plan.packages == 1
    leg, parcel = plan.shipments
    assert (leg.location_id, leg.items, leg.transfer_to) == (STORE, {MUG: 1}, DC)
    assert (leg.ships_on, leg.arrives_on) == (date(2026, 11, 23), date(2026, 11, 24))  # Mon -> Tue at the DC
    assert (parcel.location_id, parcel.items, parcel.transfer_to) == (DC, {SHIRT: 2}, None)
    # the DC needs its handling day once the mug arrived: ships Wed instead of Tue, arrives Thu
    assert (parcel.ships_on, parcel.arrives_on) == (date(2026, 11, 25), date(2026, 11, 26))
    rate = RateCard()
    assert leg.cost == Decimal("5.00")
    assert parcel.cost == rate.cost(weight_grams=1000, km=distance_km(CAJAMAR, CUSTOMER))  # every unit's weight
    assert plan.cost == leg.cost + parcel.cost
    assert decision.reason_text == ("DC Cajamar consolidates Store Pinheiros' items: one package, arrives Thu, "
                               "instead of 2 parcels (Store Pinheiros, DC Cajamar)")
    [split] = decision.alternatives
    assert (split.kind, split.packages, split.arrives_on) == ("split", 2, date(2026, 11, 25))


def test_without_a_route_nothing_is_consolidated():
    decision = decide(request(), network())
    assert decision.plan.kind == "split"
    assert [p.kind for p in decision.alternatives] == []


def test_nearest_and_lowest_cost_count_the_forwarding_leg():
    nearest = decide(request(NEAREST), network(), routes=[TO_DC])
    assert nearest.plan.kind == "split"  # the mug would travel to Cajamar and back
    assert [p.kind for p in nearest.alternatives] == ["consolidate"]
    consolidate = nearest.alternatives[0]
    assert consolidate.km == pytest.approx(distance_km(PINHEIROS, CAJAMAR) + distance_km(CAJAMAR, CUSTOMER))
    cheap_route = Route(STORE, DC, days=1, cost=Decimal("0.50"))
    cheapest = decide(request(LOWEST_COST), network(), routes=[cheap_route])
    assert cheapest.plan.kind == "consolidate"  # one base fee instead of two, for 0.50 of forwarding
    assert cheapest.plan.cost < cheapest.alternatives[0].cost


def test_a_consolidation_that_arrives_too_late_loses_to_the_split():
    # at the DC Fri 27/11, ships Mon 30/11, arrives Tue 1/12: later than the split's Wed 25/11 + 2 working days
    slow = Route(STORE, DC, days=4, cost=Decimal("5.00"))
    decision = decide(request(), network(), routes=[slow])
    assert decision.plan.kind == "split"
    [late] = decision.alternatives
    assert (late.kind, late.late, late.arrives_on) == ("consolidate", True, date(2026, 12, 1))
    # with a promise that far out (re-sourcing a placed order), one parcel is on time again
    decision = decide(request(promised_by=date(2026, 12, 4)), network(), routes=[slow])
    assert decision.plan.kind == "consolidate" and not decision.plan.late


def test_a_location_with_everything_ships_alone_and_a_hub_can_consolidate_two_stores():
    assert decide(request(), network(dc_mugs=3), routes=[TO_DC]).plan.kind == "single"
    stores = [
        Candidate(DC, "DC Cajamar", CAJAMAR, {SHIRT: 0, MUG: 0}, handling_days=1, cutoff=time(14, 0)),
        Candidate(STORE, "Store Pinheiros", PINHEIROS, {SHIRT: 0, MUG: 4}, handling_days=0, cutoff=time(16, 0)),
        Candidate(MOOCA_STORE, "Store Mooca", MOOCA, {SHIRT: 5, MUG: 0}, handling_days=0, cutoff=time(16, 0)),
    ]
    routes = [TO_DC, Route(MOOCA_STORE, DC, days=1, cost=Decimal("5.00"))]
    decision = decide(request(), stores, routes=routes)
    plan = decision.plan
    assert plan.kind == "consolidate" and plan.packages == 1
    assert sorted((s.location_id, s.transfer_to) for s in plan.shipments) == [
        (DC, None), (STORE, DC), (MOOCA_STORE, DC)]
    assert next(s for s in plan.shipments if s.transfer_to is None).items == {}
    assert decision.reason_text.startswith("DC Cajamar consolidates Store Mooca, Store Pinheiros' items: one package")


def test_a_route_into_a_location_that_does_not_ship_is_ignored():
    cands = network()
    cands[0] = Candidate(DC, "DC Cajamar", CAJAMAR, {SHIRT: 50, MUG: 0}, can_ship=False, handling_days=1)
    cands.append(Candidate(16, "Store Sé", Point(-23.5505, -46.6333), {SHIRT: 50, MUG: 0}, handling_days=0))
    decision = decide(request(), cands, routes=[TO_DC])
    assert "consolidate" not in [decision.plan.kind, *(p.kind for p in decision.alternatives)]


# --- the full flow on the database ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_consolidated_order_place_allocate_transfer_pack_ship_deliver(make_user, net, stock, place_order):
    from django.core.management import call_command

    from inventory.models import StockLevel, Transfer
    from inventory.services import transfer_receive, transfer_ship
    from orders.fulfilment import services as ful
    from orders.fulfilment.errors import InvalidShipmentTransition
    from orders.fulfilment.models import ConsolidationRoute, Shipment
    from orders.models import Order
    from payments.models import Payment
    from tests.inventory.factories import VariantFactory

    def level(variant, location):
        lv = StockLevel.objects.get(variant=variant, location=location)
        return lv.on_hand, lv.reserved

    user = make_user("admin")
    cup = VariantFactory(base_price=Decimal("30.00"), weight_grams=200)
    stock(cup, net["store"], 4)  # only the store has cups; only the DC has 5 shirts
    net["channel"].sourcing_strategy = "fewest_shipments"
    net["channel"].save(update_fields=["sourcing_strategy"])
    ConsolidationRoute.objects.create(from_location=net["store"], to_location=net["dc"], transfer_days=1,
                                      cost=Decimal("4.00"))
    order = place_order(user, [(net["shirt"], 5), (cup, 1)])
    decision = order.sourcing_decisions.first()
    assert decision.plan["kind"] == "consolidate" and decision.plan["packages"] == 1
    assert decision.reason_text.startswith("DC Cajamar consolidates Store Pinheiros' items: one package, arrives ")
    # the promise waits for the consolidated parcel: the DC's delayed hand-over plus the option's transit days
    from orders.fulfilment.calendar import arrival_date

    hub = next(s for s in decision.plan["shipments"] if not s["transfer_to"])
    leg = next(s for s in decision.plan["shipments"] if s["transfer_to"])
    assert hub["ships_on"] > leg["ships_on"]
    transit = next(o["transit_days"] for o in order.shipping_options if o["code"] == net["service"])
    order.refresh_from_db()
    assert order.promised_date == arrival_date(shipped_on=date.fromisoformat(hub["ships_on"]), transit_days=transit)
    assert held_by_variant(order) == {
        net["shirt"].pk: net["dc"].pk, cup.pk: net["store"].pk}
    assert (level(cup, net["store"]), level(net["shirt"], net["dc"])) == ((4, 1), (20, 5))

    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    transfer = Transfer.objects.get()
    assert (shipment.location_id, shipment.kind, shipment.status) == (net["dc"].pk, "ship", "waiting")
    assert (transfer.from_location_id, transfer.to_location_id) == (net["store"].pk, net["dc"].pk)
    assert sorted(shipment.lines.values_list("order_line__variant_id", "quantity")) == sorted(
        [(net["shirt"].pk, 5), (cup.pk, 1)])
    assert shipment.cost == Decimal(decision.plan["cost"])  # the parcel and the forwarding leg
    with pytest.raises(InvalidShipmentTransition):
        ful.shipment_scan(shipment_id=shipment.pk, code=net["shirt"].sku, acting_user=user)
    with pytest.raises(InvalidShipmentTransition):
        ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR1", acting_user=user)
    call_command("verify_ledgers")

    transfer_ship(transfer_id=transfer.pk, acting_user=user)
    assert level(cup, net["store"]) == (3, 0)
    call_command("verify_ledgers")
    transfer_receive(transfer_id=transfer.pk, acting_user=user)
    shipment.refresh_from_db()
    assert shipment.status == "pending"
    assert level(cup, net["dc"]) == (1, 1)
    assert held_at(order.lines.get(variant=cup)) == net["dc"].pk
    call_command("verify_ledgers")

    for code in [net["shirt"].sku] * 5 + [cup.sku]:
        ful.shipment_scan(shipment_id=shipment.pk, code=code, acting_user=user)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR1", acting_user=user)
    ful.shipment_deliver(shipment_id=shipment.pk, acting_user=user)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert Shipment.objects.filter(order=order).count() == 1
    assert (level(cup, net["dc"]), level(cup, net["store"]), level(net["shirt"], net["dc"])) == (
        (0, 0), (3, 0), (15, 0))
    assert Payment.objects.get(order=order).captured_amount == order.total
    call_command("verify_ledgers")


@pytest.mark.django_db
def test_routes_screen_adds_refuses_bad_input_and_removes(role_client, net):
    from django.urls import reverse

    from oms.models import AuditEntry
    from orders.fulfilment.models import ConsolidationRoute
    from tests.inventory.factories import LocationFactory

    client = role_client("admin")
    url = reverse("orders:fulfilment_routes")
    bad = client.post(url, {"from_location": net["store"].pk, "to_location": net["store"].pk, "transfer_days": 1})
    assert bad.status_code == 400 and "A location cannot forward to itself." in bad.content.decode()
    no_ship = LocationFactory(code="LJ-X", name="Store X", can_ship=False)
    bad = client.post(url, {"from_location": net["store"].pk, "to_location": no_ship.pk, "transfer_days": 1})
    assert bad.status_code == 400 and "Store X does not ship orders" in bad.content.decode()
    for cost, says in (("abc", "is not a number"), ("NaN", "is not a number"), ("1e30", "is not a plain number"),
                       ("100000000000000", "is too large"), ("-1", "must be at least 0")):
        bad = client.post(url, {"from_location": net["store"].pk, "to_location": net["dc"].pk, "transfer_days": 1,
                                "cost": cost})
        assert bad.status_code == 400 and says in bad.content.decode(), cost
    bad = client.post(url, {"from_location": net["store"].pk, "to_location": net["dc"].pk, "transfer_days": "x"})
    assert bad.status_code == 400 and "Transfer days must be a whole number from 0 to 30." in bad.content.decode()
    assert not ConsolidationRoute.objects.exists()
    ok = client.post(url, {"from_location": net["store"].pk, "to_location": net["dc"].pk, "transfer_days": 2,
                           "cost": "4,50"})
    assert ok.status_code == 302
    route = ConsolidationRoute.objects.get()
    assert (route.from_location_id, route.to_location_id, route.transfer_days, route.cost) == (
        net["store"].pk, net["dc"].pk, 2, Decimal("4.50"))
    assert AuditEntry.objects.filter(verb="consolidation_route_save").count() == 1
    page = client.get(url).content.decode()
    assert "Store Pinheiros" in page and "DC Cajamar" in page
    client.post(reverse("orders:fulfilment_route_delete", args=[route.pk]))
    assert not ConsolidationRoute.objects.exists()
    assert role_client("agent").get(url).status_code == 403


@pytest.mark.django_db
def test_simulation_compares_with_and_without_consolidation(make_user, role_client, net, stock, place_order):
    from django.urls import reverse

    from orders.fulfilment.models import ConsolidationRoute
    from tests.inventory.factories import VariantFactory

    cup = VariantFactory(base_price=Decimal("30.00"), weight_grams=200)
    stock(cup, net["store"], 4)
    place_order(make_user("admin"), [(net["shirt"], 5), (cup, 1)])  # nearest channel: split in two parcels
    # a same-day transfer: the DC still ships on its own day, so one parcel arrives by the promised date (a day
    # on the road would make it a day late with the 3-day service the order chose)
    ConsolidationRoute.objects.create(from_location=net["store"], to_location=net["dc"], transfer_days=0)
    client = role_client("admin")
    url = reverse("orders:fulfilment_simulation")
    body = client.get(url, {"run": 1, "days": 7, "strategy": "fewest_shipments", "consolidation": "1"}).content.decode()
    assert "DC Cajamar consolidates Store Pinheiros" in body
    body = client.get(url, {"run": 1, "days": 7, "strategy": "fewest_shipments"}).content.decode()
    assert "consolidates" not in body and "2 shipments" in body
