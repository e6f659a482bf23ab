from django.urls import reverse

from inventory.models import PurchaseOrder, ReorderAlert
from inventory.services import (
    StockLine,
    po_cancel,
    po_receive,
    po_send,
    reorder_alert_dismiss,
    reorder_scan,
    stock_reserve,
)
from oms.models import OutboxMessage
from tests.inventory.factories import ReorderRuleFactory, SupplierFactory, SupplierItemFactory, VariantFactory


def test_scan_raises_alert_and_drafts_po_once(location, stock, make_user):
    buyer = make_user("manager", email="buyer@example.com")
    variant = VariantFactory()
    supplier = SupplierFactory()
    SupplierItemFactory(supplier=supplier, variant=variant, min_order_quantity=12)
    ReorderRuleFactory(variant=variant, location=location, reorder_point=5, order_up_to=20)
    stock(variant, location, 6)
    stock_reserve(lines=[StockLine(variant.pk, location.pk, 2)], reference="o", acting_user=None)

    result = reorder_scan(acting_user=None)

    assert (result.raised, result.drafted_alerts) == (1, 1)
    alert = ReorderAlert.objects.get()
    assert (alert.available, alert.on_order, alert.suggested_quantity, alert.status) == (4, 0, 16, "drafted")
    po = PurchaseOrder.objects.get()
    assert (po.supplier, po.location, po.status) == (supplier, location, "draft")
    assert list(po.lines.values_list("variant_id", "quantity_ordered")) == [(variant.pk, 16)]
    assert po.notes == ""  # the notes are printed for the supplier: nothing internal goes there
    alert_email = OutboxMessage.objects.get(topic="oms.email").payload
    assert alert_email["to"] == [buyer.email]
    assert alert_email["body"].endswith("/inventory/reorder/alerts/")

    again = reorder_scan(acting_user=None)
    assert (again.raised, again.drafted_alerts, again.resolved) == (0, 0, 0)
    assert ReorderAlert.objects.count() == 1
    assert PurchaseOrder.objects.count() == 1


def test_minimum_order_quantity_and_grouping_by_supplier(location, stock):
    supplier = SupplierFactory()
    a, b = VariantFactory(), VariantFactory()
    SupplierItemFactory(supplier=supplier, variant=a, min_order_quantity=50)
    SupplierItemFactory(supplier=supplier, variant=b)
    ReorderRuleFactory(variant=a, location=location, reorder_point=5, order_up_to=20)
    ReorderRuleFactory(variant=b, location=location, reorder_point=5, order_up_to=20)
    stock(b, location, 3)
    reorder_scan(acting_user=None)
    po = PurchaseOrder.objects.get()
    assert sorted(po.lines.values_list("variant_id", "quantity_ordered")) == sorted([(a.pk, 50), (b.pk, 17)])


def test_cancelled_po_lets_need_be_raised_again_and_received_po_resolves(location, stock):
    variant = VariantFactory()
    SupplierItemFactory(variant=variant)
    ReorderRuleFactory(variant=variant, location=location, reorder_point=5, order_up_to=20)
    reorder_scan(acting_user=None)
    po = PurchaseOrder.objects.get()
    po_cancel(po_id=po.pk, acting_user=None)
    result = reorder_scan(acting_user=None)
    assert (result.resolved, result.raised) == (1, 1)
    assert ReorderAlert.objects.filter(status="drafted").count() == 1
    new_po = PurchaseOrder.objects.get(status="draft")
    po_send(po_id=new_po.pk, acting_user=None)
    po_receive(po_id=new_po.pk, quantities={new_po.lines.get().pk: 20}, acting_user=None)
    result = reorder_scan(acting_user=None)
    assert (result.resolved, result.raised) == (1, 0)
    assert ReorderAlert.objects.filter(status__in=["open", "drafted"]).count() == 0


def test_alert_without_supplier_stays_open_and_can_be_dismissed(location):
    variant = VariantFactory()
    ReorderRuleFactory(variant=variant, location=location)
    reorder_scan(acting_user=None)
    alert = ReorderAlert.objects.get()
    assert alert.status == "open"
    assert not PurchaseOrder.objects.exists()
    reorder_alert_dismiss(alert_id=alert.pk, acting_user=None)
    alert.refresh_from_db()
    assert alert.status == "dismissed"


def test_dismissed_need_is_not_raised_again_until_stock_recovers(location, stock):
    variant = VariantFactory()
    ReorderRuleFactory(variant=variant, location=location, reorder_point=5, order_up_to=20)
    reorder_scan(acting_user=None)
    reorder_alert_dismiss(alert_id=ReorderAlert.objects.get().pk, acting_user=None)
    assert reorder_scan(acting_user=None).raised == 0
    stock(variant, location, 10)
    assert reorder_scan(acting_user=None).resolved == 1
    from inventory.services import stock_adjust

    stock_adjust(variant_id=variant.pk, location_id=location.pk, delta=-8, reason="Damaged", acting_user=None)
    assert reorder_scan(acting_user=None).raised == 1
    assert list(ReorderAlert.objects.order_by("id").values_list("status", flat=True)) == ["resolved", "open"]


def test_a_purchase_order_page_says_how_many_reorder_alerts_drafted_it_in_the_readers_language(
        location, stock, role_client):
    variant = VariantFactory()
    SupplierItemFactory(supplier=SupplierFactory(), variant=variant)
    ReorderRuleFactory(variant=variant, location=location, reorder_point=5, order_up_to=20)
    stock(variant, location, 1)
    reorder_scan(acting_user=None)
    client = role_client("manager")
    url = reverse("inventory:po_detail", args=[PurchaseOrder.objects.get().pk])
    assert "Drafted from 1 reorder alert." in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Drafted from" not in client.get(url, HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()


def test_a_preferred_supplier_no_longer_active_is_passed_over(location, stock):
    """Suppliers stopped with are made inactive (the purchase order form no longer offers them); the scan still
    drafted every need of a rule naming one as preferred to it, instead of the cheapest active supplier."""
    variant = VariantFactory()
    stopped, current = SupplierFactory(is_active=False), SupplierFactory()
    SupplierItemFactory(supplier=stopped, variant=variant, cost="5.00")
    SupplierItemFactory(supplier=current, variant=variant, cost="9.00", min_order_quantity=30)
    ReorderRuleFactory(variant=variant, location=location, reorder_point=5, order_up_to=20, preferred_supplier=stopped)
    stock(variant, location, 2)
    reorder_scan(acting_user=None)
    alert = ReorderAlert.objects.get()
    assert (alert.supplier, alert.suggested_quantity) == (current, 30)
    po = PurchaseOrder.objects.get()
    assert (po.supplier, list(po.lines.values_list("quantity_ordered", flat=True))) == (current, [30])


def test_the_alert_page_actions_draft_and_dismiss_and_say_what_they_did(location, stock, role_client):
    """"Draft PO" on one alert gave no word of what it did, nor where the purchase order is."""
    client = role_client("manager")
    drafted, dismissed = VariantFactory(), VariantFactory()
    SupplierItemFactory(variant=drafted)
    for variant in (drafted, dismissed):
        ReorderRuleFactory(variant=variant, location=location, reorder_point=5, order_up_to=20)
    ran = [str(m) for url in [reverse("inventory:reorder_run")] * 2
           for m in client.post(url, follow=True).context["messages"]]
    assert ran == ["2 new alert(s), 0 resolved, 0 drafted.", "0 new alert(s), 0 resolved, 0 drafted."]
    alerts = {a.variant_id: a for a in ReorderAlert.objects.all()}
    assert [alerts[v.pk].status for v in (drafted, dismissed)] == ["open", "open"]

    def act(variant, action):
        url = reverse("inventory:reorder_alert_action", args=[alerts[variant.pk].pk, action])
        return [str(m) for m in client.post(url, follow=True).context["messages"]]

    assert act(drafted, "draft") == [f"Drafted on purchase order {(po := PurchaseOrder.objects.get()).number}."]
    assert list(po.lines.values_list("variant_id", "quantity_ordered")) == [(drafted.pk, 20)]
    assert act(dismissed, "draft") == ["This alert has no supplier or is no longer open."]
    assert act(dismissed, "dismiss") == []
    assert act(dismissed, "dismiss") == ["Only open alerts can be dismissed."]
    assert sorted(ReorderAlert.objects.values_list("status", flat=True)) == ["dismissed", "drafted"]
    client.post(reverse("inventory:reorder_run"), {"draft": "1"})
    assert ReorderAlert.objects.count() == 2 and PurchaseOrder.objects.count() == 1


def test_a_rule_turned_off_stops_its_alert_from_being_drafted(location, stock, role_client):
    """Turning a rule off (or its SKU or location) left its open alert open for good, and "Scan and draft" still
    ordered it: the scan only looked at active rules, the drafting at every open alert."""
    client = role_client("manager")
    variant = VariantFactory()
    SupplierItemFactory(variant=variant)
    rule = ReorderRuleFactory(variant=variant, location=location, reorder_point=5, order_up_to=20)
    client.post(reverse("inventory:reorder_run"))
    assert ReorderAlert.objects.get().status == "open"
    response = client.post(reverse("inventory:reorder_rules_edit", args=[rule.pk]), {
        "variant": variant.sku, "location": location.pk, "reorder_point": "5", "order_up_to": "20"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    client.post(reverse("inventory:reorder_run"), {"draft": "1"})
    assert not PurchaseOrder.objects.exists()
    assert ReorderAlert.objects.get().status == "resolved"
