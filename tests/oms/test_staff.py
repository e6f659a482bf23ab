"""Administrators manage staff accounts from the back office: roles, language, deactivation, passwords."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from oms.models import AuditEntry
from oms.preferences import user_language
from oms.staff import StaffError, staff_update

User = get_user_model()


def _secret(response) -> str:
    return response.content.decode().split('class="secret" readonly value="')[1].split('"')[0]


def _login(username: str, password: str) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": username, "password": password}).status_code == 302
    return client


def test_an_administrator_creates_an_agent_who_logs_in_with_the_temporary_password(role_client):
    admin = role_client("admin")
    assert "Users" in admin.get(reverse("home")).content.decode()  # in the navigation
    response = admin.post(reverse("staff_create"), {
        "username": "bia.lima", "first_name": "Bia", "last_name": "Lima", "email": "Bia@Example.com",
        "roles": ["agent"], "language": "pt-br"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = _secret(response)
    user = User.objects.get(username="bia.lima")
    assert (user.email, [g.name for g in user.groups.all()], user_language(user)) == (
        "bia@example.com", ["agent"], "pt-br")
    assert password not in str(list(AuditEntry.objects.values_list("changes", "reason")))
    agent = _choose_own_password(_login("bia.lima", password), password)
    assert agent.get(reverse("orders:phone_start")).status_code == 200
    assert agent.get(reverse("staff_list")).status_code == 403
    assert password not in admin.get(reverse("staff_edit", args=[user.pk])).content.decode()  # shown once

    listing = admin.get(reverse("staff_list"), {"q": "lima", "role": "agent"}).content.decode()
    assert "bia.lima" in listing and "Call-center agent" in listing


def test_roles_deactivation_and_a_new_password_take_effect_at_once(role_client, make_user):
    admin = role_client("admin")
    user = make_user("agent")
    agent = _login(user.username, "correct-horse-battery")
    edit = reverse("staff_edit", args=[user.pk])
    form = {"first_name": "Ana", "last_name": "Souza", "email": user.email, "roles": ["agent", "warehouse"],
            "language": "ar", "is_active": "on"}
    assert admin.post(edit, form).status_code == 302
    assert agent.get(reverse("orders:fulfilment_pick_list")).status_code == 200  # the new role, same session
    assert user_language(user) == "ar"
    entry = AuditEntry.objects.get(verb="staff_update", object_id=str(user.pk))
    assert entry.changes["roles"] == [["agent"], ["agent", "warehouse"]]

    password = _secret(admin.post(reverse("staff_password_reset", args=[user.pk])))
    assert agent.get(reverse("orders:phone_start")).status_code == 302  # the old session ended
    agent = _choose_own_password(_login(user.username, password), password)
    assert admin.post(edit, {**form, "is_active": ""}).status_code == 302
    assert agent.get(reverse("orders:phone_start")).status_code == 302  # deactivated: signed out
    assert Client().post(reverse("login"), {"username": user.username, "password": OWN_PASSWORD}).status_code == 200


def test_a_temporary_password_must_be_replaced_before_any_other_page_opens(role_client, make_user):
    """The password an administrator made (and saw) is for the first login only: until the user has chosen their
    own, every page leads to the password change, fragments included; after it, the pages open and a later login
    is not sent there again."""
    admin = role_client("admin")
    user = make_user("agent")
    password = _secret(admin.post(reverse("staff_password_reset", args=[user.pk])))
    agent = _login(user.username, password)
    change = reverse("password_change")
    for name in ("home", "orders:phone_start", "staff_list"):
        assert agent.get(reverse(name))["Location"] == change
    assert agent.get(reverse("search"), {"q": "x"}, headers={"HX-Request": "true"})["HX-Redirect"] == change
    page = agent.get(change)
    assert page.status_code == 200 and "choose your own to go on" in page.content.decode()
    wrong = agent.post(change, {"old_password": "not-it", "new_password1": OWN_PASSWORD,
                                "new_password2": OWN_PASSWORD})
    assert wrong.status_code == 200 and agent.get(reverse("home"))["Location"] == change  # still temporary

    _choose_own_password(agent, password)
    assert agent.get(reverse("orders:phone_start")).status_code == 200
    assert _login(user.username, OWN_PASSWORD).get(reverse("home")).status_code == 200


OWN_PASSWORD = "Tr0pical-Mango-Harbor"


def _choose_own_password(client: Client, temporary: str) -> Client:
    """Logged in with a temporary password: the first page is the password change; the user picks their own."""
    assert client.get(reverse("home"))["Location"] == reverse("password_change")
    response = client.post(reverse("password_change"), {"old_password": temporary, "new_password1": OWN_PASSWORD,
                                                        "new_password2": OWN_PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(("changes", "field"), [
    ({"username": "x y"}, "username"),
    ({"email": "not-an-email"}, "email"),
    ({"roles": ["pirate"]}, "roles"),
    ({"roles": []}, "roles"),
    ({"language": "fr"}, "language"),
])
def test_bad_input_names_the_field_and_creates_nothing(role_client, changes, field):
    admin = role_client("admin")
    before = User.objects.count()
    form = {"username": "new.user", "roles": ["agent"], "language": "en", **changes}
    response = admin.post(reverse("staff_create"), form)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert User.objects.count() == before


def test_a_taken_user_name_is_refused_whatever_its_case(role_client, make_user):
    make_user("agent", username="Carla")
    response = role_client("admin").post(reverse("staff_create"), {"username": "carla", "roles": ["agent"],
                                                                   "language": "en"})
    assert response.status_code == 422
    assert response.context["form"].errors["username"] == ["The user name carla is taken."]


def test_nobody_locks_themselves_out_and_an_active_administrator_always_remains(role_client, make_user):
    client = role_client("admin")
    me = client.user
    edit = reverse("staff_edit", args=[me.pk])
    form = {"first_name": "", "last_name": "", "email": me.email, "language": "en", "is_active": "on"}
    response = client.post(edit, {**form, "roles": ["manager"]})
    assert response.status_code == 422 and "your own administrator role" in response.content.decode()
    assert client.post(edit, {**form, "roles": ["admin"], "is_active": ""}).status_code == 422
    assert [g.name for g in me.groups.all()] == ["admin"] and User.objects.get(pk=me.pk).is_active

    other = make_user("admin")
    User.objects.filter(pk=other.pk).update(is_active=False)  # me: the only active administrator left
    demote = {"user_id": me.pk, "first_name": "", "last_name": "", "email": "", "roles": ["agent"],
              "language": "en", "is_active": True}
    with pytest.raises(StaffError, match="last active administrator"):
        staff_update(**demote, acting_user=None)
    User.objects.filter(pk=other.pk).update(is_active=True)
    staff_update(**demote, acting_user=other)  # another administrator remains: allowed
    assert [g.name for g in User.objects.get(pk=me.pk).groups.all()] == ["agent"]


def test_an_e_mail_longer_than_the_account_keeps_is_refused_by_name(role_client):
    """The e-mail validator takes addresses up to 320 characters; the account's column keeps 254 (it was a server
    error)."""
    admin = role_client("admin")
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"
    assert 254 < len(email) <= 320
    response = admin.post(reverse("staff_create"), {"username": "longmail", "email": email, "roles": ["agent"],
                                                    "language": "en"})
    assert response.status_code == 422
    assert "at most 254 characters" in response.content.decode()
    assert not User.objects.filter(username="longmail").exists()


def test_a_saved_or_created_account_says_so_once(role_client, make_user):
    """The users' pages included the messages a second time under their title: "User bia created." and "User
    ana saved." appeared twice, one above the other."""
    admin = role_client("admin")
    created = admin.post(reverse("staff_create"), {
        "username": "bia", "first_name": "Bia", "email": "", "roles": ["agent"], "language": "en"})
    assert created.content.decode().count("User bia created.") == 1
    user = make_user("agent", username="ana")
    saved = admin.post(reverse("staff_edit", args=[user.pk]), {
        "first_name": "Ana", "last_name": "", "email": "", "roles": ["agent"], "language": "en", "is_active": "on"},
        follow=True)
    assert saved.content.decode().count("User ana saved.") == 1


def test_no_page_shows_the_messages_a_second_time():
    """``base.html`` shows the messages at the top of every page; a full page that includes them again shows each
    one twice (a page may include them in what it answers to htmx, which does not render the base)."""
    from pathlib import Path

    from django.conf import settings

    folders = [Path(settings.BASE_DIR) / "templates"] + [Path(settings.BASE_DIR) / app / "templates"
                                                         for app in settings.PROJECT_APPS]
    twice = []
    for template in (t for folder in folders for t in folder.glob("**/*.html") if t.name != "base.html"):
        for line in template.read_text().splitlines():
            if 'include "partials/messages.html"' in line and "request.htmx" not in line:
                twice.append(str(template.relative_to(settings.BASE_DIR)))
    assert twice == []


def test_a_form_opened_before_another_administrators_change_does_not_undo_it(role_client, make_user):
    """Two administrators open the same account; the first adds a role, the second, still looking at the old
    form, changes the e-mail: the second save is refused (nothing saved, the role kept) and the form comes back
    as the account is now, from which the change saves."""
    admin = role_client("admin")
    user = make_user("agent")
    edit = reverse("staff_edit", args=[user.pk])
    seen = admin.get(edit).context["form"].initial["seen"]
    form = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email, "roles": ["agent"],
            "language": "en", "is_active": "on", "seen": seen}
    assert admin.post(edit, {**form, "roles": ["agent", "warehouse"]}).status_code == 302  # the first one

    stale = admin.post(edit, {**form, "email": "new@example.com"})  # the second one, from the old page
    assert stale.status_code == 409 and "Someone changed this account" in stale.content.decode()
    user.refresh_from_db()
    assert (user.email != "new@example.com", sorted(g.name for g in user.groups.all())) == (
        True, ["agent", "warehouse"])
    assert AuditEntry.objects.filter(verb="staff_update", object_id=str(user.pk)).count() == 1

    fresh = stale.context["form"].initial
    assert fresh["roles"] == ["agent", "warehouse"] and fresh["seen"] != seen
    again = {**form, "roles": fresh["roles"], "email": "new@example.com", "seen": fresh["seen"]}
    assert admin.post(edit, again).status_code == 302
    user.refresh_from_db()
    assert (user.email, sorted(g.name for g in user.groups.all())) == ("new@example.com", ["agent", "warehouse"])
