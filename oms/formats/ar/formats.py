"""Arabic formats: Django's, with thousands grouped (Django leaves Arabic numbers ungrouped) and date-times day
first like Arabic dates (Django has no Arabic date-time formats, so they fell back to the US month/day order).
Dates are read day first too, as they are shown: without input formats Django read 01/02/2027 as 2 January."""

from django.conf.locale.ar.formats import *  # noqa: F403
from django.conf.locale.ar.formats import DATE_FORMAT, SHORT_DATE_FORMAT, TIME_FORMAT

NUMBER_GROUPING = 3
DATETIME_FORMAT = f"{DATE_FORMAT} {TIME_FORMAT}"
SHORT_DATETIME_FORMAT = f"{SHORT_DATE_FORMAT} {TIME_FORMAT}"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M:%S",
                          "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d"]
