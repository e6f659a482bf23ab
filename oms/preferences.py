"""Staff members' own choices (their language), kept so that work done while they are away uses them, and so
that their language follows them from one browser to another."""

from django.conf import settings

from oms.i18n import is_language, supported_language
from oms.models import UserPreference


def language_remember(user, code: str) -> None:
    """Keeps ``code`` as ``user``'s language (their last login's or the one they switched to)."""
    if getattr(user, "pk", None):
        UserPreference.objects.update_or_create(user=user, defaults={"language": supported_language(code)})


def _kept_language(user) -> str | None:
    return UserPreference.objects.filter(user_id=getattr(user, "pk", None)).values_list("language", flat=True).first()


def user_language(user) -> str:
    """The language ``user`` reads (the site's language until they have logged in)."""
    return _kept_language(user) or supported_language(None)


def users_languages(user_ids) -> dict[int, str]:
    """``{user id: language}`` for each of ``user_ids`` (the site's language for those without one)."""
    known = dict(UserPreference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "language"))
    return {pk: known.get(pk) or supported_language(None) for pk in user_ids}


def language_at_login(request, user) -> str:
    """The language ``user`` works in from this login on.

    A language chosen on this browser (its cookie) wins and is kept; otherwise the one kept from an earlier
    session follows the user to this browser; a first login keeps the browser's own language."""
    chosen = chosen_language(request)
    if chosen:
        language_remember(user, chosen)
        return chosen
    kept = _kept_language(user)
    if kept:
        return kept
    language = supported_language(getattr(request, "LANGUAGE_CODE", None))
    language_remember(user, language)
    return language


def chosen_language(request) -> str | None:
    """The language the visitor chose on this browser with the language switch (its cookie), if any: it wins over
    any other a page would pick for them (a user's kept one, an order's customer's)."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if is_language(chosen) else None


def set_language_cookie(response, language: str) -> None:
    """The cookie Django's language switch sets, with the same settings."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE)
