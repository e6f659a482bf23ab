"""A manager works on an order's own page by keyboard (Debian Chromium through Playwright)."""

import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inventory.services import StockLine, stock_receive
from orders.models import Order, OrderHold
from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place
from tests.inventory.factories import LocationFactory, VariantFactory
from tests.marketing.factories import ShippingRateFactory, TaxRateFactory
from tests.orders.factories import AddressFactory, ChannelFactory

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """Role groups come from a data migration, which an earlier test's flush may have emptied."""
    from django.apps import apps

    from oms.permissions import sync_roles

    sync_roles(apps)


@pytest.fixture
def held_order(db, make_user, settings):
    """An order of R$ 100 placed by an agent and held for its value (the hold threshold is R$ 50)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.ORDERS_HOLD_ABOVE = 50
    channel = ChannelFactory(code="phone")
    dc = LocationFactory(code="DC1", name="DC São Paulo", kind="dc", can_ship=True)
    mug = VariantFactory(sku="MUG-WHITE", name="Mug White", base_price=Decimal("100.00"))
    stock_receive(lines=[StockLine(mug.pk, dc.pk, 5)], reference="seed", acting_user=None)
    TaxRateFactory(region="SP", rate=Decimal("0"))
    rate = ShippingRateFactory(price=Decimal("0.00"))
    customer = AddressFactory(customer__name="Mariana Costa").customer
    agent = make_user("agent")
    draft = draft_create(channel_id=channel.pk, acting_user=agent, customer_id=customer.pk)
    draft_line_add(order_id=draft.pk, variant_id=mug.pk, quantity=1, acting_user=agent)
    draft_update(order_id=draft.pk, acting_user=agent, payment_method="invoice", shipping_service=rate.service.code)
    order = order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                        payment=PaymentRequest(method="invoice"))
    assert order.status == Order.Status.ON_HOLD
    return order


def test_enter_in_the_hold_reason_on_the_order_page_decides_nothing(page, login, held_order):
    """The manager typed why the order looked wrong and pressed Enter: the form's first button, Approve, took the
    Enter and the order was released to the warehouse. On the approvals page Enter already decided nothing."""
    login("manager")
    page.goto(f"/orders/{held_order.pk}/")
    page.locator("form.inline-form input[name=reason]").focus()
    page.keyboard.type("Address looks wrong, call the customer")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)  # a post would have left this page by now
    assert Order.objects.get(pk=held_order.pk).status == Order.Status.ON_HOLD
    assert OrderHold.objects.get(order=held_order).status == OrderHold.Status.OPEN
    page.keyboard.press("Tab")  # to Approve: that is how it is decided
    page.keyboard.press("Enter")
    expect(page.locator("#order-status")).to_have_text("Confirmed")
    assert OrderHold.objects.get(order=held_order).status == OrderHold.Status.APPROVED


def test_the_tracking_page_opens_in_the_customers_language_and_the_visitor_can_switch(page, held_order):
    """A visitor (not signed in) opening the link in a Portuguese-reading customer's e-mail on an English browser:
    the page reads in Portuguese, and the language links under it switch it, right to left for Arabic."""
    from tests.conftest import assert_no_horizontal_overflow

    customer = held_order.customer
    customer.language = "pt-br"
    customer.save()
    page.context.set_extra_http_headers({"Accept-Language": "en-US,en;q=0.9"})
    page.goto(f"/track/{held_order.tracking_token}/")
    expect(page.locator("h1")).to_have_text(f"Pedido {held_order.number}")
    with page.expect_navigation():
        page.get_by_role("button", name="العربيّة").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_have_text(f"الطلب {held_order.number}")
    assert page.url.endswith(f"/track/{held_order.tracking_token}/")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "tracking-ar.png"))
