"""Holidays in the shipping calendar: national ones close every location and the carriers, a location's own
closure day only delays that location's hand-over; the admin page keeps them."""

from datetime import date, datetime, time

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from orders.fulfilment import services as ful
from orders.fulfilment import sourcing
from orders.fulfilment.calendar import ClosedDays, add_working_days, arrival_date, ship_date
from orders.fulfilment.demo import national_holidays, seed_holidays
from orders.fulfilment.models import Holiday
from orders.services import draft_create, draft_line_add, draft_update

CHRISTMAS = date(2026, 12, 25)  # a Friday


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_working_days_skip_closed_days():
    closed = frozenset({CHRISTMAS, date(2027, 1, 1)})
    assert add_working_days(date(2026, 12, 24), 1, closed) == date(2026, 12, 28)
    assert add_working_days(CHRISTMAS, 0, closed) == date(2026, 12, 28)  # handed in on a holiday: the next day
    assert add_working_days(date(2026, 12, 31), 1, closed) == date(2027, 1, 4)
    assert ship_date(now=datetime(2026, 12, 24, 18), cutoff=time(17), handling_days=0, closed=closed) == date(
        2026, 12, 28)
    assert arrival_date(shipped_on=date(2026, 12, 24), transit_days=1) == CHRISTMAS  # without holidays, as before


def _order(net, user, lines):
    order = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=net["customer"].pk)
    for variant, qty in lines:
        draft_line_add(order_id=order.pk, variant_id=variant.pk, quantity=qty, acting_user=user)
    draft_update(order_id=order.pk, acting_user=user, payment_method="invoice", shipping_service=net["service"])
    order.refresh_from_db()
    return order, list(order.lines.select_related("variant"))


@pytest.mark.django_db
def test_a_promise_over_christmas_waits_for_the_next_working_day(make_user, net):
    """Five shirts only the DC has: one handling day from Thursday 24 December. Without holidays the parcel left on
    Christmas day and arrived Wednesday 30; with Christmas closed it leaves Monday 28 and arrives Thursday 31."""
    agent = make_user("agent")
    order, lines = _order(net, agent, [(net["shirt"], 5)])
    eve = timezone.make_aware(datetime(2026, 12, 24, 10))
    assert ful.promise_for_options(order, lines, now=eve)[net["service"]] == date(2026, 12, 30)
    ful.holiday_save(day=CHRISTMAS, name="Natal", location_id=None, acting_user=None)
    assert ful.promise_for_options(order, lines, now=eve)[net["service"]] == date(2026, 12, 31)


def _candidate(loc, available):
    return sourcing.Candidate(location_id=loc.pk, name=loc.name, point=None, available=available,
                              handling_days=1, cutoff=time(23, 59))


@pytest.mark.django_db
def test_a_locations_own_closure_delays_only_its_ship_date(net):
    """The store closes on Friday 4 December (a local holiday); the DC works. Released Thursday 3 with one handling
    day: the DC hands over on Friday 4, the store on Monday 7; the carrier still counts Friday as a transit day."""
    store, dc = net["store"], net["dc"]
    ful.holiday_save(day=date(2026, 12, 4), name="Aniversário da loja", location_id=store.pk, acting_user=None)
    closed = ful.closed_days(date(2026, 12, 1))
    assert closed.at(store.pk) == {date(2026, 12, 4)} and closed.at(dc.pk) == frozenset()
    request = sourcing.Request(lines=(sourcing.Line(net["shirt"].pk, 1),), destination=None,
                               now=datetime(2026, 12, 3, 9), transit_days=1, closed=closed)
    plans, _short = sourcing.build_plans(request, [_candidate(dc, {net["shirt"].pk: 5}),
                                                    _candidate(store, {net["shirt"].pk: 5})], sourcing.RateCard())
    by_location = {p.shipments[0].location_id: p.shipments[0] for p in plans if p.kind == "single"}
    assert (by_location[dc.pk].ships_on, by_location[dc.pk].arrives_on) == (date(2026, 12, 4), date(2026, 12, 7))
    assert (by_location[store.pk].ships_on, by_location[store.pk].arrives_on) == (date(2026, 12, 7),
                                                                                  date(2026, 12, 8))


@pytest.mark.django_db
def test_transit_skips_a_national_holiday(net):
    """Handed over Monday 20 April 2026 with two transit days: Tiradentes (Tuesday 21) does not count."""
    ful.holiday_save(day=date(2026, 4, 21), name="Tiradentes", location_id=None, acting_user=None)
    closed = ful.closed_days(date(2026, 4, 17))
    request = sourcing.Request(lines=(sourcing.Line(net["shirt"].pk, 1),), destination=None,
                               now=datetime(2026, 4, 17, 9), transit_days=2, closed=closed)
    plans, _short = sourcing.build_plans(request, [_candidate(net["dc"], {net["shirt"].pk: 5})],
                                         sourcing.RateCard())
    shipment = plans[0].shipments[0]
    assert (shipment.ships_on, shipment.arrives_on) == (date(2026, 4, 20), date(2026, 4, 23))


@pytest.mark.django_db
def test_closed_days_reads_the_range_in_one_query(net, django_assert_num_queries):
    for day in (date(2026, 1, 1), CHRISTMAS, date(2029, 1, 1)):  # before and past the horizon
        Holiday.objects.create(date=day, name="x")
    Holiday.objects.create(date=date(2026, 12, 4), name="y", location=net["store"])
    with django_assert_num_queries(1):
        closed = ful.closed_days(date(2026, 12, 1))
    assert closed == ClosedDays(frozenset({CHRISTMAS}), {net["store"].pk: frozenset({date(2026, 12, 4)})})


@pytest.mark.django_db
def test_demo_seeds_brazils_national_holidays_once():
    assert seed_holidays() == 26
    assert seed_holidays() == 0
    days = dict(national_holidays(2026))
    assert days[date(2026, 2, 16)].startswith("Carnaval") and days[date(2026, 2, 17)].startswith("Carnaval")
    assert days[date(2026, 4, 3)] == "Sexta-feira Santa" and days[date(2026, 6, 4)] == "Corpus Christi"
    assert dict(national_holidays(2027))[date(2027, 3, 26)] == "Sexta-feira Santa"
    assert Holiday.objects.filter(location__isnull=True, date=CHRISTMAS, name="Natal").exists()


@pytest.mark.django_db
def test_holidays_page_creates_edits_refuses_and_deletes(role_client, net):
    from oms.models import AuditEntry

    client = role_client("admin")
    url = reverse("orders:fulfilment_holidays")
    for day, says in (("2026-02-30", "The date “2026-02-30” does not exist: February 2026 has 28 days."),
                      ("25/12/2026", "“25/12/2026” is not a date: use YYYY-MM-DD, e.g. 2026-11-24."),
                      ("", "Give the date as YYYY-MM-DD")):
        bad = client.post(url, {"date": day, "name": "Natal"})
        assert bad.status_code == 400 and says in bad.content.decode(), day
    bad = client.post(url, {"date": "2026-12-25", "name": "  "})
    assert bad.status_code == 400 and "Give the holiday a name." in bad.content.decode()
    bad = client.post(url, {"date": "2026-12-25", "name": "Natal", "location": "999999"})
    assert bad.status_code == 400 and "Choose a location, or none for a national holiday." in bad.content.decode()
    assert not Holiday.objects.exists()
    assert client.post(url, {"date": "2026-12-25", "name": "Natal"}).status_code == 302
    bad = client.post(url, {"date": "2026-12-25", "name": "Natal de novo"})
    assert bad.status_code == 400 and "12/25/2026 is already a holiday there." in bad.content.decode()
    assert client.post(url, {"date": "2026-12-25", "name": "Fechada", "location": net["store"].pk}).status_code == 302
    national = Holiday.objects.get(location__isnull=True)
    page = client.get(url).content.decode()
    assert "Natal" in page and "Store Pinheiros" in page and "Every location (national)" in page
    form = client.get(url, {"edit": national.pk}).content.decode()
    assert f'name="holiday" value="{national.pk}"' in form and 'value="2026-12-25"' in form
    ok = client.post(url, {"holiday": national.pk, "date": "2026-12-24", "name": "Véspera de Natal"})
    assert ok.status_code == 302
    national.refresh_from_db()
    assert (national.date, national.name, national.location_id) == (date(2026, 12, 24), "Véspera de Natal", None)
    assert Holiday.objects.count() == 2
    assert AuditEntry.objects.filter(verb="holiday_save").count() == 3
    assert client.get(url, {"edit": "abc"}).status_code == 404
    assert "Véspera de Natal" in client.get(url, {"year": "2026"}).content.decode()
    assert "Véspera de Natal" not in client.get(url, {"year": "2027"}).content.decode()
    assert client.get(url, {"year": "99999"}).status_code == 200
    client.post(reverse("orders:fulfilment_holiday_delete", args=[national.pk]))
    assert not Holiday.objects.filter(pk=national.pk).exists()
    assert AuditEntry.objects.filter(verb="holiday_delete").count() == 1
    assert role_client("agent").get(url).status_code == 403
    assert role_client("agent").post(reverse("orders:fulfilment_holiday_delete", args=[1])).status_code == 403


@pytest.mark.django_db
def test_removing_a_holiday_asks_first(role_client):
    """The Remove button submitted at once, though removing a holiday plans every open shipment again."""
    Holiday.objects.create(date=CHRISTMAS, name="Natal")
    page = role_client("admin").get(reverse("orders:fulfilment_holidays")).content.decode()
    assert ('data-confirm="Remove this holiday? Open shipments are planned again without it.">Remove</button>'
            in page)


@pytest.mark.django_db
def test_holiday_dates_are_shown_in_the_readers_format(role_client):
    """The list and the clash message wrote ISO dates ("2026-12-25") on Portuguese and Arabic pages."""
    Holiday.objects.create(date=CHRISTMAS, name="Natal")
    client = role_client("admin")
    client.cookies["django_language"] = "pt-br"
    url = reverse("orders:fulfilment_holidays")
    assert "sex 25/12/2026</td>" in client.get(url).content.decode().lower()
    clash = client.post(url, {"date": "2026-12-25", "name": "Natal de novo"})
    assert "25/12/2026 já é feriado nesse local." in clash.content.decode()
