"""Marketing admin screens. Views validate and call services; they never write themselves."""

import csv
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from marketing import forms as mforms
from marketing.channels import channel_name, channel_names
from marketing.errors import ChangedMeanwhile, MarketingError
from marketing.models import (
    Campaign,
    CarrierService,
    ChannelTaxSetting,
    Coupon,
    CouponBatch,
    PriceList,
    PriceListItem,
    Promotion,
    PromotionRedemption,
    Segment,
    ShippingRate,
    ShippingZone,
    SourceCode,
    TaxRate,
)
from marketing.services import (
    coupon_batch_generate,
    coupon_create,
    coupon_set_active,
    marketing_object_delete,
    marketing_object_save,
    marketing_object_version,
    promotion_create_for_skus,
    promotion_set_active,
)
from oms.listing import paginate, sort_queryset
from oms.numbers import percent_text
from oms.templatetags.oms_tags import from_to, money


@dataclass
class Section:
    """One configuration table with its list and form pages."""

    key: str
    model: type
    form: type
    title: str
    singular: str
    columns: list[tuple[str, str]]  # (label, sort key) - sort key "" = not sortable
    cells: object  # (obj, channel names by code) -> list of cells (text, or safe HTML such as a date range)
    sorts: dict[str, str]
    default_sort: str
    search: list[str] = field(default_factory=list)
    select_related: list[str] = field(default_factory=list)
    annotate: dict = field(default_factory=dict)
    detail_url: str = ""  # a url name taking pk: the row links there instead of the edit form
    channels: bool = False  # whether the cells show channel names (read once per page)


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _dt(value) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if hasattr(value, "hour") else value.isoformat()


def _dates(start, end):
    """A validity range as safe HTML: each date isolated, the arrow pointing the way the reader reads."""
    return from_to(_dt(start), _dt(end))


def _money(value, currency):
    return money(value, currency) if value is not None else "—"


SECTIONS: dict[str, Section] = {}


def _discounts_given():
    """Sum of the discounts redeemed under each campaign (a subquery, so the list stays one query)."""
    spent = (PromotionRedemption.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign")
             .annotate(total=Sum("amount")).values("total"))
    return Coalesce(Subquery(spent), Value(Decimal(0)), output_field=DecimalField(max_digits=18, decimal_places=4))


def _register(section: Section) -> None:
    SECTIONS[section.key] = section


_register(Section(
    key="pricelists", model=PriceList, form=mforms.PriceListForm,
    title=gettext_lazy("Price lists"), singular=gettext_lazy("price list"),
    columns=[(gettext_lazy("Code"), "code"), (gettext_lazy("Name"), "name"), (gettext_lazy("Currency"), ""),
             (gettext_lazy("Channel"), "channel"), (gettext_lazy("Group"), ""), (gettext_lazy("Valid"), "valid_from"),
             (gettext_lazy("Priority"), "priority"), (gettext_lazy("Items"), "items"),
             (gettext_lazy("Active"), "")],
    cells=lambda o, names: [o.code, o.name, o.currency, channel_name(o.channel_code, names) or _("all channels"),
                            o.customer_group or _("all customer groups"), _dates(o.valid_from, o.valid_until),
                            o.priority, o.item_count, _yes(o.is_active)],
    sorts={"code": "code", "name": "name", "channel": "channel_code", "valid_from": "valid_from",
           "priority": "priority", "items": "item_count"},
    default_sort="-priority", search=["code", "name", "channel_code", "customer_group"],
    annotate={"item_count": Count("items")}, detail_url="marketing:pricelist_items", channels=True,
))
_register(Section(
    key="taxrates", model=TaxRate, form=mforms.TaxRateForm,
    title=gettext_lazy("Tax rates"), singular=gettext_lazy("tax rate"),
    columns=[(gettext_lazy("Name"), "name"), (gettext_lazy("Region"), "region"), (gettext_lazy("Tax class"), "class"),
             (gettext_lazy("Rate (%)"), "rate"), (gettext_lazy("Valid from"), "from"),
             (gettext_lazy("Valid until"), "")],
    cells=lambda o, names: [o.name, o.region or _("all regions"), o.tax_class or _("all tax classes"),
                            percent_text(o.rate),
                            _dt(o.valid_from), _dt(o.valid_until)],
    sorts={"name": "name", "region": "region", "class": "tax_class", "rate": "rate", "from": "valid_from"},
    default_sort="region", search=["name", "region", "tax_class"],
))
_register(Section(
    key="channeltax", model=ChannelTaxSetting, form=mforms.ChannelTaxSettingForm,
    title=gettext_lazy("Tax-inclusive channels"), singular=gettext_lazy("channel tax setting"),
    columns=[(gettext_lazy("Channel"), "channel"), (gettext_lazy("Prices include tax"), "")],
    cells=lambda o, names: [channel_name(o.channel_code, names), _yes(o.prices_include_tax)],
    sorts={"channel": "channel_code"}, default_sort="channel_code", search=["channel_code"], channels=True,
))
_register(Section(
    key="zones", model=ShippingZone, form=mforms.ShippingZoneForm,
    title=gettext_lazy("Shipping zones"), singular=gettext_lazy("shipping zone"),
    columns=[(gettext_lazy("Code"), "code"), (gettext_lazy("Name"), "name"), (gettext_lazy("Regions"), "")],
    cells=lambda o, names: [o.code, o.name, ", ".join(o.regions)],
    sorts={"code": "code", "name": "name"}, default_sort="code", search=["code", "name"],
))
_register(Section(
    key="carriers", model=CarrierService, form=mforms.CarrierServiceForm,
    title=gettext_lazy("Carrier services"), singular=gettext_lazy("carrier service"),
    columns=[(gettext_lazy("Code"), "code"), (gettext_lazy("Name"), "name"), (gettext_lazy("Carrier"), "carrier"),
             (gettext_lazy("Free above"), ""), (gettext_lazy("Active"), "")],
    cells=lambda o, names: [o.code, o.name, o.carrier, _money(o.free_shipping_threshold, o.currency),
                            _yes(o.is_active)],
    sorts={"code": "code", "name": "name", "carrier": "carrier"}, default_sort="sort_order",
    search=["code", "name", "carrier"],
))
_register(Section(
    key="shippingrates", model=ShippingRate, form=mforms.ShippingRateForm,
    title=gettext_lazy("Shipping rates"), singular=gettext_lazy("shipping rate"),
    columns=[(gettext_lazy("Service"), "service"), (gettext_lazy("Zone"), "zone"),
             (gettext_lazy("Up to (g)"), "weight"), (gettext_lazy("Price"), "price"),
             (gettext_lazy("Transit days"), "days")],
    cells=lambda o, names: [o.service.name, o.zone.name, o.max_weight_grams, _money(o.price, o.service.currency),
                            o.transit_days],
    sorts={"service": "service__code", "zone": "zone__code", "weight": "max_weight_grams", "price": "price",
           "days": "transit_days"},
    default_sort="service__code", search=["service__code", "zone__code"], select_related=["service", "zone"],
))
_register(Section(
    key="campaigns", model=Campaign, form=mforms.CampaignForm,
    title=gettext_lazy("Campaigns"), singular=gettext_lazy("campaign"),
    columns=[(gettext_lazy("Code"), "code"), (gettext_lazy("Name"), "name"), (gettext_lazy("Channel"), "channel"),
             (gettext_lazy("Dates"), "starts"), (gettext_lazy("Budget"), "budget"),
             (gettext_lazy("Discounts given"), "given"), (gettext_lazy("Source codes"), "codes"),
             (gettext_lazy("Active"), "")],
    cells=lambda o, names: [o.code, o.name, channel_name(o.channel_code, names) or _("all channels"),
                            _dates(o.starts_on, o.ends_on), _money(o.budget, o.currency), _money(o.given, o.currency),
                            o.code_count, _yes(o.is_active)],
    sorts={"code": "code", "name": "name", "channel": "channel_code", "starts": "starts_on", "budget": "budget",
           "codes": "code_count", "given": "given"},
    default_sort="-starts_on", search=["code", "name", "channel_code"],
    annotate={"code_count": Count("source_codes"), "given": _discounts_given()}, channels=True,
))
_register(Section(
    key="sourcecodes", model=SourceCode, form=mforms.SourceCodeForm,
    title=gettext_lazy("Source codes"), singular=gettext_lazy("source code"),
    columns=[(gettext_lazy("Code"), "code"), (gettext_lazy("Campaign"), "campaign"), (gettext_lazy("Kind"), "kind"),
             (gettext_lazy("Description"), ""), (gettext_lazy("Active"), "")],
    cells=lambda o, names: [o.code, o.campaign.name, o.get_kind_display(), o.description, _yes(o.is_active)],
    sorts={"code": "code", "campaign": "campaign__name", "kind": "kind"}, default_sort="code",
    search=["code", "description", "campaign__name", "campaign__code"], select_related=["campaign"],
))
_register(Section(
    key="promotions", model=Promotion, form=mforms.PromotionForm,
    title=gettext_lazy("Promotions"), singular=gettext_lazy("promotion"),
    columns=[(gettext_lazy("Name"), "name"), (gettext_lazy("Kind"), "kind"), (gettext_lazy("Value"), ""),
             (gettext_lazy("Dates"), "starts"), (gettext_lazy("Priority"), "priority"),
             (gettext_lazy("Exclusive"), ""), (gettext_lazy("Used"), "used"), (gettext_lazy("Active"), "active")],
    cells=lambda o, names: [o.name, o.get_kind_display(),
                            percent_text(o.percent) if o.percent is not None else _money(o.amount, o.currency),
                            _dates(o.starts_at, o.ends_at), o.priority, _yes(o.exclusive),
                            f"{o.times_used}/{o.usage_limit}" if o.usage_limit else o.times_used,
                            _yes(o.is_active)],
    sorts={"name": "name", "kind": "kind", "starts": "starts_at", "priority": "priority", "used": "times_used",
           "active": "is_active"},
    default_sort="-priority", search=["name", "description"], detail_url="marketing:promotion_detail",
))
_register(Section(
    key="segments", model=Segment, form=mforms.SegmentForm,
    title=gettext_lazy("Segments"), singular=gettext_lazy("segment"),
    columns=[(gettext_lazy("Code"), "code"), (gettext_lazy("Name"), "name"), (gettext_lazy("Rules"), ""),
             (gettext_lazy("Members"), "members"), (gettext_lazy("Refreshed"), "")],
    cells=lambda o, names: [o.code, o.name, len(o.rules) if isinstance(o.rules, list) else "—", o.member_count,
                            _dt(o.refreshed_at)],
    sorts={"code": "code", "name": "name", "members": "member_count"}, default_sort="code",
    search=["code", "name"], detail_url="marketing:segment_detail",
))


def _section(key: str) -> Section:
    try:
        return SECTIONS[key]
    except KeyError:
        raise Http404


def object_list(request, key: str):
    section = _section(key)
    rows = section.model.objects.all()
    if section.select_related:
        rows = rows.select_related(*section.select_related)
    if section.annotate:
        rows = rows.annotate(**section.annotate)
    if (q := request.GET.get("q", "").strip()) and section.search:
        condition = Q()
        for name in section.search:
            condition |= Q(**{f"{name}__icontains": q})
        rows = rows.filter(condition)
    rows = sort_queryset(rows, request.GET.get("sort"), section.sorts, section.default_sort)
    page = paginate(request, rows)
    names = channel_names() if section.channels else {}
    table = [(obj, section.cells(obj, names)) for obj in page]
    context = {"section": section, "page": page, "table": table, "sections": SECTIONS.values(),
               "row_url": section.detail_url or f"marketing:{key}_edit"}
    template = "marketing/object_list.html#table" if request.htmx else "marketing/object_list.html"
    return render(request, template, context)


def _form_errors_from(form, error) -> None:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(None, error)
    else:
        form.add_error(error.field if error.field in form.fields else None, error.message)


def _section_form(section: Section, *args, **kwargs):
    """The section's form with the cursor in its first field."""
    form = section.form(*args, **kwargs)
    first = next(iter(form.fields.values()), None)
    if first is not None:
        first.widget.attrs["autofocus"] = True
    return form


def object_form(request, key: str, pk: int | None = None):
    section = _section(key)
    instance = get_object_or_404(section.model, pk=pk) if pk else section.model()
    # The row as this page shows it (``seen``): a save from a page opened before someone else saved is refused.
    seen = marketing_object_version(instance, section.form._meta.fields) if pk else ""
    form = _section_form(section, request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        m2m = form.m2m() if hasattr(form, "m2m") else None
        try:
            marketing_object_save(obj=obj, acting_user=request.user, m2m=m2m, seen=request.POST.get("seen", ""),
                                  seen_fields=section.form._meta.fields)
        except ChangedMeanwhile as error:
            current = section.model.objects.filter(pk=pk).first()
            if current is None:
                messages.error(request, error.message)
                return redirect(f"marketing:{key}_list")
            # The form again, as the row is now (with its new ``seen``), saying why.
            return render(request, "marketing/object_form.html", {
                "section": section, "form": _section_form(section, instance=current), "object": current,
                "sections": SECTIONS.values(), "seen": marketing_object_version(current, section.form._meta.fields),
                "refusal": error.message}, status=409)
        except (ValidationError, MarketingError) as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("%(what)s saved.") % {"what": obj})
            if section.detail_url:
                return redirect(section.detail_url, pk=obj.pk)
            return redirect(f"marketing:{key}_list")
    return render(request, "marketing/object_form.html", {"section": section, "form": form, "object": instance,
                                                          "sections": SECTIONS.values(),
                                                          "seen": request.POST.get("seen", seen)},
                  status=400 if request.method == "POST" else 200)


@require_POST
def object_delete(request, key: str, pk: int):
    section = _section(key)
    obj = get_object_or_404(section.model, pk=pk)
    try:
        marketing_object_delete(obj=obj, acting_user=request.user)
    except MarketingError as error:
        messages.error(request, error.message)
        return redirect(f"marketing:{key}_edit", pk=pk)
    messages.success(request, _("%(what)s deleted.") % {"what": obj})
    return redirect(f"marketing:{key}_list")


# ----------------------------------------------------------------------------- price list items


def pricelist_items(request, pk: int):
    price_list = get_object_or_404(PriceList, pk=pk)
    items = PriceListItem.objects.filter(price_list=price_list).select_related("variant")
    if q := request.GET.get("q", "").strip():
        items = items.filter(Q(variant__sku__icontains=q) | Q(variant__name__icontains=q))
    items = sort_queryset(items, request.GET.get("sort"),
                          {"sku": "variant__sku", "qty": "min_quantity", "price": "unit_price"}, "variant__sku")
    form = mforms.PriceListItemForm(request.POST or None, instance=PriceListItem(price_list=price_list))
    if request.method == "POST" and form.is_valid():
        item = form.save(commit=False)
        existing = PriceListItem.objects.filter(price_list=price_list, variant=item.variant,
                                                min_quantity=item.min_quantity).first()
        if existing:
            existing.unit_price = item.unit_price
            item = existing
        try:
            marketing_object_save(obj=item, acting_user=request.user)
        except (ValidationError, MarketingError) as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("Price saved."))
            return redirect("marketing:pricelist_items", pk=pk)
    page = paginate(request, items)
    context = {"price_list": price_list, "page": page, "form": form, "import_form": mforms.ImportForm(),
               "channel": channel_name(price_list.channel_code)}
    template = "marketing/pricelist_items.html#table" if request.htmx else "marketing/pricelist_items.html"
    return render(request, template, context, status=400 if request.method == "POST" else 200)


@require_POST
def pricelist_item_delete(request, pk: int, item_pk: int):
    item = get_object_or_404(PriceListItem, pk=item_pk, price_list_id=pk)
    marketing_object_delete(obj=item, acting_user=request.user)
    messages.success(request, _("Price deleted."))
    return redirect("marketing:pricelist_items", pk=pk)


# ----------------------------------------------------------------------------- promotions and coupons


def promotion_detail(request, pk: int):
    from marketing.pricing import parse_tiers

    promotion = get_object_or_404(Promotion.objects.select_related("segment", "campaign"), pk=pk)
    batches = promotion.coupon_batches.annotate(used=Count("coupons", filter=Q(coupons__times_used__gt=0)))
    single = promotion.coupons.filter(batch__isnull=True).order_by("code")[:50]
    names = channel_names() if promotion.channel_codes else {}
    context = {
        "promotion": promotion, "batches": batches, "single_coupons": single,
        "coupon_form": mforms.CouponForm(), "batch_form": mforms.CouponBatchForm(),
        "skus": list(promotion.variants.order_by("sku").values_list("sku", flat=True)[:100]),
        "redemptions": promotion.redemptions.order_by("-created_at")[:20],
        "channels": [channel_name(code, names) for code in promotion.channel_codes],
        "tiers": parse_tiers(promotion.tiers),
        # The rest of what limits it, as the form sets it: a Monday-only or brand-only promotion says so here.
        "categories": list(promotion.categories.order_by("name").values_list("name", flat=True)),
        "brands": list(promotion.brands.order_by("name").values_list("name", flat=True)),
        "source_codes": list(promotion.source_codes.order_by("code").values_list("code", flat=True)),
        "weekdays": [WEEKDAYS[day - 1] for day in sorted(promotion.weekdays or [])],
        "labels": {name: capfirst(Promotion._meta.get_field(name).verbose_name)
                   for name in ("categories", "brands", "source_codes", "weekdays", "daily_start", "daily_end",
                                "shipping_services")},
    }
    return render(request, "marketing/promotion_detail.html", context)


@require_POST
def promotion_activate(request, pk: int):
    active = request.POST.get("active") == "1"
    try:
        promotion_set_active(promotion_id=pk, active=active, acting_user=request.user)
    except Promotion.DoesNotExist:
        raise Http404
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    else:
        messages.success(request, _("Promotion activated.") if active else _("Promotion deactivated."))
    return redirect("marketing:promotion_detail", pk=pk)


@require_POST
def coupon_add(request, pk: int):
    promotion = get_object_or_404(Promotion, pk=pk)
    form = mforms.CouponForm(request.POST)
    if form.is_valid():
        try:
            coupon = coupon_create(promotion_id=promotion.pk, code=form.cleaned_data["code"],
                                   usage_limit=form.cleaned_data["usage_limit"], acting_user=request.user)
        except MarketingError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Coupon %(code)s created.") % {"code": coupon.code})
    else:
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    return redirect("marketing:promotion_detail", pk=pk)


@require_POST
def coupon_active(request, pk: int):
    """Stops one coupon of the promotion (``active=0``) or lets it work again (``active=1``)."""
    promotion = get_object_or_404(Promotion, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        coupon = coupon_set_active(promotion_id=promotion.pk, code=request.POST.get("code", ""), active=active,
                                   acting_user=request.user)
    except MarketingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, (_("Coupon %(code)s works again.") if active else
                                   _("Coupon %(code)s deactivated: orders can no longer use it.")) % {
            "code": coupon.code})
    return redirect("marketing:promotion_detail", pk=pk)


@require_POST
def coupon_batch_add(request, pk: int):
    promotion = get_object_or_404(Promotion, pk=pk)
    form = mforms.CouponBatchForm(request.POST)
    if form.is_valid():
        try:
            batch = coupon_batch_generate(promotion_id=promotion.pk, quantity=form.cleaned_data["quantity"],
                                          prefix=form.cleaned_data["prefix"], acting_user=request.user,
                                          request_key=form.cleaned_data["once"] or None)
        except MarketingError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(n)s coupons generated.") % {"n": batch.quantity})
    else:
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    return redirect("marketing:promotion_detail", pk=pk)


class _Echo:
    def write(self, value):
        return value


def coupon_batch_export(request, pk: int):
    batch = get_object_or_404(CouponBatch.objects.select_related("promotion"), pk=pk)
    writer = csv.writer(_Echo())
    rows = Coupon.objects.filter(batch=batch).order_by("code").values_list("code", "usage_limit", "times_used")

    def stream():
        yield writer.writerow(["code", "promotion", "usage_limit", "times_used"])
        for code, limit, used in rows.iterator(chunk_size=2000):
            yield writer.writerow([code, batch.promotion.name, limit if limit is not None else "", used])

    response = StreamingHttpResponse(stream(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="coupons-batch-{batch.pk}.csv"'
    return response


# ----------------------------------------------------------------------------- promote overstock


def promote_overstock(request):
    """Two clicks from the overstock view: it links here with ``?sku=A&sku=B``; confirm creates the promotion."""
    from inventory.models import Variant

    skus = request.POST.get("skus", "").split() if request.method == "POST" else request.GET.getlist("sku")
    variants = list(Variant.objects.filter(sku__in=skus).order_by("sku").values("pk", "sku", "name", "base_price",
                                                                                  "currency"))
    initial = {"name": _("Overstock %(date)s") % {"date": timezone.localdate().isoformat()},
               "skus": " ".join(v["sku"] for v in variants)}
    form = mforms.OverstockPromotionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            promotion = promotion_create_for_skus(
                variant_ids=[v["pk"] for v in variants], percent=form.cleaned_data["percent"],
                name=form.cleaned_data["name"], starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"], activate=form.cleaned_data["activate"],
                acting_user=request.user)
        except (ValidationError, MarketingError) as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("Promotion %(name)s created.") % {"name": promotion.name})
            return redirect("marketing:promotion_detail", pk=promotion.pk)
    missing = sorted(set(skus) - {v["sku"] for v in variants})
    return render(request, "marketing/promote_overstock.html", {"form": form, "variants": variants,
                                                                "missing": missing})


# ----------------------------------------------------------------------------- segments


def segment_detail(request, pk: int):
    from marketing.segments import segment_evaluator, validate_rules
    from marketing.services import segment_count

    segment = get_object_or_404(Segment, pk=pk)
    evaluator = segment_evaluator()
    problems = validate_rules(segment.rules)  # rows saved before the rules were fully checked
    count = None
    error = ""
    if evaluator is not None and not problems and request.GET.get("count"):
        try:
            count = segment_count(segment=segment)
        except MarketingError as exc:
            error = exc.message
    exports = segment.exports.order_by("-created_at")[:10]
    # A rule's value as it is written in the rules (["SP", "RJ"]), not as Python shows a list (['SP', 'RJ']).
    rules = [{**rule, "value": rule.get("value") if isinstance(rule.get("value"), str)
              else json.dumps(rule.get("value"), ensure_ascii=False)}
             for rule in (segment.rules if isinstance(segment.rules, list) else []) if isinstance(rule, dict)]
    context = {"segment": segment, "rules": rules, "evaluator": evaluator, "count": count, "exports": exports,
               "error": error, "rule_problems": problems,
               "busy": any(e.status in ("pending", "running") for e in exports)}
    template = "marketing/segment_detail.html#exports" if request.htmx else "marketing/segment_detail.html"
    return render(request, template, context)


def segment_export(request, pk: int):
    from marketing.segments import export_rows
    from marketing.services import segment_customers

    segment = get_object_or_404(Segment, pk=pk)
    try:
        customers = segment_customers(segment=segment)  # fails here, before any row is sent, if it must fail
    except MarketingError as error:
        return HttpResponse(error.message, status=409, content_type="text/plain; charset=utf-8")
    writer = csv.writer(_Echo())
    stream = (writer.writerow(row) for row in export_rows(customers))
    response = StreamingHttpResponse(stream, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="segment-{segment.code}.csv"'
    return response


@require_POST
def segment_refresh(request, pk: int):
    from marketing.services import segment_refresh_request

    segment = get_object_or_404(Segment, pk=pk)
    try:
        segment_refresh_request(segment_id=segment.pk, acting_user=request.user)
    except MarketingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The segment is being refreshed in the background."))
    return redirect("marketing:segment_detail", pk=pk)


# ----------------------------------------------------------------------------- price check (the engine, explained)


def price_check(request):
    from marketing.pricing import PriceLineInput, price_order

    form = mforms.PriceCheckForm(request.GET or None)
    result = None
    error = ""
    if request.GET and form.is_valid():
        data = form.cleaned_data
        try:
            result = price_order(
                lines=[PriceLineInput(variant_id=v, quantity=q) for v, q in data["lines"]],
                channel_code=data["channel_code"], customer_id=data["customer_id"],
                customer_group=data["customer_group"],
                source_code=data["source_code"], coupons=data["coupons"].replace(",", " ").split(),
                ship_to_region=data["ship_to_region"], shipping_service=data["shipping_service"] or None,
                currency=data["currency"].upper(), when=timezone.now())
        except MarketingError as exc:
            error = exc.message
    template = "marketing/price_check.html#result" if request.htmx else "marketing/price_check.html"
    return render(request, template, {"form": form, "result": result, "error": error})


def marketing_home(request):
    counts = {key: s.model.objects.count() for key, s in SECTIONS.items()}
    links = [(s, reverse(f"marketing:{key}_list"), counts[key]) for key, s in SECTIONS.items()]
    return render(request, "marketing/home.html", {"links": links, "zero": Decimal(0)})


def _what_if_page(request, subject, **which):
    from datetime import timedelta

    from marketing.whatif import order_history, what_if

    history = order_history()
    report, sampled = None, False
    # Each order is read and priced twice while the manager waits (under 1 ms an order, the run's pricing reads
    # shared: docs/decisions.md): a very busy store's month is sampled by its latest orders.
    latest = getattr(settings, "MARKETING_WHAT_IF_MAX_ORDERS", 5000)
    if history is not None and request.GET.get("run"):
        until = timezone.now()
        orders = list(history(since=until - timedelta(days=30), until=until, latest=latest + 1))
        sampled = len(orders) > latest
        report = what_if(orders=orders[:latest], currency=subject.currency, **which)
    back = (reverse("marketing:promotion_detail", args=[subject.pk]) if "promotion_id" in which
            else reverse("marketing:pricelist_items", args=[subject.pk]))
    return render(request, "marketing/promotion_what_if.html", {
        "subject": subject, "has_history": history is not None, "report": report, "back": back,
        "sampled": sampled, "latest": latest})


def promotion_what_if(request, pk: int):
    promotion = get_object_or_404(Promotion, pk=pk)
    return _what_if_page(request, promotion, promotion_id=promotion.pk)


def pricelist_what_if(request, pk: int):
    price_list = get_object_or_404(PriceList, pk=pk)
    return _what_if_page(request, price_list, price_list_id=price_list.pk)


@require_POST
def segment_export_start(request, pk: int):
    from marketing.services import segment_export_request

    segment = get_object_or_404(Segment, pk=pk)
    try:
        segment_export_request(segment_id=segment.pk, acting_user=request.user)
    except MarketingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The extract is being prepared; it appears below when ready."))
    return redirect("marketing:segment_detail", pk=pk)


def segment_export_download(request, pk: int):
    """Customer extracts hold personal data: every download is recorded in the audit trail."""
    from django.http import FileResponse

    from marketing.models import SegmentExport
    from oms.audit import audit_access

    export = get_object_or_404(SegmentExport.objects.select_related("segment"), pk=pk,
                               status=SegmentExport.Status.DONE)
    audit_access(request, export, verb="download")
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.file.name.rsplit("/", 1)[-1])


def sku_suggest(request):
    """``<option>`` rows for the SKU ``<datalist>`` of price and promotion forms (htmx, as the user types)."""
    from django.utils.html import format_html_join

    from inventory.selectors import variant_search

    query = request.GET.get("sku", "").strip()
    variants = variant_search(query=query, limit=15) if len(query) >= 2 else []
    return HttpResponse(format_html_join("", '<option value="{}">{}</option>', ((v.sku, v.name) for v in variants)))
