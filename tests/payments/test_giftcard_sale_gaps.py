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
from tests.orders.factories import CustomerFactory
from tests.payments.test_giftcard_sale import draft_with, place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield



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
    shirt_location = shirt.allocations.get().location
    total, reserved = order.total, StockLevel.objects.get(variant=net["shirt"], location=shirt_location).reserved
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
    assert StockLevel.objects.get(variant=net["shirt"], location=shirt_location).reserved == reserved


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


# --- 5. replace a lost card; refund what is left of a partly spent card -------------------------------------


def sold_card(agent, net, gift_sku, amount="150"):
    from orders.giftcards import order_giftcards_issue

    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": amount})]), agent)
    [issued] = order_giftcards_issue(order_id=order.pk, acting_user=agent)
    return order, issued


def test_replacing_a_lost_card_moves_its_balance_to_a_new_code(make_user, net, gift_sku):
    from oms.models import AuditEntry
    from payments.errors import GiftCardError
    from payments.giftcards import giftcard_find, giftcard_redeem, giftcard_replace
    from payments.ledger import verify_journal
    from payments.models import GiftCard, JournalEntry

    agent, finance = make_user("agent"), make_user("finance")
    order, issued = sold_card(agent, net, gift_sku)
    giftcard_redeem(amount="20", reference="other-order", acting_user=agent, code=issued.code)
    liability = balances_2100()
    with pytest.raises(GiftCardError, match="Give a reason"):
        giftcard_replace(card_id=issued.card_id, reason=" ", acting_user=finance)
    assert GiftCard.objects.count() == 1

    new, code = giftcard_replace(card_id=issued.card_id, reason="customer lost the e-mail", acting_user=finance)
    old = GiftCard.objects.get(pk=issued.card_id)
    assert (old.balance, old.status, old.replaced_by_id) == (Decimal("0"), "disabled", new.pk)
    assert (new.balance, new.initial_amount, new.status, new.order_id, new.reference, new.source) == (
        Decimal("130.00"), Decimal("130.00"), "active", order.pk, old.reference, "sale")
    assert giftcard_find(code=code) == new and giftcard_find(code=issued.code) == old
    assert code not in str(GiftCard.objects.values_list().filter(pk=new.pk)[0])  # only its hash is stored
    assert balances_2100() == liability  # no net change of the liability
    entry = JournalEntry.objects.get(reference=f"giftcard:{old.pk}:replace")
    assert sorted((line.account.code, line.debit, line.credit) for line in entry.lines.all()) == [
        ("2100", Decimal("0"), Decimal("130.00")), ("2100", Decimal("130.00"), Decimal("0"))]
    assert verify_journal() == []
    audit = AuditEntry.objects.get(verb="giftcard_replace")
    assert (audit.actor, audit.reason, audit.changes["replaced_by"]) == (finance, "customer lost the e-mail", new.pk)
    # The old code spends nothing any more, the new one does; a second replacement of the old card is refused.
    with pytest.raises(GiftCardError):
        giftcard_redeem(amount="1", reference="x", acting_user=agent, code=issued.code)
    giftcard_redeem(amount="30", reference="y", acting_user=agent, code=code)
    with pytest.raises(GiftCardError, match="was already replaced"):
        giftcard_replace(card_id=old.pk, reason="again", acting_user=finance)
    assert GiftCard.objects.count() == 2


def balances_2100():
    from payments.ledger import trial_balance

    return {row["account"].code: row["balance"] for row in trial_balance()}.get("2100", Decimal(0))


def test_the_card_page_replaces_a_lost_card_and_shows_the_new_code_once(role_client, make_user, net, gift_sku):
    from payments.giftcards import giftcard_find
    from payments.models import GiftCard

    order, issued = sold_card(make_user("agent"), net, gift_sku)
    client = role_client("finance")
    page = client.get(reverse("payments:giftcard_detail", args=[issued.card_id])).content.decode()
    assert 'id="replace-card"' in page
    url = reverse("payments:giftcard_replace", args=[issued.card_id])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 422 and "Give a reason for replacing the card." in response.content.decode()
    assert GiftCard.objects.count() == 1
    response = client.post(url, {"reason": "lost"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    code = html.split('id="giftcard-code" tabindex="0">')[1].split("<")[0]
    new = giftcard_find(code=code)
    assert new is not None and new.balance == Decimal("150.00") and 'id="replaced-note"' in html
    old_page = client.get(reverse("payments:giftcard_detail", args=[issued.card_id])).content.decode()
    assert 'id="replaced-by"' in old_page and 'id="replace-card"' not in old_page and code not in old_page
    assert client.post(url, {"reason": "lost"}).status_code == 422  # already replaced: nothing new
    assert GiftCard.objects.count() == 2
    # A viewer without manage_finance cannot replace.
    assert role_client("agent").post(url, {"reason": "lost"}).status_code == 403


def test_refunding_what_is_left_of_a_partly_spent_card(make_user, net, gift_sku):
    from orders.giftcards import order_giftcard_refund
    from payments.giftcards import giftcard_redeem
    from payments.ledger import verify_journal
    from payments.models import GiftCard, Payment

    agent, finance = make_user("agent"), make_user("finance")
    order, issued = sold_card(agent, net, gift_sku)
    giftcard_redeem(amount="20", reference="other-order", acting_user=agent, code=issued.code)
    line = order.lines.get()
    with pytest.raises(OrderError, match="has been used"):  # the plain refund still refuses a used card
        order_giftcard_refund(order_id=order.pk, line_id=line.pk, reason="x", acting_user=finance)
    assert order_giftcard_refund(order_id=order.pk, line_id=line.pk, reason="rest back", acting_user=finance,
                                 remainder=True) == Decimal("130.00")
    card = GiftCard.objects.get(pk=issued.card_id)
    assert (card.balance, card.status) == (Decimal("0"), "disabled")
    assert Payment.objects.get(order=order).refunded_amount == Decimal("130.00")
    assert balances_2100() == 0 and verify_journal() == []
    line.refresh_from_db()
    assert line.status == OrderLine.Status.RETURNED
    # A retry pays nothing more.
    order_giftcard_refund(order_id=order.pk, line_id=line.pk, reason="again", acting_user=finance, remainder=True)
    assert Payment.objects.get(order=order).refunded_amount == Decimal("130.00")


def test_a_replaced_card_is_refunded_through_its_replacement(make_user, net, gift_sku):
    from orders.giftcards import order_giftcard_refund
    from payments.giftcards import giftcard_replace
    from payments.models import GiftCard, Payment

    agent, finance = make_user("agent"), make_user("finance")
    order, issued = sold_card(agent, net, gift_sku, amount="90")
    new, _code = giftcard_replace(card_id=issued.card_id, reason="lost", acting_user=finance)
    assert order_giftcard_refund(order_id=order.pk, line_id=order.lines.get().pk, reason="unwanted",
                                 acting_user=finance) == Decimal("90.00")
    new.refresh_from_db()
    assert (new.balance, new.status) == (Decimal("0"), "disabled")
    assert GiftCard.objects.get(pk=issued.card_id).transactions.filter(kind="void").count() == 0
    assert Payment.objects.get(order=order).refunded_amount == Decimal("90.00")
    assert balances_2100() == 0


def test_the_payments_panel_offers_the_remainder_refund_for_a_spent_card(role_client, make_user, net, gift_sku):
    from payments.giftcards import giftcard_redeem
    from payments.models import Payment

    agent = make_user("agent")
    order, issued = sold_card(agent, net, gift_sku)
    client = role_client("finance")
    panel = reverse("payments:order_payments", args=[order.pk])
    assert "Refund unused card" in client.get(panel).content.decode()
    giftcard_redeem(amount="50", reference="other-order", acting_user=agent, code=issued.code)
    html = client.get(panel).content.decode()
    assert "Refund unused card" not in html
    assert "Refund what is left (" in html and 'name="remainder" value="1"' in html
    url = reverse("orders:giftcard_refund", args=[order.pk, order.lines.get().pk])
    client.post(url, {"reason": "rest back", "remainder": "1"})
    assert Payment.objects.get(order=order).refunded_amount == Decimal("100.00")
