"""Arabic formats: Django's, with thousands grouped (Django leaves Arabic numbers ungrouped)."""

from django.conf.locale.ar.formats import *  # noqa: F403

NUMBER_GROUPING = 3
