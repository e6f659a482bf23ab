from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from oms.access import has_permission, url_for
from oms.audit import audit_access
from oms.listing import paginate
from oms.money import CURRENCY_EXPONENTS, default_currency
from oms.numbers import parse_id
from oms.query import quoted
from reports import charts, periods, selectors, services
from reports.errors import ReportError
from reports.models import ReportJob, ReportSchedule


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _date(request, name: str, label: str, errors: list[str]) -> date | None:
    try:
        return periods.read_date(request.GET.get(name), label=label)
    except periods.PeriodError as exc:
        errors.append(exc.message)
        return None


def _choice(request, name: str, known: dict, refusal: str, errors: list[str]) -> int | None:
    """The id chosen for ``name`` among ``known``; anything else is named in a message and left out."""
    raw = str(request.GET.get(name) or "").strip()
    if not raw:
        return None
    pk = parse_id(raw)
    if pk not in known:
        errors.append(refusal % {"value": quoted(raw)})
        return None
    return pk


def parse_filters(request, *, channels: dict, locations: dict | None = None,
                  default_days: int = 30) -> tuple[selectors.ReportFilter, bool, list[str]]:
    """Filters from the query string; returns (filters, whether a range was given, error messages).

    A date that is not one, or that reports cannot cover (``reports.periods``), and a channel or location not
    among ``channels`` / ``locations`` (``_choices``) are named in a message and left out, as if they had not
    been given; ``locations`` None: the page has no location filter."""
    today = timezone.localdate()
    errors: list[str] = []
    start, end = _date(request, "start", _("From"), errors), _date(request, "end", _("To"), errors)
    custom = bool(start or end)
    end = end or today
    start = start or (end - timedelta(days=default_days - 1))
    if start > end:
        errors.append(_("The start date is after the end date; showing the last %(days)s days.")
                      % {"days": default_days})
        start, end, custom = today - timedelta(days=default_days - 1), today, False
    if (end - start).days > periods.MAX_DAYS:
        errors.append(_("The period is limited to ten years."))
        start = end - timedelta(days=periods.MAX_DAYS)
    channel = _choice(request, "channel", channels,
                      _("Channel: there is no channel “%(value)s”; showing all channels."), errors)
    location = None if locations is None else _choice(
        request, "location", locations, _("Location: there is no location “%(value)s”; showing all locations."),
        errors)
    return selectors.ReportFilter(start, end, channel, location, _currency(request, errors)), custom, errors


def _currency(request, errors: list[str]) -> str:
    """The currency the page's money is shown in: the one asked for, else the store's base currency."""
    raw = str(request.GET.get("currency") or "").strip()
    code = raw.upper()
    if code in CURRENCY_EXPONENTS:
        return code
    if raw:
        errors.append(_("Currency: there is no currency “%(value)s”; showing %(currency)s.")
                      % {"value": quoted(raw), "currency": default_currency()})
    return default_currency()


def _currencies(chosen: str, others: dict) -> list[str]:
    """The currencies to choose from: the base currency, the one shown and those sold in the period."""
    return sorted({default_currency(), chosen, *others})


def _choices():
    """(channel id -> name, location id -> name, channel id -> code: what the order list filters channels by)."""
    from inventory.models import Location
    from orders.models import Channel

    rows = Channel.objects.order_by("name").values_list("pk", "name", "code")
    channels, codes = {pk: name for pk, name, _code in rows}, {pk: code for pk, _name, code in rows}
    locations = dict(Location.objects.filter(is_active=True).order_by("name").values_list("pk", "name"))
    return channels, locations, codes


def _money(value) -> str:
    return number_format(Decimal(value).quantize(Decimal("1")), decimal_pos=0, use_l10n=True, force_grouping=True)


def _count(value) -> str:
    """A count as people read it: grouped in the reader's language (110.414 in pt-BR)."""
    return number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def _day(value: date) -> str:
    """A day on a chart, written as the page writes its dates in the reader's language."""
    return date_format(value, "SHORT_DATE_FORMAT")


@require_safe
def dashboard(request):
    channels, locations, codes = _choices()
    filters, custom, errors = parse_filters(request, channels=channels, locations=locations)
    board = selectors.dashboard(filters, custom_range=custom, channels=channels)
    channel_q = f"&channel={quote(codes[filters.channel_id])}" if filters.channel_id in codes else ""
    user = request.user
    links = {
        "orders": url_for(user, "orders:order_list", query=channel_q.lstrip("&")),
        "on_hold": url_for(user, "orders:approval_list"),
        # the open orders each tile counts: past their promised date, and promised for today or tomorrow
        "late": url_for(user, "orders:order_list", query="promised=late" + channel_q),
        "soon": url_for(user, "orders:order_list", query="promised=soon" + channel_q),
        # low stock is listed per location (its page filters the levels with nothing free)
        "low_stock": (url_for(user, "inventory:location_detail", pk=filters.location_id, query="low=1")
                      if filters.location_id else url_for(user, "inventory:location_list")),
        "reorder": url_for(user, "inventory:reorder_alerts"),
        "payments": url_for(user, "payments:payment_list", query="status=failed"),
        "returns": url_for(user, "orders:fulfilment_return_list"),
        # the ranking behind the revenue-by-channel chart: its period, channel and currency
        "top_channels": reverse("reports:top") + "?" + urlencode(
            {"dim": "channels", "start": board.filters.start.isoformat(), "end": board.filters.end.isoformat(),
             "currency": board.filters.money_currency, **({"channel": board.filters.channel_id}
                                                          if board.filters.channel_id else {})}),
    }
    order_list = url_for(user, "orders:order_list")
    period_links = [
        f"{order_list}?since={p.start.isoformat()}&until={p.end.isoformat()}{channel_q}" if order_list and p.start
        else "" for p in board.periods
    ]
    currency = board.filters.money_currency
    context = {
        "board": board, "channels": channels, "locations": locations, "errors": errors, "links": links,
        "currency": currency, "currencies": _currencies(currency, board.other_currencies),
        "other_currencies": sorted(board.other_currencies.items()),
        "periods": list(zip(board.periods, period_links, strict=True)),
        "channel_chart": charts.bar_chart([(name, float(rev)) for name, _n, rev in board.by_channel],
                                          title=_("Revenue by channel (%(currency)s)") % {"currency": currency},
                                          value_format=_money),
        "status_chart": charts.bar_chart([(label, n) for _s, label, n in board.by_status],
                                         title=_("Orders by status"), value_format=_count),
        "day_chart": charts.column_chart([(_day(d), float(rev)) for d, _n, rev in board.by_day],
                                         title=_("Revenue per day (%(currency)s)") % {"currency": currency},
                                         value_format=_money),
        "now": timezone.localtime(),
    }
    if request.htmx:
        return render(request, "reports/dashboard.html#panel", context)
    audit_access(request, object_type="reports.dashboard", verb="report_view")
    return render(request, "reports/dashboard.html", context)


@require_safe
def top(request):
    channels, _locations, _codes = _choices()
    filters, custom, errors = parse_filters(request, channels=channels)
    dim = request.GET.get("dim") or "products"
    if dim not in selectors.DIMENSIONS:
        errors.append(_("There is no report “%(value)s”; showing %(report)s.")
                      % {"value": quoted(dim), "report": selectors.DIMENSIONS["products"].label})
        dim = "products"
    limit = min(max(_int(request.GET.get("limit")) or 20, 1), 200)
    show_cost = has_permission(request.user, "view_cost")
    raw_sort = str(request.GET.get("sort") or "").strip()
    if not selectors.sort_known(raw_sort):
        errors.append(_("Sort: there is no column “%(value)s”; ranking by gross revenue.")
                      % {"value": quoted(raw_sort)})
    sort = selectors.sort_for(raw_sort, show_cost=show_cost)
    compare = "year" if request.GET.get("compare") == "year" else "previous"
    rows = selectors.top(dim, filters, sort=sort, limit=limit, compare=compare)
    currency = filters.money_currency
    others = {code: n for code, n in selectors.currencies_sold(filters).items() if code != currency}
    audit_access(request, object_type="reports.top", object_id=dim, verb="report_view")
    # The chart shows the figure the list is ranked by when it is money other than gross revenue.
    ranked_by = sort.lstrip("-")
    if ranked_by == "net_revenue":
        figure, title = "net_revenue", _("Net revenue (%(currency)s)")
    elif ranked_by == "refunded":
        figure, title = "refunded", _("Returns refunded (%(currency)s)")
    else:
        figure, title = "revenue", _("Revenue (%(currency)s)")
    chart = charts.bar_chart([(r.label, float(getattr(r, figure))) for r in rows[:15]],
                             title=title % {"currency": currency}, value_format=_money)
    context = {"rows": rows, "dim": dim, "dim_label": selectors.DIMENSIONS[dim].label,
               "dimensions": selectors.DIMENSIONS, "filters": filters,
               "previous": filters.comparison(compare),
               "compare": compare, "show_cost": show_cost, "chart": chart, "channels": channels,
               "errors": errors, "limit": limit, "sort": sort, "current_sort": sort,
               "formats": ReportJob.Format.choices,
               "currency": currency, "currencies": _currencies(currency, others),
               "other_currencies": sorted(others.items())}
    if request.htmx:
        return render(request, "reports/top.html#results", context)
    return render(request, "reports/top.html", context)


@require_safe
def kpis(request):
    channels, _locations, _codes = _choices()
    filters, _custom, errors = parse_filters(request, channels=channels)
    data = selectors.kpis(filters)
    audit_access(request, object_type="reports.kpis", verb="report_view")
    return render(request, "reports/kpis.html",
                  {"k": data, "filters": filters, "channels": channels, "errors": errors,
                   "currency": data["currency"], "currencies": _currencies(data["currency"], data["other_currencies"]),
                   "other_currencies": sorted(data["other_currencies"].items()),
                   "at_risk_url": url_for(request.user, "orders:fulfilment_at_risk")})


def _job_queryset(user):
    jobs = ReportJob.objects.select_related("requested_by")
    return jobs if services.can_download_any(user) else jobs.filter(requested_by=user)


@require_safe
def job_list(request):
    page = paginate(request, _job_queryset(request.user).order_by("-created_at", "-id"), per_page=25)
    today = timezone.localdate()
    channels, locations, _codes = _choices()
    schedules = ReportSchedule.objects.filter(is_active=True).select_related("owner")
    if not services.can_download_any(request.user):
        schedules = schedules.filter(owner=request.user)
    context = {"page": page, "kinds": ReportJob.Kind.choices, "formats": ReportJob.Format.choices,
               "schedules": schedules[:50], "frequencies": ReportSchedule.Frequency.choices,
               "default_start": (today - timedelta(days=29)).isoformat(), "default_end": today.isoformat(),
               "channels": channels, "locations": locations, "dimensions": selectors.DIMENSIONS,
               # the files the dates do not limit (payments, the journal and daily sales are dated too)
               "undated": [label for value, label in ReportJob.Kind.choices
                           if value not in services.DATED_KINDS and value != ReportJob.Kind.TOP]}
    if request.htmx:
        return render(request, "reports/jobs.html#table", context)
    return render(request, "reports/jobs.html", context)


@require_POST
def job_create(request):
    params = {k: request.POST.get(k, "") for k in ("start", "end", "channel_id", "location_id", "dimension", "sort",
                                                   "limit", "compare", "currency")}
    try:
        job = services.report_job_create(kind=request.POST.get("kind", ""), format=request.POST.get("format", ""),
                                         parameters=params, acting_user=request.user)
    except ReportError as exc:
        messages.error(request, exc.message)
        if request.htmx:
            return HttpResponse(f'<p class="msg msg-error" role="alert">{_escape(exc.message)}</p>', status=422)
        return redirect("reports:job_list")
    messages.success(request, _("Report queued: %(job)s.") % {"job": job})
    response = redirect("reports:job_list")
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("reports:job_list")
    return response


def _escape(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


@require_safe
def job_status(request, pk: int):
    job = get_object_or_404(_job_queryset(request.user), pk=pk)
    return render(request, "reports/jobs.html#job_row", {"job": job})


@require_safe
def job_download(request, pk: int):
    job = get_object_or_404(ReportJob.objects.select_related("requested_by"), pk=pk)
    try:
        handle = services.report_job_download(job=job, request=request)
    except ReportError as exc:
        if exc.code == "report_not_allowed":
            return render(request, "403.html", {"message": exc.message}, status=403)
        raise Http404(exc.message) from None
    from reports.exports import CONTENT_TYPES

    return FileResponse(handle, as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1],
                        content_type=CONTENT_TYPES[job.format])


@require_safe
def forecast(request):
    from inventory.selectors import variant_by_sku
    from reports.forecast import forecast_variant

    sku = (request.GET.get("sku") or "").strip()
    variant = variant_by_sku(sku)
    result = chart = None
    error = ""
    if sku and variant is None:
        error = _("No SKU %(sku)s.") % {"sku": sku}
    if variant is not None:
        result = forecast_variant(variant_id=variant.pk)
        labels = [_day(d) for d in result.history_days + result.days]
        pad = [None] * len(result.history)
        chart = charts.line_chart(
            [(_("Units sold"), [*result.history, *([None] * len(result.daily))]),
             (_("Forecast"), [*pad[:-1], result.history[-1] if result.history else None, *result.daily])],
            labels=labels, title=_("Units per day: history and forecast"))
        audit_access(request, variant, verb="report_forecast")
    return render(request, "reports/forecast.html",
                  {"sku": sku, "variant": variant, "result": result, "chart": chart, "error": error})


@require_POST
def schedule_create(request):
    params = {k: request.POST.get(k, "") for k in ("channel_id", "location_id", "dimension")}
    try:
        days = int(request.POST.get("period_days") or 7)
        services.report_schedule_create(
            kind=request.POST.get("kind", ""), format=request.POST.get("format", ""), parameters=params,
            period_days=days, frequency=request.POST.get("frequency", ""),
            recipients=request.POST.get("recipients", ""), acting_user=request.user)
    except ValueError:
        messages.error(request, _("The period must be a number of days."))
    except ReportError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Report schedule saved."))
    return redirect("reports:job_list")


@require_POST
def schedule_stop(request, pk: int):
    schedule = get_object_or_404(ReportSchedule, pk=pk)
    try:
        services.report_schedule_stop(schedule_id=schedule.pk, acting_user=request.user)
    except ReportError as exc:
        messages.error(request, exc.message)
        return redirect("reports:job_list")
    messages.success(request, _("Report schedule stopped."))
    return redirect("reports:job_list")


@require_http_methods(["GET", "HEAD", "POST"])
def reorder_points(request):
    """Reorder points from the sales forecast: each active rule's suggested point and order-up-to level next to
    its own, editable; the buyer applies the ticked rows (all or none, through the inventory service)."""
    from inventory.errors import InventoryError
    from inventory.models import Location, ReorderRule
    from inventory.services import reorder_rule_points_set
    from oms.numbers import NumberError, parse_whole
    from reports.forecast import REVIEW_DAYS, reorder_suggestions

    rules = (ReorderRule.objects.filter(is_active=True, variant__is_active=True, location__is_active=True)
             .select_related("variant", "location").order_by("variant__sku", "location__code"))
    if q := request.GET.get("q", "").strip():
        rules = rules.filter(variant__sku__icontains=q)
    if location := parse_id(request.GET.get("location")):
        rules = rules.filter(location_id=location)
    if request.method == "POST":
        requested = [parse_id(value) for value in request.POST.getlist("rule")]
        chosen = ReorderRule.objects.select_related("variant", "location").in_bulk([pk for pk in requested if pk])
        points, problems = {}, [_("Reorder rule “%(id)s” does not exist (any more).") % {"id": quoted(str(value))}
                                for pk, value in zip(requested, request.POST.getlist("rule"), strict=True)
                                if pk not in chosen]
        for pk, rule in sorted(chosen.items()):
            try:
                points[pk] = (parse_whole(request.POST.get(f"point-{pk}"), name=_("Reorder point of %(rule)s") % {
                                  "rule": rule}),
                              parse_whole(request.POST.get(f"up_to-{pk}"), minimum=1, name=_(
                                  "Order-up-to level of %(rule)s") % {"rule": rule}))
            except NumberError as exc:
                problems.append(exc.message)
        if not requested:
            messages.error(request, _("Tick the rules to set, then apply."))
        elif problems:
            messages.error(request, " ".join(problems) + " " + _("Nothing was changed."))
        else:
            try:
                changed = reorder_rule_points_set(points=points, acting_user=request.user)
            except InventoryError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Reorder points set on %(count)s rule(s); the next reorder scan uses "
                                            "them.") % {"count": changed})
        return redirect(request.get_full_path())
    page = paginate(request, rules)
    return render(request, "reports/reorder_points.html", {
        "page": page, "suggestions": reorder_suggestions(list(page)), "review_days": REVIEW_DAYS,
        "locations": Location.objects.filter(is_active=True).order_by("code")})
