"""A customer's personal data: a copy for the customer, and its erasure on request (LGPD), from the customer page."""

import json

import pytest
from django.urls import reverse

from inventory.models import PersonalizationField
from marketing.models import Segment, SegmentMember
from oms.i18n import stored_text
from oms.mail import email_enqueue, recipient
from oms.models import AuditEntry, OutboxMessage
from oms.outbox import outbox_deliver_message
from orders.channels.models import ImportJob, ImportRow
from orders.errors import CustomerErased
from orders.models import Address, Customer, Order, OrderEvent
from orders.selectors import customer_search
from orders.services import (
    PaymentRequest,
    customer_create,
    customer_erase,
    customer_update,
    draft_create,
    draft_line_add,
    draft_update,
    order_add_note,
    order_cancel,
    order_place,
)
from orders.services.privacy import ErasureRefused
from payments.models import Payment, SavedCard

pytestmark = pytest.mark.django_db

EMAIL = "maria.souza@example.com"
PHONE = "+5511987654321"
CPF = "39053344705"
ORDER_EMAIL = "maria.trabalho@example.com"


@pytest.fixture
def maria(make_user, world):
    """A customer created at the counter, with an order (engraved line, invoice, a note quoting her phone), a saved
    card, a segment, an imported-order row and an e-mail waiting to go to her."""
    agent = make_user("agent")
    customer = customer_create(data={"name": "Maria Souza", "email": EMAIL, "phone": PHONE, "tax_id": CPF,
                                     "notes": "Prefers calls after 6 pm", "marketing_consent": True},
                               address={"recipient": "Maria Souza", "street": "Rua das Palmeiras", "number": "120",
                                        "district": "Pinheiros", "city": "São Paulo", "state": "SP",
                                        "postal_code": "05422-000"}, acting_user=agent)
    engraved = world["variants"][0]
    PersonalizationField.objects.create(product=engraved.product, code="engraving", label="Engraving")
    draft = draft_create(channel_id=world["channel"].pk, acting_user=agent, customer_id=customer.pk)
    draft_line_add(order_id=draft.pk, variant_id=engraved.pk, personalization={"engraving": "Para Maria, com amor"},
                   acting_user=agent)
    draft_update(order_id=draft.pk, acting_user=agent, payment_method="invoice", shipping_service=world["service"],
                 notes="Leave with the doorman")
    order = order_place(order_id=draft.pk, idempotency_key="maria-1", acting_user=agent,
                        payment=PaymentRequest("invoice", details={"customer_name": "Maria Souza"}))
    order_add_note(order_id=order.pk, text=f"Customer asked to be called back on {PHONE} or {ORDER_EMAIL}",
                   acting_user=agent)
    order_add_note(order_id=order.pk, text="Confirmed by phone, +55 11 98765-4321 as on her page", acting_user=agent)
    SavedCard.objects.create(customer=customer, token="tok_saved_maria", brand="visa", last4="4242", exp_month=12,
                             exp_year=2030)
    segment = Segment.objects.create(code="vip", name="VIP")
    SegmentMember.objects.create(segment=segment, customer_id=customer.pk)
    job = ImportJob.objects.create(channel=world["channel"], format="generic_csv", file="x.csv", file_sha256="0")
    ImportRow.objects.create(job=job, row_number=1, external_id="E1", status="created", order=order,
                             raw={"email": EMAIL, "buyer": "Maria Souza", "street": "Rua das Palmeiras, 120"})
    email_enqueue(to=recipient(EMAIL, "pt-br"), subject=stored_text("Your order"),
                  body=stored_text("Hello %(name)s", name="Maria Souza"))
    # The order itself was placed with another address of hers, and an e-mail about it waits for that one too.
    Order.objects.filter(pk=order.pk).update(email=ORDER_EMAIL)
    email_enqueue(to=recipient(ORDER_EMAIL, "pt-br"), subject=stored_text("Your order"), body=stored_text("Hello"))
    return {"customer": customer, "order": order, "agent": agent}


def finish(order, agent) -> None:
    """Cancels the order and lets the payments worker void its invoice authorization."""
    order_cancel(order_id=order.pk, reason="Customer changed her mind", acting_user=agent)
    for message in OutboxMessage.objects.filter(topic="orders.payment_adjust", status="pending"):
        outbox_deliver_message(message_id=message.pk)


def test_an_administrator_downloads_the_customers_personal_data_as_json(role_client, maria):
    client = role_client("admin")
    response = client.get(reverse("orders:customer_data_export", args=[maria["customer"].pk]))
    assert response.status_code == 200
    name = f"customer-{maria['customer'].pk}-personal-data.json"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert (data["customer"]["email"], data["customer"]["tax_id"], data["customer"]["marketing_consent"]) == (
        EMAIL, CPF, True)
    assert data["addresses"][0]["street"] == "Rua das Palmeiras"
    [order] = data["orders"]
    assert order["number"] == maria["order"].number and order["notes"] == "Leave with the doorman"
    assert order["lines"][0]["personalization"] == {"engraving": "Para Maria, com amor"}
    assert data["saved_cards"] == ["VISA ••••4242 12/30"] and data["segments"] == ["VIP"]
    assert "tok_saved_maria" not in response.content.decode()  # a processor token is not personal data to hand out
    assert AuditEntry.objects.filter(verb="customer_data_export", object_id=str(maria["customer"].pk)).exists()


def test_only_a_role_that_handles_personal_data_sees_and_reaches_it(role_client, maria):
    pk = maria["customer"].pk
    manager = role_client("manager")
    assert "Erase personal data" not in manager.get(reverse("orders:customer_detail", args=[pk])).content.decode()
    assert manager.get(reverse("orders:customer_data_export", args=[pk])).status_code == 403
    erase = manager.post(reverse("orders:customer_erase", args=[pk]), {"reason": "x", "confirm": "on"})
    assert erase.status_code == 403
    assert Customer.objects.get(pk=pk).erased_at is None
    admin = role_client("admin")
    assert "Erase personal data" in admin.get(reverse("orders:customer_detail", args=[pk])).content.decode()


def test_erasure_waits_for_open_orders_and_unpaid_invoices_and_changes_nothing_meanwhile(role_client, maria):
    customer, order = maria["customer"], maria["order"]
    client = role_client("admin")
    url = reverse("orders:customer_erase", args=[customer.pk])
    open_order = client.post(url, {"reason": "Request by e-mail, 2026-11-20", "confirm": "on"})
    assert open_order.status_code == 422
    assert f"Finish, cancel or discard these orders first: {order.number} (Confirmed)." in open_order.content.decode()

    order_cancel(order_id=order.pk, reason="Customer changed her mind", acting_user=maria["agent"])
    with pytest.raises(ErasureRefused, match="still owes R\\$"):  # the invoice is not voided until the worker runs
        customer_erase(customer_id=customer.pk, reason="Request by e-mail", acting_user=None)
    assert Customer.objects.get(pk=customer.pk).email == EMAIL and Address.objects.filter(customer=customer).exists()

    unconfirmed = client.post(url, {"reason": "Request by e-mail"})
    no_reason = client.post(url, {"reason": "  ", "confirm": "on"})
    assert unconfirmed.status_code == no_reason.status_code == 422
    assert unconfirmed.context["form"].errors["confirm"] and no_reason.context["form"].errors["reason"]
    assert Customer.objects.get(pk=customer.pk).erased_at is None


def test_erasure_takes_what_identifies_the_person_from_every_place_and_keeps_the_accounts(role_client, maria):
    customer, order = maria["customer"], maria["order"]
    finish(order, maria["agent"])
    old_token = Order.objects.get(pk=order.pk).tracking_token
    client = role_client("admin")
    response = client.post(reverse("orders:customer_erase", args=[customer.pk]),
                           {"reason": "Request by e-mail, 2026-11-20, protocol 77", "confirm": "on"})
    assert response.status_code == 302

    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.phone, customer.tax_id, customer.notes) == (
        f"#{customer.pk}", "", "", "", "")
    assert (customer.marketing_consent, customer.consent_at, customer.is_active) == (False, None, False)
    assert customer.erased_at is not None and not Address.objects.filter(customer=customer).exists()
    assert not SavedCard.objects.filter(customer=customer).exists()
    assert not SegmentMember.objects.filter(customer_id=customer.pk).exists()
    assert not OutboxMessage.objects.filter(topic="oms.email").exists()  # to either of her addresses

    order.refresh_from_db()
    assert (order.email, order.phone, order.notes) == ("", "", "")
    assert order.shipping_address == {"city": "São Paulo", "state": "SP", "country": "BR"}
    assert order.lines.get().personalization == {}
    assert order.tracking_token != old_token
    assert client.get(reverse("orders:tracking", args=[old_token])).status_code == 404
    assert (order.total, order.status, order.number) == (maria["order"].total, "cancelled", maria["order"].number)
    assert Payment.objects.get(order=order).instructions["customer_name"] == "—"

    kept = json.dumps([list(OrderEvent.objects.filter(order=order).values_list("reason", "reason_params", "data")),
                       list(AuditEntry.objects.exclude(verb="customer_erase").values_list(
                           "object_repr", "changes", "reason")),
                       list(ImportRow.objects.values_list("raw", flat=True))], ensure_ascii=False, default=str)
    for personal in (EMAIL, ORDER_EMAIL, PHONE, "98765-4321", CPF, "Maria Souza", "Rua das Palmeiras", "Para Maria"):
        assert personal not in kept
    assert "Customer asked to be called back on — or —" in kept  # the note stays, without what identifies her
    erased = AuditEntry.objects.get(verb="customer_erase")
    assert erased.reason == "Request by e-mail, 2026-11-20, protocol 77" and EMAIL not in json.dumps(erased.changes)

    page = client.get(reverse("orders:customer_detail", args=[customer.pk])).content.decode()
    assert "Personal data erased on" in page and "Erase personal data…" not in page
    with pytest.raises(ErasureRefused, match="already erased"):
        customer_erase(customer_id=customer.pk, reason="again", acting_user=None)


    # The record only keeps past orders: it takes no new order, data or address, and phone searches skip it.
    started = client.post(reverse("orders:phone_start"), {"customer": customer.pk}, follow=True)
    assert "personal data was erased at their request" in started.content.decode()
    assert not Order.objects.filter(customer=customer, status="draft").exists()
    with pytest.raises(CustomerErased):
        customer_update(customer_id=customer.pk, data={"email": EMAIL}, acting_user=None)
    assert customer_search(query=f"#{customer.pk}") == []


def test_a_refusal_names_the_first_ten_open_orders_and_counts_the_rest(make_user, world):
    agent = make_user("agent")
    customer = world["customer"]
    for _ in range(12):
        draft_create(channel_id=world["channel"].pk, acting_user=agent, customer_id=customer.pk)
    with pytest.raises(ErasureRefused) as refused:
        customer_erase(customer_id=customer.pk, reason="Request by phone", acting_user=agent)
    assert refused.value.message.count("draft (Draft)") == 10
    assert refused.value.message.endswith("and 2 more.")


def test_erasure_also_takes_the_person_out_of_returns_and_delivery_reports(role_client, maria, world):
    """A return's note and a failed delivery's report (the shipment's reason and its history) kept the customer's
    name, phone and street after the erasure, and the return and shipment pages still showed them."""
    from orders.fulfilment.models import Return, Shipment, ShipmentEvent

    customer, order = maria["customer"], maria["order"]
    finish(order, maria["agent"])
    rma = Return.objects.create(order=order, note=f"Maria Souza called from {PHONE}: the box arrived crushed")
    shipment = Shipment.objects.create(order=order, location=world["dc"],
                                       failure_reason="Nobody at Rua das Palmeiras 120")
    ShipmentEvent.objects.create(shipment=shipment, from_status="shipped", to_status="failed_delivery",
                                 reason="Nobody at Rua das Palmeiras 120, Maria Souza not answering",
                                 data={"carrier_note": "call +55 11 98765-4321"})
    response = role_client("admin").post(reverse("orders:customer_erase", args=[customer.pk]),
                                         {"reason": "Request by e-mail, 2026-11-20", "confirm": "on"})
    assert response.status_code == 302
    kept = json.dumps([Return.objects.get(pk=rma.pk).note, Shipment.objects.get(pk=shipment.pk).failure_reason,
                       list(ShipmentEvent.objects.filter(shipment=shipment).values_list("reason", "data"))],
                      ensure_ascii=False)
    for personal in (PHONE, "98765-4321", "Maria Souza", "Rua das Palmeiras"):
        assert personal not in kept
    assert Return.objects.get(pk=rma.pk).note == "— called from —: the box arrived crushed"


def test_erasure_also_takes_the_person_out_of_the_apis_stored_answers(role_client, maria):
    """A channel's order post is answered once and the answer kept for a retry of the same key: it held the
    customer's name and e-mail for the days it is kept, after the erasure too."""
    from orders.channels.api import order_body
    from orders.channels.models import IdempotencyRecord

    customer, order = maria["customer"], maria["order"]
    finish(order, maria["agent"])
    record = IdempotencyRecord.objects.create(channel=order.channel, key="k-1", request_hash="h", response_status=201,
                                              response_body=order_body(order))
    assert customer.name in json.dumps(record.response_body, ensure_ascii=False)
    response = role_client("admin").post(reverse("orders:customer_erase", args=[customer.pk]),
                                         {"reason": "Request by e-mail, 2026-11-20", "confirm": "on"})
    assert response.status_code == 302
    body = IdempotencyRecord.objects.get(pk=record.pk).response_body
    assert customer.name not in json.dumps(body, ensure_ascii=False) and customer.email not in json.dumps(body)
    assert body["number"] == order.number and body["customer"]["id"] == customer.pk  # the answer itself is kept


def test_the_personal_data_copy_holds_what_people_wrote_about_the_customer(role_client, maria, world):
    """The copy for the customer left out the notes agents wrote on their orders and their returns (with the
    notes on them), though the erasure treats both as their personal data."""
    from orders.fulfilment.models import Return

    order = maria["order"]
    rma = Return.objects.create(order=order, note="Box arrived crushed, customer sent photos")
    response = role_client("admin").get(reverse("orders:customer_data_export", args=[maria["customer"].pk]))
    data = json.loads(response.content)
    assert [n["text"] for n in data["order_notes"]] == [
        f"Customer asked to be called back on {PHONE} or {ORDER_EMAIL}",
        "Confirmed by phone, +55 11 98765-4321 as on her page"]
    assert all(n["order"] == order.number for n in data["order_notes"])
    assert data["returns"] == [{"return": str(rma), "order": order.number, "status": "requested",
                                "requested_at": rma.created_at.isoformat(),
                                "note": "Box arrived crushed, customer sent photos", "refund_amount": "0.0000",
                                "refund_method": ""}]


def test_an_erased_customers_edit_address_and_erase_pages_lead_back_to_its_page(role_client, db):
    """Erase sent twice (a double click, the back button) showed the form again and then refused it with a 422;
    the edit and address pages offered forms that could not be saved."""
    customer = customer_create(data={"name": "Rosa Prado", "email": "rosa@example.com"}, acting_user=None)
    client = role_client("admin")
    client.cookies["django_language"] = "pt-br"
    url = reverse("orders:customer_erase", args=[customer.pk])
    form = {"reason": "Pedido por e-mail", "confirm": "on"}
    detail = reverse("orders:customer_detail", args=[customer.pk])
    assert client.post(url, form).url == detail
    again = client.post(url, form, follow=True)
    assert again.redirect_chain == [(detail, 302)]
    assert "Os dados pessoais deste cliente já foram apagados." in again.content.decode()
    assert AuditEntry.objects.filter(verb="customer_erase").count() == 1
    for page in ("orders:customer_edit", "orders:customer_address_add", "orders:customer_erase"):
        assert client.get(reverse(page, args=[customer.pk])).url == detail
    assert client.post(reverse("orders:customer_edit", args=[customer.pk]), {"name": "Rosa"}).url == detail
    assert Customer.objects.get(pk=customer.pk).name == f"#{customer.pk}"
