"""E-mails written in each recipient's language.

A text is given as a stored text (``oms.i18n.stored_text``) and rendered once per language among the recipients,
so a Portuguese-speaking buyer and an Arabic-speaking one each read the same alert in their own language::

    email_enqueue(to=staff_recipients(buyers), subject=stored_text(gettext_noop("...")), body=...)
"""

import re
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db.models.fields.json import KeyTextTransform
from django.urls import reverse
from django.utils import translation

from oms.i18n import StoredText, supported_language
from oms.models import OutboxMessage
from oms.outbox import outbox_enqueue

TOPIC = "oms.email"
RLM, FSI, PDI = "\u200f", "\u2068", "\u2069"  # right-to-left mark, first strong isolate, pop directional isolate
_LINK = re.compile(r"(https?://\S+)(\s|$)")


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str


def staff_recipients(users) -> list[Recipient]:
    """The users with an e-mail address, each in their own language (``oms.preferences``)."""
    from oms.preferences import users_languages

    users = [user for user in users if user.email]
    languages = users_languages([user.pk for user in users])
    return sorted({Recipient(user.email, languages[user.pk]) for user in users}, key=lambda r: r.address)


def recipient(address: str, language: str | None) -> list[Recipient]:
    """One address (none when it is empty) in ``language`` (the site's when unknown)."""
    return [Recipient(address, supported_language(language))] if address else []


def absolute_url(view_name: str, **kwargs) -> str:
    """A page's full address for a link in an e-mail (``settings.SITE_URL``: where the OMS is reached)."""
    return settings.SITE_URL.rstrip("/") + reverse(view_name, kwargs=kwargs or None)


def compose(language: str, subject: StoredText, body: StoredText, codes=()) -> tuple[str, str]:
    """The subject and body in ``language``, right to left when it is (``right_to_left``)."""
    with translation.override(language):
        subject, body = str(subject), str(body)
        if translation.get_language_bidi():
            return right_to_left(subject), right_to_left(body, codes)
        return subject, body


def right_to_left(text: str, codes=()) -> str:
    """A plain-text e-mail has no markup to set its direction: a reader takes each line's direction from its first
    letter, often a Latin name or code, and in a right-to-left line a link's closing "/" shows before "https".
    So each line starts with a right-to-left mark, and a link is isolated from the text before it. Its isolate is
    closed by the end of the line, or after the space that follows it: no invisible character touches the link,
    which mail programs would take as part of it. Codes are not wrapped either: one copied from the e-mail (a
    tracking number) must not carry marks into a carrier's search box. A line that is one of ``codes`` (a PIX
    code, a boleto's line, each written on a line of its own to be copied whole) is left as it is: it has no
    right-to-left letter to place, and copied with a mark a payment app refuses it."""
    return "\n".join(RLM + _LINK.sub(_isolated_link, line) if line and line not in codes else line
                     for line in text.split("\n"))


def _isolated_link(match: re.Match) -> str:
    return f"{FSI}{match[1]}{match[2]}{PDI}" if match[2] else f"{FSI}{match[1]}"


def email_enqueue(*, to: list[Recipient], subject: StoredText, body: StoredText, key: str = "", codes=()) -> int:
    """Queues (in the current transaction, through the outbox) one e-mail per language among ``to``; returns
    how many were queued. ``key``: e-mails already queued under it are not queued again (a notice whose cause
    was delivered twice). ``codes``: lines of the body a reader copies whole (``right_to_left``)."""
    if key and OutboxMessage.objects.alias(key=KeyTextTransform("key", "payload")).filter(
            payload__has_key="key", key=key).exists():
        return 0
    by_language: dict[str, list[str]] = defaultdict(list)
    for each in to:
        if each.address not in by_language[each.language]:
            by_language[each.language].append(each.address)
    for language, addresses in sorted(by_language.items()):
        text_subject, text_body = compose(language, subject, body, codes)
        outbox_enqueue(topic=TOPIC, payload={"to": addresses, "subject": text_subject, "body": text_body,
                                             "language": language, **({"key": key} if key else {})})
    return len(by_language)


def email_send_now(*, to: Recipient, subject: StoredText, body: StoredText) -> None:
    """Sends at once, for a text that must not be kept anywhere (a gift card's code)."""
    text_subject, text_body = compose(to.language, subject, body)
    send_mail(text_subject, text_body, None, [to.address], fail_silently=False)
