"""Sourcing on small hand-made networks whose right answers are known."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import translation

from oms.i18n import render, split
from orders.fulfilment.calendar import add_working_days, ship_date
from orders.fulfilment.geo import Point, distance_km, point_for_postal_code
from orders.fulfilment.sourcing import (
    FEWEST_SHIPMENTS,
    LOWEST_COST,
    NEAREST,
    WEIGHTED,
    Candidate,
    Line,
    RateCard,
    Request,
    decide,
)

PINHEIROS_CUSTOMER = point_for_postal_code("05422-030")
CAJAMAR = Point(-23.3560, -46.8770)
PINHEIROS = Point(-23.5663, -46.6936)
RIO = Point(-22.9068, -43.1729)
MONDAY_MORNING = datetime(2026, 11, 23, 9, 0)  # a Monday
SHIRT, MUG = 1, 2


def dc(**stock):
    return Candidate(10, "DC Cajamar", CAJAMAR, {SHIRT: stock.get("shirt", 100), MUG: stock.get("mug", 100)},
                     handling_days=1, cutoff=time(14, 0))


def pinheiros(**stock):
    return Candidate(12, "Store Pinheiros", PINHEIROS, {SHIRT: stock.get("shirt", 5), MUG: stock.get("mug", 5)},
                     can_pickup=True, handling_days=0, cutoff=time(16, 0))


def rio(**stock):
    return Candidate(13, "Store Rio", RIO, {SHIRT: stock.get("shirt", 5), MUG: stock.get("mug", 5)},
                     handling_days=0, cutoff=time(16, 0))


def request(strategy=NEAREST, **kwargs):
    lines = kwargs.pop("lines", (Line(SHIRT, 2, 300), Line(MUG, 1, 400)))
    return Request(lines=lines, destination=kwargs.pop("destination", PINHEIROS_CUSTOMER), now=MONDAY_MORNING,
                   strategy=strategy, **kwargs)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_nearest_store_with_everything_wins_and_says_why():
    decision = decide(request(NEAREST), [dc(), pinheiros(), rio()])
    plan = decision.plan
    assert [s.location_name for s in plan.shipments] == ["Store Pinheiros"]
    assert plan.shipments[0].items == {SHIRT: 2, MUG: 1}
    assert round(plan.km, 1) == 0.9
    # 12.00 base + 2.50 x 1.0 kg + 0.02 x 0.9 km
    assert plan.cost == Decimal("14.52")
    assert plan.arrives_on == date(2026, 11, 24)
    dc_plan = next(p for p in decision.alternatives if p.shipments[0].location_name == "DC Cajamar")
    assert dc_plan.cost == Decimal("15.09")  # 29.5 km
    assert decision.reason_text == "Store Pinheiros: 0.9 km, arrives Tue, 28.6 km closer than DC Cajamar"


def test_the_reason_names_what_the_strategy_chose_by():
    """The same winner, explained by the channel's own rule: a nearest-first channel read "R$ 0.57 cheaper than DC
    Cajamar" (true, but not why it won), and fewest-shipments said "cheaper" where it chose one parcel."""
    network = [dc(), pinheiros(), rio()]
    assert decide(request(LOWEST_COST), network).reason_text == (
        "Store Pinheiros: 0.9 km, arrives Tue, R$\xa00.57 cheaper than DC Cajamar")
    assert decide(request(NEAREST), network).reason_text.endswith("28.6 km closer than DC Cajamar")
    lines = (Line(SHIRT, 8, 300), Line(MUG, 1, 400))
    fewest = decide(request(FEWEST_SHIPMENTS, lines=lines), [dc(), pinheiros()])
    assert fewest.plan.shipments[0].location_name == "DC Cajamar"
    assert fewest.alternatives[0].packages == 2 and fewest.alternatives[0].cost > fewest.plan.cost
    assert fewest.reason_text.endswith("fewer parcels than Store Pinheiros, DC Cajamar")


def test_lowest_cost_prefers_one_parcel_from_the_dc_over_a_split():
    # The store lacks mugs: the choice is DC alone, or store + DC in two parcels.
    decision = decide(request(LOWEST_COST), [dc(), pinheiros(mug=0)])
    assert [s.location_name for s in decision.plan.shipments] == ["DC Cajamar"]
    split = decision.alternatives[0]
    assert split.kind == "split"
    assert split.packages == 2
    assert split.cost > decision.plan.cost


def test_split_when_no_single_location_has_everything():
    decision = decide(request(NEAREST), [dc(mug=0), pinheiros(mug=0), rio(shirt=0)])
    plan = decision.plan
    assert plan.kind == "split"
    assert sorted((s.location_name, s.items) for s in plan.shipments) == [
        ("Store Pinheiros", {SHIRT: 2}), ("Store Rio", {MUG: 1})]
    assert decision.reason_text.startswith("2 shipments (Store Pinheiros, Store Rio), arrives ")
    assert decision.reason_text.endswith("no single location has every item")


def test_the_reason_is_decided_once_and_read_in_each_readers_language():
    """Written while the agent works in Portuguese, stored, and read by an Arabic-speaking manager: the weekday,
    the amount's number format and the plural forms follow the reader."""
    with translation.override("pt-br"):
        single = split(decide(request(NEAREST), [dc(), pinheiros(), rio()]).reason)
        shipments = split(decide(request(NEAREST), [dc(mug=0), pinheiros(mug=0), rio(shirt=0)]).reason)
    readings = {}
    for language in ("en", "pt-br", "ar"):
        with translation.override(language):
            readings[language] = (render(*single), render(*shipments))
    assert readings["en"][0] == "Store Pinheiros: 0.9 km, arrives Tue, 28.6 km closer than DC Cajamar"
    # Distances follow the reader's number format too (they read "0.9 km" in Portuguese before).
    assert readings["pt-br"][0] == "Store Pinheiros: 0,9 km, chega Ter, 28,6 km mais perto que DC Cajamar"
    assert readings["pt-br"][1].startswith("2 envios (Store Pinheiros, Store Rio), chega ")
    arabic_single, arabic_split = readings["ar"]
    assert "DC Cajamar" in arabic_single and "Tue" not in arabic_single and "chega" not in arabic_single
    assert arabic_split.startswith("شحنتان (Store Pinheiros, Store Rio)")  # the Arabic dual form of "2 shipments"


def test_fewest_shipments_takes_the_location_covering_most():
    lines = (Line(SHIRT, 8, 300), Line(MUG, 1, 400))
    # Pinheiros has 5 shirts: nearest-first would split Pinheiros + DC; the DC alone is one parcel.
    decision = decide(request(FEWEST_SHIPMENTS, lines=lines), [dc(), pinheiros()])
    assert decision.plan.packages == 1
    assert decision.plan.shipments[0].location_name == "DC Cajamar"


def test_an_on_time_plan_beats_a_cheaper_late_one():
    # Customer in Rio; promised for Tuesday. Rio store ships today; the DC arrives later.
    rio_customer = point_for_postal_code("20040-002")
    expensive_rio = Candidate(13, "Store Rio", RIO, {SHIRT: 5, MUG: 5}, handling_days=0, cutoff=time(16, 0))
    cheap_rate = RateCard(per_km=Decimal("0"))
    decision = decide(request(LOWEST_COST, destination=rio_customer, promised_by=date(2026, 11, 24)),
                      [dc(), expensive_rio], cheap_rate)
    assert decision.plan.shipments[0].location_name == "Store Rio"
    assert decision.plan.late is False
    assert decision.alternatives[0].late is True
    assert "on time, where DC Cajamar would be late" in decision.reason_text


def test_store_pickup_with_a_transfer_for_the_missing_item():
    decision = decide(request(NEAREST, destination=None, pickup_location_id=12), [dc(), pinheiros(mug=0)])
    plan = decision.plan
    assert plan.kind == "transfer"
    own, transfer = plan.shipments
    assert (own.location_name, own.items, own.cost) == ("Store Pinheiros", {SHIRT: 2}, Decimal("0.00"))
    assert (transfer.location_name, transfer.items, transfer.transfer_to) == ("DC Cajamar", {MUG: 1}, 12)
    assert decision.reason_text.startswith("Pick-up at Store Pinheiros after a transfer from DC Cajamar: ready ")


def test_store_pickup_from_own_stock_is_ready_today():
    decision = decide(request(NEAREST, destination=None, pickup_location_id=12), [dc(), pinheiros()])
    assert decision.plan.kind == "pickup"
    assert decision.plan.arrives_on == date(2026, 11, 23)
    assert decision.reason_text == "Pick-up at Store Pinheiros: ready Mon"


def test_shortage_when_the_network_cannot_promise():
    decision = decide(request(NEAREST, lines=(Line(SHIRT, 500, 300),)), [dc(), pinheiros(), rio()])
    assert decision.plan is None
    assert decision.shortages == {SHIRT: 390}


def test_weighted_strategy_ranks_every_plan_deterministically():
    first = decide(request(WEIGHTED), [dc(), pinheiros(mug=0), rio()])
    second = decide(request(WEIGHTED), [rio(), pinheiros(mug=0), dc()])
    assert first.plan.signature() == second.plan.signature()
    assert [p.signature() for p in first.alternatives] == [p.signature() for p in second.alternatives]


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="Unknown sourcing strategy"):
        decide(request("cheapest-ish"), [dc()])


def test_cutoff_and_weekends_move_the_ship_date():
    friday_evening = datetime(2026, 11, 27, 18, 0)
    assert ship_date(now=friday_evening, cutoff=time(14, 0), handling_days=0) == date(2026, 11, 30)
    assert ship_date(now=friday_evening, cutoff=time(19, 0), handling_days=0) == date(2026, 11, 27)
    assert ship_date(now=friday_evening, cutoff=time(14, 0), handling_days=1) == date(2026, 12, 1)
    assert add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 30)


def test_cep_lookup_takes_the_most_specific_area():
    assert point_for_postal_code("01415-000") == Point(-23.5646, -46.6640)  # Jardins, inside Centro's range
    assert point_for_postal_code("01001-000") == Point(-23.5489, -46.6388)
    assert point_for_postal_code("99999-999") is None
    assert point_for_postal_code("123") is None
    assert round(distance_km(CAJAMAR, PINHEIROS), 1) == 29.9


def test_reasons_stored_with_the_old_distance_messages_read_in_the_readers_format(db):
    """Reasons written before distances were localised ("%(km).1f km", a float) are rewritten by the migration to
    the stored-number form, nested ones too, and then read "0,9 km" in Portuguese like new ones."""
    import importlib

    from django.apps import apps

    from orders.fulfilment.models import SourcingDecision
    from orders.models import Order
    from tests.orders.factories import ChannelFactory

    migration = importlib.import_module("orders.migrations.0021_sourcing_reason_distances_localised")
    head = {"msgid": "%(name)s: %(km).1f km, arrives %(day)s",
            "params": {"name": "Store Pinheiros", "km": 0.9234, "day": {"date": "2026-03-03", "format": "D"}}}
    why = {"msgid": "%(km).1f km closer than %(other)s", "params": {"km": 28.64, "other": "DC Cajamar"}}
    order = Order.objects.create(channel=ChannelFactory(), currency="BRL")
    old = SourcingDecision.objects.create(order=order, strategy=NEAREST, reason="%(0)s, %(1)s",
                                          reason_params={"0": head, "1": why})
    typed = SourcingDecision.objects.create(order=order, strategy=NEAREST, reason="moved by hand")
    migration.localise_distances(apps, None)
    old.refresh_from_db()
    typed.refresh_from_db()
    with translation.override("pt-br"):
        assert old.reason_text == "Store Pinheiros: 0,9 km, chega Ter, 28,6 km mais perto que DC Cajamar"
    with translation.override("en"):
        assert old.reason_text == "Store Pinheiros: 0.9 km, arrives Tue, 28.6 km closer than DC Cajamar"
    assert (typed.reason, typed.reason_params) == ("moved by hand", None)
