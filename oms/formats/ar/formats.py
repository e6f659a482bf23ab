"""Arabic formats: Django's, with thousands grouped (Django leaves Arabic numbers ungrouped) and date-times day
first like Arabic dates (Django has no Arabic date-time formats, so they fell back to the US month/day order)."""

from django.conf.locale.ar.formats import *  # noqa: F403
from django.conf.locale.ar.formats import DATE_FORMAT, SHORT_DATE_FORMAT, TIME_FORMAT

NUMBER_GROUPING = 3
DATETIME_FORMAT = f"{DATE_FORMAT} {TIME_FORMAT}"
SHORT_DATETIME_FORMAT = f"{SHORT_DATE_FORMAT} {TIME_FORMAT}"
