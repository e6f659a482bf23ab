"""What an agent reads on an order's page and its documents after taking the order by phone."""

import re
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import PersonalizationField
from orders.documents import packing_slip_pdf
from orders.models import Order, OrderLine
from tests.pdf import pdf_text


def _engraved(world):
    """The first two SKUs take an engraving, labelled "Gravação" as the product's catalogue names it."""
    for variant in world["variants"][:2]:
        PersonalizationField.objects.create(product=variant.product, code="engraving", label="Gravação",
                                            max_length=30, position=1)
        PersonalizationField.objects.create(product=variant.product, code="font", label="Fonte", max_length=10,
                                            position=0)


def test_order_page_names_each_personalization_by_the_label_the_phone_screen_showed(role_client, place, world):
    _engraved(world)
    client = role_client("agent")
    order = place(client.user, [(world["variants"][0], 1)])
    OrderLine.objects.filter(order=order).update(personalization={"engraving": "Feliz aniversário", "font": "Serif"})
    page = client.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    # In the product's field order, by label; the code ("engraving") is what the page showed before.
    assert "<bdi>Fonte</bdi>: “<bdi>Serif</bdi>”" in page
    assert "<bdi>Gravação</bdi>: “<bdi>Feliz aniversário</bdi>”" in page
    assert page.index("Fonte") < page.index("Gravação")
    assert "engraving:" not in page


def test_a_personalized_order_page_reads_the_labels_in_a_constant_number_of_queries(role_client, place, world):
    _engraved(world)
    client = role_client("agent")
    small = place(client.user, [(world["variants"][0], 1)])
    big = place(client.user, [(world["variants"][0], 1), (world["variants"][1], 2)])
    OrderLine.objects.filter(order__in=[small, big]).update(personalization={"engraving": "A"})
    client.get(reverse("orders:order_detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("orders:order_detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as two:
        page = client.get(reverse("orders:order_detail", args=[big.pk])).content.decode()
    assert page.count("<bdi>Gravação</bdi>") == 2
    assert len(two.captured_queries) == len(one.captured_queries)


def test_packing_slip_names_the_personalization_by_its_label(role_client, place, world):
    _engraved(world)
    client = role_client("agent")
    order = place(client.user, [(world["variants"][0], 1)])
    OrderLine.objects.filter(order=order).update(personalization={"engraving": "Ana", "retired": "X"})
    slip = pdf_text(packing_slip_pdf(Order.objects.get(pk=order.pk)))
    assert "Gravação: Ana" in slip
    assert "retired: X" in slip  # a field the product no longer has: its code, rather than nothing
    assert "engraving" not in slip


def test_gift_card_details_on_the_order_page_read_as_the_phone_screen_names_them(role_client, place, world):
    client = role_client("agent")
    order = place(client.user, [(world["variants"][0], 1)])
    world["variants"][0].__class__.objects.filter(pk=world["variants"][0].pk).update(is_gift_card=True)
    OrderLine.objects.filter(order=order).update(personalization={"recipient_name": "Bia", "message": "Parabéns"})
    client.cookies["django_language"] = "pt-br"
    page = client.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    assert "<bdi>Destinatário</bdi>: “<bdi>Bia</bdi>”" in page
    assert "<bdi>Mensagem</bdi>: “<bdi>Parabéns</bdi>”" in page
    assert "recipient_name" not in page


def test_ship_to_gives_the_recipient_a_line_of_its_own_isolated_from_the_address(role_client, place, world):
    """On an Arabic page a Latin name and a Latin address run together right to left ("Avenida Paulista Ana Lima
    1000, ..."): each is isolated, and the address starts on its own line."""
    client = role_client("agent")
    order = place(client.user)
    Order.objects.filter(pk=order.pk).update(shipping_address={**order.shipping_address, "recipient": "Ana Lima"})
    client.cookies["django_language"] = "ar"
    page = client.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    line = Order.objects.get(pk=order.pk).shipping_address_line
    assert f'<bdi id="ship-to-recipient">Ana Lima</bdi><br><bdi>{line}</bdi>' in page


def test_timeline_puts_the_reason_right_after_its_event_isolated(role_client, place, world):
    """"Edit : more mugs" read with a space before the colon (a French one), and a Portuguese reason on an Arabic
    page took the colon to its other side."""
    client = role_client("agent")
    order = place(client.user, [(world["variants"][0], 1)])
    line = order.lines.get()
    client.post(reverse("orders:order_edit", args=[order.pk]), {f"qty_{line.pk}": "2", "reason": "mais canecas"})
    page = client.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    assert '<strong>Edit</strong>: <bdi class="reason">mais canecas</bdi>' in page
    assert "</strong>\n" not in page[page.index('class="timeline"'):]


def test_edit_page_refusals_name_the_field_and_the_value(role_client, place, world):
    client = role_client("agent")
    order = place(client.user, [(world["variants"][0], 1)])
    url = reverse("orders:order_edit", args=[order.pk])
    sku = world["variants"][1].sku
    page = client.post(url, {"add_sku": sku, "add_qty": "abc"}).content.decode()
    assert f"Quantity for {sku} “abc” is not a whole number." in page  # was "Quantity must be at least 1."
    page = client.post(url, {"add_sku": sku, "add_qty": "0"}).content.decode()
    assert f"Quantity for {sku} must be at least 1." in page
    page = client.post(url, {"change_address": "1", "addr-street": "Rua A", "addr-city": "São Paulo",
                             "addr-state": "SP", "addr-country": "BR"}).content.decode()
    assert "Check the address: CEP / postal code: This field is required." in page  # was "postal_code: ..."
    assert order.lines.count() == 1


def test_cancel_page_loads_the_styles_that_put_each_line_on_a_row_of_its_own(role_client, place, world):
    """Without orders.css the lines' checkboxes ran together in one paragraph ("☐ SKU-1 Mug × 1 · R$ 20 ☐ SKU-2 ..."),
    so which box cancels which line was a guess, and on an Arabic page the pieces changed places."""
    from django.contrib.staticfiles import finders

    client = role_client("agent")
    order = place(client.user, [(world["variants"][0], 1), (world["variants"][1], 1)])
    page = client.get(reverse("orders:order_cancel", args=[order.pk])).content.decode()
    assert page.count('<label class="block">') == 2
    assert 'href="/static/css/orders.css"' in page
    with open(finders.find("css/orders.css"), encoding="utf-8") as css:
        assert "label.block { display: block" in css.read()


def _css_classes(path: str) -> set:
    with open(path, encoding="utf-8") as file:
        css = re.sub(r"/\*.*?\*/", "", file.read(), flags=re.S)
    return {name for selector in re.findall(r"([^{}]+)\{", css) for name in re.findall(r"\.([a-zA-Z][\w-]*)", selector)}


def test_every_orders_page_using_an_orders_css_class_loads_orders_css():
    """The cancel page's lines ran together because it used ``label.block`` without loading orders.css: the same
    for every page of the app."""
    from django.contrib.staticfiles import finders

    only_here = _css_classes(finders.find("css/orders.css")) - _css_classes(finders.find("css/oms.css"))
    missing = {}
    for template in sorted((Path(__file__).parents[2] / "orders/templates/orders").glob("*.html")):
        text = template.read_text(encoding="utf-8")
        if 'extends "base.html"' not in text or "css/orders.css" in text:
            continue
        used = {name for attr in re.findall(r'class="([^"]*)"', text) for name in attr.split()} & only_here
        if used:
            missing[template.name] = sorted(used)
    assert missing == {}


def test_customer_page_shows_no_tax_country_beside_a_missing_tax_id(role_client, world):
    from orders.models import Customer

    customer = world["customer"]
    Customer.objects.filter(pk=customer.pk).update(tax_id="", tax_country="BR")
    response = role_client("agent").get(reverse("orders:customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    assert "— (BR)" not in response.content.decode()


def test_edit_refuses_to_add_an_item_whose_required_personalization_it_cannot_take(role_client, place, world):
    """The edit page has no personalization fields: a mug that must be engraved was added blank, though placing an
    order refuses exactly that."""
    variant = world["variants"][1]
    PersonalizationField.objects.create(product=variant.product, code="engraving", label="Gravação", required=True)
    client = role_client("agent")
    order = place(client.user, [(world["variants"][0], 1)])
    page = client.post(reverse("orders:order_edit", args=[order.pk]), {"add_sku": variant.sku, "add_qty": "1",
                                                                       "reason": "one more"}).content.decode()
    assert (f"This page takes no personalization, and the item needs it (fill in “Gravação” for {variant.sku}): "
            "sell it on a new phone order.") in page
    assert list(order.lines.values_list("variant_id", flat=True)) == [world["variants"][0].pk]


def _checked_lines(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'<input type="checkbox" name="line" value="(\d+)" checked>', page)}


def test_a_refused_partial_cancel_keeps_the_lines_ticked(role_client, place, world):
    """A reason of spaces only was refused and the page came back with no line ticked, which on this page means
    "the whole order": typing a reason and pressing Enter again cancelled every line instead of the one chosen."""
    client = role_client("manager")
    order = place(client.user, [(world["variants"][0], 1), (world["variants"][1], 1)])
    chosen = order.lines.get(variant=world["variants"][1])
    response = client.post(reverse("orders:order_cancel", args=[order.pk]), {"line": [chosen.pk], "reason": "   "})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This field is required." in page
    assert _checked_lines(page) == {chosen.pk}
    assert not order.lines.filter(status=OrderLine.Status.CANCELLED).exists()


def test_a_refused_edit_keeps_the_quantities_address_and_reason_typed(role_client, place, world):
    """The page came back with the saved quantities, the old address and no reason: the manager fixed the CEP,
    saved again, and the order kept its old quantities while the page said "updated"."""
    client = role_client("manager")
    order = place(client.user, [(world["variants"][0], 1)])
    line = order.lines.get()
    page = client.post(reverse("orders:order_edit", args=[order.pk]), {
        f"qty_{line.pk}": "3", "change_address": "1", "addr-street": "Rua Nova", "addr-number": "77",
        "addr-city": "Campinas", "addr-state": "SP", "addr-country": "BR", "addr-postal_code": "",
        "reason": "cliente ligou"}).content.decode()
    assert "Check the address: CEP / postal code: This field is required." in page
    assert f'name="qty_{line.pk}" value="3"' in page
    assert 'value="Rua Nova"' in page and 'value="Campinas"' in page
    assert '<input type="checkbox" name="change_address" value="1" checked>' in page
    assert 'name="reason" size="40" value="cliente ligou"' in page
    order.refresh_from_db()
    assert order.lines.get().quantity == 1
