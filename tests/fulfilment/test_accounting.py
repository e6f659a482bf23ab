"""The sale, its tax and the cost of goods at shipment, and returns, in the general ledger."""

from decimal import Decimal

import pytest
from django.utils import translation

from inventory.models import KitComponent
from marketing.models import TaxRate
from orders.fulfilment import services as ful
from orders.fulfilment.accounting import post_shipment_revenue
from orders.fulfilment.models import Shipment
from payments.ledger import trial_balance, verify_journal
from payments.models import JournalEntry
from tests.inventory.factories import VariantFactory
from tests.marketing.factories import PromotionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def entry_lines(reference: str) -> list[tuple[str, Decimal, Decimal]]:
    entry = JournalEntry.objects.get(reference=reference)
    return sorted((jl.account.code, jl.debit, jl.credit) for jl in entry.lines.select_related("account"))


def balances() -> dict[str, Decimal]:
    return {row["account"].code: row["balance"] for row in trial_balance()}


def pack_and_ship(shipment, user):
    for sl in shipment.lines.select_related("order_line"):
        for _unit in range(sl.quantity):
            ful.shipment_scan(shipment_id=shipment.pk, code=sl.order_line.sku, acting_user=user)
    return ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number=f"BR{shipment.pk}X",
                             acting_user=user)


@pytest.fixture
def split_order(make_user, net, place_order, stock):
    """5 shirts at R$ 33.33 from the DC and 1 cap at R$ 30 from the store; 10% off the order, 18% tax, R$ 15
    shipping: two shipments."""
    shirt = VariantFactory(base_price=Decimal("33.33"), cost=Decimal("12.34"))
    cap = VariantFactory(base_price=Decimal("30.00"), cost=Decimal("11.00"))
    stock(shirt, net["dc"], 10)
    stock(cap, net["store"], 2)
    TaxRate.objects.filter(region="SP").update(rate=Decimal("18"))
    PromotionFactory(kind="order_percent", percent=Decimal("10"), is_active=True)
    user = make_user("admin")
    order = place_order(user, [(shirt, 5), (cap, 1)])
    from_dc, from_store = sorted(ful.order_allocate(order_id=order.pk, acting_user=user), key=lambda s: s.pk)
    assert from_dc.location_id == net["dc"].pk and from_store.location_id == net["store"].pk
    return {"order": order, "user": user, "shirt": shirt, "cap": cap, "dc": from_dc, "store": from_store}


def test_each_shipment_posts_its_sale_tax_shipping_and_cost_once(split_order):
    order, user = split_order["order"], split_order["user"]
    shirt_line = order.lines.get(variant=split_order["shirt"])
    cap_line = order.lines.get(variant=split_order["cap"])
    # The stored prices the entries come from.
    assert (shirt_line.unit_price, shirt_line.discount_total, shirt_line.tax_amount, shirt_line.line_total) == (
        Decimal("33.33"), Decimal("16.67"), Decimal("27.00"), Decimal("176.98"))
    assert (cap_line.unit_price, cap_line.discount_total, cap_line.tax_amount, cap_line.line_total) == (
        Decimal("30.00"), Decimal("3.00"), Decimal("4.86"), Decimal("31.86"))
    assert (order.shipping_total, order.total) == (Decimal("15.00"), Decimal("223.84"))

    first = split_order["dc"]
    pack_and_ship(first, user)
    assert entry_lines(f"shipment:{first.pk}") == [
        ("1200", Decimal("0"), Decimal("61.70")),  # 5 x 12.34
        ("2000", Decimal("191.98"), Decimal("0")),  # 176.98 + 15.00 shipping with the first shipment
        ("2200", Decimal("0"), Decimal("27.00")),
        ("4000", Decimal("0"), Decimal("166.65")),  # 5 x 33.33
        ("4100", Decimal("0"), Decimal("15.00")),
        ("4500", Decimal("16.67"), Decimal("0")),
        ("5000", Decimal("61.70"), Decimal("0")),
    ]
    second = split_order["store"]
    split_order["cap"].__class__.objects.filter(pk=split_order["cap"].pk).update(cost=Decimal("11.50"))
    pack_and_ship(second, user)
    assert entry_lines(f"shipment:{second.pk}") == [
        ("1200", Decimal("0"), Decimal("11.50")),  # the cost when it ships
        ("2000", Decimal("31.86"), Decimal("0")),  # no shipping again
        ("2200", Decimal("0"), Decimal("4.86")),
        ("4000", Decimal("0"), Decimal("30.00")),
        ("4500", Decimal("3.00"), Decimal("0")),
        ("5000", Decimal("11.50"), Decimal("0")),
    ]
    totals = balances()
    assert totals["4000"] == Decimal("-196.65") and totals["2200"] == Decimal("-31.86")
    assert totals["4500"] == Decimal("19.67") and totals["4100"] == Decimal("-15.00")
    assert totals["5000"] == Decimal("73.20") == Decimal("61.70") + Decimal("11.50")
    # The invoice captures credited 2000 with the order total; the sale took it all out again.
    assert totals["2000"] == Decimal("0")
    assert sum(totals.values()) == Decimal("0")
    assert verify_journal() == []

    # Posting again (a retry, a redelivery) adds nothing.
    assert post_shipment_revenue(shipment=Shipment.objects.select_related("order").get(pk=first.pk),
                                 acting_user=user) is None
    assert JournalEntry.objects.filter(reference__regex=r"^shipment:\d+$").count() == 2


def test_redelivery_after_a_failed_attempt_posts_once(split_order):
    user, shipment = split_order["user"], split_order["dc"]
    pack_and_ship(shipment, user)
    ful.shipment_fail(shipment_id=shipment.pk, reason="Nobody home", acting_user=user)
    ful.shipment_retry(shipment_id=shipment.pk, acting_user=user)
    ful.shipment_deliver(shipment_id=shipment.pk, acting_user=user)
    assert JournalEntry.objects.filter(reference=f"shipment:{shipment.pk}").count() == 1
    assert verify_journal() == []


def test_return_of_one_unit_reverses_its_sale_and_restocks_at_cost(split_order, net):
    order, user = split_order["order"], split_order["user"]
    pack_and_ship(split_order["dc"], user)
    pack_and_ship(split_order["store"], user)
    shirt_line = order.lines.get(variant=split_order["shirt"])
    rma = ful.return_request(order_id=order.pk, lines=[(shirt_line.pk, 1, "size")], acting_user=user)
    ful.return_approve(return_id=rma.pk, acting_user=user)
    ful.return_receive(return_id=rma.pk, location_id=net["dc"].pk, acting_user=user)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=user)
    assert entry_lines(f"return:{rma.pk}:restock") == [("1200", Decimal("12.34"), Decimal("0")),
                                                       ("5000", Decimal("0"), Decimal("12.34"))]
    assert not JournalEntry.objects.filter(reference=f"return:{rma.pk}:sale").exists()  # not refunded yet
    ful.return_refund(return_id=rma.pk, acting_user=user)
    rma.refresh_from_db()
    assert rma.refund_amount == Decimal("35.40")  # 176.98 / 5
    assert entry_lines(f"return:{rma.pk}:sale") == [
        ("2000", Decimal("0"), Decimal("35.40")),
        ("2200", Decimal("5.40"), Decimal("0")),  # the tax on the unit, 27.00 / 5
        ("4900", Decimal("30.00"), Decimal("0")),
    ]
    totals = balances()
    assert totals["2000"] == Decimal("0")  # the refund took out of 2000 what the return put in
    assert totals["5000"] == Decimal("61.70") + Decimal("11.00") - Decimal("12.34")
    assert verify_journal() == []


def test_written_off_return_refunded_as_store_credit_posts_no_restock(split_order, net):
    order, user = split_order["order"], split_order["user"]
    pack_and_ship(split_order["store"], user)
    cap_line = order.lines.get(variant=split_order["cap"])
    rma = ful.return_request(order_id=order.pk, lines=[(cap_line.pk, 1, "damaged")], acting_user=user)
    ful.return_approve(return_id=rma.pk, acting_user=user)
    ful.return_receive(return_id=rma.pk, location_id=net["store"].pk, acting_user=user)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "damaged"}, acting_user=user)
    ful.return_refund(return_id=rma.pk, method="store_credit", acting_user=user)
    assert not JournalEntry.objects.filter(reference=f"return:{rma.pk}:restock").exists()
    assert entry_lines(f"return:{rma.pk}:sale") == [("2000", Decimal("0"), Decimal("31.86")),
                                                    ("2200", Decimal("4.86"), Decimal("0")),
                                                    ("4900", Decimal("27.00"), Decimal("0"))]
    assert verify_journal() == []


def test_a_kit_costs_what_its_components_cost(make_user, net, place_order, stock):
    box = VariantFactory(base_price=Decimal("120.00"), cost=Decimal("999.00"), is_kit=True)
    KitComponent.objects.create(kit=box, component=net["shirt"], quantity=1)
    KitComponent.objects.create(kit=box, component=net["mug"], quantity=2)
    net["shirt"].__class__.objects.filter(pk=net["shirt"].pk).update(cost=Decimal("40.00"))
    net["mug"].__class__.objects.filter(pk=net["mug"].pk).update(cost=Decimal("15.00"))
    user = make_user("admin")
    order = place_order(user, [(box, 2)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    pack_and_ship(shipment, user)
    lines = entry_lines(f"shipment:{shipment.pk}")
    assert ("5000", Decimal("140.00"), Decimal("0")) in lines  # 2 x (40 + 2 x 15)
    assert ("1200", Decimal("0"), Decimal("140.00")) in lines
    assert verify_journal() == []


def test_a_line_returned_unit_by_unit_gives_back_what_it_cost_not_a_cent_more(split_order, net):
    """5 shirts for 176.98: each unit was worth 35.40 on its own (rounded up), so five returns of one unit gave back
    177.00 and the sales returns 0.02 more than the sale; the returns share the line as the parcels do."""
    order, user = split_order["order"], split_order["user"]
    pack_and_ship(split_order["dc"], user)
    pack_and_ship(split_order["store"], user)
    shirt_line = order.lines.get(variant=split_order["shirt"])
    assert (shirt_line.line_total, shirt_line.tax_amount) == (Decimal("176.98"), Decimal("27.00"))
    refunds, taxes = [], []
    for _unit in range(5):
        rma = ful.return_request(order_id=order.pk, lines=[(shirt_line.pk, 1, "size")], acting_user=user)
        ful.return_approve(return_id=rma.pk, acting_user=user)
        ful.return_receive(return_id=rma.pk, location_id=net["dc"].pk, acting_user=user)
        ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=user)
        ful.return_refund(return_id=rma.pk, acting_user=user)
        rma.refresh_from_db()
        refunds.append(rma.refund_amount)
        assert ful.return_value(rma) == rma.refund_amount  # the refunded return's page shows what it refunded
        taxes.append({code: debit for code, debit, _credit in entry_lines(f"return:{rma.pk}:sale")}["2200"])
    assert refunds == [Decimal("35.40"), Decimal("35.39"), Decimal("35.40"), Decimal("35.39"), Decimal("35.40")]
    assert sum(refunds) == shirt_line.line_total
    assert sum(taxes) == shirt_line.tax_amount
    assert verify_journal() == []
