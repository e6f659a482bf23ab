"""The phone screen is redrawn whole after each step; orders.js puts the cursor back on the control the agent was
on by its id. A control without an id loses the cursor to the SKU box at the top of the page (an agent tabbing
from an engraving to "Price override", or pressing "Hold stock", lands back in the SKU search)."""

from collections import Counter
from html.parser import HTMLParser

from django.urls import reverse

from inventory.models import PersonalizationField

FOCUSABLE = {"button", "select", "textarea", "summary"}


class _Controls(HTMLParser):
    """The focusable controls of the screen, outside the search results (a pick moves the cursor on by itself)."""

    def __init__(self):
        super().__init__()
        self.controls, self.depth_in_results, self.stack = [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("br", "input", "img", "meta", "link", "hr"):
            self._control(tag, attrs)
            return
        inside = bool(self.depth_in_results) or attrs.get("id") in ("sku-results", "customer-results")
        self.stack.append(inside)
        self.depth_in_results += inside
        self._control(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("br", "input", "img", "meta", "link", "hr") or not self.stack:
            return
        self.depth_in_results -= self.stack.pop()

    def _control(self, tag, attrs):
        if self.depth_in_results:
            return
        hidden = tag == "input" and attrs.get("type") == "hidden"
        if tag in FOCUSABLE or (tag == "input" and not hidden):
            self.controls.append((tag, attrs.get("id"), attrs.get("name") or attrs.get("aria-label") or ""))


def _controls(html: str):
    parser = _Controls()
    parser.feed(html)
    return parser.controls


def test_every_control_of_the_phone_screen_has_an_id_of_its_own_to_keep_the_cursor_after_a_redraw(
        role_client, make_draft, world):
    PersonalizationField.objects.create(product=world["variants"][0].product, code="engraving", label="Engraving")
    client = role_client("agent")
    draft = make_draft(client.user, [(world["variants"][0], 1), (world["variants"][1], 1)])
    screens = [client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()]
    hold = reverse("orders:phone_hold_stock", args=[draft.pk])
    screens.append(client.post(hold, HTTP_HX_REQUEST="true").content.decode())  # held: "Release stock"
    for html in screens:
        screen = html[html.index('id="screen"'):] if 'id="screen"' in html else html  # an htmx step: the screen
        controls = _controls(screen)
        missing = [c for c in controls if not c[1]]
        assert missing == [], missing
        assert [i for i, n in Counter(c[1] for c in controls).items() if n > 1] == []
    # The hold button keeps one id as it toggles, so the cursor stays on it (Hold -> Release -> Hold).
    assert 'id="hold-button"' in screens[0] and 'id="hold-button"' in screens[1]


def test_place_refuses_when_the_total_moved_since_the_screen_showed_it(role_client, make_draft, world):
    """The screen's place form carries the total it showed; a change saved meanwhile (a quantity saved by the very
    click on "Place", a shipping choice still on its way) must not place an order at a total nobody told the
    customer."""
    from orders.models import Order, OrderLine

    client = role_client("agent")
    draft = make_draft(client.user, [(world["variants"][0], 1)])
    screen = client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    shown = str(draft.total)
    assert f'name="shown_total" value="{shown}"' in screen
    line = draft.lines.get()
    client.post(reverse("orders:phone_update_line", args=[draft.pk, line.pk]), {"quantity": "3"},
                HTTP_HX_REQUEST="true")
    new_total = Order.objects.get(pk=draft.pk).total
    assert new_total != draft.total
    url = reverse("orders:phone_place", args=[draft.pk])
    refused = client.post(url, {"idempotency_key": "a", "shown_total": shown}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "The total is now R$\xa0" in page and "tell the customer and place the order again" in page
    assert Order.objects.get(pk=draft.pk).status == Order.Status.DRAFT
    assert f'name="shown_total" value="{new_total}"' in page  # the redrawn screen shows, and carries, the new one
    placed = client.post(url, {"idempotency_key": "b", "shown_total": str(new_total)}, HTTP_HX_REQUEST="true")
    assert placed.status_code == 204
    assert OrderLine.objects.get(pk=line.pk).quantity == 3


def test_ship_to_choice_takes_the_direction_of_the_address_it_shows(role_client, make_draft, world):
    """On an Arabic screen the address select ran right to left, so a Latin address longer than the box showed its
    end ("acabana, Rio de Janeiro/RJ, 22041-782"), not the street."""
    client = role_client("agent")
    draft = make_draft(client.user)
    client.cookies["django_language"] = "ar"
    screen = client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    assert '<select id="address" name="address_id" aria-describedby="address-full" dir="auto">' in screen


def test_each_lines_fields_are_named_with_their_sku_for_a_screen_reader(role_client, make_draft, world):
    """Every line's fields were all called "Qty", "Engraving", "Unit price", "Reason": a screen reader could not tell
    whose quantity the cursor was on. The visible label stays; the SKU is added for the reader."""
    PersonalizationField.objects.create(product=world["variants"][0].product, code="engraving", label="Engraving")
    client = role_client("agent")
    draft = make_draft(client.user, [(world["variants"][0], 1), (world["variants"][1], 1)])
    screen = client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    for variant in world["variants"][:2]:
        hint = f'<span class="sr-only"> {variant.sku}</span>'
        for label in ("Qty", "Unit price", "Reason", "Price override"):
            assert f"{label}{hint}" in screen, label
    assert f'Engraving<span class="sr-only"> {world["variants"][0].sku}</span>' in screen


def test_a_gift_card_lines_fields_name_their_sku_for_a_screen_reader(role_client, make_draft, world):
    from tests.inventory.factories import VariantFactory

    card = VariantFactory(is_gift_card=True, sku="GIFT-50", base_price="50.00")
    client = role_client("agent")
    draft = make_draft(client.user, [(card, 1)])
    screen = client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    for label in ("Value", "Recipient", "Recipient e-mail", "Message"):
        assert f'{label}<span class="sr-only"> GIFT-50</span>' in screen, label
