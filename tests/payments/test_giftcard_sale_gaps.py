# ruff: noqa: F811 - the fixtures are imported, then requested by name
"""Gift cards sold as a product, the parts around the sale: an order of cards only needs no address and is
left alone by the warehouse jobs, an issued card line cannot be edited, reports keep cards apart from
merchandise, and a lost card is replaced (or its remainder refunded)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from orders.errors import IncompleteOrder, OrderError
from orders.fulfilment import services as ful
from orders.fulfilment.models import AtRiskFlag, Shipment
from orders.models import Order, OrderLine
from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_edit, order_place
from tests.fulfilment.conftest import net, stock  # noqa: F401 - fixtures
from tests.inventory.factories import VariantFactory
from tests.orders.factories import CustomerFactory
from tests.payments.test_giftcard_sale import draft_with, place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def gift_sku(db):
    return VariantFactory(sku="GIFT-CARD", name="Gift card", base_price=Decimal("100.00"), cost=Decimal("0"),
                          is_gift_card=True)


def homeless_draft(user, net, lines, payment="invoice"):
    """A draft for a customer with no address on file: ``lines`` is ``[(variant, qty, details)]``."""
    customer = CustomerFactory()
    order = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=customer.pk)
    for variant, qty, details in lines:
        draft_line_add(order_id=order.pk, variant_id=variant.pk, quantity=qty, personalization=details,
                       acting_user=user)
    draft_update(order_id=order.pk, acting_user=user, payment_method=payment)
    return order


# --- 1. no address for cards only -------------------------------------------------------------------------


def test_an_order_of_gift_cards_only_is_placed_without_a_shipping_address(make_user, net, gift_sku):
    agent = make_user("agent")
    draft = homeless_draft(agent, net, [(gift_sku, 1, {"amount": "80", "recipient_email": "ana@example.com"})])
    assert draft.shipping_address == {}
    order = order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                        payment=PaymentRequest(method="invoice"))
    assert (order.status, order.total, order.shipping_total) == (Order.Status.CONFIRMED, Decimal("80.00"),
                                                                 Decimal("0.00"))


def test_a_mixed_order_still_needs_the_address_and_nothing_is_placed(make_user, net, gift_sku):
    agent = make_user("agent")
    draft = homeless_draft(agent, net, [(gift_sku, 1, {"amount": "80"}), (net["shirt"], 1, {})])
    with pytest.raises(IncompleteOrder) as err:
        order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                    payment=PaymentRequest(method="invoice"))
    assert err.value.message == "To place the order: give a shipping address."
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.placed_at) == (Order.Status.DRAFT, "", None)
    assert set(OrderLine.objects.filter(order=draft).values_list("status", flat=True)) == {"open"}


def test_the_phone_screen_asks_no_delivery_choices_for_gift_cards_only(make_user, client, net, gift_sku):
    agent = make_user("agent")
    client.force_login(agent)
    draft = homeless_draft(agent, net, [(gift_sku, 1, {"amount": "50"})])
    page = client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    assert 'id="nothing-to-ship"' in page
    assert 'name="delivery_method"' not in page and 'name="address_id"' not in page
    assert 'name="shipping_service"' not in page and "Add items and an address" not in page
    assert 'name="payment_method"' in page  # payment is still asked

    draft_line_add(order_id=draft.pk, variant_id=net["shirt"].pk, quantity=1, acting_user=agent)
    page = client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    assert 'id="nothing-to-ship"' not in page
    assert 'name="delivery_method"' in page and 'name="address_id"' in page


# --- 2. the warehouse jobs leave cards-only orders alone ----------------------------------------------------


def test_allocate_confirmed_does_not_try_orders_with_nothing_to_ship(make_user, net, gift_sku,
                                                                    django_assert_num_queries):
    agent = make_user("agent")
    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "70"})], payment="pix"), agent, payment="pix")
    assert order.status == Order.Status.CONFIRMED  # waiting for the PIX before the card is issued
    with django_assert_num_queries(1):  # the query for due orders only: no lock, no failing attempt
        assert ful.allocate_confirmed() == 0
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert not Shipment.objects.filter(order=order).exists()


def test_allocate_confirmed_still_releases_the_shirt_of_a_mixed_order(make_user, net, gift_sku):
    agent = make_user("agent")
    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "70"}), (net["shirt"], 1, {})], payment="pix"),
                  agent, payment="pix")
    assert order.status == Order.Status.CONFIRMED
    assert ful.allocate_confirmed() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.ALLOCATED
    assert [line.order_line.sku for s in Shipment.objects.filter(order=order) for line in s.lines.all()] == [
        net["shirt"].sku]


def test_the_at_risk_scan_does_not_flag_a_cards_only_order_as_not_allocated(make_user, net, gift_sku):
    agent = make_user("agent")
    cards = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "70"})], payment="pix"), agent, payment="pix")
    shirt = place(draft_with(agent, net, [(net["shirt"], 1, {})], payment="pix"), agent, payment="pix")
    Order.objects.filter(pk__in=[cards.pk, shirt.pk]).update(placed_at=timezone.now() - timedelta(days=2))
    AtRiskFlag.objects.create(order=cards, reason=AtRiskFlag.Reason.NOT_ALLOCATED, detail="old")
    ful.at_risk_scan()
    open_flags = set(AtRiskFlag.objects.filter(cleared_at__isnull=True, reason=AtRiskFlag.Reason.NOT_ALLOCATED)
                     .values_list("order_id", flat=True))
    assert open_flags == {shirt.pk}  # the card order's stale flag is cleared, none raised again


# --- 3. an issued card line cannot be edited, the other lines can ------------------------------------------


def issued_mixed_order(agent, net, gift_sku):
    from orders.giftcards import order_giftcards_issue

    order = place(draft_with(agent, net, [(net["shirt"], 1, {}), (gift_sku, 1, {"amount": "200"})]), agent)
    order_giftcards_issue(order_id=order.pk, acting_user=agent)
    shirt, card_line = order.lines.order_by("position")
    return order, shirt, card_line


def test_editing_an_issued_card_line_names_it_and_changes_nothing(make_user, net, gift_sku):
    from inventory.models import StockLevel

    agent = make_user("agent")
    order, shirt, card_line = issued_mixed_order(agent, net, gift_sku)
    order.refresh_from_db()
    total, reserved = order.total, StockLevel.objects.get(variant=net["shirt"], location=shirt.location).reserved
    today = timezone.localdate().strftime("%m/%d/%Y")
    for change in ({card_line.pk: 2}, {card_line.pk: 0, shirt.pk: 3}):
        with pytest.raises(OrderError) as err:
            order_edit(order_id=order.pk, acting_user=agent, quantities=change, reason="more")
        assert err.value.message == (f"Gift card line GIFT-CARD was issued on {today}; it cannot be changed — "
                                     "refund it instead.")
    order.refresh_from_db()
    assert (order.total, order.status) == (total, Order.Status.CONFIRMED)
    assert sorted(order.lines.values_list("sku", "status", "quantity")) == [
        ("GIFT-CARD", "delivered", 1), (net["shirt"].sku, "reserved", 1)]
    assert StockLevel.objects.get(variant=net["shirt"], location=shirt.location).reserved == reserved


def test_the_other_lines_of_an_order_with_an_issued_card_stay_editable(make_user, net, gift_sku):
    agent = make_user("agent")
    order, shirt, card_line = issued_mixed_order(agent, net, gift_sku)
    order_edit(order_id=order.pk, acting_user=agent, quantities={shirt.pk: 2, card_line.pk: 1}, reason="two")
    order.refresh_from_db()
    shirt.refresh_from_db()
    card_line.refresh_from_db()
    assert (shirt.status, shirt.quantity, card_line.status, card_line.quantity) == ("reserved", 2, "delivered", 1)
    assert order.total == Decimal("200.00") + shirt.line_total + order.shipping_total
    # Removing the shirt leaves only the issued card: nothing to ship, the order is delivered.
    order_edit(order_id=order.pk, acting_user=agent, quantities={shirt.pk: 0}, reason="no shirt")
    order.refresh_from_db()
    assert (order.total, order.status) == (Decimal("200.00"), Order.Status.DELIVERED)


def test_the_edit_page_shows_the_issued_card_read_only_and_explains_a_forced_change(make_user, client, net,
                                                                                    gift_sku):
    agent = make_user("agent")
    order, shirt, card_line = issued_mixed_order(agent, net, gift_sku)
    client.force_login(agent)
    url = reverse("orders:order_edit", args=[order.pk])
    page = client.get(url).content.decode()
    assert f'name="qty_{shirt.pk}"' in page and f'name="qty_{card_line.pk}"' not in page
    assert f'id="issued-{card_line.pk}"' in page
    response = client.post(url, {f"qty_{card_line.pk}": "3", "reason": "more"})
    assert response.status_code == 200
    assert "Gift card line GIFT-CARD was issued on" in response.content.decode()
    card_line.refresh_from_db()
    assert card_line.quantity == 1
