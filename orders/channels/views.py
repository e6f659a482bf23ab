"""Back-office screens of the channel integration (``manage_channels``).

Views validate input and call ``orders.channels.services``/``imports``; domain errors become messages.
"""

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oms.forms import add_refusal
from oms.listing import paginate
from orders.channels import imports, selectors, services
from orders.channels.errors import ChannelError
from orders.channels.forms import (
    ApiKeyForm,
    ChannelForm,
    FixRowForm,
    IntegrationForm,
    ShippingMappingForm,
    SkuMappingForm,
    StatusMappingForm,
    UploadForm,
    WebhookForm,
)
from orders.channels.models import ApiKey, ImportJob, ImportRow, WebhookEndpoint
from orders.models import Channel


def channel_list(request):
    return render(request, "orders/channels/channel_list.html", {"channels": selectors.channel_list()})


def channel_create(request):
    return _channel_form(request, ChannelForm(request.POST or None))


def channel_edit(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    return _channel_form(request, ChannelForm(request.POST or None, instance=channel))


def _channel_form(request, form: ChannelForm):
    channel = form.instance if form.instance.pk else None
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.CHANNEL_FIELDS}
        try:
            if channel:
                channel = services.channel_update(channel_id=channel.pk, acting_user=request.user, **fields)
            else:
                channel = services.channel_create(code=form.cleaned_data["code"], acting_user=request.user, **fields)
        except ChannelError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("Channel %(name)s saved.") % {"name": channel.name})
            return redirect("orders:channel_detail", pk=channel.pk)
    return render(request, "orders/channels/channel_form.html", {"form": form, "channel": channel},
                  status=422 if form.errors else 200)


def _detail_context(request, channel: Channel, **forms) -> dict:
    integration = services.integration_for(channel)
    return {
        "channel": channel,
        "integration": integration,
        "settings_form": forms.get("settings_form") or IntegrationForm(instance=integration),
        "key_form": forms.get("key_form") or ApiKeyForm(),
        "sku_form": forms.get("sku_form") or SkuMappingForm(),
        "shipping_form": forms.get("shipping_form") or ShippingMappingForm(),
        "status_form": forms.get("status_form") or StatusMappingForm(),
        "webhook_form": forms.get("webhook_form") or WebhookForm(),
        "upload_form": forms.get("upload_form") or UploadForm(initial={"format": integration.import_format}),
        "keys": channel.api_keys.all(),
        "sku_mappings": paginate(request, selectors.sku_mappings_for(channel, query=request.GET.get("q", ""))),
        "shipping_mappings": channel.shipping_mappings.all(),
        "status_mappings": channel.status_mappings.all(),
        "webhooks": channel.webhooks.all(),
        "jobs": selectors.jobs_for(channel)[:10],
        "deliveries": selectors.deliveries_for(channel)[:10],
    }


def _refused(request, channel: Channel, **forms):
    """The channel page again, with the form that was refused showing its errors."""
    context = _detail_context(request, channel, **forms)
    return render(request, "orders/channels/channel_detail.html", context, status=422)


def channel_detail(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    template = "orders/channels/channel_detail.html"
    return render(request, f"{template}#sku_mappings" if request.htmx else template, _detail_context(request, channel))


def _back(pk: int, anchor: str = ""):
    response = redirect("orders:channel_detail", pk=pk)
    response["Location"] += f"#{anchor}" if anchor else ""
    return response


@require_POST
def channel_settings(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    form = IntegrationForm(request.POST, instance=services.integration_for(channel))
    if not form.is_valid():
        return _refused(request, channel, settings_form=form)
    try:
        services.integration_update(channel_id=channel.pk, acting_user=request.user,
                                    **{name: form.cleaned_data[name] for name in IntegrationForm.Meta.fields})
    except ChannelError as exc:
        add_refusal(form, exc)
        return _refused(request, channel, settings_form=form)
    messages.success(request, _("Settings saved."))
    return _back(pk, "settings")


@require_POST
def key_create(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _refused(request, channel, key_form=form)
    key, raw = services.api_key_create(channel_id=channel.pk, name=form.cleaned_data["name"],
                                       with_signature=form.cleaned_data["with_signature"], acting_user=request.user)
    context = _detail_context(request, channel)
    context.update({"new_key": key, "new_secret": raw})
    response = render(request, "orders/channels/channel_detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def key_revoke(request, key_id: int):
    key = get_object_or_404(ApiKey, pk=key_id)
    services.api_key_revoke(key_id=key.pk, acting_user=request.user)
    messages.success(request, _("Key %(prefix)s revoked.") % {"prefix": key.prefix})
    return _back(key.channel_id, "keys")


MAPPING_FORMS = {"sku": SkuMappingForm, "shipping": ShippingMappingForm, "status": StatusMappingForm}


@require_POST
def mapping_add(request, pk: int, kind: str):
    channel = get_object_or_404(Channel, pk=pk)
    if kind not in MAPPING_FORMS:
        raise Http404
    form = MAPPING_FORMS[kind](request.POST)
    if not form.is_valid():
        return _refused(request, channel, **{f"{kind}_form": form})
    data = form.cleaned_data
    if kind == "sku":
        services.sku_mapping_add(channel_id=pk, channel_sku=data["channel_sku"], variant_id=data["variant_id"],
                                 acting_user=request.user)
    elif kind == "shipping":
        services.shipping_mapping_add(channel_id=pk, channel_method=data["channel_method"],
                                      service_code=data["service_code"], acting_user=request.user)
    else:
        services.status_mapping_add(channel_id=pk, channel_status=data["channel_status"], action=data["action"],
                                    acting_user=request.user)
    messages.success(request, _("Mapping saved."))
    return _back(pk, "mappings")


@require_POST
def mapping_delete(request, pk: int, kind: str, mapping_id: int):
    channel = get_object_or_404(Channel, pk=pk)
    if kind not in MAPPING_FORMS:
        raise Http404
    if not services.mapping_delete(kind=kind, mapping_id=mapping_id, channel_id=channel.pk, acting_user=request.user):
        raise Http404(_("No such mapping on this channel."))
    messages.success(request, _("Mapping removed."))
    return _back(pk, "mappings")


@require_POST
def webhook_create(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _refused(request, channel, webhook_form=form)
    services.webhook_endpoint_create(channel_id=pk, url=form.cleaned_data["url"], events=form.cleaned_data["events"],
                                     acting_user=request.user)
    messages.success(request, _("Webhook added."))
    return _back(pk, "webhooks")


@require_POST
def webhook_disable(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    services.webhook_endpoint_disable(endpoint_id=endpoint.pk, acting_user=request.user)
    messages.success(request, _("Webhook switched off."))
    return _back(endpoint.channel_id, "webhooks")


def delivery_list(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    page = paginate(request, selectors.deliveries_for(channel))
    template = "orders/channels/delivery_list.html#table" if request.htmx else "orders/channels/delivery_list.html"
    return render(request, template, {"channel": channel, "page": page})


@require_POST
def import_upload(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid() and form.cleaned_data["file"].size > imports.MAX_FILE_BYTES:
        form.add_error("file", _("The file is larger than 20 MB."))
    if not form.is_valid():
        return _refused(request, channel, upload_form=form)
    upload = form.cleaned_data["file"]
    try:
        job = imports.import_job_create(channel_id=pk, fmt=form.cleaned_data["format"], content=upload.read(),
                                        file_name=upload.name, acting_user=request.user)
    except ChannelError as exc:
        form.add_error("file", exc.message)
        return _refused(request, channel, upload_form=form)
    return redirect("orders:channel_import", job_id=job.pk)


def import_detail(request, job_id: int):
    job = get_object_or_404(ImportJob.objects.select_related("channel"), pk=job_id)
    context = {"job": job, "queue": job.rows.filter(status=ImportRow.Status.REJECTED).order_by("row_number"),
               "skipped": job.rows.filter(status=ImportRow.Status.DISCARDED).count()}
    if request.htmx:
        return render(request, "orders/channels/import_detail.html#progress", context)
    return render(request, "orders/channels/import_detail.html", context)


def import_errors_csv(request, job_id: int):
    job = get_object_or_404(ImportJob, pk=job_id)
    response = HttpResponse(imports.error_report_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


def import_row(request, row_id: int):
    row = get_object_or_404(ImportRow.objects.select_related("job__channel"), pk=row_id)
    if request.method == "POST":
        form = FixRowForm(request.POST)
        if form.is_valid():
            try:
                result = imports.import_row_retry(row_id=row.pk, fixed=form.cleaned_data["data"],
                                                  acting_user=request.user)
            except ChannelError as exc:
                messages.error(request, exc.message)
                return redirect("orders:channel_import", job_id=row.job_id)
            if result.status == ImportRow.Status.REJECTED:
                form.add_error("data", result.error)
            else:
                messages.success(request, _("Row %(row)s imported.") % {"row": row.row_number})
                return redirect("orders:channel_import", job_id=row.job_id)
        row.refresh_from_db()
    else:
        form = FixRowForm(initial={"data": json.dumps(imports.editable_data(row), indent=2, ensure_ascii=False)})
    raw = json.dumps(row.raw, indent=2, ensure_ascii=False)
    return render(request, "orders/channels/import_row.html", {"row": row, "form": form, "raw": raw},
                  status=422 if form.errors else 200)


@require_POST
def import_row_discard(request, row_id: int):
    row = get_object_or_404(ImportRow, pk=row_id)
    imports.import_row_discard(row_id=row.pk, acting_user=request.user)
    messages.success(request, _("Row %(row)s discarded.") % {"row": row.row_number})
    return redirect("orders:channel_import", job_id=row.job_id)
