"""A date typed in the right form but naming no day (2026-02-30) is refused as a day that does not exist, not
with "use YYYY-MM-DD": the person wrote it that way already. One helper (oms.query) says it for every date input."""

import pytest
from django.urls import reverse
from django.utils import translation

from oms.query import date_refusal, impossible_date


@pytest.mark.parametrize(("value", "why"), [
    ("2026-02-30", "February 2026 has 28 days"),
    ("2028-02-30", "February 2028 has 29 days"),
    ("2026-04-31", "April 2026 has 30 days"),
    ("2026-1-0", "January 2026 has 31 days"),
    ("2026-13-01", "a year has 12 months"),
    ("2026-00-10", "a year has 12 months"),
    ("0000-01-01", "the years of a date start at 0001"),
    ("2026-02-28", None),
    ("30/02/2026", None),
    ("", None),
])
def test_impossible_date_says_why_only_for_a_well_written_day_that_is_not_on_the_calendar(value, why):
    assert impossible_date(value) == why


def test_the_refusal_says_the_day_does_not_exist_or_how_to_write_a_date():
    assert date_refusal(" 2026-02-30 ") == "The date “2026-02-30” does not exist: February 2026 has 28 days."
    assert date_refusal("2026-02-30", name="until") == (
        "The date “2026-02-30” given for “until” does not exist: February 2026 has 28 days.")
    assert date_refusal("30/02/2026") == "“30/02/2026” is not a date: use YYYY-MM-DD, e.g. 2026-11-24."
    assert date_refusal("x", name="since") == "“x” is not a date for “since”: use YYYY-MM-DD, e.g. 2026-11-24."
    with translation.override("pt-br"):
        assert date_refusal("2026-02-30") == "A data “2026-02-30” não existe: Fevereiro de 2026 tem 28 dias."
    with translation.override("ar"):
        assert date_refusal("2026-13-01") == "التاريخ «\u20662026-13-01\u2069» غير موجود: السنة فيها 12 شهرًا."


@pytest.mark.django_db
def test_a_date_filter_in_the_address_names_the_day_that_does_not_exist(role_client):
    response = role_client("admin").get(reverse("audit_list"), {"until": "2026-02-30"})
    assert response.status_code == 400
    assert "The date “2026-02-30” given for “until” does not exist: February 2026 has 28 days." in (
        response.content.decode())
