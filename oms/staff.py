"""Staff accounts: who may log in, with which roles (the role groups of ``oms.permissions``) and language.

Accounts are never deleted (the audit trail and the orders name them): they are deactivated. The system always
keeps an active administrator, and nobody can take their own administration rights away or lock themselves out.
A temporary password is made here and shown once to the administrator; until the user has replaced it with one of
their own, every page of theirs leads to the password change (``oms.access.AccessMiddleware``), so the password
the administrator saw never stays in use.
"""

import secrets
import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from oms.audit import audit_record, diff, fingerprint, snapshot
from oms.i18n import is_language
from oms.models import AuditEntry, UserPreference
from oms.permissions import ROLES
from oms.preferences import language_remember, user_language

User = get_user_model()
ADMIN_ROLE = "admin"
# The session of a user who logged in with a temporary password holds this until they have chosen their own.
PASSWORD_TEMPORARY_SESSION_KEY = "oms_password_temporary"
PROFILE_FIELDS = ["first_name", "last_name", "email", "is_active"]


class StaffError(Exception):
    def __init__(self, message: str, *, field: str = ""):
        self.message, self.field = message, field
        super().__init__(message)


def staff_list(*, query: str = "", role: str = ""):
    users = User.objects.prefetch_related("groups").select_related("preference")
    if query:
        users = users.filter(Q(username__icontains=query) | Q(first_name__icontains=query)
                             | Q(last_name__icontains=query) | Q(email__icontains=query))
    if role in ROLES:
        users = users.filter(groups__name=role)
    return users


def roles_of(user) -> list[str]:
    return sorted(group.name for group in user.groups.all() if group.name in ROLES)


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


def staff_create(*, username: str, first_name: str, last_name: str, email: str, roles: list[str],
                 language: str, acting_user) -> tuple[User, str]:
    """A new account holding ``roles``; returns it with its temporary password (not readable again)."""
    username = unicodedata.normalize("NFKC", (username or "").strip())
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise StaffError(_("A user name takes letters, digits and @ . + - _ only."), field="username") from None
    if not username or len(username) > 150:
        raise StaffError(_("Give a user name of at most 150 characters."), field="username")
    profile = _clean_profile(first_name=first_name, last_name=last_name, email=email, is_active=True)
    roles, language = _clean_roles(roles), _clean_language(language)
    password = temporary_password()
    try:
        with transaction.atomic(durable=True):
            if User.objects.filter(username__iexact=username).exists():
                raise StaffError(_("The user name %(name)s is taken.") % {"name": username}, field="username")
            user = User.objects.create_user(username=username, password=password, **profile)
            user.groups.set(Group.objects.filter(name__in=roles))
            language_remember(user, language)
            _password_temporary(user, True)
            audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=user, verb="staff_create",
                         changes={**snapshot(user, ["username", *PROFILE_FIELDS]), "roles": roles,
                                  "language": language})
    except IntegrityError:  # the same name created at the same moment
        raise StaffError(_("The user name %(name)s is taken.") % {"name": username}, field="username") from None
    return user, password


def account_version(user) -> str:
    """A fingerprint of what the account's form shows: the form sends it back as ``seen``, and a save made from a
    form opened before someone else changed the account is refused instead of undoing their change."""
    return fingerprint(_account_state(user))


def staff_update(*, user_id: int, first_name: str, last_name: str, email: str, roles: list[str], language: str,
                 is_active: bool, acting_user, seen: str = "") -> User:
    """Saves the account as its form shows it; with ``seen`` (its ``account_version`` when the form was opened),
    refused if the account has changed since (two administrators editing it: the second would silently put back
    what the first changed)."""
    profile = _clean_profile(first_name=first_name, last_name=last_name, email=email, is_active=is_active)
    roles, language = _clean_roles(roles), _clean_language(language)
    with transaction.atomic(durable=True):
        _lock_admins()
        user = User.objects.select_for_update().get(pk=user_id)
        before = _account_state(user)
        if seen and seen != fingerprint(before):
            raise StaffError(_("Someone changed this account after you opened it; nothing was saved. It is shown "
                               "as it is now: make your change again."), field="seen")
        if user.pk == getattr(acting_user, "pk", None) and (not is_active or (
                ADMIN_ROLE in before["roles"] and ADMIN_ROLE not in roles)):
            raise StaffError(_("You cannot deactivate yourself or take away your own administrator role: ask "
                               "another administrator."), field="roles" if is_active else "is_active")
        if _was_admin(user, before["roles"]) and not (is_active and (ADMIN_ROLE in roles or user.is_superuser)) \
                and not _other_admins(user).exists():
            raise StaffError(_("%(name)s is the last active administrator: make someone else administrator "
                               "first.") % {"name": user.get_username()}, field="roles")
        for name, value in profile.items():
            setattr(user, name, value)
        user.save(update_fields=list(profile))
        user.groups.set(Group.objects.filter(name__in=roles))
        language_remember(user, language)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=user, verb="staff_update",
                     changes=diff(before, {**snapshot(user, PROFILE_FIELDS), "roles": roles, "language": language}))
    return user


def staff_password_reset(*, user_id: int, acting_user) -> str:
    """A new temporary password (the user's open sessions end); returns it to be shown once."""
    password = temporary_password()
    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().get(pk=user_id)
        user.set_password(password)
        user.save(update_fields=["password"])
        _password_temporary(user, True)
        audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, obj=user, verb="staff_password_reset")
    return password


def password_chosen(request) -> None:
    """The signed-in user has just set a password of their own: no longer a temporary one."""
    _password_temporary(request.user, False)
    request.session.pop(PASSWORD_TEMPORARY_SESSION_KEY, None)


def note_temporary_password(sender, request, user, **kwargs) -> None:
    """At each login (``user_logged_in``, the back office's and Django admin's): a user still holding a temporary
    password has their session marked, so that each request tells without reading the database."""
    if request is not None and UserPreference.objects.filter(user=user, password_temporary=True).exists():
        request.session[PASSWORD_TEMPORARY_SESSION_KEY] = True


def _password_temporary(user, temporary: bool) -> None:
    UserPreference.objects.update_or_create(
        user=user, defaults={"password_temporary": temporary},
        create_defaults={"password_temporary": temporary, "language": user_language(user)})


def _account_state(user) -> dict:
    return {**snapshot(user, PROFILE_FIELDS), "roles": roles_of(user), "language": user_language(user)}


def _clean_profile(*, first_name: str, last_name: str, email: str, is_active: bool) -> dict:
    email = (email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise StaffError(_("“%(value)s” is not a valid e-mail address.") % {"value": email},
                             field="email") from None
    names = {"first_name": (first_name or "").strip(), "last_name": (last_name or "").strip()}
    for field, value in names.items():
        if len(value) > 150 or "\x00" in value:
            raise StaffError(_("Give a name of at most 150 characters."), field=field)
    return {**names, "email": email, "is_active": bool(is_active)}


def _clean_roles(roles) -> list[str]:
    roles = sorted(set(roles or []))
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise StaffError(_("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}, field="roles")
    if not roles:
        raise StaffError(_("Give the user at least one role."), field="roles")
    return roles


def _clean_language(language: str) -> str:
    if not is_language(language):
        raise StaffError(_("“%(value)s” is not a language of this system.") % {"value": language}, field="language")
    return language


def _admins():
    return User.objects.filter(Q(is_superuser=True) | Q(groups__name=ADMIN_ROLE), is_active=True)


def _lock_admins() -> None:
    """Serialises changes that could remove the last administrator (two admins demoting each other at once)."""
    list(User.objects.select_for_update().filter(pk__in=_admins().values("pk")).order_by("pk").values("pk"))


def _was_admin(user, roles: list[str]) -> bool:
    return user.is_active and (ADMIN_ROLE in roles or user.is_superuser)


def _other_admins(user):
    return _admins().exclude(pk=user.pk)
