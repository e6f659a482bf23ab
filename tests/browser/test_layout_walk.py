"""Every kind of page the admin reaches by its links, on the ``make run`` demo data, seen by a real browser at
phone width in Portuguese and in Arabic (right to left): nothing sticks out of the page sideways. A wide table
scrolls inside itself; a long e-mail or a wide field wraps or shrinks to its column. And a piece read as one
(a phone, a tax id, a signed amount: the ``ltr`` filter) is never broken across two lines.

The key pages are also checked on their own in tests/browser/test_journeys.py; this walk finds the others.
"""

import io
from collections import deque

import pytest
from django.core.management import call_command

from tests.browser.steps import demo_login
from tests.walk import DOWNLOADS, page_kind, same_site_links

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

PHONE = {"width": 390, "height": 860}
SIDEWAYS = """() => ({scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                     title: document.title,
                     broken: [...document.querySelectorAll('bdi[dir="ltr"]')]
                               .filter(piece => piece.getClientRects().length > 1).map(piece => piece.textContent)})"""


@pytest.mark.parametrize("language", ["pt-br", "ar"])
def test_every_page_fits_a_phone_in_portuguese_and_arabic(page, language):
    call_command("seed_demo", stdout=io.StringIO())
    page.set_viewport_size(PHONE)
    demo_login(page, "admin", language)
    host = page.base_url.split("//", 1)[1]
    queue, kinds, sideways, broken = deque(["/"]), set(), [], []
    while queue:
        url = queue.popleft()
        if page_kind(url) in kinds or DOWNLOADS.search(url):
            continue
        kinds.add(page_kind(url))
        page.goto(url)
        seen = page.evaluate(SIDEWAYS)
        if seen["scroll"] > 0:
            sideways.append((url, seen["scroll"], seen["title"]))
        broken += [(url, piece) for piece in seen["broken"]]
        queue.extend(same_site_links(url, page.content(), host=host))
    assert sideways == []
    assert broken == []
    assert len(kinds) > 100  # the walk went through the whole back office
