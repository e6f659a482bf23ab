"""Report files: row sources per job kind and streaming CSV / XLSX / PDF writers with constant memory.

Rows come from ``values_list(...).iterator(chunk_size=...)`` (a server-side cursor on PostgreSQL), and
each writer writes a row at a time to a temporary file, so memory stays flat whatever the row count.
Spreadsheet cells that start with ``= + - @`` (or tab / carriage return) are neutralized with a leading
apostrophe so a spreadsheet never evaluates them as formulas (CSV injection).
"""

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language_bidi, pgettext
from django.utils.translation import gettext as _

from oms.i18n import render, without_isolates
from oms.spreadsheets import neutralize

CHUNK = 2000


def plain(value):
    """A cell value as written: local time to the second for datetimes, numbers left as numbers, None as empty."""
    if value is None:
        return ""
    if isinstance(value, str | Decimal | int | float):
        return value
    if isinstance(value, datetime):  # to the second: "19:11:16.648924" is text to a spreadsheet, not a time
        value = value.astimezone(_local()).replace(tzinfo=None) if value.tzinfo is not None else value
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return value
    return str(value)


def pdf_cell(value) -> str:
    """A cell as a printed report shows it: numbers with the reader's separators and grouping, as the invoices print
    amounts (7.076,47 in pt-BR, not 7076.4700), kept to two decimals unless they carry more (a unit cost of
    12.3456); yes / no for a flag in the reader's language. Whole numbers (ids, counts) stay as they are; dates and
    times are written YYYY-MM-DD HH:MM like the other documents'."""
    value = plain(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal) and value.is_finite():
        scale = max(0, -int(value.as_tuple().exponent))
        needed = max(0, -int(value.normalize().as_tuple().exponent))
        places = min(scale, max(needed, min(scale, 2)))
        return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    if isinstance(value, float):
        return number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def _local():
    return timezone.get_current_timezone()


@dataclass
class Source:
    """What a job writes: a header, the number of rows (for progress) and the rows themselves."""

    title: str
    header: list[str]
    count: Callable[[], int]
    rows: Callable[[], Iterable[tuple]]
    # column -> {code: label}: a printed report shows a status or a reason by its name in the reader's language
    # ("Entregue", not "delivered"); spreadsheet files keep the codes, for the programs that read them.
    labels: dict[int, dict] = field(default_factory=dict)


def choice_labels(model, fields: list[str]) -> dict[int, dict]:
    """The ``labels`` of the ``fields`` of ``model`` that have choices (its own fields: not those across a relation,
    nor annotations)."""
    own = {f.name: f for f in model._meta.get_fields() if getattr(f, "choices", None)}
    return {column: dict(own[name].choices) for column, name in enumerate(fields) if name in own}


def _period(parameters: dict):
    from reports.rollups import day_start

    start = date.fromisoformat(parameters["start"])
    end = date.fromisoformat(parameters["end"])
    return day_start(start), day_start(end + timedelta(days=1))


def _orders(parameters: dict) -> Source:
    from orders.models import Order

    start, end = _period(parameters)
    qs = Order.objects.filter(placed_at__gte=start, placed_at__lt=end).exclude(status=Order.Status.DRAFT)
    if parameters.get("channel_id"):
        qs = qs.filter(channel_id=parameters["channel_id"])
    if parameters.get("location_id"):  # orders with a line held at the location (as the dashboard counts them)
        from reports.selectors import held_at

        qs = qs.filter(held_at(parameters["location_id"]))
    qs = qs.order_by("placed_at", "id")
    fields = ["number", "placed_at", "channel__code", "status", "customer__name", "email", "shipping_address__state",
              "source_code", "currency", "subtotal", "discount_total", "shipping_total", "tax_total", "total",
              "placed_by__username"]
    header = [_("Number"), _("Placed at"), _("Channel"), _("Status"), _("Customer"), _("E-mail"), _("State"),
              _("Source code"), _("Currency"), _("Subtotal"), _("Discount"), _("Shipping"), _("Tax"), _("Total"),
              _("Placed by")]
    return Source(_("Orders"), header, qs.count, lambda: qs.values_list(*fields).iterator(chunk_size=CHUNK),
                  choice_labels(Order, fields))


def _order_lines(parameters: dict) -> Source:
    from django.contrib.postgres.aggregates import StringAgg
    from django.db.models import Case, CharField, Exists, OuterRef, Subquery, Value, When
    from django.db.models.functions import Cast, Concat

    from orders.models import OrderLine, OrderLineAllocation

    start, end = _period(parameters)
    # Where the line's units are held: "DC1", or "ST1 × 6, DC1 × 4" for a line split across locations.
    part = Case(When(quantity=OuterRef("quantity"), then=F("location__code")),
                default=Concat(F("location__code"), Value(" × "), Cast("quantity", CharField())))
    locations = Subquery(OrderLineAllocation.objects.filter(line=OuterRef("pk")).order_by().values("line").annotate(
        codes=StringAgg(part, ", ", order_by=("-quantity", "location__code"))).values("codes"),
        output_field=CharField())
    qs = OrderLine.objects.filter(order__placed_at__gte=start, order__placed_at__lt=end).exclude(
        order__status="draft").annotate(locations=locations)
    if parameters.get("channel_id"):
        qs = qs.filter(order__channel_id=parameters["channel_id"])
    if parameters.get("location_id"):  # lines with units held at the location
        qs = qs.filter(Exists(OrderLineAllocation.objects.filter(line=OuterRef("pk"),
                                                                 location_id=parameters["location_id"])))
    qs = qs.order_by("order__placed_at", "order_id", "position", "id")
    fields = ["order__number", "order__placed_at", "order__channel__code", "position", "sku", "name", "quantity",
              "unit_price", "discount_total", "tax_amount", "line_total", "status", "locations"]
    header = [_("Order"), _("Placed at"), _("Channel"), _("Line"), _("SKU"), _("Name"), _("Quantity"),
              _("Unit price"), _("Discount"), _("Tax"), _("Line total"), _("Status"), _("Location")]
    if parameters.get("include_cost"):
        fields.append("variant__cost")
        header.append(_("Unit cost"))
    return Source(_("Order lines"), header, qs.count, lambda: qs.values_list(*fields).iterator(chunk_size=CHUNK),
                  choice_labels(OrderLine, fields))


def _inventory(parameters: dict) -> Source:
    from inventory.models import StockLevel

    qs = StockLevel.objects.all()
    if parameters.get("location_id"):
        qs = qs.filter(location_id=parameters["location_id"])
    qs = qs.annotate(available=F("on_hand") - F("reserved") - F("safety_stock")).order_by("variant__sku",
                                                                                            "location__code")
    fields = ["variant__sku", "variant__name", "location__code", "on_hand", "reserved", "safety_stock", "available"]
    header = [_("SKU"), _("Name"), _("Location"), _("On hand"), _("Reserved"), _("Safety stock"), _("Available")]
    if parameters.get("include_cost"):
        qs = qs.annotate(stock_value=F("on_hand") * F("variant__cost"))
        fields += ["variant__cost", "stock_value"]
        header += [_("Unit cost"), _("Stock value")]
    return Source(_("Inventory snapshot"), header, qs.count,
                  lambda: qs.values_list(*fields).iterator(chunk_size=CHUNK))


def _movements(parameters: dict) -> Source:
    from inventory.models import StockMovement

    start, end = _period(parameters)
    qs = StockMovement.objects.filter(created_at__gte=start, created_at__lt=end)
    if parameters.get("location_id"):
        qs = qs.filter(location_id=parameters["location_id"])
    qs = qs.order_by("created_at", "id")
    fields = ["created_at", "variant__sku", "location__code", "on_hand_delta", "reserved_delta", "reason",
              "reference", "note", "user__username"]
    header = [_("Time"), _("SKU"), _("Location"), _("On-hand change"), _("Reserved change"), _("Reason"),
              _("Reference"), _("Note"), _("User")]
    return Source(_("Stock movements"), header, qs.count, lambda: qs.values_list(*fields).iterator(chunk_size=CHUNK),
                  choice_labels(StockMovement, fields))


def _customers(parameters: dict) -> Source:
    from orders.models import Customer

    qs = Customer.objects.order_by("id")
    fields = ["id", "name", "kind", "email", "phone", "group_code", "tax_country", "marketing_consent", "created_at"]
    header = [_("Id"), _("Name"), _("Kind"), _("E-mail"), _("Phone"), _("Group"), _("Country"),
              _("Marketing consent"), _("Created at")]
    return Source(_("Customers"), header, qs.count, lambda: qs.values_list(*fields).iterator(chunk_size=CHUNK),
                  choice_labels(Customer, fields))


def _payments(parameters: dict) -> Source:
    from reports.errors import ReportError
    from reports.selectors import optional_model

    payment = optional_model("payments", "Payment")
    if payment is None:
        raise ReportError(_("Payments are not available yet."))
    start, end = _period(parameters)
    qs = payment.objects.filter(created_at__gte=start, created_at__lt=end).order_by("created_at", "id")
    if parameters.get("channel_id"):
        qs = qs.filter(order__channel_id=parameters["channel_id"])
    fields = ["created_at", "order__number", "method", "status", "currency", "amount", "captured_amount",
              "refunded_amount", "card_brand", "card_last4", "decline_code"]
    header = [_("Time"), _("Order"), _("Method"), _("Status"), _("Currency"), _("Amount"), _("Captured"),
              _("Refunded"), _("Card brand"), _("Last four digits"), _("Decline code")]
    return Source(_("Payments and refunds"), header, qs.count,
                  lambda: qs.values_list(*fields).iterator(chunk_size=CHUNK), choice_labels(payment, fields))


def _journal(parameters: dict) -> Source:
    from reports.errors import ReportError
    from reports.selectors import optional_model

    line = optional_model("payments", "JournalLine")
    if line is None:
        raise ReportError(_("The journal is not available yet."))
    qs = line.objects.filter(entry__posted_on__gte=parameters["start"], entry__posted_on__lte=parameters["end"])
    qs = qs.order_by("entry__posted_on", "entry_id", "id")
    fields = ["entry__posted_on", "entry_id", "entry__reference", "entry__memo", "entry__memo_params", "account__code",
              "account__name", "debit", "credit", "description", "description_params"]
    header = [_("Date"), _("Entry"), _("Reference"), _("Memo"), _("Account"), _("Account name"), _("Debit"),
              _("Credit"), _("Description")]

    def rows():  # memos and descriptions are stored texts: read in the language the report was asked in
        for day, entry, reference, memo, memo_params, code, name, debit, credit, text, text_params in (
                qs.values_list(*fields).iterator(chunk_size=CHUNK)):
            yield (day, entry, reference, without_isolates(render(memo, memo_params)), code, name, debit, credit,
                   without_isolates(render(text, text_params)))

    return Source(_("Journal entries"), header, qs.count, rows)


def _top(parameters: dict) -> Source:
    from oms.money import quantize
    from reports.selectors import DIMENSIONS, ReportFilter, top

    f = ReportFilter(date.fromisoformat(parameters["start"]), date.fromisoformat(parameters["end"]),
                     parameters.get("channel_id"), currency=parameters.get("currency") or None)
    currency = f.money_currency  # one currency per file, as on the page: its money is never added across them
    dim = DIMENSIONS[parameters["dimension"]]
    cost = bool(parameters.get("include_cost"))
    header = [str(dim.label), _("Currency"), _("Orders"), _("Units"), _("Gross revenue"), _("Returns (refunded)"),
              _("Net revenue"), _("Previous period"), _("Change %")]
    agents = dim.code == "agents"
    if agents:
        header += [_("Active hours"), _("Orders per hour"), _("Revenue per hour")]
    if cost:
        header += [_("Cost"), _("Margin"), _("Margin %")]
    rows: list[tuple] = []

    def money(value):  # amounts to the currency's decimals, as the page shows them (not 7076.4700)
        return quantize(value, currency)

    def produce():
        rows.clear()
        for r in top(dim.code, f, sort=parameters.get("sort", "-revenue"), limit=int(parameters.get("limit", 100)),
                     compare=parameters.get("compare", "previous")):
            row = [r.label, currency, r.orders, r.units, money(r.revenue), money(r.refunded), money(r.net_revenue),
                   money(r.previous_revenue), round(r.change, 1) if r.change is not None else None]
            if agents:
                row += [r.active_hours, round(r.orders_per_hour, 2) if r.orders_per_hour is not None else None,
                        money(r.revenue_per_hour) if r.revenue_per_hour is not None else None]
            if cost:
                row += [money(r.cost), money(r.margin), round(r.margin_pct, 1) if r.margin_pct is not None else None]
            rows.append(tuple(row))
        return rows

    return Source(_("Top %(dimension)s") % {"dimension": dim.label}, header,
                  lambda: len(produce()), lambda: list(rows))


def _sales(parameters: dict) -> Source:
    """One row per day x channel x currency: gross revenue of the orders placed that day, the returns refunded that
    day and the net, from the rollups (``selectors.daily_sales``); money stays in its own currency's rows."""
    from oms.money import quantize
    from orders.models import Channel
    from reports import rollups
    from reports.selectors import ReportFilter, daily_sales

    f = ReportFilter(date.fromisoformat(parameters["start"]), date.fromisoformat(parameters["end"]),
                     parameters.get("channel_id"), parameters.get("location_id"))
    header = [_("Date"), _("Channel"), _("Currency"), _("Orders"), _("Units"),
              pgettext("number of orders cancelled", "Cancelled"), _("Gross revenue"),
              _("Discount"), _("Tax"), _("Returns refunded"), _("Refunded"), _("Net revenue")]
    rows: list[tuple] = []

    def produce():
        codes = dict(Channel.objects.values_list("pk", "code"))
        rows.clear()
        for r in sorted(daily_sales(f, covered=rollups.complete_through()),
                        key=lambda r: (r.day, codes.get(r.channel_id, ""), r.currency)):
            if r.day < f.start or r.day > f.end:
                continue

            def money(value, currency=r.currency):
                return quantize(value, currency)

            rows.append((r.day, codes.get(r.channel_id, r.channel_id), r.currency, r.orders, r.units, r.cancelled,
                         money(r.revenue), money(r.discount), money(r.tax), r.returns, money(r.refunded),
                         money(r.revenue - r.refunded)))
        return rows

    return Source(_("Daily sales and returns"), header, lambda: len(produce()), lambda: list(rows))


SOURCES: dict[str, Callable[[dict], Source]] = {
    "orders": _orders, "order_lines": _order_lines, "inventory": _inventory, "movements": _movements,
    "customers": _customers, "payments": _payments, "journal": _journal,
    "top": _top, "sales": _sales,
}

# The filters each source keeps to (``clean_parameters`` refuses the others rather than let a file ignore them).
FILTERS: dict[str, set[str]] = {
    "orders": {"channel_id", "location_id"}, "order_lines": {"channel_id", "location_id"},
    "inventory": {"location_id"}, "movements": {"location_id"}, "customers": set(), "payments": {"channel_id"},
    "journal": set(), "top": {"channel_id"}, "sales": {"channel_id", "location_id"},
}

Progress = Callable[[int], None]


def _counted(rows: Iterable[tuple], progress: Progress) -> Iterator[tuple]:
    n = 0
    for row in rows:
        yield row
        n += 1
        if n % CHUNK == 0:
            progress(n)
    progress(n)


def write_csv(path: str, source: Source, progress: Progress) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow([neutralize(h) for h in source.header])
        for row in _counted(source.rows(), progress):
            writer.writerow([neutralize(plain(v)) for v in row])


# Characters a worksheet's name may not hold (Excel and openpyxl refuse them), and its longest length.
SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
SHEET_TITLE_MAX = 31


def sheet_title(title: str) -> str:
    """``title`` as a worksheet may be named: the forbidden characters (the Arabic "الأعلى: المنتجات" has a colon)
    become spaces, at most 31 characters, no apostrophe at either end."""
    name = " ".join(SHEET_TITLE_FORBIDDEN.sub(" ", str(title)).split())[:SHEET_TITLE_MAX].strip().strip("'").strip()
    return name or _("Report")


def write_xlsx(path: str, source: Source, progress: Progress) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(source.title))
    sheet.sheet_view.rightToLeft = get_language_bidi()  # asked in Arabic: the sheet opens right to left
    bold = Font(bold=True)
    header = []
    for h in source.header:
        cell = WriteOnlyCell(sheet, value=neutralize(str(h)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in _counted(source.rows(), progress):
        sheet.append([neutralize(plain(v)) for v in row])
    workbook.save(path)


def write_pdf(path: str, source: Source, progress: Progress) -> None:
    """A landscape A4 table drawn row by row on the canvas (no document model kept in memory), in the documents'
    font (``oms.pdf``: Arabic letters joined, right-to-left runs ordered). Right to left, the first column is on
    the right and text aligns right; numbers align to the end of the line, as in the other documents."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from oms.pdf import fonts, new_canvas, right_to_left, visual

    regular, bold = fonts()
    rtl = right_to_left()
    width, height = landscape(A4)
    margin, line_h, size, pad = 28, 11, 7, 4
    canvas = new_canvas(path, source.title, pagesize=(width, height), initialFontName=regular, initialFontSize=size)
    ncols = max(len(source.header), 1)
    col_w = (width - 2 * margin) / ncols

    def fit(value: str, font: str) -> str:
        """``value`` in drawing order, shortened (at its logical end, with "…") to fit its column."""
        shown = visual(value)
        while value and stringWidth(shown, font, size) > col_w - pad:
            value = value[:-2] + "…" if len(value) > 2 else ""
            shown = visual(value)
        return shown

    def draw_cell(column: int, y: float, value: str, font: str, *, at_end: bool = False) -> None:
        left = margin + (ncols - 1 - column if rtl else column) * col_w
        shown = fit(value, font)
        if at_end != rtl:  # LTR numbers and RTL text hug the column's right side
            canvas.drawRightString(left + col_w - pad, y, shown)
        else:
            canvas.drawString(left, y, shown)

    def header_row(y: float, page: int) -> float:
        title = visual(f"{source.title} · {timezone.localtime():%Y-%m-%d %H:%M}")
        canvas.setFont(bold, 10)
        title_at, page_at = (canvas.drawRightString, canvas.drawString) if rtl else (
            canvas.drawString, canvas.drawRightString)
        title_at(width - margin if rtl else margin, height - margin + 6, title)
        page_at(margin if rtl else width - margin, height - margin + 6, str(page))
        canvas.setFont(bold, size)
        for column, heading in enumerate(source.header):
            draw_cell(column, y, str(heading), bold)
        canvas.setFont(regular, size)
        return y - line_h * 1.4

    page = 1
    y = header_row(height - margin - 14, page)
    for row in _counted(source.rows(), progress):
        if y < margin:
            canvas.showPage()
            page += 1
            y = header_row(height - margin - 14, page)
        for column, v in enumerate(row):
            value = plain(v)
            text = str(source.labels[column].get(value, value)) if column in source.labels else pdf_cell(value)
            draw_cell(column, y, text, regular,
                      at_end=isinstance(value, Decimal | int | float) and not isinstance(value, bool))
        y -= line_h
    canvas.save()


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
