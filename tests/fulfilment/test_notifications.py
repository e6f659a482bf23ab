"""Customers hear about their order in their language: accepted, on its way (with tracking), cancelled."""

import pytest
from django.utils import translation

from oms.models import OutboxMessage
from oms.outbox import outbox_deliver_message
from orders.fulfilment import services as ful
from orders.notifications import order_status_notice
from orders.services import order_cancel


def _deliver_status_notices() -> None:
    for message in OutboxMessage.objects.filter(topic="orders.channel_status", status="pending").order_by("pk"):
        assert outbox_deliver_message(message_id=message.pk) == "done"


def _emails_to(address: str) -> list[dict]:
    return [m.payload for m in OutboxMessage.objects.filter(topic="oms.email").order_by("pk")
            if m.payload["to"] == [address]]


def test_the_customer_hears_when_the_order_is_accepted_and_when_it_ships(make_user, net, place_order, settings):
    settings.SITE_URL = "https://oms.example.com"
    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 2), (net["mug"], 1)])
    _deliver_status_notices()
    [accepted] = _emails_to(order.email)
    assert (accepted["subject"], accepted["language"]) == (f"Your order {order.number}", "en")
    body = accepted["body"]
    assert f"Thank you: we have your order {order.number}." in body
    assert "2 × " in body and "Total: R$" in body
    assert f"https://oms.example.com/track/{order.tracking_token}/" in body

    redelivered = OutboxMessage.objects.filter(topic="orders.channel_status").first()
    assert order_status_notice(order_id=order.pk, status="confirmed", previous="placed",
                               notice_id=redelivered.pk) == 0  # the same notice again: no second e-mail

    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    for variant, units in ((net["shirt"], 2), (net["mug"], 1)):
        for _ in range(units):
            ful.shipment_scan(shipment_id=shipment.pk, code=variant.sku, acting_user=user)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR123456789", acting_user=user)
    _deliver_status_notices()
    emails = _emails_to(order.email)
    assert [e["subject"] for e in emails] == [f"Your order {order.number}", f"Your order {order.number} is on its way"]
    assert "All of your order" in emails[1]["body"] and "Correios, tracking number BR123456789" in emails[1]["body"]
    # The agent the customer calls sees what they were told, in the agent's own language.
    with translation.override("pt-br"):
        told = [e.reason_text for e in order.events.filter(kind="note", reason__startswith="E-mailed").order_by("pk")]
    assert told == [f"E-mail enviado para {order.email}: Seu pedido {order.number}",
                    f"E-mail enviado para {order.email}: Seu pedido {order.number} está a caminho"]


def test_a_cancellation_reads_in_the_customers_language_and_shops_that_tell_their_own_are_left_alone(
        make_user, net, place_order):
    user = make_user("admin")
    net["customer"].language = "pt-br"
    net["customer"].save()
    order = place_order(user, [(net["mug"], 1)])
    with translation.override("ar"):  # the agent's language does not matter
        order_cancel(order_id=order.pk, reason="customer changed their mind", acting_user=user)
    _deliver_status_notices()
    subjects = [e["subject"] for e in _emails_to(order.email)]
    assert subjects == [f"Seu pedido {order.number}", f"Seu pedido {order.number} foi cancelado"]
    assert "customer changed their mind" not in str(_emails_to(order.email))  # the internal reason stays inside

    type(net["channel"]).objects.filter(pk=net["channel"].pk).update(notify_customers=False)
    quiet = place_order(user, [(net["mug"], 1)])
    _deliver_status_notices()
    assert _emails_to(quiet.email) == _emails_to(order.email)  # nothing new


def test_a_customer_who_collects_at_the_store_is_not_told_the_order_is_on_its_way(make_user, net, place_order):
    """Collecting a pick-up marks the order shipped then delivered: the "shipped" notice e-mailed the customer,
    standing at the counter, "All of your order is on its way" and "Handed to " with no carrier."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    ful.pickup_ready(shipment_id=shipment.pk, acting_user=user)
    ful.pickup_confirm(shipment_id=shipment.pk, acting_user=user)
    _deliver_status_notices()
    subjects = [e["subject"] for e in _emails_to(order.email)]
    assert subjects == [f"Order {order.number} is ready for pick-up", f"Your order {order.number}"]


def test_a_shop_that_tells_its_own_customers_is_not_doubled_by_the_pick_up_email(make_user, net, place_order):
    """The channel's "e-mail customers" switch was read by every e-mail but "ready for pick-up": a web shop telling
    its customers itself had ours arrive beside its own."""
    type(net["channel"]).objects.filter(pk=net["channel"].pk).update(notify_customers=False)
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    ful.pickup_ready(shipment_id=shipment.pk, acting_user=user)
    _deliver_status_notices()
    assert _emails_to(order.email) == []


def test_the_at_risk_alert_writes_its_dates_as_each_manager_reads_dates(make_user, net, place_order):
    """The alert and the at-risk queue wrote "Autorização de 2026-11-20 expira em 2026-11-27" to a manager
    reading Portuguese: the scan stored its days as ISO text, so no reader's date format applied."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from oms.preferences import language_remember
    from orders.fulfilment.models import AtRiskFlag
    from payments.models import Payment

    boss = make_user("manager", email="chefe@example.com")
    language_remember(boss, "pt-br")
    order = place_order(make_user("admin"), [(net["mug"], 1)])
    authorized = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))
    Payment.objects.create(order=order, method="card", status=Payment.Status.AUTHORIZED, amount=order.total,
                           currency="BRL", idempotency_key="risk-dates")
    Payment.objects.filter(idempotency_key="risk-dates").update(created_at=authorized)
    ful.at_risk_scan(now=authorized + timedelta(days=6))
    [alert] = _emails_to("chefe@example.com")
    assert f"{order.number}: Autorização de 20/11/2026 expira em 27/11/2026" in alert["body"]
    assert "2026-11-2" not in alert["body"]
    flag = AtRiskFlag.objects.get(order=order, reason=AtRiskFlag.Reason.AUTH_EXPIRING)
    with translation.override("en"):
        assert flag.detail_text == "Authorization from 11/20/2026 expires 11/27/2026"


def test_the_confirmation_shows_the_shipping_so_its_lines_add_up_to_the_total(make_user, net, place_order):
    """The confirmation listed the lines and the total only: a customer in Portuguese read R$ 200,00 and R$ 50,00
    then "Total: R$ 265,00", with the freight that makes the difference nowhere."""
    from oms.templatetags.oms_tags import money

    net["customer"].language = "pt-br"
    net["customer"].save()
    order = place_order(make_user("admin"), [(net["shirt"], 2), (net["mug"], 1)])
    assert order.shipping_total > 0
    _deliver_status_notices()
    [accepted] = _emails_to(order.email)
    with translation.override("pt-br"):
        freight, total = money(order.shipping_total, order.currency), money(order.total, order.currency)
    assert f"\nFrete: {freight}\n\nTotal: {total}" in accepted["body"]


def test_an_arabic_email_reads_right_to_left_with_its_links_kept_whole(make_user, net, place_order, settings):
    """A plain-text e-mail has no markup to set its direction: each line took the direction of its first letter,
    so the order lines and "Correios، رقم التتبع ..." read left to right among right-to-left ones, and the tracking
    link's closing "/" jumped before "https". Each line of an Arabic e-mail now starts right to left (U+200F) and
    a link is isolated from the text before it (U+2068, closed by the line's end: nothing touches the link), while
    codes a customer copies (order and tracking numbers) carry no marks."""
    settings.SITE_URL = "https://oms.example.com"
    user = make_user("admin")
    net["customer"].language = "ar"
    net["customer"].save()
    order = place_order(user, [(net["mug"], 1)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR123456789", acting_user=user)
    _deliver_status_notices()
    accepted, shipped = _emails_to(order.email)
    for email in (accepted, shipped):
        assert email["subject"].startswith(f"\u200fطلبك {order.number}")
        lines = email["body"].split("\n")
        assert all(line.startswith("\u200f") for line in lines if line), lines
        assert lines[-1] == f"\u200fتابعه من هنا: \u2068https://oms.example.com/track/{order.tracking_token}/"
    assert "\n\u200fCorreios، رقم التتبع BR123456789\n" in shipped["body"]
    # English and Portuguese e-mails are written as before, without marks.
    net["customer"].language = "pt-br"
    net["customer"].save()
    other = place_order(user, [(net["mug"], 1)])
    _deliver_status_notices()
    [portuguese] = _emails_to(other.email)[2:]
    assert not set(portuguese["subject"] + portuguese["body"]) & set("\u200f\u2068\u2069")


def test_a_link_in_the_middle_of_an_arabic_line_is_closed_after_the_space_that_follows_it():
    from oms.mail import right_to_left

    assert right_to_left("انظر https://oms.example.com/x/ ثم\nhttps://a.b/c") == (
        "\u200fانظر \u2068https://oms.example.com/x/ \u2069ثم\n\u200f\u2068https://a.b/c")


def test_an_order_held_again_after_an_edit_and_approved_is_not_confirmed_to_the_customer_twice(
        make_user, net, place_order, settings):
    """Confirmed, then edited above the value limit (on hold) and approved: the approval left "on hold" like a
    new order does, so the customer got a second "Thank you: we have your order" for the same order."""
    from orders.models import OrderHold
    from orders.services import hold_approve, order_edit

    user, manager = make_user("admin"), make_user("manager")
    order = place_order(user, [(net["mug"], 1)])
    assert order.status == "confirmed"
    settings.ORDERS_HOLD_ABOVE = order.total + 1
    [line] = order.lines.all()
    order_edit(order_id=order.pk, acting_user=user, reason="customer wants two", quantities={line.pk: 2})
    order.refresh_from_db()
    assert order.status == "on_hold"
    hold_approve(hold_id=order.holds.get(rule=OrderHold.Rule.HIGH_VALUE).pk, reason="known customer",
                 acting_user=manager)
    order.refresh_from_db()
    assert order.status == "confirmed"
    _deliver_status_notices()
    assert [e["subject"] for e in _emails_to(order.email)] == [f"Your order {order.number}"]


def test_the_store_credit_email_says_what_the_credit_is_worth(make_user, net, place_order,
                                                               django_capture_on_commit_callbacks):
    """The customer was sent a bare "Your store credit code is ..." with no value: they could not tell whether the
    whole return was credited. The e-mail now gives the value, in the customer's language and money format."""
    from django.core import mail

    from oms.templatetags.oms_tags import money
    from tests.fulfilment.test_services import ship_all

    net["customer"].language = "pt-br"
    net["customer"].save()
    agent, manager = make_user("agent"), make_user("manager")
    order = place_order(agent, [(net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=manager)
    ship_all(order, manager)
    mug = order.lines.get()
    rma = ful.return_request(order_id=order.pk, lines=[(mug.pk, 1, "size")], acting_user=agent)
    ful.return_approve(return_id=rma.pk, acting_user=manager)
    ful.return_receive(return_id=rma.pk, location_id=net["dc"].pk, acting_user=manager)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=manager)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ful.return_refund(return_id=rma.pk, method="store_credit", acting_user=manager)
    rma.refresh_from_db()
    [sent] = mail.outbox
    with translation.override("pt-br"):
        value = money(rma.refund_amount, order.currency)
    assert sent.to == [order.email] and sent.subject == f"Crédito na loja para {rma}"
    assert value in sent.body and "Seu código de crédito na loja é " in sent.body


def test_the_ready_for_pickup_email_says_where_the_store_is_and_links_the_order(make_user, net, place_order,
                                                                                 settings):
    """The pick-up e-mail named the store only ("waiting at Loja Centro until ..."): no address to find it, no
    greeting and no link to the order's page, unlike the customer's other e-mails."""
    settings.SITE_URL = "https://oms.example.com"
    store = net["store"]
    type(store).objects.filter(pk=store.pk).update(address_line1="Rua Augusta 100", city="São Paulo", state="SP")
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)], delivery_method="pickup", pickup_location_id=store.pk)
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    ful.pickup_ready(shipment_id=shipment.pk, acting_user=user)
    [ready] = _emails_to(order.email)
    body = ready["body"]
    assert body.startswith(
        f"Hello {order.customer.name},\n\nYour order {order.number} is waiting at {store.name} until ")
    assert "\n\nRua Augusta 100, São Paulo, SP\n\n" in body
    assert body.endswith(f"Follow it here: https://oms.example.com/track/{order.tracking_token}/")


# --- delivered, return received, refund made, how to pay ------------------------------------------------------


def _deliver_payment_notices() -> None:
    for message in OutboxMessage.objects.filter(topic="payments.changed", status="pending").order_by("pk"):
        assert outbox_deliver_message(message_id=message.pk) == "done"


def _speaks(customer, language: str) -> None:
    customer.language = language
    customer.save()


def _subjects(order) -> list[str]:
    return [e["subject"] for e in _emails_to(order.email)]


def _without_email(order):
    type(order).objects.filter(pk=order.pk).update(email="")
    order.refresh_from_db()
    return order


def test_the_customer_is_told_each_parcel_arrived_once_in_their_language(make_user, net, place_order, settings):
    """Customers heard nothing when a parcel arrived: a delivered shipment now e-mails them (in their language,
    with what it held), once per shipment however often its delivery is reported (a carrier's file sent again)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from orders.fulfilment.models import Shipment
    from orders.notifications import shipment_delivered_notice
    from tests.fulfilment.test_services import ship_all

    settings.SITE_URL = "https://oms.example.com"
    _speaks(net["customer"], "pt-br")
    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 2), (net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    _deliver_status_notices()
    [shipment] = Shipment.objects.filter(order=order)
    when = datetime(2026, 11, 24, 15, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))
    ful.shipment_deliver(shipment_id=shipment.pk, acting_user=user, when=when)
    _deliver_status_notices()
    assert _subjects(order) == [f"Seu pedido {order.number}", f"Seu pedido {order.number} está a caminho",
                                f"Seu pedido {order.number} foi entregue"]
    body = _emails_to(order.email)[-1]["body"]
    shirt, mug = order.lines.order_by("position")
    assert f"Seu pedido {order.number} foi entregue em 24 de Novembro de 2026." in body
    assert f"Correios, código de rastreio BR{shipment.pk}X" in body
    assert f"2 × {shirt.name}\n1 × {mug.name}" in body
    assert body.endswith(f"https://oms.example.com/track/{order.tracking_token}/")

    # The carrier's file saying it again, or the same delivery told twice, sends nothing more.
    assert ful.carrier_update_csv(content=f"tracking_number,status\nBR{shipment.pk}X,delivered\n",
                                  acting_user=user) == 0
    shipment.refresh_from_db()
    assert shipment_delivered_notice(order, shipment, when=when) == 0
    assert len(_emails_to(order.email)) == 3

    # No e-mail on the order: nobody to tell.
    quiet = place_order(user, [(net["mug"], 1)])
    ful.order_allocate(order_id=quiet.pk, acting_user=user)
    ship_all(quiet, user)
    sent = OutboxMessage.objects.filter(topic="oms.email").count()
    _without_email(quiet)
    ful.shipment_deliver(shipment_id=Shipment.objects.get(order=quiet).pk, acting_user=user)
    assert OutboxMessage.objects.filter(topic="oms.email").count() == sent


def test_the_delivered_email_reads_right_to_left_in_arabic(make_user, net, place_order):
    from orders.fulfilment.models import Shipment
    from tests.fulfilment.test_services import ship_all

    _speaks(net["customer"], "ar")
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    shipment = Shipment.objects.get(order=order)
    ful.shipment_deliver(shipment_id=shipment.pk, acting_user=user)
    [delivered] = _emails_to(order.email)  # the status notices were not delivered: only this one is queued
    assert delivered["language"] == "ar" and delivered["subject"] == f"\u200fتم تسليم طلبك {order.number}"
    lines = delivered["body"].split("\n")
    assert all(line.startswith("\u200f") for line in lines if line), lines
    assert f"\u200fCorreios، رقم التتبع BR{shipment.pk}X" in lines


def test_the_customer_is_told_their_return_arrived_and_what_comes_next(make_user, net, place_order):
    """When the warehouse received a return the customer heard nothing until the refund: they are now told which
    items arrived and that the refund follows once they are checked (or that there is nothing to refund)."""
    from oms.templatetags.oms_tags import money
    from tests.fulfilment.test_services import ship_all

    _speaks(net["customer"], "pt-br")
    agent, manager = make_user("agent"), make_user("manager")
    order = place_order(agent, [(net["shirt"], 2), (net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=manager)
    ship_all(order, manager)
    shirt = order.lines.get(variant=net["shirt"])
    rma = ful.return_request(order_id=order.pk, lines=[(shirt.pk, 1, "size")], acting_user=agent)
    ful.return_approve(return_id=rma.pk, acting_user=manager)
    before = len(_emails_to(order.email))
    ful.return_receive(return_id=rma.pk, location_id=net["dc"].pk, acting_user=manager)
    [received] = _emails_to(order.email)[before:]
    assert received["subject"] == f"Recebemos sua devolução {rma}"
    with translation.override("pt-br"):
        value = money(ful.return_value(rma), order.currency)
    assert f"Recebemos os itens que você devolveu do pedido {order.number} ({rma}):\n\n1 × {shirt.name}\n\n" \
        in received["body"]
    assert f"Depois de conferi-los, reembolsamos {value}" in received["body"]
    assert ful.return_value(rma) > 0
    # Nothing more when the return is inspected; and a customer with no e-mail hears nothing.
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=manager)
    assert len(_emails_to(order.email)) == before + 1
    other = ful.return_request(order_id=order.pk, lines=[(shirt.pk, 1, "size")], acting_user=agent)
    ful.return_approve(return_id=other.pk, acting_user=manager)
    _without_email(order)
    sent = OutboxMessage.objects.filter(topic="oms.email").count()
    ful.return_receive(return_id=other.pk, location_id=net["dc"].pk, acting_user=manager)
    assert OutboxMessage.objects.filter(topic="oms.email").count() == sent


def test_a_return_of_items_that_cost_nothing_says_there_is_nothing_to_refund_in_arabic(make_user, net,
                                                                                        place_order):
    from orders.notifications import return_received_notice
    from tests.fulfilment.test_services import ship_all

    _speaks(net["customer"], "ar")
    agent, manager = make_user("agent"), make_user("manager")
    order = place_order(agent, [(net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=manager)
    ship_all(order, manager)
    mug = order.lines.get()
    rma = ful.return_request(order_id=order.pk, lines=[(mug.pk, 1, "changed_mind")], acting_user=agent)
    assert return_received_notice(order, rma, refund=0) == 1
    body = _emails_to(order.email)[-1]["body"]
    assert body.split("\n")[-1] == "\u200fلم يُدفع شيء مقابل هذه المنتجات، لذلك لا يوجد ما يُسترد."
    assert all(line.startswith("\u200f") for line in body.split("\n") if line)
    assert return_received_notice(order, rma, refund=0) == 0  # once per return


def test_an_order_placed_with_pix_emails_the_code_amount_and_expiry_once(make_user, net, place_order):
    """A customer who chose PIX on the phone had no code to pay with unless the agent read out 150 characters:
    placing the order now e-mails the PIX copy-and-paste code, the amount and until when it can be paid, in the
    customer's language and format, once."""
    from datetime import datetime

    from django.utils import timezone

    from oms.templatetags.oms_tags import money
    from payments.models import Payment

    _speaks(net["customer"], "pt-br")
    order = place_order(make_user("agent"), [(net["mug"], 1)], payment="pix")
    _deliver_status_notices()
    payment = Payment.objects.get(order=order)
    assert payment.status == "pending"
    [how] = [e for e in _emails_to(order.email) if e["subject"] == f"Como pagar o pedido {order.number}"]
    code = payment.instructions["copy_paste"]
    expires = timezone.localtime(datetime.fromisoformat(payment.instructions["expires_at"]))
    with translation.override("pt-br"):
        amount = money(payment.amount, "BRL")
    assert f"Para pagar {amount} com PIX, copie este código no app do seu banco (PIX copia e cola):\n{code}\n" \
        in how["body"]
    assert f"O código pode ser pago até {expires:%d/%m/%Y %H:%M}." in how["body"]
    notice = OutboxMessage.objects.filter(topic="orders.channel_status").first()
    assert order_status_notice(order_id=order.pk, status=notice.payload["status"], previous="placed",
                               notice_id=notice.pk) == 0  # the notice delivered again: nothing new


def test_boleto_instructions_in_arabic_keep_the_line_to_copy_free_of_marks(make_user, net, place_order):
    """Every line of an Arabic e-mail starts with a right-to-left mark; a boleto's line copied with it is refused
    by a bank's app, so the line to copy stands on its own, as it is."""
    from payments.models import Payment

    _speaks(net["customer"], "ar")
    order = place_order(make_user("agent"), [(net["mug"], 1)], payment="boleto")
    _deliver_status_notices()
    payment = Payment.objects.get(order=order)
    [how] = [e for e in _emails_to(order.email) if order.number in e["subject"] and "الدفع" in e["subject"]]
    lines = how["body"].split("\n")
    line = payment.instructions["digitable_line"]
    assert line in lines  # its own line, without a mark
    assert all(each.startswith("\u200f") for each in lines if each and each != line), lines
    from datetime import date

    from django.utils.formats import date_format

    with translation.override("ar"):
        due = date_format(date.fromisoformat(payment.instructions["due_on"]), "SHORT_DATE_FORMAT")
    assert f"يستحق البوليتو في {due}." in how["body"]


def test_no_payment_instructions_without_an_email_or_once_paid(make_user, net, place_order):
    from payments.services import payment_confirm

    agent = make_user("agent")
    order = place_order(agent, [(net["mug"], 1)], payment="pix")
    _without_email(order)
    paid = place_order(agent, [(net["mug"], 1)], payment="pix")
    payment_confirm(payment_id=paid.payments.get().pk, acting_user=agent)  # paid before the notice was read
    _deliver_status_notices()
    assert _subjects(paid) == [f"Your order {paid.number}"]  # thanked, and nothing about paying
    assert not OutboxMessage.objects.filter(topic="oms.email", payload__key__startswith="payment-instructions")


def test_a_refund_is_emailed_once_with_its_amount_and_where_it_went(make_user, net, place_order):
    """Customers were not told a refund was made. A refund that went through now e-mails the amount in the
    customer's money format and where it went, once: retrying the refund, or its notice delivered twice, sends
    nothing more."""
    from payments.services import payment_confirm, payment_refund

    _speaks(net["customer"], "pt-br")
    agent = make_user("finance")
    order = place_order(agent, [(net["shirt"], 1)], payment="pix")
    payment = order.payments.get()
    payment_confirm(payment_id=payment.pk, acting_user=agent)
    for _ in range(2):  # the agent's retry
        payment_refund(payment_id=payment.pk, amount="30", reason="goodwill", acting_user=agent, reference="gw:1")
    _deliver_payment_notices()
    message = OutboxMessage.objects.filter(topic="payments.changed", payload__has_key="refund_id").get()
    assert outbox_deliver_message(message_id=message.pk) == "skipped"  # done
    from orders.tasks import refund_email_on_payment

    refund_email_on_payment(**message.payload)  # delivered again
    refunds = [e for e in _emails_to(order.email) if e["subject"] == f"Reembolso do pedido {order.number}"]
    assert len(refunds) == 1
    assert f"Reembolsamos R$\xa030,00 referentes ao seu pedido {order.number}." in refunds[0]["body"]
    assert "Ele é devolvido por PIX para a conta que pagou." in refunds[0]["body"]
    assert "goodwill" not in refunds[0]["body"]  # the internal reason stays inside

    payment_refund(payment_id=payment.pk, amount="10", reason="more", acting_user=agent, reference="gw:2")
    _deliver_payment_notices()
    assert len([e for e in _emails_to(order.email) if e["subject"] == f"Reembolso do pedido {order.number}"]) == 2


@pytest.mark.django_db(transaction=True)  # processor calls refuse to run inside a transaction
def test_a_card_refund_names_the_card_by_its_last_digits_only(make_user, net, place_order):
    from payments.gateway import get_gateway
    from payments.services import payment_authorize, payment_capture, payment_refund

    _speaks(net["customer"], "en")
    agent = make_user("finance")
    order = place_order(agent, [(net["mug"], 1)])
    token = get_gateway("sandbox").tokenize(number="4111111111111111", exp_month=12, exp_year=2030, cvc="123").token
    card = payment_authorize(order_id=order.pk, method="card", amount="40", currency="BRL", token=token,
                             idempotency_key="card-refund-email", acting_user=agent)
    payment_capture(payment_id=card.pk, amount="40", reference="shipment:x", acting_user=agent)
    payment_refund(payment_id=card.pk, amount="15.5", reason="goodwill", acting_user=agent, reference="gw:card")
    _deliver_payment_notices()
    [refund] = [e for e in _emails_to(order.email) if e["subject"] == f"Refund for your order {order.number}"]
    assert f"We refunded R$\xa015.50 for your order {order.number}." in refund["body"]
    assert "It goes back to your card ending in 1111; your bank may take a few days to show it." in refund["body"]
    assert "4111111111111111" not in str(refund) and token not in str(refund) and "2030" not in str(refund)


def test_a_refund_to_a_gift_card_reads_right_to_left_and_no_email_means_none(make_user, net, place_order):
    from payments.services import payment_authorize, payment_refund
    from tests.payments.factories import issue_card

    _speaks(net["customer"], "ar")
    agent = make_user("finance")
    order = place_order(agent, [(net["mug"], 1)])
    card, code = issue_card("80.00", currency="BRL")
    paid = payment_authorize(order_id=order.pk, method="gift_card", amount="20", currency="BRL",
                             details={"code": code}, idempotency_key="gift-refund-email", acting_user=agent)
    payment_refund(payment_id=paid.pk, amount="20", reason="goodwill", acting_user=agent, reference="gw:gift")
    _deliver_payment_notices()
    [refund] = [e for e in _emails_to(order.email) if e["subject"] == f"\u200fاسترداد مبلغ لطلبك {order.number}"]
    lines = refund["body"].split("\n")
    assert all(line.startswith("\u200f") for line in lines if line), lines
    assert f"\u200fأُعيد المبلغ إلى بطاقة الهدية المنتهية بـ {card.last4}." in lines
    assert code not in refund["body"]  # the card's code is never written, only its last four characters

    quiet = _without_email(place_order(agent, [(net["mug"], 1)]))
    card, code = issue_card("50.00", currency="BRL")
    paid = payment_authorize(order_id=quiet.pk, method="gift_card", amount="10", currency="BRL",
                             details={"code": code}, idempotency_key="gift-refund-quiet", acting_user=agent)
    sent = OutboxMessage.objects.filter(topic="oms.email").count()
    payment_refund(payment_id=paid.pk, amount="10", reason="goodwill", acting_user=agent, reference="gw:quiet")
    _deliver_payment_notices()
    assert OutboxMessage.objects.filter(topic="oms.email").count() == sent
