"""An order's history reads in the reader's language, whoever wrote it and in whatever language they worked:
system texts are stored as their message and parameters (``oms.i18n``), what a person typed is kept as typed."""

import uuid

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from oms.i18n import StoredNumber, render, split, stored_text
from orders.fulfilment.models import Return
from orders.models import OrderEvent, OrderHold
from orders.services import PaymentRequest, draft_hold_stock, order_add_note, order_place
from orders.services.placement import hold_detail


def test_a_stored_text_reads_in_the_active_language_with_its_labels_and_inner_texts():
    inner = stored_text(gettext_noop("Stock held for %(n)s minutes"), n=15)
    text = stored_text("%(a)s · %(b)s", a=stored_text(gettext_noop("%(rma)s: %(old)s → %(new)s"), rma="RMA-7",
                                                       old=Return.Status.REQUESTED.label,
                                                       new=Return.Status.RECEIVED.label), b=inner)
    with translation.override("pt-br"):  # written by someone working in Portuguese
        stored = split(text)
    with translation.override("en"):
        assert render(*stored) == "RMA-7: Requested → Received · Stock held for 15 minutes"
    with translation.override("ar"):
        arabic = render(*stored)
    with translation.override("pt-br"):
        portuguese = render(*stored)
    assert "RMA-7" in arabic and "15" in arabic and "Requested" not in arabic and "Solicitada" not in arabic
    assert "Estoque reservado por 15 minutos" in portuguese and arabic != portuguese


def test_a_percentage_in_a_hold_reads_in_the_readers_number_format():
    stored = split(hold_detail(OrderHold.Rule.PRICE_OVERRIDE, sku="CAS-1", off=StoredNumber(19.04, 1), limit=15,
                               why="x"))
    with translation.override("en"):
        assert "19.0% below list" in render(*stored)
    with translation.override("pt-br"):
        assert "19,0% abaixo" in render(*stored)


def test_a_stored_text_whose_values_do_not_fit_its_message_reads_as_its_source_instead_of_failing():
    assert render("Stock held for %(n)s minutes", {"minutes": 15}) == "Stock held for %(n)s minutes"


def test_typed_text_is_kept_as_typed_in_every_language():
    assert split("Cliente pediu 100% de desconto") == ("Cliente pediu 100% de desconto", None)
    with translation.override("ar"):
        assert render("Cliente pediu 100% de desconto", None) == "Cliente pediu 100% de desconto"


def test_history_written_by_a_portuguese_speaking_agent_reads_in_arabic_for_an_arabic_speaking_manager(
        role_client, make_user, make_draft, world):
    agent = make_user("agent")
    with translation.override("pt-br"):
        draft = make_draft(agent)
        draft_hold_stock(order_id=draft.pk, acting_user=agent, minutes=15)
        order_add_note(order_id=draft.pk, text="Cliente liga de novo às 15h", acting_user=agent)
        order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                    payment=PaymentRequest(method="invoice"))
    held = draft.events.get(kind=OrderEvent.Kind.STOCK)
    assert (held.reason, held.reason_params) == ("Stock held for %(n)s minutes", {"n": 15})

    client = role_client("manager")
    response = client.get(reverse("orders:order_detail", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 200
    page = response.content.decode()
    with translation.override("ar"):
        assert held.reason_text in page and "15" in held.reason_text
        assert draft.events.get(to_status="draft").reason_text in page
    assert "Estoque reservado" not in page and "Rascunho iniciado" not in page
    assert "Cliente liga de novo às 15h" in page  # the agent's own words, as typed
    english = client.get(reverse("orders:order_detail", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Stock held for 15 minutes" in english and "Draft started" in english


def test_a_hold_raised_while_the_agent_works_in_portuguese_reads_in_arabic_in_the_approvals_queue(
        role_client, make_user, make_draft, settings, world):
    settings.ORDERS_HOLD_ABOVE = 50
    agent = make_user("agent")
    with translation.override("pt-br"):
        order = order_place(order_id=make_draft(agent).pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                            payment=PaymentRequest(method="invoice"))
    assert order.status == "on_hold"
    client = role_client("manager")
    queue = client.get(reverse("orders:approval_list"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "يتجاوز" in queue and "acima de" not in queue  # "Total ... above ...", in Arabic
    page = client.get(reverse("orders:order_detail", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "طلب يتجاوز حد القيمة" in page  # the on-hold history entry names the rule in Arabic
    assert "Pedido acima do valor limite" not in page


def test_the_price_breakdown_kept_on_the_order_reads_in_the_readers_language(role_client, make_user, place, world):
    from marketing.models import Promotion

    Promotion.objects.create(name="Catálogo 10", kind=Promotion.Kind.ORDER_PERCENT, percent=10, is_active=True)
    agent = make_user("agent")
    with translation.override("pt-br"):
        order = place(agent)
    assert order.order_discounts[0]["reason"]["msgid"] == "%(percent)s%% off the order"
    client = role_client("manager")
    arabic = client.get(reverse("orders:order_detail", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "خصم 10% على الطلب" in arabic and "de desconto no pedido" not in arabic
    english = client.get(reverse("orders:order_detail", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "10% off the order" in english


def test_a_rejection_written_in_portuguese_reads_in_arabic_with_the_managers_own_words(
        role_client, make_user, make_draft, settings, world):
    from orders.models import OrderHold
    from orders.services import hold_reject

    settings.ORDERS_HOLD_ABOVE = 50
    agent, manager = make_user("agent"), make_user("manager")
    with translation.override("pt-br"):
        order = order_place(order_id=make_draft(agent).pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                            payment=PaymentRequest(method="invoice"))
        hold_reject(hold_id=OrderHold.objects.get(order=order).pk, reason="fraude provável", acting_user=manager)
    order.refresh_from_db()
    assert (order.cancel_reason, order.cancel_reason_params) == ("Rejected: %(r)s", {"r": "fraude provável"})
    page = role_client("manager").get(reverse("orders:order_detail", args=[order.pk]),
                                      HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "مرفوض: fraude provável" in page and "Rejeitado" not in page


def test_a_pricing_message_kept_on_a_draft_reads_in_the_next_agents_language(role_client, make_user, make_draft,
                                                                             world):
    agent = make_user("agent")
    with translation.override("pt-br"):
        draft = make_draft(agent, coupons=["NAOEXISTE"])
    assert draft.pricing_messages == [{"msgid": "Coupon %(code)s does not exist.", "params": {"code": "NAOEXISTE"}}]
    page = role_client("agent").get(reverse("orders:phone_order", args=[draft.pk]),
                                    HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "القسيمة NAOEXISTE غير موجودة." in page and "não existe" not in page


def test_a_lines_pricing_steps_written_in_portuguese_read_in_the_readers_language_on_the_order_page(
        role_client, make_user, make_draft, world):
    """Each step of a line's price (base price, tax...) is kept as its message and amounts, not as the words and
    number format of the agent who priced it."""
    from decimal import Decimal

    from oms.templatetags.oms_tags import money

    agent = make_user("agent")
    with translation.override("pt-br"):
        draft = make_draft(agent, [(world["variants"][0], 1)])
        order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                    payment=PaymentRequest(method="invoice"))
    line = draft.lines.get()
    assert line.explanation[0] == {"msgid": "Base price of the SKU: %(price)s",
                                   "params": {"price": {"money": "100.00", "currency": "BRL"}}}

    client = role_client("manager")
    url = reverse("orders:order_detail", args=[draft.pk])
    arabic = client.get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    with translation.override("ar"):
        assert f"السعر الأساسي للصنف: {money(Decimal('100.00'), 'BRL')}" in arabic
    assert "Preço base" not in arabic
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How it was priced" in english and "Base price of the SKU: R$\xa0100.00" in english
    assert "Tax " in english and "Imposto" not in english


def test_a_decline_code_we_do_not_know_keeps_the_processors_words():
    from payments.gateway.base import decline_reason

    assert decline_reason("do_not_honor_2", "Transação não autorizada (57)") == "Transação não autorizada (57)"
    with translation.override("ar"):
        assert str(decline_reason("expired_card", "Your card has expired.")) == "انتهت صلاحية البطاقة."


def test_holds_left_when_the_order_is_rejected_or_cancelled_are_closed_and_say_why_in_the_readers_language(
        role_client, make_user, make_draft, settings, world):
    from orders.models import OrderHold
    from orders.services import hold_reject, order_cancel

    settings.ORDERS_HOLD_ABOVE = 50
    agent, manager = make_user("agent"), make_user("manager")
    billing = {"street": "Rua A", "city": "Rio de Janeiro", "state": "RJ", "postal_code": "20000-000"}
    with translation.override("pt-br"):
        rejected = order_place(order_id=make_draft(agent, billing_address=billing).pk,
                               idempotency_key=uuid.uuid4().hex, acting_user=agent,
                               payment=PaymentRequest(method="invoice"))
        cancelled = order_place(order_id=make_draft(agent).pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                                payment=PaymentRequest(method="invoice"))
        value_hold = rejected.holds.get(rule=OrderHold.Rule.HIGH_VALUE)
        hold_reject(hold_id=value_hold.pk, reason="Cliente desconhecido", acting_user=manager)
        order_cancel(order_id=cancelled.pk, reason="Cliente desistiu", acting_user=manager)

    statuses = dict(rejected.holds.values_list("rule", "status"))
    assert statuses == {OrderHold.Rule.HIGH_VALUE: OrderHold.Status.REJECTED,
                        OrderHold.Rule.ADDRESS_MISMATCH: OrderHold.Status.CLOSED}
    assert list(cancelled.holds.values_list("status", "decision_reason", "decision_reason_params")) == [
        (OrderHold.Status.CLOSED, "Order cancelled", {})]
    assert not OrderHold.objects.filter(status=OrderHold.Status.OPEN).exists()

    client = role_client("manager")
    page = client.get(reverse("orders:order_detail", args=[rejected.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Closed</span> Billing and shipping addresses in different states" in page
    assert "· Order rejected" in page and "Pedido rejeitado" not in page
    assert "Cliente desconhecido" in page  # the manager's own words, as typed
