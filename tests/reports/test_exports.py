import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from oms.models import AuditEntry, OutboxMessage
from reports import exports, services
from reports.errors import InvalidReportParameters, ReportNotAllowed
from reports.models import ReportJob
from tests.reports.factories import StockLevelFactory, days_ago, make_order


@pytest.mark.parametrize(("value", "expected"), [
    ("=SUM(A1:A3)", "'=SUM(A1:A3)"), ("+5511999", "'+5511999"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Ana", "Ana"), ("", ""), (-5, -5), (None, None), ("a=b", "a=b"),
])
def test_neutralize(value, expected):
    assert exports.neutralize(value) == expected


def _period():
    today = timezone.localdate()
    return {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}


def _run(kind, fmt, user, **params):
    job = services.report_job_create(kind=kind, format=fmt, parameters={**_period(), **params}, acting_user=user)
    assert services.report_job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    return job


def test_create_queues_an_outbox_message_and_audits(make_user, world, django_capture_on_commit_callbacks):
    user = make_user("manager")
    job = services.report_job_create(kind="orders", format="csv", parameters=_period(), acting_user=user)
    assert job.status == ReportJob.Status.QUEUED
    assert OutboxMessage.objects.get(topic=services.JOB_TOPIC).payload == {"job_id": job.pk}
    assert AuditEntry.objects.filter(verb="report_job_create", object_id=str(job.pk)).count() == 1
    assert job.parameters["include_cost"] is True


def test_bad_parameters_create_nothing(make_user, world):
    user = make_user("manager")
    with pytest.raises(InvalidReportParameters) as exc:
        services.report_job_create(kind="orders", format="csv", parameters={"start": "2026-02-01", "end": "2026-01-01"},
                                   acting_user=user)
    assert exc.value.field == "end"
    with pytest.raises(InvalidReportParameters):
        services.report_job_create(kind="orders", format="doc", parameters=_period(), acting_user=user)
    with pytest.raises(InvalidReportParameters):
        services.report_job_create(kind="orders", format="csv", parameters={"start": "soon"}, acting_user=user)
    with pytest.raises(InvalidReportParameters) as exc:
        services.report_job_create(kind="orders", format="csv", parameters={**_period(), "channel_id": "²"},
                                   acting_user=user)
    assert (exc.value.field, exc.value.message) == ("channel_id", "Choose a channel from the list.")
    assert ReportJob.objects.count() == 0 and OutboxMessage.objects.count() == 0


def test_finance_may_not_export_inventory(make_user):
    with pytest.raises(ReportNotAllowed):
        services.report_job_create(kind="inventory", format="csv", parameters={}, acting_user=make_user("finance"))
    assert ReportJob.objects.count() == 0


def test_orders_csv_neutralizes_formulas_and_counts_rows(make_user, world):
    world["ana"].name = "=HYPERLINK(\"http://evil\")"
    world["ana"].save()
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 2, "25.00")],
               customer=world["ana"], number="W-1")
    make_order(channel=world["web"], placed_at=days_ago(2), lines=[(world["mug"], 1, "12.00")], number="W-2")
    make_order(channel=world["web"], lines=[(world["mug"], 1, "12.00")], status="draft")
    job = _run("orders", "csv", make_user("manager"))
    assert (job.status, job.row_count, job.total_rows, job.progress) == ("done", 2, 2, 100)
    assert job.expires_at > timezone.now()
    with job.file.open("rb") as fh:
        rows = list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Number", "Placed at", "Channel"]
    assert [r[0] for r in rows[1:]] == ["W-2", "W-1"]
    assert rows[2][4] == "'=HYPERLINK(\"http://evil\")"
    assert rows[2][13] == "50.0000"


def test_order_lines_xlsx_with_cost_only_for_cost_viewers(make_user, world):
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 2, "25.00"),
                                                                 (world["mug"], 1, "12.00")])
    job = _run("order_lines", "xlsx", make_user("manager"))
    sheet = load_workbook(job.file.path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "Unit cost"
    assert [(r[4], r[6]) for r in rows[1:]] == [("R-SHIRT", 2), ("R-MUG", 1)]
    assert job.row_count == 2


def test_inventory_pdf(make_user, world):
    StockLevelFactory(variant=world["shirt"], on_hand=5)
    StockLevelFactory(variant=world["mug"], on_hand=-0)
    job = _run("inventory", "pdf", make_user("manager"))
    with job.file.open("rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert job.row_count == 2


def test_a_spreadsheet_report_asked_in_arabic_opens_right_to_left(make_user, world):
    from django.utils import translation

    def sheet(language: str):
        with translation.override(language):
            return load_workbook(_run("customers", "xlsx", make_user("manager")).file.path).active

    arabic, english = sheet("ar"), sheet("en")
    assert arabic.sheet_view.rightToLeft and arabic.title == "العملاء"
    assert not english.sheet_view.rightToLeft and english.title == "Customers"


def test_a_pdf_report_asked_in_arabic_prints_arabic_right_to_left(make_user, world):
    """Report PDFs were drawn in reportlab's Helvetica, which has no Arabic letters: an Arabic-speaking manager's
    report printed its title, headers and customers' Arabic names as empty boxes."""
    from django.utils import translation

    from tests.pdf import pdf_declared, pdf_fonts, pdf_text, shaped

    world["ana"].name = "محمد العلي"
    world["ana"].save()
    def report(language: str) -> bytes:
        with translation.override(language):
            job = _run("customers", "pdf", make_user("manager"))
        with job.file.open("rb") as fh:
            return fh.read()

    arabic = report("ar")
    assert pdf_fonts(arabic) == {"DejaVuSans", "DejaVuSans-Bold"}
    text = pdf_text(arabic)
    assert shaped("محمد العلي") in text and shaped("العملاء") in text  # a name, and the title "Customers"
    english = pdf_text(report("en"))
    assert "Customers" in english and "Marketing consent" in english
    assert pdf_declared(arabic) == ("العملاء", "ar", True)  # a screen reader reads it in Arabic
    assert pdf_declared(report("en")) == ("Customers", "en", True)


def test_top_report_export(make_user, world):
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 2, "25.00")])
    job = _run("top", "xlsx", make_user("finance"), dimension="products")
    rows = list(load_workbook(job.file.path, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:7] == ("Products", "Currency", "Orders", "Units", "Gross revenue", "Returns (refunded)",
                           "Net revenue")
    assert rows[1][0].startswith("R-SHIRT") and rows[1][1:4] == ("BRL", 1, 2)


def test_movements_and_customers_exports(make_user, world):
    user = make_user("admin")
    assert _run("customers", "csv", user).row_count == 2
    assert _run("movements", "csv", user).row_count == 0


def test_run_is_idempotent_and_a_failure_is_recorded(make_user, world):
    user = make_user("manager")
    job = _run("customers", "csv", user)
    assert services.report_job_run(job_id=job.pk) == "skipped"
    bad = services.report_job_create(kind="top", format="csv", parameters={**_period(), "dimension": "products"},
                                     acting_user=user)
    ReportJob.objects.filter(pk=bad.pk).update(parameters={"dimension": "nope", "start": "x", "end": "y"})
    assert services.report_job_run(job_id=bad.pk) == "failed"
    bad.refresh_from_db()
    assert bad.status == "failed" and bad.error and not bad.file


def test_download_only_for_requester_and_managers(client, make_user, world):
    finance = make_user("finance")
    job = _run("customers", "csv", finance)
    url = reverse("reports:job_download", args=[job.pk])
    other_finance = make_user("finance")
    client.force_login(other_finance)
    assert client.get(url).status_code == 403
    client.force_login(finance)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode("utf-8-sig").startswith("Id,Name")
    client.force_login(make_user("manager"))
    assert client.get(url).status_code == 200
    assert AuditEntry.objects.filter(verb="report_download", object_id=str(job.pk)).count() == 2


def test_job_list_shows_own_jobs_and_polls_running_ones(client, make_user, world, django_assert_num_queries):
    finance, other = make_user("finance"), make_user("finance")
    services.report_job_create(kind="customers", format="csv", parameters={}, acting_user=other)
    mine = services.report_job_create(kind="customers", format="csv", parameters={}, acting_user=finance)
    client.force_login(finance)
    client.get(reverse("reports:job_list"))
    with django_assert_num_queries(10):
        response = client.get(reverse("reports:job_list"))
    assert [j.pk for j in response.context["page"]] == [mine.pk]
    assert b'hx-trigger="every 1s"' in response.content
    status = client.get(reverse("reports:job_status", args=[mine.pk]), HTTP_HX_REQUEST="true")
    assert b'role="progressbar"' in status.content
    assert client.get(reverse("reports:job_status", args=[mine.pk - 1])).status_code == 404


def test_job_create_view(role_client, world):
    client = role_client("manager")
    response = client.post(reverse("reports:job_create"), {"kind": "orders", "format": "xlsx", **_period()})
    assert response.status_code == 302
    assert ReportJob.objects.get().format == "xlsx"
    bad = client.post(reverse("reports:job_create"), {"kind": "orders", "format": "xlsx", "start": "x"})
    assert bad.status_code == 302 and ReportJob.objects.count() == 1


def test_expiry_deletes_files(make_user, world):
    job = _run("customers", "csv", make_user("manager"))
    path = job.file.path
    assert services.report_jobs_expire(now=timezone.now() + timedelta(days=30)) == 1
    job.refresh_from_db()
    assert job.status == "expired" and not job.file
    import os

    assert not os.path.exists(path)


def test_payments_export_is_for_finance_and_managers_only(make_user, world):
    from reports.selectors import optional_model

    if optional_model("payments", "Payment") is None:
        pytest.skip("payments models not installed")
    with pytest.raises(ReportNotAllowed):
        services.report_job_create(kind="payments", format="csv", parameters=_period(), acting_user=make_user("agent"))
    job = _run("payments", "xlsx", make_user("finance"))
    assert job.status == "done" and job.row_count == 0


def test_journal_export_lists_balanced_lines(make_user, world):
    from reports.selectors import optional_model

    entry_model, line_model, account_model = (optional_model("payments", name) for name in
                                              ("JournalEntry", "JournalLine", "Account"))
    if line_model is None:
        pytest.skip("payments journal not installed")
    cash, sales = (account_model.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})[0]
                   for code, name, kind in (("R-1", "Cash", "asset"), ("R-4", "Sales", "revenue")))
    entry = entry_model.objects.create(posted_on=timezone.localdate(), memo="=cmd|' /C calc'!A0", reference="r:1")
    line_model.objects.create(entry=entry, account=cash, debit="10.00")
    line_model.objects.create(entry=entry, account=sales, credit="10.00")
    job = _run("journal", "csv", make_user("finance"))
    with job.file.open("rb") as fh:
        rows = list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig"))))
    assert [(r[4], r[6], r[7]) for r in rows[1:]] == [("R-1", "10.0000", "0.0000"), ("R-4", "0.0000", "10.0000")]
    assert rows[1][3] == "'=cmd|' /C calc'!A0"


def test_a_job_whose_worker_died_is_failed_by_the_cleanup(make_user, world):
    job = services.report_job_create(kind="customers", format="csv", parameters={}, acting_user=make_user("manager"))
    ReportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now() - timedelta(hours=2))
    fresh = services.report_job_create(kind="customers", format="csv", parameters={}, acting_user=job.requested_by)
    ReportJob.objects.filter(pk=fresh.pk).update(status="running", started_at=timezone.now())
    services.report_jobs_expire()
    assert ReportJob.objects.get(pk=job.pk).status == "failed"
    assert ReportJob.objects.get(pk=fresh.pk).status == "running"


def test_journal_export_reads_system_memos_in_the_language_it_was_asked_in(make_user, world):
    from django.utils import translation
    from django.utils.translation import gettext_noop

    from oms.i18n import stored_text
    from payments.ledger import Acct, cr, dr, journal_post

    memo = stored_text(gettext_noop("Shipment %(shipment)s of order %(number)s"), shipment=7, number="WEB-000001")
    label = stored_text(gettext_noop("Order %(number)s"), number="WEB-000001")
    journal_post(lines=[dr(Acct.CUSTOMER_BALANCES, "10.00", label), cr(Acct.SALES, "10.00", label)], memo=memo,
                 reference="shipment:7", acting_user=None)
    with translation.override("pt-br"):
        job = _run("journal", "csv", make_user("finance"))
    with job.file.open("rb") as fh:
        rows = list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig"))))
    assert {r[3] for r in rows[1:]} == {"Remessa 7 do pedido WEB-000001"}
    assert {r[8] for r in rows[1:]} == {"Pedido WEB-000001"}


def test_orders_and_order_lines_exports_keep_to_the_chosen_location(make_user, world):
    """The report files form offers a location; the order exports used to ignore it and list every order."""
    from orders.models import OrderLineAllocation
    from tests.reports.factories import LocationFactory

    store, dc = LocationFactory(code="RST1"), LocationFactory(code="RDC1")
    at_store = make_order(channel=world["web"], placed_at=days_ago(2), number="W-ST",
                          lines=[(world["shirt"], 2, "25.00"), (world["mug"], 1, "12.00")])
    at_dc = make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["mug"], 3, "12.00")], number="W-DC")
    shirt_line, mug_line = at_store.lines.order_by("position")
    OrderLineAllocation.objects.bulk_create([
        OrderLineAllocation(line=shirt_line, location=store, quantity=2),
        OrderLineAllocation(line=mug_line, location=dc, quantity=1),
        OrderLineAllocation(line=at_dc.lines.get(), location=dc, quantity=3),
    ])
    user = make_user("manager")

    def rows(kind, location):
        job = _run(kind, "csv", user, location_id=str(location.pk))
        with job.file.open("rb") as fh:
            return [r[:6] for r in csv.reader(io.StringIO(fh.read().decode("utf-8-sig")))][1:]

    assert [r[0] for r in rows("orders", store)] == ["W-ST"]
    assert [r[0] for r in rows("orders", dc)] == ["W-ST", "W-DC"]
    assert [(r[0], r[4]) for r in rows("order_lines", store)] == [("W-ST", "R-SHIRT")]
    assert [(r[0], r[4]) for r in rows("order_lines", dc)] == [("W-ST", "R-MUG"), ("W-DC", "R-MUG")]


@pytest.mark.parametrize(("kind", "field"), [("payments", "location_id"), ("journal", "channel_id"),
                                             ("journal", "location_id"), ("movements", "channel_id"),
                                             ("inventory", "channel_id"), ("customers", "channel_id"),
                                             ("customers", "location_id")])
def test_a_filter_the_file_cannot_apply_is_refused_not_ignored(role_client, world, kind, field):
    """The report files form offers a channel and a location for every kind; the kinds that cannot keep to one
    wrote every row as if none had been chosen. Now the form says so and queues nothing."""
    from tests.reports.factories import LocationFactory

    value = world["phone"].pk if field == "channel_id" else LocationFactory().pk
    client = role_client("admin")
    response = client.post(reverse("reports:job_create"), {"kind": kind, "format": "csv", **_period(), field: value},
                           follow=True)
    assert not ReportJob.objects.exists()
    label = "channel" if field == "channel_id" else "location"
    assert f"cannot be limited to one {label}" in response.content.decode()


def test_the_filters_a_file_applies_are_accepted(role_client, world):
    from tests.reports.factories import LocationFactory

    client = role_client("admin")
    location, channel = LocationFactory().pk, world["phone"].pk
    for kind, params in [("orders", {"channel_id": channel, "location_id": location}),
                         ("order_lines", {"channel_id": channel, "location_id": location}),
                         ("inventory", {"location_id": location}), ("movements", {"location_id": location}),
                         ("payments", {"channel_id": channel}), ("journal", {}), ("customers", {})]:
        client.post(reverse("reports:job_create"), {"kind": kind, "format": "csv", **_period(), **params})
    assert ReportJob.objects.count() == 7


def test_a_top_n_file_is_not_ranked_by_cost_for_someone_who_may_not_see_cost(client, make_user, world):
    """The page falls back to revenue when someone without 'view_cost' asks for ?sort=-cost, but its export form
    passed the asked sort on: the file then listed the SKUs with the highest cost (column hidden) first."""
    from django.contrib.auth.models import Permission

    user = make_user()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["use_back_office", "view_reports"],
                                                         content_type__app_label="oms"))
    client.force_login(user)
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 3, "11.00")])  # cost 30
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["mug"], 2, "50.00")])  # cost 8
    page = client.get(reverse("reports:top") + "?dim=products&sort=-cost&limit=1")
    assert [r.label.split(" · ")[0] for r in page.context["rows"]] == ["R-MUG"]
    assert 'name="sort" value="-revenue"' in page.content.decode()
    client.post(reverse("reports:job_create"), {"kind": "top", "format": "csv", "dimension": "products",
                                                "sort": "-cost", "limit": "1", **_period()})
    job = ReportJob.objects.get()
    assert job.parameters["sort"] == "-revenue"
    assert services.report_job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    rows = list(csv.reader(io.StringIO(job.file.open("rb").read().decode("utf-8-sig"))))
    assert [row[0].split(" · ")[0] for row in rows[1:]] == ["R-MUG"]


def test_a_top_n_spreadsheet_asked_in_arabic_is_made(make_user, world):
    """The Arabic title of a top-N file ("الأعلى: المنتجات") has a colon, which a worksheet's name may not hold: every
    XLSX top-N report asked in Arabic failed with "an unexpected error"."""
    from django.utils import translation

    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 2, "25.00")])
    with translation.override("ar"):
        job = _run("top", "xlsx", make_user("manager"), dimension="products")
    sheet = load_workbook(job.file.path).active
    assert sheet.title == "الأعلى المنتجات" and sheet.sheet_view.rightToLeft
    assert sheet.cell(row=2, column=1).value.startswith("R-SHIRT")


@pytest.mark.parametrize(("title", "expected"), [
    ("Orders", "Orders"), ("الأعلى: المنتجات", "الأعلى المنتجات"), ("a/b\\c*d?e[f]g", "a b c d e f g"),
    ("x" * 40, "x" * 31), ("'quoted'", "quoted"), (":", "Report"),
])
def test_sheet_titles_are_names_a_worksheet_may_have(title, expected):
    assert exports.sheet_title(title) == expected


def test_a_printed_top_n_report_writes_amounts_as_its_reader_reads_them(make_user, world):
    """A top-N PDF printed its amounts as stored, "1250.0000", for a reader in Brazil who reads R$ 1.250,00 on the
    page; its spreadsheet files had four decimals too."""
    from django.utils import translation

    from tests.pdf import pdf_text

    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 50, "25.00")])

    def text(language: str) -> str:
        with translation.override(language):
            job = _run("top", "pdf", make_user("manager"), dimension="channels")
        with job.file.open("rb") as fh:
            return pdf_text(fh.read())

    brazil, english = text("pt-br"), text("en")
    assert "1.250,00" in brazil and "1250.0000" not in brazil
    assert "1,250.00" in english
    assert "500,00" in brazil  # the cost of 50 shirts at 10.00
    job = _run("top", "csv", make_user("manager"), dimension="channels")
    with job.file.open("rb") as fh:
        row = list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig"))))[1]
    assert row[4] == "1250.00"  # a machine-readable number, to the currency's cents


@pytest.mark.parametrize(("value", "en", "pt"), [
    (Decimal("7076.4700"), "7,076.47", "7.076,47"), (Decimal("0.0000"), "0.00", "0,00"),
    (Decimal("12.3456"), "12.3456", "12,3456"), (Decimal("66.1"), "66.1", "66,1"), (1400.5, "1,400.5", "1.400,5"),
    (2104, "2104", "2104"), (True, "Yes", "Sim"), ("=A1", "=A1", "=A1"),
])
def test_pdf_cells_in_the_readers_language(value, en, pt):
    from django.utils import translation

    with translation.override("en"):
        assert exports.pdf_cell(value) == en
    with translation.override("pt-br"):
        assert exports.pdf_cell(value) == pt


def test_the_job_list_names_a_top_n_job_and_a_schedule_in_the_readers_language(client, make_user, world):
    """A top-N job was listed as "Relatório de ranking · products" (the dimension's code) to a reader in Portuguese,
    and a schedule over one day as "last 1 days"."""
    manager = make_user("manager")
    services.report_job_create(kind="top", format="csv", acting_user=manager,
                               parameters={**_period(), "dimension": "products"})
    services.report_schedule_create(kind="orders", format="csv", parameters={}, period_days=1, frequency="daily",
                                    recipients="ana@example.com", acting_user=manager)
    client.force_login(manager)
    page = client.get(reverse("reports:job_list"), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert " · Produtos" in page and " · products" not in page
    english = client.get(reverse("reports:job_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert " · Products" in english
    assert "last 1 day ·" in english and "last 1 days" not in english


@pytest.mark.parametrize(("field", "message"), [("channel_id", "Choose a channel from the list."),
                                                ("location_id", "Choose a location from the list.")])
def test_a_file_for_a_channel_or_location_that_is_not_there_is_refused(client, make_user, world, field, message):
    """An id no channel or location has was queued, and made a file with no rows that looked like a quiet week."""
    client.force_login(make_user("manager"))
    response = client.post(reverse("reports:job_create"),
                           {"kind": "orders", "format": "csv", **_period(), field: "987654"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [message]
    assert ReportJob.objects.count() == 0
    job = _run("orders", "csv", make_user("manager"), **{field: str(world["web"].pk) if field == "channel_id"
                                                           else str(StockLevelFactory().location_id)})
    assert job.parameters[field]


def test_a_printed_report_names_statuses_in_its_readers_language(make_user, world):
    """An orders PDF asked in Portuguese or Arabic printed each status by its code ("delivered",
    "partially_returned"); the spreadsheet files keep the codes, for the programs that read them."""
    from django.utils import translation

    from orders.models import Order
    from tests.pdf import pdf_text

    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 1, "25.00")],
               status="partially_returned")
    with translation.override("pt-br"):
        job = _run("orders", "pdf", make_user("manager"))
        label = str(Order.Status.PARTIALLY_RETURNED.label)
    with job.file.open("rb") as fh:
        text = pdf_text(fh.read())
    assert label.startswith("Parcialmente")  # printed "Parcialmen…", cut to its column
    assert " Parcialmen" in text and "partially" not in text
    with translation.override("pt-br"):
        job = _run("orders", "csv", make_user("manager"))
    with job.file.open("rb") as fh:
        assert list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig"))))[1][3] == "partially_returned"


def test_times_in_a_csv_file_are_to_the_second(make_user, world):
    """A customer's "created at" was written 2026-11-24 19:11:16.648924, which spreadsheets read as text, not time."""
    job = _run("customers", "csv", make_user("manager"))
    with job.file.open("rb") as fh:
        created = list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig"))))[1][-1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", created), created


def test_the_export_form_says_which_files_the_dates_do_not_limit(client, make_user):
    """The form said the dates applied to orders, order lines and stock movements: a manager exporting payments, the
    journal or the daily sales could not tell the dates limited those too."""
    client.force_login(make_user("manager"))
    page = client.get(reverse("reports:job_list")).content.decode()
    help_text = re.search(r'<p class="helptext">(.*?)</p>', page, re.S).group(1)
    assert help_text.endswith("which show things as they are now: “Inventory snapshot”, “Customers”.")
    for kind in services.DATED_KINDS:
        assert f"“{ReportJob.Kind(kind).label}”" not in help_text
