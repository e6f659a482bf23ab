from decimal import Decimal

import pytest
from django.urls import reverse

from oms.models import AuditEntry
from orders.models import Customer, Order, OrderHold, OrderLine

S = Order.Status


def test_phone_order_flow_end_to_end(role_client, world):
    client = role_client("agent")
    v1, v2, _v3 = world["variants"]
    customer = world["customer"]
    response = client.post(reverse("orders:phone_start"))
    draft = Order.objects.get(status=S.DRAFT)
    assert response.url == reverse("orders:phone_order", args=[draft.pk])
    assert client.get(response.url).status_code == 200

    found = client.get(reverse("orders:phone_customer_search", args=[draft.pk]), {"q": customer.phone[-8:]},
                       HTTP_HX_REQUEST="true")
    assert customer.name in found.content.decode()
    client.post(reverse("orders:phone_set_customer", args=[draft.pk]), {"customer_id": customer.pk},
                HTTP_HX_REQUEST="true")
    skus = client.get(reverse("orders:phone_sku_search", args=[draft.pk]), {"sku": v1.sku}, HTTP_HX_REQUEST="true")
    assert v1.sku in skus.content.decode()
    assert '<bdi dir="ltr">DC1</bdi>: 10' in skus.content.decode()  # availability per location, its code one piece
    client.post(reverse("orders:phone_add_line", args=[draft.pk]), {"variant_id": v1.pk, "quantity": 2},
                HTTP_HX_REQUEST="true")
    client.post(reverse("orders:phone_add_line", args=[draft.pk]), {"variant_id": v2.pk, "quantity": 1},
                HTTP_HX_REQUEST="true")
    screen = client.post(reverse("orders:phone_update_header", args=[draft.pk]),
                         {"shipping_service": world["service"], "payment_method": "invoice", "notes": "call back"},
                         HTTP_HX_REQUEST="true")
    assert screen.status_code == 200
    draft.refresh_from_db()
    assert draft.subtotal == Decimal("250.00")
    assert draft.shipping_total == Decimal("15.00")
    assert draft.notes == "call back"
    placed = client.post(reverse("orders:phone_place", args=[draft.pk]),
                         {"idempotency_key": "form-1", "payment_method": "invoice"}, HTTP_HX_REQUEST="true")
    assert placed.status_code == 204
    order = Order.objects.get(pk=draft.pk)
    assert placed["HX-Redirect"] == reverse("orders:order_detail", args=[order.pk])
    assert order.status == S.CONFIRMED
    again = client.post(reverse("orders:phone_place", args=[draft.pk]),
                        {"idempotency_key": "form-1", "payment_method": "invoice"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 204
    assert Order.objects.exclude(status=S.DRAFT).count() == 1
    detail = client.get(reverse("orders:order_detail", args=[order.pk]))
    assert order.number in detail.content.decode()


def test_phone_screen_query_count_does_not_grow_with_lines(role_client, make_draft, world,
                                                           django_assert_num_queries):
    client = role_client("agent")
    one = make_draft(client.user, [(world["variants"][0], 1)])
    three = make_draft(client.user, [(v, 1) for v in world["variants"]])
    url_one = reverse("orders:phone_order", args=[one.pk])
    url_three = reverse("orders:phone_order", args=[three.pk])
    client.get(url_one)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(url_one)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url_three)


def test_phone_place_shows_shortage_and_alternatives(role_client, make_draft, world):
    client = role_client("agent")
    draft = make_draft(client.user, [(world["variants"][0], 13)])  # 10 at the DC + 2 at the store: 1 short
    response = client.post(reverse("orders:phone_place", args=[draft.pk]),
                           {"idempotency_key": "k", "payment_method": "invoice"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert world["variants"][0].sku in body
    assert "2 available at Store Centro" not in body  # 2 < 13
    assert "Backorder" in body
    assert Order.objects.get(pk=draft.pk).status == S.DRAFT


def test_phone_inline_customer_create_and_duplicate(role_client, world):
    client = role_client("agent")
    draft = client.post(reverse("orders:phone_start"))
    pk = Order.objects.get(status=S.DRAFT).pk
    data = {"new-name": "Joana Dias", "new-phone": "(11) 91234-5678", "new-email": "joana@example.com",
            "new-tax_id": "529.982.247-25", "new-postal_code": "01310100", "new-street": "Rua Augusta",
            "new-number": "10", "new-district": "Consolação", "new-city": "São Paulo", "new-state": "sp",
            "new-language": "ar"}
    client.post(reverse("orders:phone_create_customer", args=[pk]), data, HTTP_HX_REQUEST="true")
    customer = Customer.objects.get(email="joana@example.com")
    assert (customer.tax_id, customer.language) == ("52998224725", "ar")
    assert customer.phone == "11912345678"
    assert customer.addresses.get().postal_code == "01310-100"
    assert Order.objects.get(pk=pk).customer == customer
    again = client.post(reverse("orders:phone_create_customer", args=[pk]), data, HTTP_HX_REQUEST="true")
    assert "already exists" in again.content.decode()
    assert Customer.objects.filter(email="joana@example.com").count() == 1
    bad = client.post(reverse("orders:phone_create_customer", args=[pk]),
                      {**data, "new-email": "x@example.com", "new-phone": "", "new-tax_id": "111.111.111-11"},
                      HTTP_HX_REQUEST="true")
    assert "Invalid CPF" in bad.content.decode()
    assert draft.status_code == 302


def test_order_list_filters_and_constant_queries(role_client, place, world, django_assert_num_queries):
    client = role_client("manager")
    for _i in range(3):
        place(client.user)
    url = reverse("orders:order_list")
    response = client.get(url, {"status": "confirmed", "channel": "phone"})
    assert response.content.decode().count("PH-0000") == 3
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _i in range(3):
        place(client.user)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)
    assert "PH-0000" not in client.get(url, {"status": "cancelled"}).content.decode()
    for odd in ("²", "1²", "99999999999999999999999"):  # digits str.isdigit accepts, ids no column holds
        assert client.get(url, {"customer": odd}).status_code == 200


def test_customer_360_logs_access(role_client, place, world):
    client = role_client("agent")
    order = place(client.user)
    response = client.get(reverse("orders:customer_detail", args=[world["customer"].pk]))
    assert response.status_code == 200
    assert order.number in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCESS, object_type="orders.customer")
    assert (entry.actor, entry.object_id, entry.verb) == (client.user, str(world["customer"].pk), "customer_360")


def test_customer_360_shows_phones_and_tax_ids_as_people_write_them_in_any_direction(role_client, world):
    """Stored as digits; shown "+55 11 98765-4321" and "12.345.678/0001-95", each kept left to right (in Arabic,
    the groups of a bare number would show in reverse order)."""
    from orders.validators import format_phone

    customer = world["customer"]
    Customer.objects.filter(pk=customer.pk).update(phone="+5511987654321", phone_alt="1138839073",
                                                   tax_country="BR", tax_id="12345678000195")
    client = role_client("agent")
    client.cookies["django_language"] = "ar"
    html = client.get(reverse("orders:customer_detail", args=[customer.pk])).content.decode()
    assert '<bdi dir="ltr">+55 11 98765-4321</bdi> · <bdi dir="ltr">(11) 3883-9073</bdi>' in html
    assert '<bdi dir="ltr">12.345.678/0001-95</bdi> (BR)' in html
    assert format_phone("+12025550123") == "+12025550123"  # another country's number: as stored
    assert format_phone("+551138839073") == "+55 11 3883-9073"


def test_tracking_page_is_public_and_shows_no_customer_data(client, place, make_user, world):
    order = place(make_user("agent"))
    response = client.get(reverse("orders:tracking", args=[order.tracking_token]))
    body = response.content.decode()
    assert response.status_code == 200
    assert order.number in body
    customer = world["customer"]
    for secret in (customer.name, customer.email, customer.phone, "Paulista"):
        assert secret not in body
    assert client.get(reverse("orders:tracking", args=["guess"])).status_code == 404


def test_manager_approves_from_queue(role_client, make_user, make_draft, settings):
    settings.ORDERS_HOLD_ABOVE = 50
    from orders.services import PaymentRequest, order_place

    agent = make_user("agent")
    draft = make_draft(agent)
    order = order_place(order_id=draft.pk, idempotency_key="x", acting_user=agent, payment=PaymentRequest("invoice"))
    client = role_client("manager")
    queue = client.get(reverse("orders:approval_list"))
    assert order.number in queue.content.decode()
    # Enter in the reason box submits nothing: the form's first (default) button is a disabled one.
    form = queue.content.decode().split('name="reason"', 1)[1]
    assert form.index('type="submit" disabled hidden') < form.index('value="approve"')
    # Rejecting cancels the order: the button asks first, as a return's rejection does (it cancelled at once).
    assert f'value="reject" class="danger" data-confirm="Reject order {order.number} and cancel it?"' in form
    hold = OrderHold.objects.get(order=order)
    too_long = client.post(reverse("orders:approval_decide", args=[hold.pk]),
                           {"decision": "reject", "reason": "x" * 10_000}, follow=True)
    assert "Reason: Ensure this value has at most 500 characters" in too_long.content.decode()
    elsewhere = client.post(reverse("orders:approval_decide", args=[hold.pk]),
                            {"decision": "approve", "reason": "VIP", "next": "https://evil.example/"})
    assert elsewhere.url == reverse("orders:approval_list")  # never sent off this site
    assert Order.objects.get(pk=order.pk).status == S.CONFIRMED
    assert order.number not in client.get(reverse("orders:approval_list")).content.decode()


def test_agent_cannot_open_approvals(role_client):
    assert role_client("agent").get(reverse("orders:approval_list")).status_code == 403


def test_agent_cancels_a_line_and_edits_through_pages(role_client, place, world):
    client = role_client("agent")
    v1, v2, v3 = world["variants"]
    order = place(client.user, [(v1, 1), (v2, 1)])
    line = order.lines.get(variant=v2)
    response = client.post(reverse("orders:order_cancel", args=[order.pk]), {"line": [line.pk], "reason": "no"})
    assert response.status_code == 302
    assert OrderLine.objects.get(pk=line.pk).status == OrderLine.Status.CANCELLED
    keep = order.lines.get(variant=v1)
    client.post(reverse("orders:order_edit", args=[order.pk]),
                {f"qty_{keep.pk}": "2", "add_sku": v3.sku, "add_qty": "1", "reason": "call"})
    order.refresh_from_db()
    assert order.subtotal == Decimal("220.00")
    bad = client.post(reverse("orders:order_edit", args=[order.pk]), {f"qty_{keep.pk}": "abc"})
    assert "whole number" in bad.content.decode()
    negative = client.post(reverse("orders:order_edit", args=[order.pk]), {f"qty_{keep.pk}": "-5"})
    assert "must be at least 0" in negative.content.decode()
    assert OrderLine.objects.get(pk=keep.pk).status != OrderLine.Status.CANCELLED  # not read as "remove it"
    assert client.get(reverse("orders:order_cancel", args=[order.pk]), {"line": ["²", str(keep.pk)]}).status_code == 200


@pytest.mark.parametrize("name", ["orders:order_invoice_pdf", "orders:order_packing_slip_pdf"])
def test_pdfs(role_client, place, name):
    client = role_client("agent")
    order = place(client.user)
    response = client.get(reverse(name, args=[order.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_global_search_finds_order_and_customer(role_client, place, world):
    from orders.search import search

    client = role_client("agent")
    order = place(client.user)
    found = search(query=order.number, user=client.user)
    assert [(r.label, r.exact) for r in found] == [(order.number, True)]
    by_phone = search(query=world["customer"].phone, user=client.user)
    assert by_phone[0].label == world["customer"].name
    assert by_phone[0].detail.startswith(world["customer"].phone_display + " · ")  # "+55 11 9..." as people write it
    warehouse = role_client("warehouse").user
    assert [r.kind for r in search(query=world["customer"].phone, user=warehouse)] == []


def test_an_order_number_is_found_as_people_shorten_it(role_client, place):
    """Agents read numbers out without the zeros ("order P H one"): only the whole "PH-000001" was found."""
    from orders.search import search

    client = role_client("agent")
    order = place(client.user)
    prefix, digits = order.number.split("-")
    short = str(int(digits))
    for typed in (f"{prefix.lower()}-{short}", f"{prefix} {digits}", f"{prefix}{short}", f" {order.number} "):
        assert [(r.label, r.exact) for r in search(query=typed, user=client.user)] == [(order.number, True)], typed
        listed = client.get(reverse("orders:order_list"), {"q": typed}).context["page"].object_list
        assert [o.pk for o in listed] == [order.pk], typed
    assert search(query=f"{prefix}-{int(short) + 1}", user=client.user) == []  # another number finds nothing


def test_top_bar_search_opens_the_order_or_lists_what_it_found(role_client, place, world):
    """The search box in the top bar, end to end: an exact order number opens the order, a phone number lists the
    customer (the page used to fail for any query: it called a finder on the module that gathers them)."""
    client = role_client("agent")
    order = place(client.user)
    response = client.get("/search/", {"q": order.number})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:order_detail", args=[order.pk])
    by_phone = client.get("/search/", {"q": world["customer"].phone})
    assert by_phone["Location"] == reverse("orders:customer_detail", args=[world["customer"].pk])
    name = world["customer"].name
    listed = client.get("/search/", {"q": name[:4]})
    assert listed.status_code == 200
    assert name in listed.content.decode()
    partial = client.get("/search/", {"q": world["customer"].phone}, HTTP_HX_REQUEST="true")  # as typed: no redirect
    assert name in partial.content.decode()
    assert client.get("/search/", {"q": "x" * 3000}).status_code == 200


def test_phone_hold_stock_shows_countdown_and_release(role_client, make_draft, world):
    from inventory.models import StockLevel

    client = role_client("agent")
    draft = make_draft(client.user, [(world["variants"][0], 3)])
    response = client.post(reverse("orders:phone_hold_stock", args=[draft.pk]), HTTP_HX_REQUEST="true")
    assert "data-countdown" in response.content.decode()
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 3
    client.post(reverse("orders:phone_hold_stock", args=[draft.pk]), {"release": "1"}, HTTP_HX_REQUEST="true")
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 0


def test_phone_line_update_and_bad_input(role_client, make_draft, world):
    client = role_client("agent")
    draft = make_draft(client.user)
    line = draft.lines.get()
    url = reverse("orders:phone_update_line", args=[draft.pk, line.pk])
    client.post(url, {"quantity": "4"}, HTTP_HX_REQUEST="true")
    assert OrderLine.objects.get(pk=line.pk).quantity == 4
    bad = client.post(url, {"quantity": "x"}, HTTP_HX_REQUEST="true")
    assert "whole number" in bad.content.decode()
    price = client.post(url, {"quantity": "4", "override_unit_price": "abc"}, HTTP_HX_REQUEST="true")
    assert "is not a price" in price.content.decode()
    no_reason = client.post(url, {"quantity": "4", "override_unit_price": "80"}, HTTP_HX_REQUEST="true")
    assert "reason" in no_reason.content.decode()
    assert OrderLine.objects.get(pk=line.pk).override_unit_price is None
    client.post(url, {"remove": "1"}, HTTP_HX_REQUEST="true")
    assert not OrderLine.objects.filter(pk=line.pk).exists()


def test_phone_discard_releases_and_cancels_draft(role_client, make_draft):
    client = role_client("agent")
    draft = make_draft(client.user)
    response = client.post(reverse("orders:phone_discard", args=[draft.pk]), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("orders:phone_start")
    assert Order.objects.get(pk=draft.pk).status == S.CANCELLED
    # Placing it from a tab still open on it: the order's page, with the reason it was not placed.
    late = client.post(reverse("orders:phone_place", args=[draft.pk]), {"idempotency_key": "late"}, follow=True)
    assert late.redirect_chain[-1][0] == reverse("orders:order_detail", args=[draft.pk])
    assert f"Draft {draft.pk} was discarded: it cannot be placed." in [str(m) for m in late.context["messages"]]


def test_phone_place_with_backorder_checkbox(role_client, make_draft, world):
    client = role_client("agent")
    draft = make_draft(client.user, [(world["variants"][0], 13)])
    url = reverse("orders:phone_place", args=[draft.pk])
    refused = client.post(url, {"idempotency_key": "a"}, HTTP_HX_REQUEST="true")
    assert 'name="accept_backorder"' in refused.content.decode()
    placed = client.post(url, {"idempotency_key": "b", "accept_backorder": "1"}, HTTP_HX_REQUEST="true")
    assert placed.status_code == 204
    assert Order.objects.get(pk=draft.pk).status == S.BACKORDERED


def test_phone_place_needs_a_shipping_option_when_options_are_offered(role_client, make_draft, world):
    client = role_client("agent")
    draft = make_draft(client.user, shipping_service="")
    assert Order.objects.get(pk=draft.pk).shipping_options  # the screen offers options; none is chosen
    url = reverse("orders:phone_place", args=[draft.pk])
    refused = client.post(url, {"idempotency_key": "a"}, HTTP_HX_REQUEST="true")
    assert "To place the order: choose a shipping option." in refused.content.decode()
    assert Order.objects.get(pk=draft.pk).status == S.DRAFT
    placed = client.post(url, {"idempotency_key": "b", "shipping_service": world["service"]}, HTTP_HX_REQUEST="true")
    assert placed.status_code == 204 and Order.objects.get(pk=draft.pk).status == S.CONFIRMED


def test_order_detail_and_customer_360_queries_do_not_grow(role_client, place, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = role_client("manager")
    small = place(client.user, [(world["variants"][0], 1)])
    big = place(client.user, [(v, 1) for v in world["variants"]])
    client.get(reverse("orders:order_detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("orders:order_detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("orders:order_detail", args=[big.pk]))
    assert len(three.captured_queries) == len(one.captured_queries)
    url = reverse("orders:customer_detail", args=[world["customer"].pk])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _i in range(3):
        place(client.user)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_phone_pickup_store_choice_is_saved_and_cleared_when_shipping_again(role_client, make_draft, world):
    client = role_client("agent")
    draft = make_draft(client.user)
    store = world["store"]
    url = reverse("orders:phone_update_header", args=[draft.pk])
    address_id = world["customer"].addresses.get().pk
    # The header form posts all its fields on every change, as the screen does.
    assert client.post(url, {"delivery_method": "pickup", "address_id": address_id, "payment_method": "invoice"},
                       HTTP_HX_REQUEST="true").status_code == 200
    screen = client.post(url, {"delivery_method": "pickup", "pickup_location": store.pk, "payment_method": "invoice"},
                         HTTP_HX_REQUEST="true")
    assert screen.status_code == 200
    order = Order.objects.get(pk=draft.pk)
    assert (order.delivery_method, order.pickup_location_id) == ("pickup", store.pk)
    assert f'<option value="{store.pk}" selected>' in screen.content.decode()
    assert Order.objects.get(pk=draft.pk).pickup_location_id == store.pk  # still there on the next read

    client.post(url, {"delivery_method": "ship", "pickup_location": store.pk, "payment_method": "invoice"},
                HTTP_HX_REQUEST="true")
    order = Order.objects.get(pk=draft.pk)
    assert (order.delivery_method, order.pickup_location_id) == ("ship", None)


def _working_days_after(start, days):
    """``days`` working days (Mon-Fri) after ``start``, starting from the next working day when it is a weekend."""
    from datetime import timedelta

    current = start
    while current.weekday() >= 5:
        current += timedelta(days=1)
    while days:
        current += timedelta(days=1)
        days -= current.weekday() < 5
    return current


def test_phone_screen_promises_each_shipping_option_from_the_network(role_client, make_draft, world):
    from datetime import time, timedelta

    from django.utils import timezone
    from django.utils.dateformat import format as date_format

    from inventory.models import Location

    # Every location hands over parcels 2 working days after release and today's cut-off (midnight) has passed.
    Location.objects.filter(pk__in=[world["dc"].pk, world["store"].pk]).update(handling_days=2, cutoff_time=time(0, 0))
    client = role_client("agent")
    draft = make_draft(client.user)
    [option] = draft.shipping_options
    assert (option["code"], option["transit_days"]) == (world["service"], 3)
    today = timezone.localdate()
    expected = _working_days_after(_working_days_after(today + timedelta(days=1), 2), 3)

    screen = client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()

    assert f"arrives {date_format(expected, 'D d/m')}" in screen
    one_handling_day = today + timedelta(days=1 + 3)
    assert expected > one_handling_day
    assert f"arrives {date_format(one_handling_day, 'D d/m')}" not in screen


def test_order_page_names_the_payment_method_and_shows_the_whole_address(role_client, place, world):
    client = role_client("agent")
    order = place(client.user)
    page = client.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    assert "<dd>Invoice on terms</dd>" in page  # the method's label, not its code "invoice"
    assert f" · {order.shipping_options[0]['name']}</dd>" in page  # the shipping option's name, not its code
    address = order.shipping_address
    assert f"<bdi>{order.shipping_address_line}</bdi>" in page
    assert address["street"] in order.shipping_address_line and address["postal_code"] in order.shipping_address_line


def test_a_note_longer_than_it_can_be_kept_is_refused_not_cut(role_client, place, world):
    client = role_client("agent")
    order = place(client.user)
    url = reverse("orders:order_note", args=[order.pk])
    refused = client.post(url, {"text": "n" * 2001}, follow=True).content.decode()
    assert "The note has 2001 characters; at most 2000 fit." in refused
    client.post(url, {"text": "n" * 2000})
    assert order.events.filter(kind="note").latest("pk").reason == "n" * 2000


def test_order_list_each_filter_and_sort_gives_exactly_the_matching_orders(role_client, make_user, place, world):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import Order
    from tests.orders.factories import CustomerFactory

    client = role_client("manager")
    other_agent = make_user("agent", username="bruno")
    small = place(client.user, [(world["variants"][2], 1)])
    big = place(client.user, [(world["variants"][0], 2)])
    other = CustomerFactory(name="Zélia Prado")
    by_bruno = place(other_agent, [(world["variants"][1], 1)])
    Order.objects.filter(pk=by_bruno.pk).update(customer=other)
    Order.objects.filter(pk=small.pk).update(placed_at=timezone.now() - timedelta(days=10))
    url = reverse("orders:order_list")

    def numbers(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return [o.number for o in response.context["page"]]

    assert numbers() == [by_bruno.number, big.number, small.number]  # newest first
    assert numbers(q=big.number.lower()) == [big.number]
    assert numbers(agent="BRUNO") == [by_bruno.number]
    assert numbers(customer=str(other.pk)) == [by_bruno.number]
    assert numbers(customer="zélia") == [by_bruno.number]
    assert numbers(customer="zelia") == numbers(q="ZELIA PRADO") == [by_bruno.number]  # typed without the accent
    week_ago = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert numbers(since=week_ago) == [by_bruno.number, big.number]
    assert numbers(until=week_ago) == [small.number]
    assert numbers(sort="total") == [small.number, by_bruno.number, big.number]
    assert numbers(sort="-total") == [big.number, by_bruno.number, small.number]
    assert numbers(at_risk="1") == [small.number]  # open for more than 3 days
    assert len(numbers(at_risk="0")) == len(numbers()) > 1  # "0" is the box unticked, not "only at risk"


def test_customer_lookup_puts_the_exact_e_mail_first_even_past_the_limit(role_client, world):
    """The lookup said "exact contact matches first" but sorted by name only: with enough look-alike e-mails the
    customer whose e-mail was typed in full fell off the short list."""
    from orders.selectors import customer_search
    from tests.orders.factories import CustomerFactory

    for n in range(9):
        CustomerFactory(name=f"Bia {n}", email=f"{n}ana@example.com", phone=f"+551190000000{n}")
    exact = CustomerFactory(name="Zuleica", email="ana@example.com", phone="+5511987654321")
    found = customer_search(query="ANA@example.com", limit=8)
    assert (len(found), found[0]) == (8, exact)
    assert [c.name for c in found[1:]] == [f"Bia {n}" for n in range(7)]
    assert customer_search(query="(11) 98765-4321", limit=1) == [exact]
    html = role_client("agent").get(reverse("orders:customer_list"), {"q": "ana@example.com"}).content.decode()
    assert "Zuleica" in html


def test_cancelled_chosen_in_the_status_box_is_the_real_cancellation(role_client, place, world):
    """"Cancelled" in the manager's status box only set the status: the order's stock stayed reserved for ever,
    its lines stayed reserved and the payment was never voided or refunded."""
    from inventory.models import StockLevel
    from oms.models import OutboxMessage

    client = role_client("manager")
    v1 = world["variants"][0]
    order = place(client.user, [(v1, 3)])
    url = reverse("orders:order_transition", args=[order.pk])
    refused = client.post(url, {"to_status": "cancelled", "reason": ""}, follow=True).content.decode()
    assert "Give a reason for the cancellation." in refused
    assert Order.objects.get(pk=order.pk).status == S.CONFIRMED
    client.post(url, {"to_status": "cancelled", "reason": "Customer called"})
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.CANCELLED, "Customer called")
    assert StockLevel.objects.get(variant=v1, location=world["dc"]).reserved == 0
    assert list(order.lines.values_list("status", flat=True)) == [OrderLine.Status.CANCELLED]
    assert OutboxMessage.objects.filter(topic="orders.payment_adjust", payload__order_id=order.pk).count() == 1


def test_an_order_on_hold_leaves_it_by_the_decision_on_its_holds_not_by_the_status_box(role_client, make_user,
                                                                                       make_draft, settings):
    """The status box offered "Confirmed" for an order waiting for approval: the order went to the warehouse with
    its hold still open (no decision, no reason, nobody named), and it stayed in no queue."""
    from orders.services import PaymentRequest, order_place

    settings.ORDERS_HOLD_ABOVE = 50
    agent = make_user("agent")
    order = order_place(order_id=make_draft(agent).pk, idempotency_key="h", acting_user=agent,
                        payment=PaymentRequest("invoice"))
    client = role_client("manager")
    page = client.get(reverse("orders:order_detail", args=[order.pk]))
    assert page.context["targets"] == [S.CANCELLED]
    refused = client.post(reverse("orders:order_transition", args=[order.pk]),
                          {"to_status": "confirmed", "reason": "looks fine"}, follow=True).content.decode()
    assert f"Order {order.number} waits for a decision on its holds: approve or reject them first." in refused
    assert Order.objects.get(pk=order.pk).status == S.ON_HOLD
    hold = OrderHold.objects.get(order=order)
    assert hold.status == OrderHold.Status.OPEN
    client.post(reverse("orders:approval_decide", args=[hold.pk]), {"decision": "approve", "reason": "VIP"})
    assert Order.objects.get(pk=order.pk).status == S.CONFIRMED


def test_tracking_page_marks_the_step_the_order_is_at_and_lists_only_live_parcels(client, place, make_user, world):
    """The customer's tracking page marked a step only when the order's status was one of the four steps' own, so an
    order allocated, partially shipped or completed showed no step at all; and it listed every shipment, also the
    one cancelled when the order was changed during fulfilment."""
    import re

    from orders.fulfilment.services import order_allocate
    from orders.services import order_edit
    from tests.orders.test_services import force_status

    agent = make_user("manager")
    order = place(agent, [(world["variants"][0], 1)])
    url = reverse("orders:tracking", args=[order.tracking_token])

    def current_step():
        found = re.findall(r'<li aria-current="step" class="current">([^<]+)</li>', client.get(url).content.decode())
        return found[0] if found else None

    order_allocate(order_id=order.pk, acting_user=agent)
    order_edit(order_id=order.pk, acting_user=agent, quantities={order.lines.get().pk: 2}, reason="one more")
    order_allocate(order_id=order.pk, acting_user=agent)
    assert current_step() == "Confirmed"
    response = client.get(url)
    assert [s.status for s in response.context["shipments"]] == ["pending"]
    assert "Cancelled" not in response.content.decode()
    force_status(order, S.SHIPPED, S.DELIVERED, S.COMPLETED)
    assert current_step() == "Delivered"
    cancelled = place(agent, [(world["variants"][1], 1)])
    from orders.services import order_cancel

    order_cancel(order_id=cancelled.pk, reason="changed mind", acting_user=agent)
    assert client.get(reverse("orders:tracking", args=[cancelled.tracking_token])).context["current"] is None


def test_the_edit_page_changes_the_shipping_address(role_client, place, world):
    """"Change the shipping address" on the order's edit page never worked: the page leaves out the address's use
    (it is not kept on the customer) but the form required it, so every change came back with "kind: This field is
    required."."""
    client = role_client("agent")
    order = place(client.user, [(world["variants"][0], 1)])
    response = client.post(reverse("orders:order_edit", args=[order.pk]), {
        "addr-postal_code": "04538-132", "addr-street": "Avenida Faria Lima", "addr-number": "3500",
        "addr-city": "São Paulo", "addr-state": "SP", "addr-country": "BR", "change_address": "1",
        "reason": "delivers to the office"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.shipping_address["street"], order.shipping_address["number"]) == ("Avenida Faria Lima", "3500")
    assert "kind" not in order.shipping_address and "is_default" not in order.shipping_address
    assert order.total == Decimal("133.00")
    assert order.events.get(kind="edit").data["after"]["address"]["street"] == "Avenida Faria Lima"


def test_an_edit_to_an_address_the_shipping_does_not_reach_is_refused_not_shipped_free(role_client, place, world):
    """Changing a placed order's address to a region its shipping service does not serve priced the order again
    with no shipping at all: the order became free to ship and the payment was adjusted down, without a word."""
    from inventory.models import StockLevel

    client = role_client("agent")
    order = place(client.user, [(world["variants"][0], 1)])
    assert order.shipping_total == Decimal("15.00")
    refused = client.post(reverse("orders:order_edit", args=[order.pk]), {
        "addr-postal_code": "69005-010", "addr-street": "Rua Barroso", "addr-number": "10", "addr-city": "Manaus",
        "addr-state": "AM", "addr-country": "BR", "change_address": "1", "reason": "moved"})
    assert refused.status_code == 200
    assert "does not deliver to the new address (AM)" in refused.content.decode()
    order.refresh_from_db()
    assert (order.shipping_address["state"], order.shipping_total, order.total) == (
        "SP", Decimal("15.00"), Decimal("133.00"))
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 1
    assert not order.events.filter(kind="edit").exists()


def test_an_edit_making_the_parcel_heavier_than_the_rates_carry_is_refused_not_shipped_free(role_client, place,
                                                                                              world):
    """More units than the service's heaviest rate carries priced the order again with no shipping: it became free to
    ship and the payment was adjusted down without a word (as a new address out of the service's reach did)."""
    from inventory.models import StockLevel, Variant

    client = role_client("agent")
    variant = world["variants"][0]
    Variant.objects.filter(pk=variant.pk).update(weight_grams=2000)  # the rate carries up to 5 kg
    order = place(client.user, [(variant, 1)])
    assert order.shipping_total == Decimal("15.00")
    line = order.lines.get()
    refused = client.post(reverse("orders:order_edit", args=[order.pk]), {f"qty_{line.pk}": "3", "reason": "more"})
    assert refused.status_code == 200
    assert "has no rate for the order as changed" in refused.content.decode()
    order.refresh_from_db()
    assert (order.lines.get().quantity, order.shipping_total, order.total) == (1, Decimal("15.00"), Decimal("133.00"))
    assert StockLevel.objects.get(variant=variant, location=world["dc"]).reserved == 1
    client.post(reverse("orders:order_edit", args=[order.pk]), {f"qty_{line.pk}": "2", "reason": "one more"})
    assert Order.objects.get(pk=order.pk).lines.get().quantity == 2  # 4 kg still ships


def test_the_status_box_does_not_confirm_an_order_still_waiting_for_stock(role_client, make_draft, world):
    """A backordered order set to "Confirmed" by hand kept its backordered line: the warehouse job skips orders
    with backordered lines and the backorder job reads backordered orders only, so it waited for ever."""
    from orders.services import PaymentRequest, order_place

    client = role_client("manager")
    order = order_place(order_id=make_draft(client.user, [(world["variants"][0], 13)]).pk, idempotency_key="w",
                        acting_user=client.user, payment=PaymentRequest("invoice"), accept_backorder=True)
    assert order.status == S.BACKORDERED
    assert client.get(reverse("orders:order_detail", args=[order.pk])).context["targets"] == [
        S.CANCELLED, S.ON_HOLD]
    refused = client.post(reverse("orders:order_transition", args=[order.pk]), {"to_status": "confirmed"},
                          follow=True).content.decode()
    assert f"Order {order.number} has backordered lines: it is confirmed when their stock arrives." in refused
    assert Order.objects.get(pk=order.pk).status == S.BACKORDERED
    client.post(reverse("orders:order_transition", args=[order.pk]), {"to_status": "on_hold", "reason": "check"})
    assert client.get(reverse("orders:order_detail", args=[order.pk])).context["targets"] == [
        S.BACKORDERED, S.CANCELLED]



def test_a_gift_card_added_on_the_edit_page_takes_its_value_and_recipient_as_on_the_phone_screen(role_client, place,
                                                                                                 world):
    """A gift card added on a placed order's edit page became a line at the SKU's base price with no recipient,
    where the phone screen asks for both. The page asks for them now and the phone screen's rule checks them."""
    from tests.inventory.factories import VariantFactory

    client = role_client("agent")
    VariantFactory(is_gift_card=True, sku="GIFT-50", base_price=Decimal("50.00"))
    order = place(client.user, [(world["variants"][0], 1)])
    url = reverse("orders:order_edit", args=[order.pk])
    total = order.total

    page = client.get(url).content.decode()
    assert '<details class="giftcard-line" id="new-gift-card">' in page  # closed: most edits add no gift card
    assert 'name="p_recipient_email"' in page
    missing = client.post(url, {"add_sku": "GIFT-50", "add_qty": "1", "reason": "a present"})
    assert "GIFT-50 is a gift card: give its value" in missing.content.decode()
    assert '<details class="giftcard-line" id="new-gift-card" open>' in missing.content.decode()
    assert 'value="GIFT-50"' in missing.content.decode()  # what the agent typed stays on the page
    bad_email = client.post(url, {"add_sku": "GIFT-50", "add_qty": "1", "p_amount": "80",
                                  "p_recipient_email": "not-an-email", "reason": "a present"})
    assert "is not a valid e-mail address for the gift card" in bad_email.content.decode()
    too_much = client.post(url, {"add_sku": "GIFT-50", "add_qty": "1", "p_amount": "999999", "reason": "a present"})
    assert "A gift card&#x27;s value must be between" in too_much.content.decode()
    order.refresh_from_db()
    assert (order.total, order.lines.count()) == (total, 1)  # nothing half-applied

    response = client.post(url, {"add_sku": "GIFT-50", "add_qty": "1", "p_amount": "80,00",
                                 "p_recipient_name": "Bia", "p_recipient_email": "bia@example.com",
                                 "p_message": "Parabéns!", "reason": "a present"})
    assert response.status_code == 302
    card = order.lines.get(sku="GIFT-50")
    assert (card.unit_price, card.override_unit_price) == (Decimal("80.00"), Decimal("80.00"))
    assert card.personalization == {"recipient_name": "Bia", "recipient_email": "bia@example.com",
                                    "message": "Parabéns!"}
    order.refresh_from_db()
    assert order.total == total + Decimal("80.00")


@pytest.mark.parametrize("params,message", [
    ({"status": "nonsense"}, "“nonsense” is not a choice for “status”: choose one from the list."),
    ({"status": "draft"}, "“draft” is not a choice for “status”: choose one from the list."),
    ({"channel": "z" * 300}, f"“{'z' * 39}…” is not a choice for “channel”: choose one from the list."),
    ({"promised": "yesterday"}, "“yesterday” is not a choice for “promised”: choose one from the list."),
])
def test_order_list_names_a_filter_value_its_lists_do_not_offer(role_client, place, world, params, message):
    """``?status=nonsense`` answered "No orders match." under a status box that said "All statuses": the page showed
    no filter and no orders."""
    client = role_client("manager")
    place(client.user)
    response = client.get(reverse("orders:order_list"), params)
    assert response.status_code == 400
    assert message in response.content.decode()
    htmx = client.get(reverse("orders:order_list"), params, HTTP_HX_REQUEST="true")
    assert (htmx.status_code, htmx.content.decode()) == (400, message)
    assert client.get(reverse("orders:order_list"), {"status": "confirmed", "channel": world["channel"].code,
                                                     "promised": "late"}).status_code == 200


def test_a_pick_up_order_charges_no_shipping_even_when_a_service_was_chosen_before(role_client, make_draft, world):
    """The customer first wanted Sedex, then chose to collect at the store: the pick-up order kept the R$ 15.00
    shipping (the screen still listed the services, one ticked, each "arriving" on the pick-up day), and was placed
    with it."""
    from orders.services import PaymentRequest, order_place

    client = role_client("agent")
    draft = make_draft(client.user)
    assert (draft.shipping_service, draft.shipping_total) == (world["service"], Decimal("15.00"))
    url = reverse("orders:phone_update_header", args=[draft.pk])
    screen = client.post(url, {"delivery_method": "pickup", "pickup_location": world["store"].pk,
                               "shipping_service": world["service"], "payment_method": "invoice"},
                         HTTP_HX_REQUEST="true")
    assert screen.status_code == 200
    assert 'name="shipping_service"' not in screen.content.decode()
    order = Order.objects.get(pk=draft.pk)
    assert (order.delivery_method, order.shipping_service, order.shipping_total) == ("pickup", "", Decimal("0"))
    assert order.total == order.subtotal - order.discount_total + order.tax_total
    placed = order_place(order_id=draft.pk, idempotency_key="pickup", acting_user=client.user,
                         payment=PaymentRequest(method="invoice"), shipping_chosen=True)
    assert (placed.shipping_service, placed.shipping_total) == ("", Decimal("0"))


def test_customer_lookup_finds_a_name_typed_without_its_accents_or_with_others(role_client, world):
    """On the phone the agent types "fatima conceicao": Fátima Conceição was "not found", and the agent created her a
    second time."""
    from orders.selectors import customer_search
    from tests.orders.factories import CustomerFactory

    fatima = CustomerFactory(name="Fátima Conceição", phone="+5511912345678")
    plain = CustomerFactory(name="Joao Pereira", phone="+5511912345679")
    assert customer_search(query="fatima conceicao") == [fatima]
    assert customer_search(query="CONCEICAO") == [fatima]
    assert customer_search(query="João") == [plain]  # stored without the accent the agent typed
    assert customer_search(query="Fátima") == [fatima]
    page = role_client("agent").get(reverse("orders:customer_list"), {"q": "fatima"}).content.decode()
    assert "Fátima Conceição" in page


def test_the_tracking_page_reads_in_the_customers_language_unless_the_visitor_chose_one(client, place, make_user,
                                                                                      world):
    """The tracking page, linked from the customer's e-mails, followed the browser's language: a customer who reads
    Portuguese got it in English on an English browser. It now reads in the customer's language, and the
    visitor can still switch: a language chosen with the switch wins."""
    world["customer"].language = "pt-br"
    world["customer"].save()
    order = place(make_user("agent"))
    url = reverse("orders:tracking", args=[order.tracking_token])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert '<html lang="pt-br" dir="ltr">' in body and f"Pedido {order.number}" in body
    assert page["Content-Language"] == "pt-br"
    # The switch is on the page (a visitor is not signed in: no top bar) and sends them back here.
    assert 'action="/i18n/setlang/"' in body and f'name="next" value="{url}"' in body
    assert 'value="pt-br" class="link" aria-current="true"' in body
    switched = client.post(reverse("set_language"), {"language": "ar", "next": url})
    assert switched.status_code == 302 and switched.url == url
    arabic = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ar" dir="rtl">' in arabic and f"الطلب {order.number}" in arabic
    # A customer reading English: the visitor's choice still wins; without one, English on a Portuguese browser.
    world["customer"].language = "en"
    world["customer"].save()
    assert '<html lang="ar"' in client.get(url).content.decode()
    client.cookies.clear()
    assert '<html lang="en"' in client.get(url, HTTP_ACCEPT_LANGUAGE="pt-br,pt;q=0.9").content.decode()
