"""Steps the browser tests share: waiting for htmx, paying with the sandbox card, scanning and shipping."""

import re

from playwright.sync_api import expect


def settled(page) -> None:
    """htmx wires swapped-in elements only after its short settle delay; a test types faster than a person."""
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    page.wait_for_timeout(50)


def wait_focus(page, element_id: str, *, prefix: bool = False) -> None:
    """Waits for the cursor to be where the page puts it (autofocus), as a person would before typing. The browser
    applies autofocus at its next rendering, which may come after the page's "load"; with ``prefix``, any element
    whose id starts with ``element_id`` will do."""
    matches = f"id.startsWith({element_id!r})" if prefix else f"id === {element_id!r}"
    page.wait_for_function(f"(({{id}}) => {matches})(document.activeElement || {{id: ''}})")


def add_lines_by_keyboard(page, skus) -> None:
    """On the phone screen, with the cursor in the SKU box: type each SKU, Enter on the first result; the line
    appears and the cursor comes back to the SKU box for the next one."""
    for sku in skus:
        page.keyboard.type(sku)
        page.locator("#sku-results [data-pick]", has_text=sku).wait_for()
        page.keyboard.press("Enter")
        page.locator("table.lines code", has_text=sku).wait_for()
        wait_focus(page, "sku-q")
        settled(page)


def retype_first_quantity(page, quantity: str) -> None:
    """On the phone screen: the first line's quantity box, its value selected and ``quantity`` typed over it (the
    caller presses the key that leaves or sends it)."""
    page.locator("table.lines input.qty").first.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type(quantity)


def enter_card(page, number: str) -> None:
    """Types a card into the hosted field (the sandbox processor's iframe) and waits for its summary there."""
    field = page.frame_locator("iframe[data-hosted-field]")
    field.locator("#number").fill(number)
    field.locator("#expiry").fill("12/30")
    field.locator("#cvc").fill("123")
    field.locator("#cvc").press("Enter")
    field.locator("#summary").wait_for()


def pay_by_sandbox_card(page, number: str = "4242 4242 4242 4242") -> None:
    """On the phone screen: choose "Credit/debit card" by its first letter and enter the card; waits until the
    screen shows the card's summary."""
    page.locator("#payment-method").focus()
    page.keyboard.press("c")  # "Credit/debit card"
    enter_card(page, number)
    page.locator("[data-card=summary]", has_text=number.replace(" ", "")[-4:]).wait_for()


def scan(page, codes) -> None:
    """Scans each code into the shipment's scan box (a scanner types the code and Enter)."""
    for code in codes:
        page.locator("#scan-code").focus()
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        settled(page)


def ship_by_keyboard(page, shipment, *, tracking: str = "BR123456789") -> None:
    """On a packed shipment's page: the cursor waits in the carrier box; carrier, service, tracking number, Enter."""
    page.reload()
    wait_focus(page, "ship-carrier")
    page.keyboard.type("Correios")
    page.keyboard.press("Tab")
    page.keyboard.type("SEDEX")
    page.keyboard.press("Tab")
    page.keyboard.type(tracking)
    page.keyboard.press("Enter")
    # The answer comes back to the same address, so waiting for the URL would not wait for it: wait for the status.
    expect(page.locator("#shipment-status")).to_have_text("Shipped")
    assert page.url.endswith(f"/fulfilment/shipments/{shipment.pk}/")


def wait_for_order_page(page) -> None:
    """After placing: the order's page is there. Polls the address, because a loaded machine may abort the first
    navigation for a second one to the same page (waiting for that navigation then fails)."""
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    page.locator("#order-status").wait_for()


def demo_login(page, role: str, language: str = "en") -> None:
    """Logs the ``make run`` demo user of that role (``seed_demo``) in through the login form, in that language."""
    from oms.demo import demo_password

    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    page.goto("/accounts/login/")
    page.fill("#id_username", role)
    page.fill("#id_password", demo_password(role))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{page.base_url}/")
