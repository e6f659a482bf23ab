"""Production settings: every secret comes from the environment and nothing insecure is defaulted."""

from django.core.exceptions import ImproperlyConfigured

from oms.settings import *  # noqa: F403
from oms.settings import env, env_list

DEBUG = False

SECRET_KEY = env("SECRET_KEY")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names this OMS answers to.")

for name in ("PAYMENTS_PIX_WEBHOOK_SECRET", "GIFT_CARD_CODE_KEY"):
    value = env(name)
    if len(value) < 32 or value == SECRET_KEY:
        raise ImproperlyConfigured(f"{name} must be set to its own random value of at least 32 characters.")
    globals()[name] = value

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
