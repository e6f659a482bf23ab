"""Bad input on the phone screen is refused by the forms in orders/forms.py: 422, a message, nothing changed."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.forms import MAX_LINE_QUANTITY, parse_id
from orders.models import Order, OrderLine


def post(client, name, *args, data):
    return client.post(reverse(f"orders:{name}", args=args), data, HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("value,expected", [
    ("12", 12), (" 7 ", 7), ("", None), ("0", None), ("-1", None), ("²", None), ("١", None), ("1.0", None),
    (str(2**63), None), (str(2**63 - 1), 2**63 - 1), (None, None),
])
def test_parse_id(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("customer_id", ["²", "999999", "abc", ""])
def test_set_customer_refuses_unknown_or_malformed_ids(role_client, make_draft, customer_id):
    client = role_client("agent")
    draft = make_draft(client.user)
    response = post(client, "phone_set_customer", draft.pk, data={"customer_id": customer_id})
    assert response.status_code == 422
    assert "Choose a customer from the list." in response.content.decode() or \
        "That customer does not exist" in response.content.decode()
    assert Order.objects.get(pk=draft.pk).customer_id == draft.customer_id


def test_phone_start_refuses_an_unknown_customer_and_creates_no_draft(role_client, world):
    client = role_client("agent")
    response = client.post(reverse("orders:phone_start"), {"customer": "999999"}, follow=True)
    assert "That customer does not exist" in response.content.decode()
    assert not Order.objects.filter(status=Order.Status.DRAFT).exists()
    client.post(reverse("orders:phone_start"), {"customer": str(world["customer"].pk)})
    assert Order.objects.get(status=Order.Status.DRAFT).customer_id == world["customer"].pk


@pytest.mark.parametrize("variant,quantity,message", [
    ("999999", "1", "That SKU does not exist"),
    ("{v}", "2147483648", f"Quantity can be at most {MAX_LINE_QUANTITY} per line."),
    ("{v}", "0", "Quantity must be a whole number of at least 1."),
    ("", "1", "Choose a SKU from the search results."),
])
def test_add_line_refuses_unknown_sku_and_out_of_range_quantity(role_client, make_draft, world, variant, quantity,
                                                                 message):
    client = role_client("agent")
    draft = make_draft(client.user)
    variant = variant.replace("{v}", str(world["variants"][1].pk))
    response = post(client, "phone_add_line", draft.pk, data={"variant_id": variant, "quantity": quantity})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert list(OrderLine.objects.filter(order=draft).values_list("variant_id", "quantity")) == [
        (world["variants"][0].pk, 1)]


def test_add_line_accepts_the_maximum_quantity(role_client, make_draft, world):
    client = role_client("agent")
    draft = make_draft(client.user)
    response = post(client, "phone_add_line", draft.pk,
                    data={"variant_id": world["variants"][1].pk, "quantity": str(MAX_LINE_QUANTITY)})
    assert response.status_code == 200
    assert OrderLine.objects.get(order=draft, variant=world["variants"][1]).quantity == MAX_LINE_QUANTITY


@pytest.mark.parametrize("data,message", [
    ({"notes": "x\x01y"}, "Remove the control characters"),  # a NUL is refused before: test_fuzz_forms
    ({"source_code": "AB\x07"}, "Remove the control characters"),
    ({"priority": "99999999999"}, "Choose a priority from the list."),
    ({"notes": "n" * 2001}, "at most 2000 characters"),
    ({"pickup_location": "999999", "delivery_method": "pickup"}, "That store does not exist"),
])
def test_header_refuses_control_characters_and_out_of_range_values(role_client, make_draft, data, message):
    client = role_client("agent")
    draft = make_draft(client.user, notes="before")
    response = post(client, "phone_update_header", draft.pk, data=data)
    assert response.status_code == 422
    assert message in response.content.decode()
    order = Order.objects.get(pk=draft.pk)
    assert (order.notes, order.priority, order.source_code) == ("before", draft.priority, draft.source_code)


def test_header_accepts_multiline_notes_and_a_listed_priority(role_client, make_draft):
    client = role_client("agent")
    draft = make_draft(client.user)
    response = post(client, "phone_update_header", draft.pk,
                    data={"notes": "ring twice\r\nleave at door\tplease", "priority": "2"})
    assert response.status_code == 200
    order = Order.objects.get(pk=draft.pk)
    assert order.notes == "ring twice\r\nleave at door\tplease"
    assert order.priority == Order.Priority.HIGH


@pytest.mark.parametrize("price,message", [
    ("1" + "0" * 20, "The price is too large."), ("NaN", "is not a price"), ("Infinity", "is not a price"),
    ("-5", "The price cannot be negative."), ("1.23456", "Use at most 4 decimal places"),
])
def test_line_update_refuses_prices_outside_the_money_column(role_client, make_draft, price, message):
    client = role_client("agent")
    draft = make_draft(client.user)
    line = draft.lines.get()
    response = post(client, "phone_update_line", draft.pk, line.pk,
                    data={"quantity": "3", "override_unit_price": price, "override_reason": "match"})
    assert response.status_code == 422
    assert message in response.content.decode()
    line.refresh_from_db()
    assert (line.quantity, line.override_unit_price) == (1, None)


def test_line_update_accepts_a_decimal_comma_and_refuses_nul_in_the_reason(role_client, make_draft):
    client = role_client("agent")
    draft = make_draft(client.user)
    line = draft.lines.get()
    url_args = (draft.pk, line.pk)
    bad = post(client, "phone_update_line", *url_args,
               data={"quantity": "1", "override_unit_price": "90,50", "override_reason": "a\x00b"})
    assert bad.status_code == 400 and "override_reason" in bad.content.decode()  # refused before the view
    line.refresh_from_db()
    assert line.override_unit_price is None
    post(client, "phone_update_line", *url_args,
         data={"quantity": "1", "override_unit_price": "90,50", "override_reason": "price match"})
    line.refresh_from_db()
    assert (line.override_unit_price, line.override_reason) == (Decimal("90.50"), "price match")


@pytest.mark.parametrize("data,message", [
    ({"qty_{line}": "2147483648"}, f"must be at most {MAX_LINE_QUANTITY}"),
    ({"add_sku": "{sku}", "add_qty": "2147483648"}, f"must be at most {MAX_LINE_QUANTITY}."),
    ({"qty_{line}": "2", "reason": "x\x01y"}, "Remove the control characters"),  # a NUL: test_fuzz_forms
])
def test_order_edit_refuses_out_of_range_quantities_and_nul(role_client, place, world, data, message):
    client = role_client("manager")
    order = place(client.user)
    line = order.lines.get()
    data = {k.replace("{line}", str(line.pk)): v.replace("{sku}", world["variants"][1].sku) for k, v in data.items()}
    response = client.post(reverse("orders:order_edit", args=[order.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(OrderLine.objects.filter(order=order).values_list("quantity", flat=True)) == [1]


def test_the_phone_screen_has_one_htmx_config_and_it_lets_refusals_be_shown(role_client, make_draft):
    """htmx reads the first htmx-config of a page: the phone screen's own (swap 422 refusals) came after the base
    template's and was ignored, so a refused change showed a generic error instead of its reason."""
    import json
    import re

    client = role_client("agent")
    draft = make_draft(client.user)
    page = client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    configs = re.findall(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert len(configs) == 1, configs
    config = json.loads(configs[0])
    assert {"code": "422", "swap": True} in config["responseHandling"]
    assert config["historyRestoreAsHxRequest"] is False
