"""Walking the back office by its links (the demo-data crawls of tests/proof and tests/browser)."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

NOT_FOLLOWED = re.compile(r"^/(accounts/logout|admin/|static/|media/|api/)")
DOWNLOADS = re.compile(r"/export/|/pdf/|[?&]format=|/download/|\.(json|csv|xlsx)$")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if attributes.get("hx-get"):
            self.links.append(attributes["hx-get"])


def page_kind(url: str) -> str:
    """``/orders/12/`` and ``/orders/57/`` are one kind of page."""
    path, _sep, query = url.partition("?")
    return re.sub(r"\d+", "N", path) + ("?" if query else "")


def same_site_links(page_url: str, html: str, host: str = "testserver") -> list[str]:
    """The back-office links of a page (``<a href>`` and ``hx-get``), as paths with their query."""
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.links:
        parts = urlsplit(urljoin(page_url, href))
        if parts.scheme not in ("http", "https", "") or parts.netloc not in ("", host):
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if url.startswith("/") and not NOT_FOLLOWED.match(url):
            found.append(url)
    return found
