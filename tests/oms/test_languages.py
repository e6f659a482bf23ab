"""Each staff member's language is kept, so e-mails and background work done for them read in it."""

from django.test import Client
from django.urls import reverse

from oms.i18n import stored_text
from oms.mail import Recipient, email_enqueue, staff_recipients
from oms.models import OutboxMessage, UserPreference
from oms.preferences import user_language


def _login(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "correct-horse-battery"})
    assert response.status_code == 302
    return response


def test_the_users_language_is_kept_and_follows_them_to_another_browser(make_user):
    user = make_user("agent")
    assert user_language(user) == "en"  # the site's, until they log in
    first = Client(HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9")
    assert _login(first, user).cookies["django_language"].value == "pt-br"  # the browser's own, kept
    assert user_language(user) == "pt-br"

    response = first.post(reverse("set_language"), {"language": "ar", "next": "/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "ar"
    assert user_language(user) == "ar"
    first.post(reverse("set_language"), {"language": "xx", "next": "/"})  # not ours: kept as it was
    assert user_language(user) == "ar"

    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en-US")  # a new browser: the kept language follows the user
    assert _login(elsewhere, user).cookies["django_language"].value == "ar"
    assert 'lang="ar" dir="rtl"' in elsewhere.get("/").content.decode()
    assert user_language(user) == "ar"

    shared = Client(HTTP_ACCEPT_LANGUAGE="ar")
    shared.cookies["django_language"] = "pt-br"  # chosen on this browser before logging in: it wins
    assert _login(shared, user).cookies["django_language"].value == "pt-br"
    assert user_language(user) == "pt-br"
    assert UserPreference.objects.count() == 1


def test_anonymous_language_switch_keeps_nothing(db):
    response = Client().post(reverse("set_language"), {"language": "pt-br", "next": "/accounts/login/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "pt-br"
    assert UserPreference.objects.count() == 0


def test_one_email_per_language_each_rendered_in_it(make_user):
    from oms.preferences import language_remember

    ana, bruno, carla = (make_user("manager", email=f"{name}@example.com") for name in ("ana", "bruno", "carla"))
    language_remember(ana, "pt-br")
    language_remember(bruno, "pt-br")
    language_remember(carla, "ar")
    no_address = make_user("manager", email="")
    to = staff_recipients([ana, bruno, carla, no_address]) + [Recipient("ana@example.com", "pt-br")]

    queued = email_enqueue(to=to, subject=stored_text("Approved"), body=stored_text("Approved"))

    assert queued == 2
    sent = {m.payload["language"]: m.payload for m in OutboxMessage.objects.filter(topic="oms.email")}
    assert sent["pt-br"]["to"] == ["ana@example.com", "bruno@example.com"]
    assert sent["ar"]["to"] == ["carla@example.com"]
    assert sent["pt-br"]["subject"] == "Aprovado" and sent["ar"]["subject"] != "Approved"


def test_arabic_examples_of_dates_postal_codes_and_phones_keep_their_order():
    """After Arabic letters, digits are Arabic numbers for the bidi algorithm and a hyphen does not join them:
    "مثال: 11 98765-4321" showed as "4321-98765 11". Each such example in an Arabic translation is isolated left to
    right (U+2066 ... U+2069), in every app's catalogue."""
    import re
    from pathlib import Path

    import polib
    from django.conf import settings
    from django.utils import translation

    hyphenated = re.compile(r"\d[\d ]*-\d[\d-]*(?:-[A-Z]+)?")
    root = Path(settings.BASE_DIR)
    catalogues = [root / "locale", *root.glob("*/locale")]
    assert len(catalogues) == 6  # the project's (oms too) and each app's
    unisolated = []
    for locale in catalogues:
        for entry in polib.pofile(str(locale / "ar" / "LC_MESSAGES" / "django.po")):
            outside = re.sub("\u2066[^\u2069]*\u2069", "", entry.msgstr)
            if re.search("[\u0600-\u06ff]", entry.msgstr) and hyphenated.search(outside):
                unisolated.append(f"{locale.parent.name}: {entry.msgstr}")
    assert not unisolated
    with translation.override("ar"):
        assert "\u206611 98765-4321\u2069" in translation.gettext("e.g. 11 98765-4321")


def test_arabic_examples_of_json_and_field_lists_are_isolated():
    """A bracketed example after Arabic words is laid out right to left: the promotion form's help
    '[{"threshold": "300", "percent": "10"}, ...]' showed as 'threshold": "300",[{"' on one line and the rest on
    the next. Each bracketed or braced example in an Arabic translation is isolated left to right."""
    import re
    from pathlib import Path

    import polib
    from django.conf import settings

    root = Path(settings.BASE_DIR)
    unisolated = []
    for locale in [root / "locale", *root.glob("*/locale")]:
        for entry in polib.pofile(str(locale / "ar" / "LC_MESSAGES" / "django.po")):
            outside = re.sub("\u2066[^\u2069]*\u2069", "", entry.msgstr)
            if re.search("[\u0600-\u06ff]", entry.msgstr) and re.search(r"[\[{]", outside):
                unisolated.append(f"{locale.parent.name}: {entry.msgstr}")
    assert not unisolated


def test_arrows_point_the_way_the_line_reads():
    """A bare → in a template points backwards in Arabic. Templates write arrows through {% arrow a b %},
    {% back_arrow %} or {% forward_arrow %}, or inside a translated text whose Arabic translation uses ←."""
    import re
    from pathlib import Path

    import polib
    from django.conf import settings

    root = Path(settings.BASE_DIR)
    translated = re.compile(r"\{% (?:translate|blocktranslate)\b.*?%\}(?:.*?\{% endblocktranslate %\})?", re.S)
    bare = []
    for template in [*root.glob("templates/**/*.html"), *root.glob("*/templates/**/*.html"),
                     *root.glob("*/*/templates/**/*.html")]:
        if ".venv" in template.parts:
            continue
        text = translated.sub("", template.read_text())
        bare += [f"{template.relative_to(root)}: {line.strip()[:80]}" for line in text.splitlines()
                 if "→" in line or "←" in line]
    assert bare == []
    backwards = [entry.msgid for locale in [root / "locale", *root.glob("*/locale")]
                 for entry in polib.pofile(str(locale / "ar" / "LC_MESSAGES" / "django.po"))
                 if "→" in entry.msgid and entry.msgstr and "→" in entry.msgstr]
    assert backwards == []


def test_every_translation_in_our_catalogues_is_the_one_pages_show():
    """Django merges all catalogues and the first translation of a message wins everywhere, so a second app's
    different wording was never seen (an order line "Open" translated as the verb "Abrir", a date column
    "Requested" as مطلوب, "required"). A message that means something else gets a context; two words for one thing
    are aligned (scripts/po_served.py)."""
    from oms.vocabulary import LANGUAGES, served_differently

    unseen = [f"{path.parent.parent.parent.parent.name}/{language}: {entry.msgid!r} {entry.msgstr!r} -> {served!r}"
              for language in LANGUAGES for path, entry, served in served_differently(language)]
    assert not unseen


def test_project_wording_wins_over_the_admins_and_import_exports():
    from django.utils import translation

    with translation.override("ar"):
        assert translation.gettext("Import") == "استيراد"
        assert translation.gettext("History") == "السجل"
    with translation.override("pt-br"):
        assert translation.gettext("Skipped") == "Ignorados"
        assert translation.pgettext("import page title", "Import") == "Importação"
