"""Warehouse screens and returns through the browser's HTTP requests (Django test client)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from orders.fulfilment import services as ful
from orders.fulfilment.models import Return, Shipment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_warehouse_ships_from_the_screens_and_the_order_page_shows_why(make_user, role_client, net, place_order):
    order = place_order(make_user("agent"), [(net["shirt"], 1), (net["mug"], 1)])
    client = role_client("warehouse")
    response = client.get(reverse("orders:fulfilment_queue"))
    assert response.status_code == 200 and order.number in response.content.decode()
    released = client.post(reverse("orders:fulfilment_release", args=[order.pk]), follow=True).content.decode()
    assert "1 shipment released to the warehouse." in released  # it said "1 shipment(s)"
    shipment = Shipment.objects.get(order=order)
    # A code that is no order, tracking or shipment number says so (the list said "No shipments to work.").
    unknown = client.get(reverse("orders:fulfilment_queue"), {"find": "S99999"}).content.decode()
    assert "No order, tracking or shipment number is “S99999”: check the code, or scan it again." in unknown
    picks = client.get(reverse("orders:fulfilment_pick_list"), {"location": net["store"].pk}).content.decode()
    assert net["shirt"].sku in picks and net["mug"].sku in picks
    pdf = client.get(reverse("orders:fulfilment_pick_list"), {"location": net["store"].pk, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    scan = reverse("orders:fulfilment_scan", args=[shipment.pk])
    wrong = client.post(scan, {"code": "XYZ"}, HTTP_HX_REQUEST="true")
    assert "XYZ is not in shipment" in wrong.content.decode()
    for code in (net["shirt"].barcode, net["mug"].sku):
        client.post(scan, {"code": code}, HTTP_HX_REQUEST="true")
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED
    for cost, says in (("abc", "is not a number"), ("NaN", "is not a number"), ("Infinity", "is not a number"),
                       ("1e20", "is not a plain number"), ("100000000000000", "is too large")):
        bad = client.post(reverse("orders:fulfilment_step", args=[shipment.pk, "ship"]),
                          {"carrier": "Correios", "tracking_number": "BR1", "cost": cost}, follow=True)
        shipment.refresh_from_db()
        assert shipment.status == Shipment.Status.PACKED and says in bad.content.decode(), cost
    client.post(reverse("orders:fulfilment_step", args=[shipment.pk, "ship"]),
                {"carrier": "Correios", "service": "pac", "tracking_number": "BR1", "cost": "11.90"})
    shipment.refresh_from_db()
    assert (shipment.status, shipment.cost) == (Shipment.Status.SHIPPED, Decimal("11.90"))
    for kind in ("slip", "label"):
        assert client.get(reverse("orders:fulfilment_shipment_pdf", args=[shipment.pk, kind])).content[:4] == b"%PDF"
    nul = SimpleUploadedFile("c.csv", b"tracking_number,status,reason\nBR\x001,delivered,\n", "text/csv")
    refused = client.post(reverse("orders:fulfilment_carrier_upload"), {"file": nul})
    assert refused.status_code == 400 and "NUL characters" in refused.content.decode()
    upload = SimpleUploadedFile("c.csv", b"tracking_number,status,reason\nBR1,delivered,\n", "text/csv")
    delivered = client.post(reverse("orders:fulfilment_carrier_upload"), {"file": upload})
    assert delivered.status_code == 200 and "1 shipment updated." in delivered.content.decode()
    panel = role_client("agent").get(reverse("orders:fulfilment_order_panel", args=[order.pk])).content.decode()
    assert "Store Pinheiros: 0." in panel and "Request a return" in panel


def test_carrier_file_errors_are_listed_per_row(role_client):
    upload = SimpleUploadedFile("c.csv", b"tracking_number,status\nNOPE,lost\n", "text/csv")
    response = role_client("warehouse").post(reverse("orders:fulfilment_carrier_upload"), {"file": upload})
    assert response.status_code == 400
    assert "Row 2" in response.content.decode() and "Unknown tracking number" in response.content.decode()
    huge = SimpleUploadedFile("c.csv", b"tracking_number,status\n" + b"X" * 200_000 + b",delivered\n", "text/csv")
    response = role_client("warehouse").post(reverse("orders:fulfilment_carrier_upload"), {"file": huge})
    assert response.status_code == 400 and "not a readable CSV file" in response.content.decode()


def test_a_shipment_twice_in_a_carrier_file_is_refused_whole(make_user, role_client, net, place_order):
    admin = make_user("admin")
    order = place_order(admin, [(net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=admin)
    shipment = order.shipments.get()
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=admin)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="C", tracking_number="T9", acting_user=admin)
    for rows in (b"T9,delivered,\nT9,delivered,\n", b"T9,delivered,\nT9,failed,lost\n"):
        upload = SimpleUploadedFile("c.csv", b"tracking_number,status,reason\n" + rows, "text/csv")
        response = role_client("warehouse").post(reverse("orders:fulfilment_carrier_upload"), {"file": upload})
        assert response.status_code == 400 and "T9 is already on row 2" in response.content.decode()
        shipment.refresh_from_db()
        assert shipment.status == Shipment.Status.SHIPPED


def test_a_carrier_file_meeting_a_shipment_changed_meanwhile_applies_nothing(make_user, net, place_order,
                                                                              monkeypatch):
    from orders.fulfilment.errors import CarrierFileError

    admin = make_user("admin")
    shipments = []
    for tracking in ("T1", "T2"):
        order = place_order(admin, [(net["mug"], 1)])
        ful.order_allocate(order_id=order.pk, acting_user=admin)
        shipment = order.shipments.get()
        ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=admin)
        ful.shipment_ship(shipment_id=shipment.pk, carrier="C", tracking_number=tracking, acting_user=admin)
        shipments.append(shipment)
    checked = ful.Shipment.objects.filter

    def delivered_by_someone_else_after_the_check(*args, **kwargs):  # the race: between reading and applying
        if not kwargs.get("tracking_number__in"):
            return checked(*args, **kwargs)
        found = list(checked(*args, **kwargs))  # read as shipped...
        checked(pk=shipments[1].pk).update(status=Shipment.Status.DELIVERED)  # ...then delivered by someone else
        return found

    monkeypatch.setattr(ful.Shipment.objects, "filter", delivered_by_someone_else_after_the_check)
    with pytest.raises(CarrierFileError) as refused:
        ful.carrier_update_csv(content="tracking_number,status,reason\nT1,delivered,\nT2,delivered,\n",
                               acting_user=admin)
    monkeypatch.undo()
    assert refused.value.rows[0][0] == 3
    shipments[0].refresh_from_db()
    assert shipments[0].status == Shipment.Status.SHIPPED  # nothing applied


def test_return_from_the_order_page_to_refund(make_user, role_client, net, shipped_order):
    from django.db import connection

    with connection.cursor() as cursor:  # ids above 999 print as "1,000" unless the template says otherwise
        cursor.execute("SELECT setval(pg_get_serial_sequence('orders_orderline', 'id'), 12344)")
        cursor.execute("SELECT setval(pg_get_serial_sequence('orders_returnline', 'id'), 12344)")
    admin = make_user("admin")
    order = shipped_order(admin, [(net["mug"], 2)])
    line = order.lines.get()
    agent = role_client("agent")
    form = agent.get(reverse("orders:fulfilment_return_new", args=[order.pk])).content.decode()
    assert f'name="qty_{line.pk}"' in form and line.pk >= 12345
    too_many = agent.post(reverse("orders:fulfilment_return_new", args=[order.pk]),
                          {f"qty_{line.pk}": "3", f"reason_{line.pk}": "size"})
    assert too_many.status_code == 400 and not Return.objects.exists()
    negative = agent.post(reverse("orders:fulfilment_return_new", args=[order.pk]),
                          {f"qty_{line.pk}": "-1", f"reason_{line.pk}": "size"})
    assert "cannot be negative" in negative.content.decode() and not Return.objects.exists()
    agent.post(reverse("orders:fulfilment_return_new", args=[order.pk]),
               {f"qty_{line.pk}": "1", f"reason_{line.pk}": "size"})
    rma = Return.objects.get()
    role_client("manager").post(reverse("orders:fulfilment_return_approve", args=[rma.pk]), {"decision": "approve"})
    warehouse = role_client("warehouse")
    warehouse.post(reverse("orders:fulfilment_return_receive", args=[rma.pk]), {"location": net["dc"].pk})
    page = warehouse.get(reverse("orders:fulfilment_return", args=[rma.pk])).content.decode()
    assert 'required autofocus><option value="">Choose…</option>' in page  # no condition chosen for the inspector
    unchosen = warehouse.post(reverse("orders:fulfilment_return_inspect", args=[rma.pk]),
                              {f"condition_{rma.lines.get().pk}": ""}, follow=True)
    assert "Give the condition of every item." in unchosen.content.decode()
    warehouse.post(reverse("orders:fulfilment_return_inspect", args=[rma.pk]),
                   {f"condition_{rma.lines.get().pk}": "resell"})
    role_client("manager").post(reverse("orders:fulfilment_return_refund", args=[rma.pk]), {"method": "original"})
    rma.refresh_from_db()
    assert (rma.status, rma.refund_amount) == (Return.Status.REFUNDED, Decimal("50.00"))


def test_a_return_quantity_that_is_not_a_whole_number_is_refused_by_name_and_the_form_kept(make_user, role_client,
                                                                                          net, shipped_order):
    """"1.5" or "two" for a line used to count as 0: that line was left out of the return without a word (or the
    only line gave "choose at least one item"). Now it is refused naming the SKU, nothing is opened, and the form
    comes back with what was typed."""
    admin = make_user("admin")
    order = shipped_order(admin, [(net["mug"], 2), (net["shirt"], 1)])
    mug, shirt = order.lines.get(variant=net["mug"]), order.lines.get(variant=net["shirt"])
    url = reverse("orders:fulfilment_return_new", args=[order.pk])
    agent = role_client("agent")
    for typed in ("1.5", "two", "99999999999999999999"):
        refused = agent.post(url, {f"qty_{mug.pk}": "1", f"reason_{mug.pk}": "size", f"qty_{shirt.pk}": typed,
                                   f"reason_{shirt.pk}": "damaged", "note": "box torn"})
        page = refused.content.decode()
        assert refused.status_code == 400 and not Return.objects.exists(), typed
        assert f"Quantity for {net['shirt'].sku}" in page, typed
        assert f'name="qty_{mug.pk}" type="number" min="0" max="2" value="1"' in page
        assert '<option value="damaged" selected>' in page and ">box torn</textarea>" in page
    # The reason has no default (the first one, "size", was recorded when nobody chose): it is asked, by SKU.
    form = agent.get(url).content.decode()
    assert f'name="reason_{mug.pk}"><option value="">Choose…</option>' in form
    unexplained = agent.post(url, {f"qty_{mug.pk}": "1", f"reason_{mug.pk}": "", f"qty_{shirt.pk}": "0",
                                   f"reason_{shirt.pk}": ""})
    assert unexplained.status_code == 400 and not Return.objects.exists()
    assert f"Choose why {net['mug'].sku} is returned." in unexplained.content.decode()
    agent.post(url, {f"qty_{mug.pk}": " 1 ", f"reason_{mug.pk}": "size", f"qty_{shirt.pk}": "",
                     f"reason_{shirt.pk}": ""})
    assert [(rl.order_line_id, rl.quantity) for rl in Return.objects.get().lines.all()] == [(mug.pk, 1)]


def test_queue_query_count_does_not_grow_with_rows(make_user, role_client, net, place_order,
                                                   django_assert_max_num_queries):
    admin = make_user("admin")
    client = role_client("warehouse")
    for _n in range(2):
        ful.order_allocate(order_id=place_order(admin, [(net["mug"], 1)]).pk, acting_user=admin)
    client.get(reverse("orders:fulfilment_queue"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("orders:fulfilment_queue"))
    for _n in range(4):
        ful.order_allocate(order_id=place_order(admin, [(net["shirt"], 1)]).pk, acting_user=admin)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("orders:fulfilment_queue"))


def test_at_risk_and_simulation_pages(make_user, role_client, net, place_order):
    place_order(make_user("admin"), [(net["mug"], 1)])
    client = role_client("manager")
    assert client.get(reverse("orders:fulfilment_at_risk")).status_code == 200
    page = client.get(reverse("orders:fulfilment_simulation"), {"days": "7", "strategy": "lowest_cost", "run": "1"})
    assert page.status_code == 200 and "1 orders re-run" in page.content.decode()
    assert client.get(reverse("orders:fulfilment_simulation"), {"days": "400", "run": "1"}).status_code == 400


@pytest.mark.parametrize(("language", "heading", "reason"), [
    ("pt-br", "Remessas a trabalhar", "km mais perto que DC Cajamar"),
    ("ar", "الشحنات قيد العمل", "يصل"),
])
def test_screens_and_sourcing_reason_are_translated(make_user, role_client, net, place_order, language, heading,
                                                     reason):
    with translation.override(language):
        order = place_order(make_user("agent"), [(net["shirt"], 1)])
    client = role_client("warehouse")
    client.cookies["django_language"] = language
    assert heading in client.get(reverse("orders:fulfilment_queue")).content.decode()
    assert reason in order.sourcing_decisions.first().reason_text


def test_available_to_promise_page_shows_locations_and_a_date(role_client, net):
    page = role_client("agent").get(reverse("orders:fulfilment_atp"), {"q": net["mug"].sku, "quantity": "2"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "Available now: 23" in body and "DC Cajamar" in body and "2 can be promised for" in body


@pytest.mark.parametrize("role", ["manager", "agent", "warehouse"])
def test_whoever_may_open_a_return_finds_it_in_the_returns_list(role_client, role):
    """Managers approve returns; the list was the warehouse's alone, so they reached a return only through its order."""
    client = role_client(role)
    assert client.get(reverse("orders:fulfilment_return_list")).status_code == 200
    assert reverse("orders:fulfilment_return_list") in client.get("/").content.decode()


def test_a_scanned_order_or_shipment_number_opens_the_shipment(make_user, role_client, net, place_order):
    admin = make_user("admin")
    order = place_order(admin, [(net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=admin)
    shipment = order.shipments.get()
    client = role_client("warehouse")
    url = reverse("orders:fulfilment_queue")
    for code in (order.number, order.number.lower(), f"S{shipment.pk}", str(shipment.pk)):
        assert client.get(url, {"find": code})["Location"] == reverse("orders:fulfilment_shipment", args=[shipment.pk])
    nothing = client.get(url, {"find": "NO-SUCH-1"})
    assert nothing.status_code == 200 and order.number not in nothing.content.decode()
    assert client.get(url, {"find": "S²"}).status_code == 200


def test_pick_list_wave_filter_and_queue_waiting_list_by_priority(make_user, role_client, net, place_order):
    """The pick list adds up only the chosen wave's units; the queue lists urgent waiting orders first."""
    from orders.models import Order

    admin = make_user("admin")
    morning = place_order(admin, [(net["shirt"], 2)])
    evening = place_order(admin, [(net["shirt"], 1)])
    ful.order_allocate(order_id=morning.pk, acting_user=admin, wave="W-AM")
    ful.order_allocate(order_id=evening.pk, acting_user=admin, wave="W-PM")
    client = role_client("warehouse")
    url = reverse("orders:fulfilment_pick_list")
    both = client.get(url, {"location": net["store"].pk}).context["rows"]
    assert [(r["sku"], r["quantity"]) for r in both] == [(net["shirt"].sku, 3)]
    am = client.get(url, {"location": net["store"].pk, "wave": "W-AM"})
    assert [(r["sku"], r["quantity"], len(r["shipments"])) for r in am.context["rows"]] == [(net["shirt"].sku, 2, 1)]
    assert am.context["waves"] == ["W-AM", "W-PM"]
    assert client.get(url, {"location": net["store"].pk, "wave": "W-NONE"}).context["rows"] == []
    queue = client.get(reverse("orders:fulfilment_queue"), {"wave": "W-PM"})  # the queue filters by wave too
    assert [s.order_id for s in queue.context["page"]] == [evening.pk]
    assert '?location=&amp;wave=W-PM"' in queue.content.decode()  # its pick list link keeps the wave
    # Picking has begun: one shirt of the morning's two is packed. The list shows what is left, per shipment too,
    # and a line packed whole is no longer listed (it was a row of 0 to pick, its shipment still saying 2).
    morning_shipment = Shipment.objects.get(order=morning)
    ful.shipment_scan(shipment_id=morning_shipment.pk, code=net["shirt"].sku, acting_user=admin)
    am = client.get(url, {"location": net["store"].pk, "wave": "W-AM"}).context["rows"]
    assert [(r["quantity"], r["shipments"]) for r in am] == [(1, [f"{morning_shipment} (1)"])]
    ful.shipment_scan(shipment_id=morning_shipment.pk, code=net["shirt"].sku, acting_user=admin)
    assert client.get(url, {"location": net["store"].pk, "wave": "W-AM"}).context["rows"] == []

    standard = place_order(admin, [(net["mug"], 1)])
    urgent = place_order(admin, [(net["mug"], 1)], priority=Order.Priority.URGENT)
    waiting = list(client.get(reverse("orders:fulfilment_queue")).context["waiting"])
    assert waiting == [urgent, standard]


def test_the_customer_page_lists_their_returns_and_gift_cards(make_user, role_client, net, place_order):
    """The customer page's "Returns" listed only orders whose status had become returned, so a return waiting to
    be received (what the customer calls about) showed "No returns"; its "Gift cards" looked for a customer field
    gift cards do not have, so the section never appeared, not for cards sold on their orders nor for the store
    credit a return was refunded with."""
    from payments.models import GiftCard
    from tests.payments.factories import issue_card

    manager = make_user("admin")
    order = place_order(manager, [(net["shirt"], 1), (net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=manager)
    [shipment] = Shipment.objects.filter(order=order)
    for line in order.lines.all():
        ful.shipment_scan(shipment_id=shipment.pk, code=line.sku, acting_user=manager)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR1", acting_user=manager)
    shirt, mug = order.lines.get(variant=net["shirt"]), order.lines.get(variant=net["mug"])
    waiting = ful.return_request(order_id=order.pk, lines=[(shirt.pk, 1, "size")], acting_user=manager)
    refunded = ful.return_request(order_id=order.pk, lines=[(mug.pk, 1, "damaged")], acting_user=manager)
    ful.return_approve(return_id=refunded.pk, acting_user=manager)
    ful.return_receive(return_id=refunded.pk, location_id=net["dc"].pk, acting_user=manager)
    ful.return_inspect(return_id=refunded.pk, conditions={refunded.lines.get().pk: "damaged"}, acting_user=manager)
    ful.return_refund(return_id=refunded.pk, method="store_credit", acting_user=manager)
    credit = GiftCard.objects.get(reference=f"return:{refunded.pk}")
    sold, _code = issue_card("80.00", order_id=order.pk, source="sale", reference=f"order:{order.pk}:line:0")
    issue_card("30.00")  # somebody else's

    client = role_client("agent")
    response = client.get(reverse("orders:customer_detail", args=[net["customer"].pk]))
    assert [r.pk for r in response.context["returns"]] == [refunded.pk, waiting.pk]
    page = response.content.decode()
    assert reverse("orders:fulfilment_return", args=[waiting.pk]) in page and "Requested" in page
    assert sorted(g.pk for g in response.context["giftcards"]) == sorted([credit.pk, sold.pk])
    assert f"{credit} · Active · R$" in page and str(sold) in page


def test_the_order_panel_counts_a_return_of_one_unit_in_the_singular(make_user, role_client, net, shipped_order):
    """A return of one unit read "1 units" ("1 unidades", the plural in every language)."""
    admin = make_user("admin")
    order = shipped_order(admin, [(net["mug"], 3)])
    line = order.lines.get()
    ful.return_request(order_id=order.pk, lines=[(line.pk, 1, "size")], acting_user=admin)
    ful.return_request(order_id=order.pk, lines=[(line.pk, 2, "size")], acting_user=admin)
    client = role_client("agent")
    url = reverse("orders:fulfilment_order_panel", args=[order.pk])
    panel = client.get(url).content.decode()
    assert "· 1 unit<" in panel and "· 2 units<" in panel
    with translation.override("pt-br"):
        client.cookies["django_language"] = "pt-br"
        panel = client.get(url, HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "· 1 unidade<" in panel and "· 2 unidades<" in panel


def test_the_receiver_says_where_a_return_arrived_there_is_no_default_location(make_user, role_client, net,
                                                                                shipped_order):
    """The location list opened on the first location by code: Enter received the goods there (and restocked them
    there) wherever they had arrived. The receiver now chooses, as the inspector chooses each condition."""
    admin = make_user("admin")
    order = shipped_order(admin, [(net["mug"], 1)])
    rma = ful.return_request(order_id=order.pk, lines=[(order.lines.get().pk, 1, "size")], acting_user=admin)
    ful.return_approve(return_id=rma.pk, acting_user=admin)
    warehouse = role_client("warehouse")
    page = warehouse.get(reverse("orders:fulfilment_return", args=[rma.pk])).content.decode()
    assert '<select id="rma-location" name="location" required autofocus><option value="">Choose…</option>' in page
    unchosen = warehouse.post(reverse("orders:fulfilment_return_receive", args=[rma.pk]), {"location": ""},
                              follow=True)
    assert "Choose where the goods arrived." in unchosen.content.decode()
    rma.refresh_from_db()
    assert rma.status == Return.Status.APPROVED
    warehouse.post(reverse("orders:fulfilment_return_receive", args=[rma.pk]), {"location": net["store"].pk})
    rma.refresh_from_db()
    assert (rma.status, rma.location_id) == (Return.Status.RECEIVED, net["store"].pk)


def test_a_scan_on_a_shipment_of_a_cancelled_order_shows_why_nothing_was_packed(make_user, role_client, net,
                                                                                place_order):
    """The order was cancelled while its parcel was being packed: the packer's next scan is refused with "put the
    items back", and that refusal shows although the redrawn screen has no scan box any more."""
    from orders.services import order_cancel

    admin = make_user("admin")
    order = place_order(admin, [(net["mug"], 2)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=admin)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=admin)
    order_cancel(order_id=order.pk, reason="customer called", acting_user=admin)
    scanned = role_client("warehouse").post(reverse("orders:fulfilment_scan", args=[shipment.pk]),
                                            {"code": net["mug"].sku}, HTTP_HX_REQUEST="true").content.decode()
    assert f"Order {order.number} was cancelled: put the items back." in scanned
    assert 'id="scan-code"' not in scanned


def test_the_shipping_cost_box_shows_the_cost_as_the_reader_writes_it_and_ships_with_it_as_shown(
        make_user, role_client, net, place_order):
    """The cost box showed "15.00" on a Portuguese page, where every other amount reads "15,00"; the value shown is
    the value shipped when the packer keeps it."""
    import re

    admin = make_user("admin")
    order = place_order(admin, [(net["mug"], 1)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=admin)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=admin)
    Shipment.objects.filter(pk=shipment.pk).update(cost=Decimal("1234.5"))
    client = role_client("warehouse")
    with translation.override("ar"):
        client.cookies["django_language"] = "ar"
        page = client.get(reverse("orders:fulfilment_shipment", args=[shipment.pk])).content.decode()
        assert 'id="ship-cost" name="cost" inputmode="decimal" value="1234,50"' in page
    with translation.override("pt-br"):
        client.cookies["django_language"] = "pt-br"
        page = client.get(reverse("orders:fulfilment_shipment", args=[shipment.pk])).content.decode()
        shown = re.search(r'id="ship-cost" name="cost" inputmode="decimal" value="([^"]*)"', page).group(1)
        assert shown == "1234,50"
        client.post(reverse("orders:fulfilment_step", args=[shipment.pk, "ship"]),
                    {"carrier": "Correios", "tracking_number": "BR1", "cost": shown})
    shipment.refresh_from_db()
    assert (shipment.status, shipment.cost) == (Shipment.Status.SHIPPED, Decimal("1234.50"))


def test_the_packer_takes_one_unit_back_from_the_shipment_screen(make_user, role_client, net, place_order):
    """Each counted line has a "Remove one" button (named with its SKU) until the parcel ships; the redrawn screen
    shows the new count, the packing state and the scan box again."""
    admin = make_user("admin")
    order = place_order(admin, [(net["mug"], 1), (net["shirt"], 1)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=admin)
    client = role_client("warehouse")
    url = reverse("orders:fulfilment_shipment", args=[shipment.pk])
    unscan = reverse("orders:fulfilment_unscan", args=[shipment.pk])
    assert "Remove one" not in client.get(url).content.decode()  # nothing counted yet
    for code in (net["mug"].sku, net["shirt"].sku):
        ful.shipment_scan(shipment_id=shipment.pk, code=code, acting_user=admin)
    page = client.get(url).content.decode()
    assert page.count("Remove one") == 2
    mug_line = shipment.lines.get(order_line__variant=net["mug"])
    answer = client.post(unscan, {"line": mug_line.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert f"Took 1 × {net['mug'].sku} back (0 of 1 packed)." in answer
    assert 'id="scan-code"' in answer and 'id="ship-carrier"' not in answer
    assert answer.count("Remove one") == 1
    mug_line.refresh_from_db()
    assert mug_line.packed_quantity == 0
    again = client.post(unscan, {"line": mug_line.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert f"No unit of {net['mug'].sku} is packed in shipment {shipment}" in again
    assert client.post(unscan, {"line": "x"}).status_code == 302  # no such line: said on the page, nothing done
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=admin)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR5", acting_user=admin)
    assert "Remove one" not in client.get(url).content.decode()
    refused = client.post(unscan, {"line": mug_line.pk}, follow=True).content.decode()
    assert "its units can no longer be taken back" in refused
    mug_line.refresh_from_db()
    assert mug_line.packed_quantity == 1


def test_the_return_form_sent_twice_opens_one_return(make_user, role_client, net, shipped_order):
    """A double click on "Request return" for one mug of two opened two returns of one mug each (each within what
    was left to return); the page's copy of the form opens one, and the second copy lands on it."""
    import re

    admin = make_user("admin")
    order = shipped_order(admin, [(net["mug"], 2)])
    line = order.lines.get()
    agent = role_client("agent")
    url = reverse("orders:fulfilment_return_new", args=[order.pk])
    carried = re.search(r'name="once" value="(\w+)"', agent.get(url).content.decode())
    once = carried.group(1) if carried else "f" * 32
    sent = {f"qty_{line.pk}": "1", f"reason_{line.pk}": "size", "once": once}
    first, second = agent.post(url, sent), agent.post(url, sent)
    assert first.status_code == second.status_code == 302
    rma = Return.objects.get()
    assert rma.lines.get().quantity == 1
    assert ful.returnable_quantities(order) == {line.pk: 1}
    assert carried  # the page's copy of the form carries its token
    # A new copy of the page is a new request: the other mug can still be returned.
    again = re.search(r'name="once" value="(\w+)"', agent.get(url).content.decode()).group(1)
    assert again != once
    agent.post(url, {**sent, "once": again})
    assert Return.objects.count() == 2 and ful.returnable_quantities(order) == {}


def test_a_return_quantity_over_what_is_left_names_the_item(make_user, role_client, net, shipped_order):
    """With several items on the form, "At most 1 of that item can be returned" left the agent to guess which one."""
    admin = make_user("admin")
    order = shipped_order(admin, [(net["mug"], 2), (net["shirt"], 1)])
    mug, shirt = order.lines.get(variant=net["mug"]), order.lines.get(variant=net["shirt"])
    refused = role_client("agent").post(reverse("orders:fulfilment_return_new", args=[order.pk]), {
        f"qty_{mug.pk}": "1", f"reason_{mug.pk}": "size", f"qty_{shirt.pk}": "2", f"reason_{shirt.pk}": "size"})
    assert refused.status_code == 400 and not Return.objects.exists()
    assert f"At most 1 of {shirt.sku} can be returned." in refused.content.decode()
