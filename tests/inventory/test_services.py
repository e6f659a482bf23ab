import pytest
from django.core.management import call_command
from django.db import connection

from inventory.errors import (
    CountBelowReserved,
    InsufficientReserved,
    InvalidQuantity,
    InvalidTransition,
    OutOfStock,
    ReceiptTooLarge,
    UnknownVariant,
)
from inventory.models import PurchaseOrder, StockLevel, StockMovement, Transfer
from inventory.services import (
    StockLine,
    ledger_drift,
    po_cancel,
    po_create,
    po_receive,
    po_send,
    stock_adjust,
    stock_consume,
    stock_count,
    stock_release,
    stock_reserve,
    stock_return,
    stock_sell,
    stock_set_safety,
    transfer_cancel,
    transfer_create,
    transfer_receive,
    transfer_ship,
)
from oms.models import AuditEntry
from tests.inventory.factories import KitComponentFactory, LocationFactory, SupplierFactory, VariantFactory


def level(variant, location):
    row = StockLevel.objects.get(variant=variant, location=location)
    return row.on_hand, row.reserved


def test_receive_creates_level_and_movement(variant, location, make_user):
    user = make_user("warehouse")
    from inventory.services import stock_receive

    stock_receive(lines=[StockLine(variant.pk, location.pk, 7)], reference="po:1", acting_user=user)

    assert level(variant, location) == (7, 0)
    movement = StockMovement.objects.get()
    assert (movement.on_hand_delta, movement.reserved_delta, movement.reason, movement.reference, movement.user) == (
        7, 0, "receipt", "po:1", user)


def test_reserve_release_consume_return_keep_ledger(variant, location, stock):
    stock(variant, location, 10)
    stock_reserve(lines=[StockLine(variant.pk, location.pk, 4)], reference="order:1", acting_user=None)
    assert level(variant, location) == (10, 4)
    stock_release(lines=[StockLine(variant.pk, location.pk, 1)], reference="order:1", acting_user=None)
    assert level(variant, location) == (10, 3)
    stock_consume(lines=[StockLine(variant.pk, location.pk, 3)], reference="order:1", acting_user=None)
    assert level(variant, location) == (7, 0)
    stock_return(lines=[StockLine(variant.pk, location.pk, 2)], reference="rma:1", acting_user=None)
    assert level(variant, location) == (9, 0)
    assert list(StockMovement.objects.order_by("id").values_list("reason", "on_hand_delta", "reserved_delta")) == [
        ("receipt", 10, 0), ("reservation", 0, 4), ("release", 0, -1), ("shipment", -3, -3), ("return", 2, 0)]
    assert ledger_drift() == []


def test_reserve_is_all_or_nothing(location, stock):
    a, b = VariantFactory(), VariantFactory()
    stock(a, location, 5)
    stock(b, location, 1)
    with pytest.raises(OutOfStock) as info:
        stock_reserve(lines=[StockLine(a.pk, location.pk, 2), StockLine(b.pk, location.pk, 3)],
                      reference="order:9", acting_user=None)
    assert info.value.shortages == [(b.pk, location.pk, 3, 1)]
    assert info.value.code == "out_of_stock"
    assert level(a, location) == (5, 0)
    assert StockMovement.objects.filter(reason="reservation").count() == 0


def test_reserve_without_stock_row_is_a_shortage(variant, location):
    with pytest.raises(OutOfStock) as info:
        stock_reserve(lines=[StockLine(variant.pk, location.pk, 1)], reference="order:1", acting_user=None)
    assert info.value.shortages == [(variant.pk, location.pk, 1, 0)]
    assert not StockLevel.objects.exists()


def test_reserve_respects_safety_stock(variant, location, stock):
    stock(variant, location, 5)
    stock_set_safety(variant_id=variant.pk, location_id=location.pk, safety_stock=2, acting_user=None)
    with pytest.raises(OutOfStock) as info:
        stock_reserve(lines=[StockLine(variant.pk, location.pk, 4)], reference="order:1", acting_user=None)
    assert info.value.shortages == [(variant.pk, location.pk, 4, 3)]
    stock_reserve(lines=[StockLine(variant.pk, location.pk, 3)], reference="order:1", acting_user=None)
    assert level(variant, location) == (5, 3)


def test_reserve_inside_outer_transaction_failure_leaves_outer_usable(variant, location, stock):
    from django.db import transaction

    stock(variant, location, 1)
    with transaction.atomic():
        with pytest.raises(OutOfStock):
            stock_reserve(lines=[StockLine(variant.pk, location.pk, 2)], reference="o", acting_user=None)
        stock_reserve(lines=[StockLine(variant.pk, location.pk, 1)], reference="o", acting_user=None)
    assert level(variant, location) == (1, 1)


def test_bad_quantities_and_unknown_sku(variant, location):
    for quantity in (0, -1, 1.5):
        with pytest.raises(InvalidQuantity):
            stock_reserve(lines=[StockLine(variant.pk, location.pk, quantity)], reference="x", acting_user=None)
    with pytest.raises(UnknownVariant):
        stock_reserve(lines=[StockLine(999999, location.pk, 1)], reference="x", acting_user=None)
    assert not StockMovement.objects.exists()


def test_release_and_consume_more_than_reserved_refused(variant, location, stock):
    stock(variant, location, 5)
    stock_reserve(lines=[StockLine(variant.pk, location.pk, 2)], reference="o", acting_user=None)
    with pytest.raises(InsufficientReserved):
        stock_release(lines=[StockLine(variant.pk, location.pk, 3)], reference="o", acting_user=None)
    with pytest.raises(InsufficientReserved):
        stock_consume(lines=[StockLine(variant.pk, location.pk, 3)], reference="o", acting_user=None)
    assert level(variant, location) == (5, 2)


def test_sell_never_takes_reserved_stock(variant, location, stock):
    stock(variant, location, 3)
    stock_reserve(lines=[StockLine(variant.pk, location.pk, 2)], reference="o", acting_user=None)
    with pytest.raises(OutOfStock):
        stock_sell(lines=[StockLine(variant.pk, location.pk, 2)], reference="pos:1", acting_user=None)
    stock_sell(lines=[StockLine(variant.pk, location.pk, 1)], reference="pos:1", acting_user=None)
    assert level(variant, location) == (2, 2)


def test_kit_reserves_and_ships_components(location, stock):
    kit = VariantFactory(is_kit=True)
    shirt, cap = VariantFactory(), VariantFactory()
    KitComponentFactory(kit=kit, component=shirt, quantity=2)
    KitComponentFactory(kit=kit, component=cap, quantity=1)
    stock(shirt, location, 5)
    stock(cap, location, 10)
    stock_reserve(lines=[StockLine(kit.pk, location.pk, 2)], reference="order:5", acting_user=None)
    assert level(shirt, location) == (5, 4)
    assert level(cap, location) == (10, 2)
    assert not StockLevel.objects.filter(variant=kit).exists()
    with pytest.raises(OutOfStock) as info:
        stock_reserve(lines=[StockLine(kit.pk, location.pk, 1)], reference="order:6", acting_user=None)
    assert info.value.shortages == [(shirt.pk, location.pk, 2, 1)]
    stock_consume(lines=[StockLine(kit.pk, location.pk, 2)], reference="order:5", acting_user=None)
    assert level(shirt, location) == (1, 0)
    assert level(cap, location) == (8, 0)


def test_adjust_is_audited_and_cannot_go_below_reserved(variant, location, stock, make_user):
    user = make_user("warehouse")
    stock(variant, location, 5)
    stock_reserve(lines=[StockLine(variant.pk, location.pk, 3)], reference="o", acting_user=None)
    stock_adjust(variant_id=variant.pk, location_id=location.pk, delta=-2, reason="Damaged", acting_user=user)
    assert level(variant, location) == (3, 3)
    entry = AuditEntry.objects.get(verb="stock_adjust")
    assert (entry.actor, entry.changes, entry.reason) == (user, {"on_hand": [5, 3]}, "Damaged")
    with pytest.raises(InvalidQuantity):
        stock_adjust(variant_id=variant.pk, location_id=location.pk, delta=-1, reason="Lost", acting_user=user)
    with pytest.raises(InvalidQuantity):
        stock_adjust(variant_id=variant.pk, location_id=location.pk, delta=1, reason="  ", acting_user=user)
    assert level(variant, location) == (3, 3)
    assert AuditEntry.objects.filter(verb="stock_adjust").count() == 1


def test_count_sets_on_hand_and_records_difference(variant, location, stock):
    stock(variant, location, 10)
    stock_count(variant_id=variant.pk, location_id=location.pk, counted=8, acting_user=None, note="aisle 3")
    assert level(variant, location) == (8, 0)
    movement = StockMovement.objects.filter(reason="count").get()
    assert movement.on_hand_delta == -2
    stock_count(variant_id=variant.pk, location_id=location.pk, counted=8, acting_user=None)
    assert StockMovement.objects.filter(reason="count").count() == 1
    assert AuditEntry.objects.filter(verb="stock_count").count() == 2


def test_count_below_reserved_refused(variant, location, stock):
    stock(variant, location, 5)
    stock_reserve(lines=[StockLine(variant.pk, location.pk, 4)], reference="o", acting_user=None)
    with pytest.raises(CountBelowReserved):
        stock_count(variant_id=variant.pk, location_id=location.pk, counted=3, acting_user=None)
    assert level(variant, location) == (5, 4)


def test_database_constraints_refuse_negative_stock(variant, location, stock):
    from django.db import IntegrityError, transaction

    stock(variant, location, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant).update(reserved=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant).update(on_hand=-1)


def test_transfer_lifecycle(variant, stock):
    source, target = LocationFactory(), LocationFactory()
    stock(variant, source, 10)
    transfer = transfer_create(from_location_id=source.pk, to_location_id=target.pk, lines=[(variant.pk, 4)],
                               acting_user=None)
    assert transfer.status == Transfer.Status.REQUESTED
    assert level(variant, source) == (10, 4)
    transfer_ship(transfer_id=transfer.pk, acting_user=None)
    assert level(variant, source) == (6, 0)
    assert not StockLevel.objects.filter(location=target).exists()
    with pytest.raises(InvalidTransition):
        transfer_cancel(transfer_id=transfer.pk, acting_user=None)
    transfer_receive(transfer_id=transfer.pk, acting_user=None)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.RECEIVED
    assert level(variant, target) == (4, 0)
    with pytest.raises(InvalidTransition):
        transfer_receive(transfer_id=transfer.pk, acting_user=None)
    assert level(variant, target) == (4, 0)
    assert ledger_drift() == []


def test_transfer_needs_stock_and_cancel_releases(variant, stock):
    source, target = LocationFactory(), LocationFactory()
    stock(variant, source, 3)
    with pytest.raises(OutOfStock):
        transfer_create(from_location_id=source.pk, to_location_id=target.pk, lines=[(variant.pk, 4)],
                        acting_user=None)
    assert not Transfer.objects.exists()
    transfer = transfer_create(from_location_id=source.pk, to_location_id=target.pk, lines=[(variant.pk, 3)],
                               acting_user=None)
    transfer_cancel(transfer_id=transfer.pk, acting_user=None)
    assert level(variant, source) == (3, 0)


def test_purchase_order_partial_then_full_receipt(variant, location):
    supplier = SupplierFactory()
    po = po_create(supplier_id=supplier.pk, location_id=location.pk, lines=[(variant.pk, 10, None)], acting_user=None)
    line = po.lines.get()
    with pytest.raises(InvalidTransition):
        po_receive(po_id=po.pk, quantities={line.pk: 1}, acting_user=None)
    po_send(po_id=po.pk, acting_user=None)
    po_receive(po_id=po.pk, quantities={line.pk: 4}, acting_user=None)
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.PARTIALLY_RECEIVED
    assert level(variant, location) == (4, 0)
    with pytest.raises(ReceiptTooLarge):
        po_receive(po_id=po.pk, quantities={line.pk: 7}, acting_user=None)
    assert level(variant, location) == (4, 0)
    po_receive(po_id=po.pk, quantities={line.pk: 6}, acting_user=None)
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECEIVED
    assert level(variant, location) == (10, 0)
    assert set(StockMovement.objects.values_list("reference", flat=True)) == {f"po:{po.pk}"}
    with pytest.raises(InvalidTransition):
        po_cancel(po_id=po.pk, acting_user=None)


def test_ledger_drift_detected_and_command_exits_1(variant, location, stock, capsys):
    stock(variant, location, 5)
    call_command("verify_ledgers")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_stocklevel SET on_hand = 6 WHERE variant_id = %s", [variant.pk])
    assert [(d.variant_id, d.level_on_hand, d.ledger_on_hand) for d in ledger_drift()] == [(variant.pk, 6, 5)]
    with pytest.raises(SystemExit) as info:
        call_command("verify_ledgers")
    assert info.value.code == 1
    assert f"variant {variant.pk}" in capsys.readouterr().out
