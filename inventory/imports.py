"""CSV/XLSX imports and exports of catalogue, stock, suppliers, supplier items and reorder rules.

An upload becomes an ``ImportJob``: every row is validated first (unknown SKU or location, negative
quantity, bad number, duplicate) into a preview with per-row errors; nothing is written until the user
confirms, and then the whole file is applied in one transaction (all or nothing). Files above
``BACKGROUND_ROWS`` rows are validated and applied by a Celery job while the page polls its progress.
Stock rows go through ``services.stock_import_levels`` (COPY + set-based SQL, ledger movements).
"""

import codecs
import csv
import io
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import zip_longest

import tablib
from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.db import DataError, IntegrityError, connection, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory import services
from inventory.errors import ImportFailed, InventoryError
from inventory.forms import ImportForm
from inventory.models import (
    Brand,
    Category,
    ImportJob,
    Location,
    Product,
    ReorderRule,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierItem,
    TaxClass,
    Variant,
)
from oms.access import has_permission
from oms.audit import audit_record
from oms.models import AuditEntry
from oms.money import CURRENCY_EXPONENTS
from oms.numbers import NumberError, refuse_unwritten
from oms.spreadsheets import neutralize

logger = logging.getLogger(__name__)

BACKGROUND_ROWS = 5000
BACKGROUND_BYTES = 400_000  # files above this size are checked by the Celery job as well
PREVIEW_ROWS = 20
MAX_ERRORS = 200
PROGRESS_CHUNK = 1000  # rows between two progress reports
AUDIT_SAMPLE = 50  # cost/price changes listed one by one in an import's audit entry


@dataclass(frozen=True)
class Kind:
    slug: str
    label: str
    columns: list[str]
    required: list[str]
    permission: str
    export_permission: str


KINDS = {
    k.slug: k
    for k in [
        Kind("products", gettext_lazy("Products and variants"),
             ["sku", "name", "product_code", "product_name", "brand", "category", "barcode", "size", "colour",
              "weight_grams", "cost", "base_price", "currency", "tax_class", "is_active"],
             ["sku", "product_code"], "manage_catalogue", "view_catalogue"),
        Kind("stock", gettext_lazy("Stock levels"), ["sku", "location", "on_hand", "safety_stock"],
             ["sku", "location", "on_hand"], "manage_stock", "view_catalogue"),
        Kind("suppliers", gettext_lazy("Suppliers"),
             ["code", "name", "email", "phone", "contact_name", "currency", "lead_time_days"],
             ["code", "name"], "manage_purchasing", "manage_purchasing"),
        Kind("supplier_items", gettext_lazy("Supplier items"),
             ["supplier", "sku", "supplier_sku", "cost", "min_order_quantity", "lead_time_days"],
             ["supplier", "sku", "cost"], "manage_purchasing", "manage_purchasing"),
        Kind("reorder_rules", gettext_lazy("Reorder rules"),
             ["sku", "location", "reorder_point", "order_up_to", "supplier"],
             ["sku", "location", "reorder_point", "order_up_to"], "manage_purchasing", "manage_purchasing"),
    ]
}


# --- reading files ------------------------------------------------------------------------------


def _cell_text(value) -> str:
    """A workbook cell as text; a number written out in digits (Python writes 0.00001 as "1e-05", which the number
    cells refuse as a typed "1e3" is)."""
    if value is None:
        return ""
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return format(Decimal(str(value)), "f")
    return str(value).strip()


def read_rows(data: bytes, filename: str) -> list[dict[str, str]]:
    """Rows of a CSV or XLSX file as dicts with lower-case headers and stripped string values."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:  # read-only workbooks parse lazily: a damaged sheet fails while its rows are read, not when opened
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                return []
            keys = [str(h or "").strip().lower() for h in header]
            out, blanks = [], False
            for row in rows:
                if any(v not in (None, "") for v in row):
                    blanks = blanks or any(v is None for k, v in zip(keys, row, strict=False) if k)
                    # Every column of the header, as in a CSV file: a workbook that does not state its size gives
                    # rows only as long as their last cell.
                    out.append({k: _cell_text(v) for k, v in zip_longest(keys, row) if k})
        except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
            raise ImportFailed(_("The file is not a readable XLSX workbook (%(error)s).") % {"error": exc})
        if blanks:  # an empty cell may be a formula saved without its result (a workbook a program wrote)
            _refuse_formulas_without_results(data, keys)
        return out
    text = _csv_text(data)
    delimiter = _delimiter(text.partition("\n")[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        keys = [str(h or "").strip().lower() for h in header]
        out = []
        for cells in reader:
            extra = [c for c in cells[len(keys):] if c.strip()]
            if extra:
                raise ImportFailed(_("Line %(line)s has %(cells)s cells but the header names %(columns)s columns.")
                                   % {"line": reader.line_num, "cells": len(keys) + len(extra),
                                      "columns": len(keys)}, row=reader.line_num)
            if not any(c.strip() for c in cells):
                continue
            cells = cells + [""] * (len(keys) - len(cells))  # a short row: its last cells are empty
            out.append({k: v.strip() for k, v in zip(keys, cells, strict=False) if k})
    except csv.Error as exc:
        raise ImportFailed(_("Line %(line)s cannot be read as CSV (%(error)s).")
                           % {"line": reader.line_num, "error": exc}, row=reader.line_num) from None
    return out


def _refuse_formulas_without_results(data: bytes, keys: list[str]) -> None:
    """Refuses the first cell that holds a formula but no result (read as empty), naming its row and column."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=False).worksheets[0]
    cached = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    for number, (row, values) in enumerate(zip(sheet.iter_rows(min_row=2, values_only=True),
                                               cached.iter_rows(min_row=2, values_only=True), strict=False), start=2):
        for key, formula, value in zip(keys, row, values, strict=False):
            if key and value is None and isinstance(formula, str) and formula.startswith("="):
                raise ImportFailed(_("Row %(row)s, column %(column)s holds the formula %(formula)s without its result: "
                                     "open the file in a spreadsheet program and save it again, or write the value.")
                                   % {"row": number, "column": key, "formula": _shown(formula)}, row=number)


def _csv_text(data: bytes) -> str:
    """The file's text: UTF-16 when it starts with that byte order mark (Excel's "Unicode text"), else UTF-8,
    else Latin-1 (an older Excel's CSV)."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFailed(_("The file begins as UTF-16 text but cannot be read as such.")) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text


def _delimiter(header: str) -> str:
    """The separator of the header line: a comma, or the semicolon a Portuguese Excel writes, or a tab; the
    one that splits the header most (a comma file whose header has none of them is one column)."""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# --- validation ---------------------------------------------------------------------------------


@dataclass
class Checked:
    rows: list[dict] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def error(self, number: int, message: str) -> None:
        self.errors.append((number, message))


def _field(model, name: str):
    return model._meta.get_field(name)


# Text columns and the model field whose max_length bounds them, per import kind.
TEXT_FIELDS = {
    "products": {"sku": _field(Variant, "sku"), "name": _field(Variant, "name"),
                 "product_code": _field(Product, "code"), "product_name": _field(Product, "name"),
                 "brand": _field(Brand, "name"), "category": _field(Category, "path"),
                 "barcode": _field(Variant, "barcode")},
    "suppliers": {"code": _field(Supplier, "code"), "name": _field(Supplier, "name"),
                  "email": _field(Supplier, "email"), "phone": _field(Supplier, "phone"),
                  "contact_name": _field(Supplier, "contact_name")},
    "supplier_items": {"supplier_sku": _field(SupplierItem, "supplier_sku")},
}
SHOWN_CHARS = 40  # a cell value quoted in an error message is cut to this length


def _shown(value: str) -> str:
    return value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…"


def _control_character(value: str) -> str | None:
    """The first control character of a cell (tab is allowed), or None."""
    if value.isprintable():  # no control character can be in a printable string: skip the scan
        return None
    return next((c for c in value if c != "\t" and unicodedata.category(c) == "Cc"), None)


def _json_safe(value):
    """``value`` with NUL characters replaced: PostgreSQL jsonb and text refuse \\u0000."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {_json_safe(k): _json_safe(v) for k, v in value.items()}
    return value


_INTEGER_MAXIMUM: dict[str, int | None] = {}


def _integer_maximum(internal_type: str) -> int | None:
    if internal_type not in _INTEGER_MAXIMUM:
        _INTEGER_MAXIMUM[internal_type] = connection.ops.integer_field_range(internal_type)[1]
    return _INTEGER_MAXIMUM[internal_type]


def _case_insensitive_matches(values: set[str], *, table: str, column: str) -> dict[str, list[str]]:
    """``{value as written: [values as stored]}`` for the written values that exist in ``table.column`` only in
    another case (``vst024-prt-m`` for ``VST024-PRT-M``); a value stored exactly as written is not looked up."""
    if not values:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s)", [sorted(values)])
        exact = {row[0] for row in cursor.fetchall()}
        rest = sorted(values - exact)
        if not rest:
            return {}
        cursor.execute(f"SELECT w, t.{column} FROM unnest(%s::text[]) AS w"
                       f" JOIN {table} t ON UPPER(t.{column}) = UPPER(w) ORDER BY t.{column}", [rest])
        found: dict[str, list[str]] = {}
        for written, stored in cursor.fetchall():
            found.setdefault(written, []).append(stored)
    return found


def _variants_by_sku(skus: set[str]) -> tuple[dict[str, tuple[int, str, bool]], dict[str, list[str]]]:
    """The file's SKUs found in the catalogue, ``{SKU as written: (id, SKU as stored, is a kit)}``, and
    ``{SKU as written: [SKUs]}`` for those that match several SKUs differing only in case.

    SKUs match case-insensitively, as in the stock forms, the line lists and search; a SKU stored exactly as
    written wins. The SKUs go as a single array parameter: ``sku__in`` with 100,000 placeholders spent
    seconds building and splitting the query before PostgreSQL saw it. The exact match uses the unique
    index; only the SKUs not found that way are compared in upper case.
    """
    skus = {sku for sku in skus if sku}
    found: dict[str, tuple[int, str, bool]] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT sku, id, is_kit FROM inventory_variant WHERE sku = ANY(%s)", [sorted(skus)])
        for sku, pk, kit in cursor.fetchall():
            found[sku] = (pk, sku, kit)
        rest = sorted(skus - found.keys())
        if not rest:
            return found, {}
        cursor.execute("SELECT w, v.sku, v.id, v.is_kit FROM unnest(%s::text[]) AS w"
                       " JOIN inventory_variant v ON UPPER(v.sku) = UPPER(w) ORDER BY v.sku", [rest])
        matches: dict[str, list[tuple[int, str, bool]]] = {}
        for written, sku, pk, kit in cursor.fetchall():
            matches.setdefault(written, []).append((pk, sku, kit))
    ambiguous = {}
    for written, variants in matches.items():
        if len(variants) == 1:
            found[written] = variants[0]
        else:
            ambiguous[written] = [sku for _pk, sku, _kit in variants]
    return found, ambiguous


def _barcode_owners(barcodes: set[str]) -> dict[str, str]:
    """``{barcode: SKU}`` for the barcodes that SKUs of the catalogue already carry."""
    barcodes = {barcode for barcode in barcodes if barcode}
    if not barcodes:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT barcode, sku FROM inventory_variant WHERE barcode = ANY(%s)", [sorted(barcodes)])
        return dict(cursor.fetchall())


GROUPED_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:[.,]\d{3})+")


def _written_plainly(value: str, *, name: str, number: int, checked: Checked) -> bool:
    """False, with the row's error, for a number Python reads but nobody writes ("1e3" is a thousand to Python)."""
    try:
        refuse_unwritten(value, name=name)
    except NumberError as exc:
        checked.error(number, exc.message)
        return False
    return True


def _int(value: str, *, name: str, number: int, checked: Checked, field, minimum: int = 0, default=None,
         maximum: int | None = None):
    """A whole number within ``minimum`` and the database range of the model ``field`` it is written to (or
    ``maximum``, a business limit below it)."""
    if value == "":
        if default is not None:
            return default
        checked.error(number, _("%(column)s is empty.") % {"column": name})
        return None
    if GROUPED_THOUSANDS.fullmatch(value):
        # "1.000" is a thousand in Portuguese and 1 written with decimals in English: neither is guessed.
        checked.error(number, _("%(column)s: %(value)s could be read two ways; write whole numbers without a "
                                "thousands separator (1000, not 1.000).") % {"column": name, "value": _shown(value)})
        return None
    if not _written_plainly(value, name=name, number=number, checked=checked):
        return None
    stored = _integer_maximum(field.get_internal_type())
    maximum = stored if maximum is None else maximum if stored is None else min(maximum, stored)
    if value.isascii() and value.isdigit():  # the common case, without the Decimal round trip
        parsed = int(value)
        if parsed >= minimum and (maximum is None or parsed <= maximum):
            return parsed
    try:
        parsed = Decimal(value)
        if not parsed.is_finite() or parsed != parsed.to_integral_value():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        checked.error(number, _("%(column)s: %(value)s is not a whole number.")
                      % {"column": name, "value": _shown(value)})
        return None
    if parsed < minimum:
        checked.error(number, _("%(column)s: %(value)s cannot be negative.") % {"column": name, "value": _shown(value)}
                      if minimum == 0 else
                      _("%(column)s must be at least %(min)s.") % {"column": name, "min": minimum})
        return None
    if maximum is not None and parsed > maximum:
        checked.error(number, _("%(column)s: %(value)s is above the largest allowed value, %(max)s.")
                      % {"column": name, "value": _shown(value), "max": maximum})
        return None
    return int(parsed)


def _decimal(value: str, *, name: str, number: int, checked: Checked, field, default=None):
    """A finite, non-negative amount that fits the model ``field`` (a DecimalField such as ``money_field``).

    Extra decimals are left to the database column, which rounds them half up to its decimal places.
    """
    if value == "":
        if default is not None:
            return default
        checked.error(number, _("%(column)s is empty.") % {"column": name})
        return None
    if not _written_plainly(value, name=name, number=number, checked=checked):
        return None
    try:
        result = Decimal(value.replace(",", "."))
        if not result.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        checked.error(number, _("%(column)s: %(value)s is not a number.") % {"column": name, "value": _shown(value)})
        return None
    if result < 0:
        checked.error(number, _("%(column)s: %(value)s cannot be negative.") % {"column": name, "value": _shown(value)})
        return None
    whole_digits = field.max_digits - field.decimal_places
    step, limit = Decimal(1).scaleb(-field.decimal_places), Decimal(10) ** whole_digits
    if result >= limit or result.quantize(step, rounding=ROUND_HALF_UP) >= limit:
        checked.error(number, _("%(column)s: %(value)s is too large; at most %(digits)s digits before the decimal "
                                "point.") % {"column": name, "value": _shown(value), "digits": whole_digits})
        return None
    return result


TRUE_WORDS = {"1", "true", "yes", "y", "active", "sim", "s", "verdadeiro", "ativo"}
FALSE_WORDS = {"0", "false", "no", "n", "inactive", "não", "nao", "falso", "inativo"}


def _bool(value: str, *, name: str, number: int, checked: Checked) -> bool | None:
    """Yes or no, in English or Portuguese; anything else is refused rather than read as yes (a file saying
    "inativo" or "maybe" must not switch a SKU on)."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    checked.error(number, _("%(column)s: %(value)s is neither yes nor no (write 1 or 0).")
                  % {"column": name, "value": _shown(value)})
    return None


# Columns a file may leave out: an existing record keeps what it has for them (a file of SKU and cost only
# changes costs), a new one gets the default. Keyed by import kind: column -> key of the validated row.
OPTIONAL_COLUMNS = {
    "products": {"name": "name", "product_name": "product_name", "brand": "brand", "category": "category",
                 "barcode": "barcode", "size": "size", "colour": "colour", "weight_grams": "weight_grams",
                 "cost": "cost", "base_price": "base_price", "currency": "currency", "tax_class": "tax_class",
                 "is_active": "is_active"},
    "suppliers": {"email": "email", "phone": "phone", "contact_name": "contact_name", "currency": "currency",
                  "lead_time_days": "lead_time_days"},
    "supplier_items": {"supplier_sku": "supplier_sku", "min_order_quantity": "min_order_quantity",
                       "lead_time_days": "lead_time_days"},
    "reorder_rules": {"supplier": "supplier_id"},
}


def columns_for(kind: Kind, mode: str = "set") -> tuple[list[str], list[str]]:
    """(columns, required columns) of a kind; a receipt-style stock import has ``quantity``, not ``on_hand``."""
    if kind.slug == "stock" and mode == ImportJob.Mode.ADD:
        return ["sku", "location", "quantity", "safety_stock"], ["sku", "location", "quantity"]
    return kind.columns, kind.required


def report_progress(job_id: int, done: int) -> None:
    """Progress of a running job, kept in the cache: the job's own transaction hides its row updates."""
    cache.set(_progress_key(job_id), done, 3600)


def read_progress(job: ImportJob) -> int:
    return cache.get(_progress_key(job.pk), job.rows_done)


def _progress_key(job_id: int) -> str:
    return f"inventory:import-progress:{connection.settings_dict['NAME']}:{job_id}"


def validate(kind: Kind, rows: list[dict[str, str]], *, mode: str = "set", progress=None) -> Checked:
    checked = Checked()
    if not rows:
        checked.error(0, _("The file has no data rows."))
        return checked
    columns, required = columns_for(kind, mode)
    missing = [c for c in required if c not in rows[0]]
    if missing:
        checked.error(1, _("Missing column(s): %(columns)s. Expected: %(expected)s.")
                      % {"columns": ", ".join(missing), "expected": ", ".join(columns)})
        return checked
    skus, ambiguous = _variants_by_sku({r.get("sku", "") for r in rows}) if "sku" in kind.columns else ({}, {})
    barcode_owners: dict[str, str] = {}
    product_codes: dict[str, list[str]] = {}
    if kind.slug == "products":
        barcode_owners = _barcode_owners({r.get("barcode", "") for r in rows})
        product_codes = _case_insensitive_matches({r.get("product_code", "") for r in rows} - {""},
                                                  table="inventory_product", column="code")
    codes_in_file: dict[str, str] = {}  # product code upper-cased -> its first spelling in the file
    locations = {c.upper(): pk for c, pk in Location.objects.values_list("code", "pk")}
    supplier_rows = list(Supplier.objects.values_list("code", "pk"))
    suppliers = {c.upper(): pk for c, pk in supplier_rows}
    supplier_codes = {c.upper(): c for c, _pk in supplier_rows}  # how each supplier's code is spelled
    seen: dict[tuple, int] = {}
    absent = [key for column, key in OPTIONAL_COLUMNS.get(kind.slug, {}).items() if column not in rows[0]]
    for number, raw in enumerate(rows, start=2):
        if progress is not None and (number - 2) % PROGRESS_CHUNK == 0:
            progress(number - 2)  # rows checked so far
        before = len(checked.errors)
        for column, value in raw.items():
            if (char := _control_character(value)) is not None:
                checked.error(number, _("%(column)s contains a control character (U+%(code)04X); remove it.")
                              % {"column": column, "code": ord(char)})
        for column in required:
            if not raw.get(column, ""):
                checked.error(number, _("%(column)s is empty.") % {"column": column})
        for column, model_field in TEXT_FIELDS.get(kind.slug, {}).items():
            if len(raw.get(column, "")) > model_field.max_length:
                checked.error(number, _("%(column)s is longer than %(max)s characters.")
                              % {"column": column, "max": model_field.max_length})
        if len(checked.errors) > before:
            continue
        row = {"_row": number}
        if len(ambiguous.get(raw.get("sku", ""), ())) > 1:
            checked.error(number, _("SKU %(value)s matches several SKUs that differ only in upper and lower case "
                                    "(%(skus)s); write it exactly as one of them.")
                          % {"value": raw["sku"], "skus": ", ".join(ambiguous[raw["sku"]])})
            continue
        if kind.slug == "products":
            # An existing SKU or product code written in another case is that SKU or product: it is updated.
            sku = skus[raw["sku"]][1] if raw["sku"] in skus else raw["sku"]
            code = raw["product_code"]
            if len(product_codes.get(code, ())) == 1:
                code = product_codes[code][0]
            code = codes_in_file.setdefault(code.upper(), code)
            row.update(sku=sku, product_code=code, name=raw.get("name", ""),
                       product_name=raw.get("product_name", ""), brand=raw.get("brand", ""),
                       category=raw.get("category", ""), barcode=raw.get("barcode", ""),
                       size=raw.get("size", ""), colour=raw.get("colour", ""))
            row["weight_grams"] = _int(raw.get("weight_grams", ""), name="weight_grams", number=number,
                                       checked=checked, field=_field(Variant, "weight_grams"), default=0)
            row["cost"] = _decimal(raw.get("cost", ""), name="cost", number=number, checked=checked,
                                   field=_field(Variant, "cost"), default=Decimal("0"))
            row["base_price"] = _decimal(raw.get("base_price", ""), name="base_price", number=number,
                                         checked=checked, field=_field(Variant, "base_price"), default=Decimal("0"))
            row["currency"] = (raw.get("currency") or "BRL").upper()
            if row["currency"] not in CURRENCY_EXPONENTS:
                checked.error(number, _("Unknown currency %(value)s.") % {"value": row["currency"]})
            row["tax_class"] = raw.get("tax_class") or TaxClass.STANDARD
            if row["tax_class"] not in TaxClass.values:
                checked.error(number, _("Unknown tax class %(value)s.") % {"value": row["tax_class"]})
            row["is_active"] = _bool(raw.get("is_active") or "1", name="is_active", number=number, checked=checked)
            key = ("sku", row["sku"].upper())
            if row["barcode"]:
                owner = barcode_owners.get(row["barcode"])
                if owner is not None and owner != row["sku"]:
                    checked.error(number, _("Barcode %(value)s already belongs to SKU %(sku)s.")
                                  % {"value": row["barcode"], "sku": owner})
                barcode_key = ("barcode", row["barcode"])
                if barcode_key in seen:
                    checked.error(number, _("Barcode %(value)s is already on row %(row)s.")
                                  % {"value": row["barcode"], "row": seen[barcode_key]})
                seen.setdefault(barcode_key, number)
        elif kind.slug == "suppliers":
            # "acme" updates the supplier ACME, as the supplier column of the other files reads it.
            row.update(code=supplier_codes.get(raw["code"].upper(), raw["code"]), name=raw["name"],
                       email=raw.get("email", ""), phone=raw.get("phone", ""),
                       contact_name=raw.get("contact_name", ""), currency=(raw.get("currency") or "BRL").upper())
            row["lead_time_days"] = _int(raw.get("lead_time_days", ""), name="lead_time_days", number=number,
                                         checked=checked, field=_field(Supplier, "lead_time_days"), default=7,
                                         maximum=services.MAX_LEAD_TIME_DAYS)
            if row["email"]:
                try:
                    forms.EmailField().clean(row["email"])
                except forms.ValidationError:
                    checked.error(number, _("%(value)s is not an e-mail address.") % {"value": row["email"]})
            if row["currency"] not in CURRENCY_EXPONENTS:
                checked.error(number, _("Unknown currency %(value)s.") % {"value": row["currency"]})
            key = ("code", row["code"].upper())
        else:
            variant_id, sku, kit = skus.get(raw["sku"], (None, raw["sku"], False))
            if variant_id is None:
                checked.error(number, _("Unknown SKU %(value)s.") % {"value": raw["sku"]})
            elif kit:
                checked.error(number, _(services.KIT_HOLDS_NO_STOCK) % {"value": sku})
            row["variant_id"] = variant_id
            row["sku"] = sku
            if "location" in kind.required:
                row["location_id"] = locations.get(raw["location"].upper())
                if row["location_id"] is None:
                    checked.error(number, _("Unknown location %(value)s.") % {"value": raw["location"]})
            supplier_code = raw.get("supplier", "")
            row["supplier_id"] = suppliers.get(supplier_code.upper()) if supplier_code else None
            if supplier_code and row["supplier_id"] is None:
                checked.error(number, _("Unknown supplier %(value)s.") % {"value": supplier_code})
            if kind.slug == "stock" and mode == ImportJob.Mode.ADD:
                row["quantity"] = _int(raw["quantity"], name="quantity", number=number, checked=checked,
                                       field=_field(StockMovement, "on_hand_delta"), minimum=1)
                safety = raw.get("safety_stock", "")
                row["safety_stock"] = (_int(safety, name="safety_stock", number=number, checked=checked,
                                            field=_field(StockLevel, "safety_stock"))
                                       if safety else None)
                key = (row["variant_id"], row["location_id"])
            elif kind.slug == "stock":
                row["quantity"] = _int(raw["on_hand"], name="on_hand", number=number, checked=checked,
                                       field=_field(StockLevel, "on_hand"))
                safety = raw.get("safety_stock", "")
                row["safety_stock"] = (_int(safety, name="safety_stock", number=number, checked=checked,
                                            field=_field(StockLevel, "safety_stock"))
                                       if safety else None)
                key = (row["variant_id"], row["location_id"])
            elif kind.slug == "supplier_items":
                row["supplier_sku"] = raw.get("supplier_sku", "")
                row["cost"] = _decimal(raw["cost"], name="cost", number=number, checked=checked,
                                       field=_field(SupplierItem, "cost"))
                row["min_order_quantity"] = _int(raw.get("min_order_quantity", ""), name="min_order_quantity",
                                                 number=number, checked=checked,
                                                 field=_field(SupplierItem, "min_order_quantity"), minimum=1, default=1)
                lead = raw.get("lead_time_days", "")
                row["lead_time_days"] = (_int(lead, name="lead_time_days", number=number, checked=checked,
                                              field=_field(SupplierItem, "lead_time_days"),
                                              maximum=services.MAX_LEAD_TIME_DAYS)
                                         if lead else None)
                key = (row["supplier_id"], row["variant_id"])
            else:
                row["reorder_point"] = _int(raw["reorder_point"], name="reorder_point", number=number, checked=checked,
                                         field=_field(ReorderRule, "reorder_point"))
                row["order_up_to"] = _int(raw["order_up_to"], name="order_up_to", number=number, checked=checked,
                                       field=_field(ReorderRule, "order_up_to"))
                point, up_to = row["reorder_point"], row["order_up_to"]
                if point is not None and up_to is not None and up_to <= point:
                    checked.error(number, _("order_up_to must be above reorder_point."))
                key = (row["variant_id"], row["location_id"])
        if key in seen and None not in key:
            checked.error(number, _("Duplicate of row %(row)s.") % {"row": seen[key]})
        seen.setdefault(key, number)
        if len(checked.errors) == before:
            for column in absent:
                row.pop(column, None)
            checked.rows.append(row)
        if len(checked.errors) >= MAX_ERRORS:
            checked.error(number, _("Too many errors; validation stopped here."))
            break
    return checked


# --- applying -----------------------------------------------------------------------------------


def _apply_products(rows: list[dict], acting_user, *, reference: str, progress=None) -> int:
    """Creates or updates styles and SKUs. A column the file leaves out (see ``OPTIONAL_COLUMNS``) keeps the
    existing record's value and gives a new one its default; all rows of a file have the same columns."""
    brands = {}
    for name in sorted({r["brand"] for r in rows if r.get("brand")}):
        brand = Brand.objects.filter(name__iexact=name).first()
        if brand is None:
            brand = Brand.objects.create(name=name, slug=_unique_slug(Brand, name))
        brands[name] = brand.pk
    categories = {}
    for name in sorted({r["category"] for r in rows if r.get("category")}):
        category = Category.objects.filter(path__iexact=name).first()
        if category is None:
            category = Category.objects.create(name=name[:120], path=name, slug=_unique_slug(Category, name))
        categories[name] = category.pk
    columns = rows[0].keys() if rows else set()
    existing_products = {p.code: p for p in Product.objects.filter(code__in={r["product_code"] for r in rows})}
    products = {}
    for row in rows:
        if row["product_code"] in products:
            continue
        old = existing_products.get(row["product_code"])
        name = row.get("product_name") or (old.name if old and "product_name" not in columns else "")
        products[row["product_code"]] = Product(
            code=row["product_code"], name=name or row.get("name") or row["product_code"],
            brand_id=brands.get(row["brand"]) if "brand" in columns else (old.brand_id if old else None),
            category_id=(categories.get(row["category"]) if "category" in columns
                         else (old.category_id if old else None)))
    Product.objects.bulk_create(list(products.values()), update_conflicts=True, unique_fields=["code"],
                                update_fields=["name", "brand", "category"], batch_size=2000)
    product_ids = dict(Product.objects.filter(code__in=products).values_list("code", "pk"))
    current = {v.sku: v for v in Variant.objects.filter(sku__in=[r["sku"] for r in rows]).only(
        "sku", "name", "barcode", "attributes", "weight_grams", "cost", "base_price", "currency", "tax_class",
        "is_active")}
    before = {sku: (v.cost, v.base_price) for sku, v in current.items()}
    defaults = {"barcode": "", "weight_grams": 0, "cost": Decimal("0"), "base_price": Decimal("0"),
                "currency": "BRL", "tax_class": TaxClass.STANDARD, "is_active": True}
    variants = []
    for row in rows:
        old = current.get(row["sku"])
        values = {name: row[name] if name in columns else (getattr(old, name) if old else default)
                  for name, default in defaults.items()}
        attributes = dict(old.attributes) if old else {}
        for key in ("size", "colour"):
            if key in columns:
                attributes.pop(key, None)
                if row[key]:
                    attributes[key] = row[key]
        name = row.get("name") or (old.name if old and "name" not in columns else "")
        name = name or " ".join([products[row["product_code"]].name,
                                 *(attributes[k] for k in ("size", "colour") if attributes.get(k))])
        variants.append(Variant(product_id=product_ids[row["product_code"]], sku=row["sku"], name=name[:255],
                                attributes=attributes, **values))
    for start in range(0, len(variants), PROGRESS_CHUNK):
        Variant.objects.bulk_create(
            variants[start:start + PROGRESS_CHUNK], update_conflicts=True, unique_fields=["sku"],
            update_fields=["product", "name", "barcode", "attributes", "weight_grams", "cost", "base_price",
                           "currency", "tax_class", "is_active", "updated_at"])
        if progress is not None:
            progress(min(start + PROGRESS_CHUNK, len(variants)))
    services.variant_refresh_search_text(product_ids=product_ids.values())
    # One summary audit entry per import, with the cost and price changes it made.
    price_changes = {
        v.sku: {"cost": [str(before[v.sku][0]), str(v.cost)], "base_price": [str(before[v.sku][1]), str(v.base_price)]}
        for v in variants if v.sku in before and (before[v.sku][0] != v.cost or before[v.sku][1] != v.base_price)
    }
    audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, object_type="inventory.variant",
                 verb="product_import", reason=reference, changes={
                     "rows": len(variants), "created": len(variants) - len(before), "updated": len(before),
                     "price_changes": len(price_changes),
                     "price_changes_sample": dict(sorted(price_changes.items())[:AUDIT_SAMPLE]),
                 })
    return len(variants)


def _unique_slug(model, name: str) -> str:
    base = slugify(name)[:100] or "item"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def apply(kind: Kind, rows: list[dict], *, acting_user, reference: str, mode: str = "set", progress=None) -> int:
    """Writes validated rows in one transaction; returns how many rows were applied.

    ``mode`` (stock only): "set" sets on hand (count style), "add" adds received quantities (receipt style).
    ``progress(rows_done)`` is called after each chunk of rows.
    """
    with transaction.atomic():
        if kind.slug == "products":
            return _apply_products(rows, acting_user, reference=reference, progress=progress)
        if kind.slug == "stock":
            services.stock_import_levels(
                rows=[(r["variant_id"], r["location_id"], r["quantity"], r["safety_stock"]) for r in rows],
                reference=reference, acting_user=acting_user, mode=mode, progress=progress)
            return len(rows)
        # A column the file leaves out is neither written to existing records nor given to new ones (which get
        # the model's default): all rows of a file have the same columns.
        if kind.slug == "suppliers":
            fields = [f for f in ("name", "email", "phone", "contact_name", "currency", "lead_time_days")
                      if rows and f in rows[0]]
            Supplier.objects.bulk_create(
                [Supplier(code=r["code"], **{f: r[f] for f in fields}) for r in rows],
                update_conflicts=True, unique_fields=["code"], update_fields=fields)
            return len(rows)
        if kind.slug == "supplier_items":
            fields = [f for f in ("supplier_sku", "cost", "min_order_quantity", "lead_time_days")
                      if rows and f in rows[0]]
            SupplierItem.objects.bulk_create(
                [SupplierItem(supplier_id=r["supplier_id"], variant_id=r["variant_id"], **{f: r[f] for f in fields})
                 for r in rows],
                update_conflicts=True, unique_fields=["supplier", "variant"], update_fields=fields, batch_size=2000)
            audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, object_type="inventory.supplieritem",
                         verb="supplier_item_import", reason=reference, changes={"rows": len(rows)})
            return len(rows)
        with_supplier = bool(rows) and "supplier_id" in rows[0]
        ReorderRule.objects.bulk_create(
            [ReorderRule(variant_id=r["variant_id"], location_id=r["location_id"], reorder_point=r["reorder_point"],
                         order_up_to=r["order_up_to"], preferred_supplier_id=r.get("supplier_id")) for r in rows],
            update_conflicts=True, unique_fields=["variant", "location"],
            update_fields=["reorder_point", "order_up_to", *(["preferred_supplier"] if with_supplier else [])],
            batch_size=2000)
        audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, object_type="inventory.reorderrule",
                     verb="reorder_rule_import", reason=reference, changes={"rows": len(rows)})
        return len(rows)


# --- jobs ---------------------------------------------------------------------------------------


RUNNING = (ImportJob.Status.VALIDATING, ImportJob.Status.APPLYING)


def _import_job_transition(job_id: int, *, to: str, only_from: Iterable[str] | None = None, **fields) -> bool:
    """The one place an import job changes status; with ``only_from``, only a job in one of those statuses
    moves (a job the stale sweep failed is not brought back by its worker). Returns whether it moved."""
    now = timezone.now()
    if to in (ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.INVALID, ImportJob.Status.READY):
        fields.setdefault("finished_at", now)
    for name in ("errors", "preview", "message"):
        if name in fields:
            fields[name] = _json_safe(fields[name])
    jobs = ImportJob.objects.filter(pk=job_id)
    if only_from is not None:
        jobs = jobs.filter(status__in=list(only_from))
    return bool(jobs.update(status=to, status_since=now, **fields))


STOPPED_MESSAGE = gettext_lazy("This import stopped before it finished (its background worker stopped, or never "
                               "started it); nothing was applied. Upload the file again.")


def import_jobs_fail_stale(*, now=None) -> int:
    """Marks failed the jobs validating or applying for longer than ``settings.INVENTORY_IMPORT_STALE_MINUTES``
    (beyond the Celery task limit: their worker died or never picked them up); returns how many.

    Honest by construction: a job is applied in one transaction with its move to done, so one still applying
    had its transaction rolled back. A job whose row is locked is being applied right now and is left alone.
    """
    from datetime import timedelta

    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.INVENTORY_IMPORT_STALE_MINUTES)
    failed = 0
    with transaction.atomic():
        stale = list(ImportJob.objects.select_for_update(skip_locked=True).filter(
            status__in=RUNNING, status_since__lt=cutoff).only("pk", "status", "status_since", "language")
            .order_by("pk"))
        for job in stale:
            logger.warning("Import job %s was still %s since %s; marked failed", job.pk, job.status,
                           job.status_since.isoformat())
            with job.in_language():  # the message as the person who uploaded the file reads
                failed += _import_job_transition(job.pk, to=ImportJob.Status.FAILED, only_from=[job.status],
                                                 message=str(STOPPED_MESSAGE), rows_done=0)
    for job in stale:
        cache.delete(_progress_key(job.pk))
    return failed


def import_job_validate(*, job_id: int) -> None:
    job = ImportJob.objects.get(pk=job_id)
    kind = KINDS[job.kind]
    try:
        rows = read_rows(bytes(job.data), job.filename)
    except ImportFailed as exc:
        _import_job_transition(job.pk, to=ImportJob.Status.INVALID, only_from=[ImportJob.Status.VALIDATING],
                               errors=[[exc.row, exc.message]])
        return
    ImportJob.objects.filter(pk=job.pk).update(rows_total=len(rows))
    try:
        checked = validate(kind, rows, mode=job.mode, progress=lambda done: report_progress(job.pk, done))
    except Exception as exc:  # noqa: BLE001 - the job must not stay "validating"; the cause goes to the log
        logger.exception("Import job %s could not be checked", job.pk)
        _import_job_transition(job.pk, to=ImportJob.Status.FAILED, only_from=[ImportJob.Status.VALIDATING],
                               message=_failure_message(exc))
        cache.delete(_progress_key(job.pk))
        return
    preview = _preview(kind, job.mode, rows, checked.rows[:PREVIEW_ROWS])
    _import_job_transition(
        job.pk, to=ImportJob.Status.INVALID if checked.errors else ImportJob.Status.READY,
        only_from=[ImportJob.Status.VALIDATING],
        errors=[list(e) for e in checked.errors], preview=preview, rows_done=len(rows),
    )
    cache.delete(_progress_key(job.pk))


def _preview(kind: Kind, mode: str, rows: list[dict[str, str]], checked_rows: list[dict]) -> list[dict[str, str]]:
    """The first checked rows as the file's own columns hold them, as they will be written: ``{"row": line,
    column: text}`` with SKUs, locations and suppliers as the catalogue spells them and numbers as read."""
    columns = [c for c in columns_for(kind, mode)[0] if rows and c in rows[0]]
    codes = {
        "location": dict(Location.objects.filter(pk__in={r.get("location_id") for r in checked_rows})
                         .values_list("pk", "code")),
        "supplier": dict(Supplier.objects.filter(pk__in={r.get("supplier_id") for r in checked_rows})
                         .values_list("pk", "code")),
    }
    preview = []
    for row in checked_rows:
        raw = rows[row["_row"] - 2]
        shown = {"row": str(row["_row"])}
        for column in columns:
            if column in codes:
                value = codes[column].get(row.get(f"{column}_id"), raw.get(column, ""))
            elif kind.slug == "stock" and column in ("on_hand", "quantity"):
                value = row["quantity"]
            else:
                value = row.get(column, raw.get(column, ""))
                if isinstance(value, bool):  # yes or no as the file wrote it, not Python's True
                    value = raw.get(column, "")
            shown[column] = "" if value is None else str(value)
        preview.append(shown)
    return preview


def preview_table(kind: Kind | None, job: ImportJob) -> tuple[list[str], list[list[str]]]:
    """The preview's columns in the file's order (PostgreSQL keeps a JSON object's keys in an order of its own)
    and its rows' cells under them."""
    if not job.preview:
        return [], []
    keys = job.preview[0].keys()
    known = ["row", *columns_for(kind, job.mode)[0]] if kind else []
    columns = [c for c in known if c in keys] + [c for c in keys if c not in known]
    return columns, [[row.get(c, "") for c in columns] for row in job.preview]


def _failure_message(exc: Exception) -> str:
    """What a person reads when applying a file failed on something validation did not catch."""
    if isinstance(exc, InventoryError):
        return exc.message
    if isinstance(exc, DataError):
        # Validation bounds every column; this is the last guard (e.g. a receipt adding past the integer range).
        return _("A value is out of range for the database; nothing was applied.")
    if isinstance(exc, IntegrityError):
        # Another import or a person wrote the same barcode or code between the preview and the confirmation.
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
        if constraint == "inventory_variant_barcode_unique":
            return _("A barcode in the file already belongs to another SKU; nothing was applied. Upload the file "
                     "again to see which rows.")
        return _("A value in the file is already used by another record; nothing was applied. Upload the file "
                 "again to see which rows.")
    return _("The import failed unexpectedly; nothing was applied. Upload the file again, and tell support if "
             "it fails again.")


def import_job_apply(*, job_id: int, acting_user) -> None:
    """Applies a validated job (re-validating it: the data may have changed since the preview).

    The job row is locked and moved to done in the same transaction as the rows, so a redelivered task
    (or a second worker) finds it done and does not apply the file twice. Whatever goes wrong on the way
    leaves the job failed with a message, never applying: it is not tried again by itself.
    """
    job = ImportJob.objects.get(pk=job_id)
    kind = KINDS[job.kind]
    try:
        rows = read_rows(bytes(job.data), job.filename)
        checked = validate(kind, rows, mode=job.mode)
        if checked.errors:
            _import_job_transition(job.pk, to=ImportJob.Status.INVALID, only_from=[ImportJob.Status.APPLYING],
                                   errors=[list(e) for e in checked.errors])
            return
        report_progress(job.pk, 0)
        with transaction.atomic():
            if not ImportJob.objects.select_for_update().filter(pk=job.pk, status=ImportJob.Status.APPLYING).exists():
                return
            count = apply(kind, checked.rows, acting_user=acting_user, reference=f"import:{job.pk}", mode=job.mode,
                          progress=lambda done: report_progress(job.pk, done))
            _import_job_transition(job.pk, to=ImportJob.Status.DONE, rows_done=count,
                                   message=_("%(count)s row(s) applied.") % {"count": count})
    except Exception as exc:  # noqa: BLE001 - the job must not stay "applying"; the cause goes to the log
        if not isinstance(exc, InventoryError | DataError | IntegrityError):
            logger.exception("Import job %s failed", job.pk)
        _import_job_transition(job.pk, to=ImportJob.Status.FAILED, only_from=[ImportJob.Status.APPLYING],
                               message=_failure_message(exc))
    finally:
        cache.delete(_progress_key(job.pk))


def _start(job: ImportJob, *, step: str, acting_user) -> None:
    from inventory.tasks import import_job_task

    if job.rows_total > BACKGROUND_ROWS or len(job.data) > BACKGROUND_BYTES:
        transaction.on_commit(lambda: import_job_task.delay(job.pk, step, acting_user.pk if acting_user else None))
    elif step == "validate":
        import_job_validate(job_id=job.pk)
    else:
        import_job_apply(job_id=job.pk, acting_user=acting_user)


# --- views --------------------------------------------------------------------------------------


def import_view(request, kind: str):
    kind_obj = KINDS[kind]
    form = ImportForm(request.POST or None, request.FILES or None, with_mode=kind == "stock")
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        filename = "".join(c for c in upload.name if c.isprintable())[:200]
        job = ImportJob.objects.create(kind=kind, filename=filename, data=upload.read(),
                                       mode=form.cleaned_data.get("mode") or ImportJob.Mode.SET,
                                       created_by=request.user)
        _start(job, step="validate", acting_user=request.user)
        return redirect("inventory:import_job", pk=job.pk)
    jobs = ImportJob.objects.filter(kind=kind, created_by=request.user).defer("data")[:10]
    return render(request, "inventory/import.html", {"form": form, "kind": kind_obj, "jobs": jobs},
                  status=422 if request.method == "POST" else 200)


def import_job_status(request, pk: int):
    job = get_object_or_404(ImportJob.objects.defer("data"), pk=pk)
    kind = KINDS.get(job.kind)
    if kind is None or not (job.created_by_id == request.user.pk or request.user.is_superuser):
        raise Http404
    if not has_permission(request.user, kind.permission):
        raise Http404
    if request.method == "POST" and request.POST.get("confirm") == "1":
        if _import_job_transition(job.pk, to=ImportJob.Status.APPLYING, only_from=[ImportJob.Status.READY],
                                  rows_done=0, finished_at=None):
            job.refresh_from_db()
            _start(job, step="apply", acting_user=request.user)
        else:  # already confirmed (a second click, another tab), or not ready
            job.refresh_from_db(fields=["status"])
            messages.error(request, _("This import cannot be applied (status: %(status)s).")
                           % {"status": job.get_status_display()})
        return redirect("inventory:import_job", pk=job.pk)
    job.refresh_from_db(fields=["status", "rows_done", "rows_total", "errors", "preview", "message"])
    running = job.status in (ImportJob.Status.VALIDATING, ImportJob.Status.APPLYING)
    if running:
        job.rows_done = min(read_progress(job), job.rows_total) if job.rows_total else read_progress(job)
    template = "inventory/import_job.html#status" if request.htmx else "inventory/import_job.html"
    columns, preview = preview_table(kind, job)
    return render(request, template, {"job": job, "kind": kind, "columns": columns, "preview": preview,
                                      "running": running})


# --- exports ------------------------------------------------------------------------------------


def export_rows(kind: Kind):
    if kind.slug == "products":
        rows = Variant.objects.select_related("product", "product__brand", "product__category").order_by("sku")
        for v in rows.iterator(chunk_size=2000):
            p = v.product
            yield [v.sku, v.name, p.code, p.name, p.brand.name if p.brand else "",
                   p.category.path if p.category else "",
                   v.barcode, v.attributes.get("size", ""), v.attributes.get("colour", ""), v.weight_grams, v.cost,
                   v.base_price, v.currency, v.tax_class, int(v.is_active)]
    elif kind.slug == "stock":
        rows = StockLevel.objects.values_list("variant__sku", "location__code", "on_hand", "safety_stock")
        yield from rows.order_by("variant__sku", "location__code").iterator(chunk_size=5000)
    elif kind.slug == "suppliers":
        yield from Supplier.objects.order_by("code").values_list(*kind.columns)
    elif kind.slug == "supplier_items":
        yield from SupplierItem.objects.order_by("supplier__code", "variant__sku").values_list(
            "supplier__code", "variant__sku", "supplier_sku", "cost", "min_order_quantity", "lead_time_days")
    else:
        yield from ReorderRule.objects.order_by("variant__sku", "location__code").values_list(
            "variant__sku", "location__code", "reorder_point", "order_up_to", "preferred_supplier__code")


def export_view(request, kind: str):
    kind_obj = KINDS[kind]
    file_format = request.GET.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        file_format = "csv"
    dataset = tablib.Dataset(headers=kind_obj.columns)
    for row in export_rows(kind_obj):
        dataset.append(["" if value is None else neutralize(value) for value in row])
    content_type = ("text/csv; charset=utf-8" if file_format == "csv"
                    else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = HttpResponse(dataset.export(file_format), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{kind}.{file_format}"'
    return response
