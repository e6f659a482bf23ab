"""The main pages of each role, on the ``make run`` demo data, checked by axe-core (the engine behind most
accessibility audits) in a real browser in English, Portuguese and Arabic (right to left), against the WCAG 2.1
A and AA rules. Call-center agents work by keyboard and some with a screen reader: a field without a name, a
button read as "✕", a table without headers or text too pale to read fails here, naming the rule, the page and
the element.

One world for the whole module: the demo data is loaded once and each role logs in once; the language is switched
by its cookie between passes. Violations of impact "serious" or "critical" fail; the others are listed when
``AXE_REPORT`` names a file (the audit's full list, for the lead reading it).
"""

import io
import json
import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from inventory.models import StockLevel
from orders.fulfilment.models import Shipment
from orders.models import Channel, Customer, Order
from orders.services import draft_create
from orders.services.placement import DraftLine
from tests.browser.steps import demo_login, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

LANGUAGES = ["en", "pt-br", "ar"]
FAILING_IMPACTS = {"serious", "critical"}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
DUPLICATE_IDS = """() => { const seen = new Set(), repeated = new Set();
  document.querySelectorAll("[id]").forEach(e => (seen.has(e.id) ? repeated : seen).add(e.id));
  return [...repeated]; }"""
# A description, label or controlled element named by an id that is not on the page (axe lists these only "to
# review"): Django points a field's aria-describedby at "<id>_helptext" and "<id>_error" whatever the template shows,
# and a group of checkboxes has no id for a <label for> to name.
BROKEN_REFERENCES = """() => [...document.querySelectorAll("[aria-describedby], [aria-labelledby], [aria-controls]")]
  .flatMap(e => ["aria-describedby", "aria-labelledby", "aria-controls"]
    .flatMap(name => (e.getAttribute(name) || "").split(/\\s+/).filter(Boolean)
      .filter(id => !document.getElementById(id))
      .map(id => `${e.id ? "#" + e.id : e.tagName.toLowerCase()}[${name}=${id}]`)))
  .concat([...document.querySelectorAll("label[for]")].filter(label => !document.getElementById(label.htmlFor))
    .map(label => `label[for="${label.htmlFor}"] (${label.textContent.trim()})`))"""


def _world() -> dict:
    """What the pages show: an agent's phone order with a customer and two lines, and the demo's orders, shipments,
    channels and promotions."""
    from django.contrib.auth import get_user_model

    agent = get_user_model().objects.get(username="agent")
    customer = Customer.objects.filter(addresses__isnull=False).order_by("pk").first()
    skus = (StockLevel.objects.filter(on_hand__gt=5, variant__is_active=True).order_by("variant_id")
            .values_list("variant_id", flat=True).distinct()[:2])
    draft = draft_create(channel_id=Channel.objects.filter(kind=Channel.Kind.PHONE).order_by("pk").first().pk,
                         acting_user=agent, customer_id=customer.pk,
                         lines=[DraftLine(variant_id=sku, quantity=1) for sku in skus])
    placed = Order.objects.exclude(status=Order.Status.DRAFT).filter(lines__isnull=False).order_by("-pk").first()
    return {
        "draft": draft.pk,
        "sku": draft.lines.order_by("pk").first().sku,
        "order": placed.pk,
        "shipment": Shipment.objects.filter(status__in=[Shipment.Status.PICKING, Shipment.Status.PENDING])
                    .order_by("-status", "pk").first().pk,
        "channel": Channel.objects.order_by("pk").first().pk,
    }


def _search_skus(page, world) -> None:
    """The phone screen while the agent searches: the results list under the SKU box."""
    page.fill("#sku-q", world["sku"][:4])
    page.locator("#sku-results [data-pick]").first.wait_for()


def _choose_card(page, world) -> None:
    """The phone screen paying by card: the processor's card field in its frame."""
    page.locator("#payment-method").select_option("card")
    page.frame_locator("iframe[data-hosted-field]").locator("#number").wait_for()


def _save_empty(page, world) -> None:
    """The form refused empty: its errors beside the fields."""
    page.locator("main form.panel button[type=submit], main form button.primary").first.click()
    page.locator(".errorlist").first.wait_for()


def _scan_unknown_code(page, world) -> None:
    """A shipment after a scan it refused: the message naming the code."""
    page.fill("#scan-code", "NOT-IN-THIS-BOX")
    page.keyboard.press("Enter")
    page.locator("#scan-refused").wait_for()


def _pages(world: dict) -> dict[str, list]:
    """The pages each role works in all day; a page with steps is checked again after each step."""
    return {
        "agent": ["/phone/", (f"/phone/{world['draft']}/", _search_skus, _choose_card), "/orders/",
                  f"/orders/{world['order']}/", "/customers/"],
        "warehouse": ["/fulfilment/", (f"/fulfilment/shipments/{world['shipment']}/", _scan_unknown_code),
                      "/inventory/stock/adjust/"],
        "manager": ["/reports/", "/orders/approvals/", "/reports/top/", "/reports/kpis/"],
        "admin": ["/marketing/promotions/", ("/marketing/promotions/new/", _save_empty), "/marketing/pricelists/new/",
                  "/inventory/products/", f"/channels/{world['channel']}/edit/", "/channels/", "/users/",
                  "/users/new/"],
    }


def _violations(page, *, url: str, language: str, role: str) -> list[dict]:
    settled(page)
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    # axe turned its duplicate-id rules off when WCAG 2.2 dropped 4.1.1 (an id a label or aria-* points at it only
    # lists "to review"), yet a repeated id still makes a label, aria-describedby or htmx target find the wrong
    # element: counted here.
    repeated = page.evaluate(DUPLICATE_IDS)
    if repeated:
        results["violations"].append({"id": "duplicate-id", "impact": "serious", "help": "IDs must be unique",
                                      "nodes": [{"target": [f"#{element_id}"]} for element_id in repeated]})
    broken = page.evaluate(BROKEN_REFERENCES)
    if broken:
        results["violations"].append({"id": "broken-id-reference", "impact": "serious",
                                      "help": "aria-* references and <label for> must name an element on the page",
                                      "nodes": [{"target": [reference]} for reference in broken]})
    return [{"rule": violation["id"], "impact": violation["impact"], "page": url, "language": language, "role": role,
             "targets": [" ".join(node["target"]) for node in violation["nodes"]], "help": violation["help"]}
            for violation in results["violations"]]


def test_main_pages_have_no_serious_accessibility_violation(page, settings):
    # The production password hasher's cost is not what this measures (the live server runs in this process).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
    world = _world()
    pages = _pages(world)
    # In every document and frame before its own scripts: axe checks a frame's content (the card field) only when
    # the frame has axe too.
    page.context.add_init_script(script=Axe().axe_script)
    found = []
    for role, urls in pages.items():
        page.context.clear_cookies()
        demo_login(page, role)
        for language in LANGUAGES:
            page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
            for entry in urls:
                url, *steps = entry if isinstance(entry, tuple) else (entry,)
                page.goto(url)
                found += _violations(page, url=url, language=language, role=role)
                for step in steps:
                    step(page, world)
                    found += _violations(page, url=f"{url} ({step.__doc__.split(':')[0]})", language=language,
                                         role=role)
    if os.environ.get("AXE_REPORT"):
        with open(os.environ["AXE_REPORT"], "w") as report:
            json.dump(found, report, indent=1, ensure_ascii=False)
    failing = [v for v in found if v["impact"] in FAILING_IMPACTS]
    assert failing == [], "\n".join(
        f"{v['rule']} ({v['impact']}) on {v['page']} [{v['language']}, {v['role']}]: {v['help']}; "
        f"{', '.join(v['targets'][:5])}" for v in failing)
