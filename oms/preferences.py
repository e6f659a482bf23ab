"""Staff members' own choices (their language), kept so that work done while they are away uses them."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from oms.i18n import supported_language
from oms.models import UserPreference


def language_remember(user, code: str) -> None:
    """Keeps ``code`` as ``user``'s language (their last login's or the one they switched to)."""
    if getattr(user, "pk", None):
        UserPreference.objects.update_or_create(user=user, defaults={"language": supported_language(code)})


def user_language(user) -> str:
    """The language ``user`` reads (the site's language until they have logged in)."""
    preference = UserPreference.objects.filter(user_id=getattr(user, "pk", None)).first()
    return preference.language if preference else supported_language(None)


def users_languages(user_ids) -> dict[int, str]:
    """``{user id: language}`` for each of ``user_ids`` (the site's language for those without one)."""
    known = dict(UserPreference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "language"))
    return {pk: known.get(pk) or supported_language(None) for pk in user_ids}


@receiver(user_logged_in, dispatch_uid="oms.language_on_login")
def _language_on_login(sender, request, user, **kwargs) -> None:
    language_remember(user, getattr(request, "LANGUAGE_CODE", None))
