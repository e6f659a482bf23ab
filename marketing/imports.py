"""Price list items: export (CSV/XLSX) and import with a row-by-row preview, all or nothing."""

import base64
import binascii

import tablib
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from marketing import services
from marketing.errors import ImportRejected
from marketing.forms import ImportForm
from marketing.models import PriceList
from marketing.resources import PriceListItemResource

MAX_IMPORT_BYTES = 5 * 1024 * 1024
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pricelist_export(request, pk: int):
    price_list = get_object_or_404(PriceList, pk=pk)
    file_format = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    dataset = PriceListItemResource(price_list).export(force_native_type=file_format == "xlsx")
    if file_format == "xlsx":
        response = HttpResponse(dataset.export("xlsx"), content_type=XLSX_MIME)
    else:
        response = HttpResponse(dataset.export("csv"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pricelist-{price_list.code}.{file_format}"'
    return response


def load_dataset(content: bytes, name: str) -> tablib.Dataset:
    """A tablib dataset from CSV or XLSX bytes; ``ImportRejected`` with a clear message otherwise."""
    is_xlsx = name.lower().endswith(".xlsx") or content[:2] == b"PK"
    try:
        if is_xlsx:
            return tablib.Dataset().load(content, format="xlsx")
        text = content.decode("utf-8-sig")
        return tablib.Dataset().load(text, format="csv")
    except UnicodeDecodeError:
        raise ImportRejected(_("The CSV file must be encoded in UTF-8."))
    except Exception as exc:  # noqa: BLE001 - any parser error is a bad file for the user
        raise ImportRejected(_("The file could not be read as CSV or XLSX (%(error)s).") % {"error": exc})


def pricelist_import(request, pk: int):
    price_list = get_object_or_404(PriceList, pk=pk)
    if request.method != "POST":
        return render(request, "marketing/pricelist_import.html", {"price_list": price_list, "form": ImportForm()})
    replace = request.POST.get("replace") in ("on", "1", "true")
    if "payload" in request.POST:  # confirming a previewed file
        try:
            content = base64.b64decode(request.POST["payload"], validate=True)
        except (binascii.Error, ValueError):
            messages.error(request, _("The previewed file was damaged; upload it again."))
            return redirect("marketing:pricelist_import", pk=pk)
        name = request.POST.get("filename", "upload.csv")
        try:
            report = services.pricelist_import(price_list_id=pk, dataset=load_dataset(content, name), replace=replace,
                                               acting_user=request.user)
        except ImportRejected as error:
            messages.error(request, error.message)
            return redirect("marketing:pricelist_import", pk=pk)
        messages.success(request, _("Imported: %(new)s new, %(updated)s updated, %(deleted)s removed.") % {
            "new": report.new, "updated": report.updated, "deleted": report.deleted})
        return redirect("marketing:pricelist_items", pk=pk)
    form = ImportForm(request.POST, request.FILES)
    context = {"price_list": price_list, "form": form}
    if not form.is_valid():
        return render(request, "marketing/pricelist_import.html", context, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        form.add_error("file", _("The file is larger than 5 MB."))
        return render(request, "marketing/pricelist_import.html", context, status=400)
    content = upload.read()
    try:
        dataset = load_dataset(content, upload.name)
    except ImportRejected as error:
        form.add_error("file", error.message)
        return render(request, "marketing/pricelist_import.html", context, status=400)
    report = services.pricelist_import_preview(price_list_id=pk, dataset=dataset, replace=replace)
    context.update({"report": report, "payload": base64.b64encode(content).decode("ascii"),
                    "filename": upload.name, "replace": replace})
    return render(request, "marketing/pricelist_import.html", context, status=200 if report.ok else 400)

