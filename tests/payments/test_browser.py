"""An agent takes card, declined-card, PIX and gift-card payments on an order in a real browser."""

from decimal import Decimal
from pathlib import Path

import pytest

from payments.models import Payment
from tests.browser.steps import enter_card
from tests.payments.factories import issue_card, make_order

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_card_pix_and_gift_card_payments_in_the_browser(page, login):
    order = make_order("180.00", number="PH-1001")
    card, code = issue_card("30.00")
    login("agent")
    page.goto(f"/payments/order/{order.pk}/")

    # A declined card: the reason is shown and the panel offers a retry.
    enter_card(page, "4000 0000 0000 0002")
    page.wait_for_function("document.querySelector('input[name=card_token]').value.startsWith('tok_')")
    assert page.locator("[data-card=summary]").inner_text().startswith("VISA •••• 0002")
    page.fill("input[name=amount]", "100.00")
    page.click("text=Take payment")
    page.locator(".payments-panel .msg-error", has_text="card_declined").wait_for()

    enter_card(page, "4111 1111 1111 1111")
    page.wait_for_function("document.querySelector('input[name=card_token]').value.startsWith('tok_')")
    page.fill("input[name=amount]", "100.00")
    page.click("text=Take payment")
    page.locator(".payments-panel td", has_text="Authorized").wait_for()

    page.select_option("select[name=method]", "gift_card")
    assert page.locator("iframe[data-hosted-field]").is_hidden()
    page.fill("input[name=gift_card_code]", code)
    page.fill("input[name=amount]", "30.00")
    page.click("text=Take payment")
    page.locator(".payments-panel td", has_text="Paid").wait_for()

    page.select_option("select[name=method]", "pix")
    page.fill("input[name=amount]", "50.00")
    page.click("text=Take payment")
    page.wait_for_function("(() => { const img = document.querySelector(\"img[alt='PIX QR code']\");"
                           " return img && img.complete && img.naturalWidth > 0; })()")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "payments-panel.png"), full_page=True)

    statuses = list(Payment.objects.order_by("id").values_list("method", "status", "amount"))
    assert statuses == [("card", "declined", Decimal("100")), ("card", "authorized", Decimal("100")),
                        ("gift_card", "captured", Decimal("30")), ("pix", "pending", Decimal("50"))]
    html = page.content()
    assert "4111111111111111" not in html and "4111 1111 1111 1111" not in html


def test_a_gift_card_is_issued_for_the_amount_typed_with_a_decimal_comma(page, login):
    """A Brazilian finance user types "50,25" in the issue form; the number box dropped the comma and the card
    was issued for R$ 5.025,00."""
    from payments.models import GiftCard

    login("finance", language="pt-br")
    page.goto("/finance/gift-cards/")
    page.locator("details summary", has_text="Emitir").click()
    page.locator("#id_amount").focus()
    page.keyboard.type("50,25")
    page.locator("#id_reference").focus()
    page.keyboard.type("balcão")
    page.keyboard.press("Enter")
    page.get_by_text("Vale-presente emitido").first.wait_for()
    card = GiftCard.objects.get(reference="balcão")
    assert card.initial_amount == Decimal("50.25")
    assert "R$ 50,25" in page.locator("main").inner_text().replace("\xa0", " ")


def test_the_payment_panel_keeps_a_keyboard_users_place_after_a_capture(page, login):
    """After a capture (or its refusal) the panel is swapped and the cursor was left on the page's body: the next
    Tab started again from the top, some thirty stops away from the payments."""
    from payments.gateway import get_gateway
    from payments.services import payment_authorize

    order = make_order("300.00", number="PH-2001")
    token = get_gateway("sandbox").tokenize(number="4111111111111111", exp_month=12, exp_year=2030, cvc="123").token
    payment = payment_authorize(order_id=order.pk, method="card", amount=Decimal("300.00"), currency="BRL",
                                token=token, idempotency_key="keyboard", acting_user=None)
    login("finance")
    page.goto(f"/payments/order/{order.pk}/")
    capture = f"form[action='/payments/{payment.pk}/capture/'] input[name=amount]"
    page.locator(capture).focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("100.00")
    page.keyboard.press("Enter")
    page.locator(".payments-panel .badge", has_text="Partially captured").wait_for()
    page.wait_for_function(f"document.activeElement === document.querySelector(\"{capture}\")")
    # Refused (more than is left): the message is shown and the cursor is still in the box to correct it.
    page.keyboard.press("Control+A")
    page.keyboard.type("900")
    page.keyboard.press("Enter")
    page.locator(".payments-panel .msg-error", has_text="You can capture between").wait_for()
    page.wait_for_function(f"document.activeElement === document.querySelector(\"{capture}\")")
    # Captured in full: the capture form is gone, the cursor is on the panel's heading, not the top of the page.
    page.keyboard.press("Control+A")
    page.keyboard.type("200")
    page.keyboard.press("Enter")
    page.locator(".payments-panel .badge", has_text="Paid").wait_for()
    page.wait_for_function("document.activeElement === document.querySelector('.payments-panel h2')")
    payment.refresh_from_db()
    assert payment.captured_amount == Decimal("300.00")
