"""Settings for development and tests. Every value can be overridden from the environment.

Production uses ``oms.settings.production``, which requires real secrets.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
RUN_DIR = BASE_DIR / ".run"


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

PROJECT_APPS = ["oms", "inventory", "marketing", "orders", "payments", "reports"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "import_export",
    "axes",
    "ninja",
    *PROJECT_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "oms.access.AccessMiddleware",
    "oms.query.QueryStringMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oms.context_processors.navigation",
            ],
            "builtins": ["oms.templatetags.oms_tags", "template_partials.templatetags.partials"],
        },
    }
]

# --- Database: a project-local PostgreSQL on a Unix socket under .run/ unless DATABASE_URL is set.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"postgres://postgres@/oms?host={RUN_DIR / 'pg'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
    )
}
DATABASES["default"]["TEST"] = {"NAME": env("OMS_TEST_DB", "test_oms")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker and results.
REDIS_URL = env("REDIS_URL", f"unix://{RUN_DIR / 'redis' / 'redis.sock'}")


def kombu_url(redis_url: str) -> str:
    """Celery (kombu) names Unix-socket Redis ``redis+socket://``; redis-py names it ``unix://``."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


CACHES = {
    "default": {
        "BACKEND": "oms.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_PREFIX", "oms"),
        "TIMEOUT": 300,
    }
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", kombu_url(REDIS_URL))
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_IGNORE_RESULT = True
# max_retries 0: a publish fails at once when the broker is down (the outbox row stays pending and
# the sweeper re-sends it) instead of blocking the request that caused it for seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 0}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = "UTC"

# Periodic jobs; each app adds its own through ``oms.celery.register_beat``.
OUTBOX_RETRY_AFTER_SECONDS = int(env("OUTBOX_RETRY_AFTER_SECONDS", "60"))
OUTBOX_MAX_ATTEMPTS = int(env("OUTBOX_MAX_ATTEMPTS", "10"))

# --- Auth
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
SESSION_COOKIE_AGE = 12 * 3600

# --- i18n
LANGUAGES = [("en", _("English")), ("pt-br", _("Português (Brasil)")), ("ar", _("العربية"))]
# The site's language: for browsers asking none of ours, and for e-mails to people who have none of their own.
LANGUAGE_CODE = env("LANGUAGE_CODE", "en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE={LANGUAGE_CODE!r} is none of {', '.join(dict(LANGUAGES))}")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "America/Sao_Paulo")
USE_I18N = True
USE_TZ = True
# Off: with it on, every number a template prints (ids in form names, option values, URLs built by hand)
# gains a separator past 999 and breaks. Money is grouped by the ``money`` filter; counts use ``intcomma``.
USE_THOUSAND_SEPARATOR = False
FORMAT_MODULE_PATH = ["oms.formats"]

# --- Static and media
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".run" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / ".run" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# With EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend: the mail server.
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Where the OMS is reached from outside: links in e-mails (the customer's tracking page).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "oms@localhost")

# Apps reacting to inventory transfers in the same transaction (orders: transfers feeding a shipment).
INVENTORY_TRANSFER_HOOKS = ["orders.fulfilment.services.transfer_hook"]
# Apps refusing a change of a kit's components while they hold stock for it (orders: lines reserved or allocated).
INVENTORY_KIT_HOOKS = ["orders.services.core.kit_hook"]
# An import job still validating or applying this long after it got there lost its worker (the Celery task limit is
# 30 minutes); the periodic sweep marks it failed (its transaction was rolled back: nothing was applied).
INVENTORY_IMPORT_STALE_MINUTES = int(env("INVENTORY_IMPORT_STALE_MINUTES", "35"))

# --- Money and payments
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", "BRL")
PAYMENTS_CARD_GATEWAY = env("PAYMENTS_CARD_GATEWAY", "sandbox")
PAYMENTS_PIX_KEY = env("PAYMENTS_PIX_KEY", "pix@example.com")
PAYMENTS_PIX_MERCHANT = env("PAYMENTS_PIX_MERCHANT", "OMS LOJA")
PAYMENTS_PIX_CITY = env("PAYMENTS_PIX_CITY", "SAO PAULO")
PAYMENTS_PIX_WEBHOOK_SECRET = env("PAYMENTS_PIX_WEBHOOK_SECRET", SECRET_KEY)
PAYMENTS_SANDBOX_TOKENIZE_PER_MINUTE = int(env("PAYMENTS_SANDBOX_TOKENIZE_PER_MINUTE", "30"))
GIFT_CARD_CODE_KEY = env("GIFT_CARD_CODE_KEY", SECRET_KEY)
STRIPE_API_KEY = env("STRIPE_API_KEY")

# Error pages and mails never show POST data or local variables (card numbers, passwords).
DEFAULT_EXCEPTION_REPORTER_FILTER = "oms.security.StrictExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
