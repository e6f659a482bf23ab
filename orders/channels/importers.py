"""Readers for the channels' real order export formats; each gives one ``ParsedOrder`` per order.

Every reader is deterministic (same bytes, same orders in the same order), so a job can resume from
its cursor. ``data`` has the shape of ``schemas.ChannelOrderIn`` and is validated when imported.
"""

import contextvars
import csv
import io
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.utils.translation import gettext as _

from oms.errors import Refusal
from oms.jsontext import JsonTextError, load_json, written_number
from oms.numbers import INT_MAX, NumberError, parse_amount, parse_whole
from orders.channels.errors import ImportFileError
from orders.channels.models import ImportFormat

logger = logging.getLogger(__name__)


@dataclass
class ParsedOrder:
    row_number: int  # first line of the order in the file (the header is line 1), or its index in a JSON list
    external_id: str
    raw: dict
    data: dict = field(default_factory=dict)
    error: str = ""


class RowError(Refusal):
    """An order of the file that cannot be read; ``message`` is for the person fixing it."""


# How a workbook or an archive begins (ZIP: .xlsx and .zip; OLE2: .xls; gzip): read as text, it is a NUL byte on
# line 1, which tells the person nothing about the file they chose.
BINARY_STARTS = (b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x1f\x8b")


def _text(content: bytes) -> str:
    if content.startswith(BINARY_STARTS):
        raise ImportFileError(_("The file is a spreadsheet workbook or a compressed archive (.xlsx, .xls, .zip, .gz), "
                                "not a text export: upload the file as the channel exports it, or save the sheet as "
                                "CSV (UTF-8)."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportFileError(_("The file holds a NUL character on line %(line)s: it is not a text file in this "
                                "format.") % {"line": line})
    return text


# Set while an order is read again for the person correcting it (``parse_as_written``): a number that cannot be
# read is kept as the file writes it, so the correction form shows the whole order with the value to fix rather
# than nothing at all.
_AS_WRITTEN = contextvars.ContextVar("as_written", default=False)


def _money(value, *, column: str) -> Decimal:
    """An amount of the file (``R$ 1.234,56``, ``1234.56``; empty is zero) that the order's columns can hold."""
    text = str(value if value is not None else "").replace("R$", "").strip()
    if not text:
        return Decimal(0)
    try:
        return parse_amount(text, max_digits=14, decimal_places=4, minimum=None, name=column)
    except NumberError:
        if _AS_WRITTEN.get():
            return text
        raise


def _int(value, *, column: str) -> int:
    try:
        return parse_whole(value, minimum=0, maximum=INT_MAX, name=column)
    except NumberError:
        if _AS_WRITTEN.get():
            return str(value if value is not None else "").strip()
        raise


def _rows(content: bytes, delimiter: str, required: list[str]) -> list[tuple[int, dict]]:
    """The file's rows as ``(line, {column: text})``: every column of the header is there (empty when the row
    is short) and cells beyond the header are dropped, so a builder only ever sees text."""
    reader = csv.DictReader(io.StringIO(_text(content)), delimiter=delimiter, restval="")
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    reader.fieldnames = header
    out = []
    for record in reader:
        cells = {k: v.strip() for k, v in record.items() if k is not None and isinstance(v, str)}
        if not any(cells.values()):
            continue
        out.append((reader.line_num, cells))
    return out


def _group(rows: list[tuple[int, dict]], key: str) -> list[tuple[int, list[dict]]]:
    groups: dict[str, tuple[int, list[dict]]] = {}
    for line, record in rows:
        groups.setdefault(record[key], (line, []))[1].append(record)
    return list(groups.values())


def _with_placed_at(data: dict, value) -> dict:
    """``data`` with the channel's placing time when the file gives one (checked with the order:
    ``schemas.channel_placed_at``); Shopify writes its offset after a space (“2026-11-20 10:14:40 -0300”)."""
    text = str(value or "").strip()
    if text:
        data["placed_at"] = re.sub(r"\s+([+-][0-9]{2}:?[0-9]{2})$", r"\1", text)
    return data


def _split_street(address1: str) -> tuple[str, str]:
    """“Rua Augusta, 500” -> (“Rua Augusta”, “500”)."""
    if "," in address1:
        street, number = address1.rsplit(",", 1)
        if number.strip() and number.strip()[0].isdigit():
            return street.strip(), number.strip()
    return address1.strip(), ""


def _parse_each(groups, build, key: str, buyer: str = "") -> list[ParsedOrder]:
    """One order per group of rows; ``key`` is the column of the channel's order id (shown for a rejected one).
    ``buyer``: the column of the buyer's e-mail, which the rows of one order share (``_one_buyer``)."""
    return [_build_one(row_number, {"rows": records}, partial(_one_buyer, buyer, records, build, row_number, records),
                       external_id=records[0].get(key, "").lstrip("#")[:80])
            for row_number, records in groups]


def _one_buyer(column: str, records: list[dict], build, *args):
    """``build(*args)``, unless the rows grouped under one order id name different buyers: two orders of the file
    with one id (two exports put together, an id typed twice) were made one, the second buyer's items added to
    the first buyer's order and the rest of the second order dropped."""
    if column:
        buyers = list(dict.fromkeys(v for r in records if (v := r.get(column, "").strip().lower())))
        if len(buyers) > 1:
            raise RowError(_("The order id is on rows of different buyers (%(buyers)s): are these different orders "
                             "with one id? Give each order its own id and import the file again.")
                           % {"buyers": ", ".join(buyers[:3])})
    return build(*args)


def _build_one(row_number: int, raw: dict, build, external_id: str = "") -> ParsedOrder:
    """One order read by ``build() -> (external_id, data)``; what cannot be read becomes the row's error."""
    try:
        external_id, data = build()
    except (RowError, NumberError) as exc:
        return ParsedOrder(row_number, external_id, raw, {}, exc.message)
    except (ValueError, KeyError, TypeError, ArithmeticError):
        logger.exception("Import row %s could not be read", row_number)
        return ParsedOrder(row_number, external_id, raw, {}, _("This order could not be read from the file."))
    return ParsedOrder(row_number, external_id, raw, data)


# --- Shopify: orders CSV export, one row per line item; order fields filled on the first row ------

SHOPIFY_REQUIRED = ["Name", "Email", "Financial Status", "Lineitem quantity", "Lineitem price", "Lineitem sku"]


def parse_shopify_csv(content: bytes) -> list[ParsedOrder]:
    groups = _group(_rows(content, ",", SHOPIFY_REQUIRED), "Name")

    def build(row, records):
        first = records[0]
        street, number = _split_street(first.get("Shipping Address1", ""))
        data = {
            "external_id": first["Name"].lstrip("#"),
            "currency": first.get("Currency", ""),
            "channel_status": first.get("Financial Status", "").lower(),
            "customer": {"name": first.get("Shipping Name") or first.get("Billing Name", ""), "email": first["Email"],
                         "phone": first.get("Phone") or first.get("Shipping Phone", "")},
            "shipping_address": {"recipient": first.get("Shipping Name", ""), "street": street, "number": number,
                                 "complement": first.get("Shipping Address2", ""),
                                 "city": first.get("Shipping City", ""), "state": first.get("Shipping Province", ""),
                                 "postal_code": first.get("Shipping Zip", "").lstrip("'"),
                                 "country": first.get("Shipping Country", "") or "BR",
                                 "phone": first.get("Shipping Phone", "")},
            "lines": [{"sku": r["Lineitem sku"], "name": r.get("Lineitem name", ""),
                       "quantity": _int(r["Lineitem quantity"], column="Lineitem quantity"),
                       "unit_price": str(_money(r["Lineitem price"], column="Lineitem price"))}
                      for r in records],
            "shipping_method": first.get("Shipping Method", ""),
            "shipping_total": str(_money(first.get("Shipping"), column="Shipping")),
            "discount_total": str(_money(first.get("Discount Amount"), column="Discount Amount")),
            "tax_total": str(_money(first.get("Taxes"), column="Taxes")),
            "total": str(_money(first.get("Total"), column="Total")),
            "notes": first.get("Notes", ""),
        }
        _with_placed_at(data, first.get("Created at"))
        if first.get("Payment Method"):
            data["payments"] = [{"method": first["Payment Method"], "amount": data["total"],
                                 "reference": first.get("Payment Reference", "")}]
        return data["external_id"], data

    return _parse_each(groups, build, "Name", buyer="Email")


# --- WooCommerce: REST API orders JSON (a list, or {"orders": [...]}) ----------------------------

# The parts of a WooCommerce order we read, and the JSON type each must have: TEXT is text or a number (ids and
# postcodes come as either; absent or null reads as ""), a dict is an object, a one-item list a list of such.
# ``_conform`` checks a whole order against it once, so the builder below only sees the types it expects.
TEXT, ANY = "text", "any"
WOO_ADDRESS = dict.fromkeys(("first_name", "last_name", "address_1", "address_2", "number", "neighborhood", "city",
                             "state", "postcode", "country", "email", "phone"), TEXT)
WOO_ORDER = {
    "id": TEXT, "number": TEXT, "status": TEXT, "currency": TEXT, "billing": WOO_ADDRESS, "shipping": WOO_ADDRESS,
    "line_items": [{"sku": TEXT, "name": TEXT, "quantity": TEXT, "subtotal": TEXT}],
    "shipping_lines": [{"method_id": TEXT}],
    "meta_data": [{"key": TEXT, "value": ANY}],  # plugins keep any JSON here; only text values are read
    "shipping_total": TEXT, "discount_total": TEXT, "total_tax": TEXT, "total": TEXT,
    "payment_method": TEXT, "transaction_id": TEXT, "customer_note": TEXT,
    "date_created": TEXT, "date_created_gmt": TEXT,  # the shop's local time, and the same in UTC
}


def _found(value) -> str:
    if isinstance(value, str):
        return _("the text “%(value)s”") % {"value": value if len(value) <= 30 else value[:29] + "…"}
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, (int, float)):
        return _("the number %(value)s") % {"value": value}
    if isinstance(value, list):
        return _("a list")
    return _("an object")


def _conform(value, shape, path: str):
    """``value`` with the JSON types ``shape`` describes, or ``RowError`` naming the first field that differs."""
    if shape == ANY:
        return value
    if isinstance(shape, dict):
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise RowError(_("“%(field)s” should be an object ({…}), but the file has %(found)s.")
                           % {"field": path, "found": _found(value)})
        return {key: _conform(value.get(key), part, f"{path}.{key}" if path else key) for key, part in shape.items()}
    if isinstance(shape, list):
        if value is None:
            return []
        if not isinstance(value, list):
            raise RowError(_("“%(field)s” should be a list ([…]), but the file has %(found)s.")
                           % {"field": path, "found": _found(value)})
        return [_conform(item, shape[0], f"{path}[{index}]") for index, item in enumerate(value)]
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RowError(_("“%(field)s” should be text or a number, but the file has %(found)s.")
                       % {"field": path, "found": _found(value)})
    return str(written_number(value))  # the number 1e3 as it is written, which an amount's reader refuses


def _woo_address(part: dict) -> dict:
    street, number = _split_street(part["address_1"])
    return {"recipient": f"{part['first_name']} {part['last_name']}".strip(),
            "street": street, "number": part["number"] or number, "complement": part["address_2"],
            "district": part["neighborhood"], "city": part["city"], "state": part["state"],
            "postal_code": part["postcode"], "country": part["country"] or "BR", "phone": part["phone"]}


def _woo_order(order: dict) -> dict:
    order = _conform(order, WOO_ORDER, "")
    billing, shipping = order["billing"], order["shipping"]
    meta = {m["key"]: m["value"] for m in order["meta_data"] if isinstance(m["value"], str)}
    lines = []
    for index, item in enumerate(order["line_items"]):
        quantity = _int(item["quantity"], column=f"line_items[{index}].quantity")
        subtotal = _money(item["subtotal"], column=f"line_items[{index}].subtotal")
        lines.append({"sku": item["sku"], "name": item["name"], "quantity": quantity,
                      "unit_price": str((subtotal / quantity).quantize(Decimal("0.0001")) if quantity else subtotal)})
    shipping_lines = order["shipping_lines"]
    data = {
        "external_id": order["number"] or order["id"],
        "currency": order["currency"],
        "channel_status": order["status"].lower(),
        "customer": {"name": f"{billing['first_name']} {billing['last_name']}".strip(),
                     "email": billing["email"], "phone": billing["phone"],
                     "tax_id": meta.get("_billing_cpf") or meta.get("_billing_cnpj") or ""},
        "shipping_address": _woo_address(shipping if shipping["address_1"] else billing),
        "lines": lines,
        "shipping_method": shipping_lines[0]["method_id"] if shipping_lines else "",
        "shipping_total": str(_money(order["shipping_total"], column="shipping_total")),
        "discount_total": str(_money(order["discount_total"], column="discount_total")),
        "tax_total": str(_money(order["total_tax"], column="total_tax")),
        "total": str(_money(order["total"], column="total")),
        "notes": order["customer_note"],
    }
    gmt = order["date_created_gmt"].strip()
    _with_placed_at(data, f"{gmt}+00:00" if gmt and gmt[-1:].isdigit() else gmt or order["date_created"])
    if billing["address_1"]:
        data["billing_address"] = _woo_address(billing)
    if order["payment_method"]:
        data["payments"] = [{"method": order["payment_method"], "amount": data["total"],
                             "reference": order["transaction_id"]}]
    return data


def _woo_build(order: dict) -> tuple[str, dict]:
    data = _woo_order(order)
    return data["external_id"], data


def _woo_id(order: dict) -> str:
    value = order.get("number") or order.get("id") or ""
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def parse_woocommerce_json(content: bytes) -> list[ParsedOrder]:
    try:
        document = load_json(_text(content))
    except JsonTextError as exc:
        raise ImportFileError(exc.message) from None
    if isinstance(document, dict):
        document = document.get("orders", [document])
    if not isinstance(document, list):
        raise ImportFileError(_("Expected a list of WooCommerce orders."))
    orders = []
    for index, order in enumerate(document, start=1):
        if not isinstance(order, dict):
            orders.append(ParsedOrder(index, "", {"order": order}, {},
                                      _("Entry %(n)s is not an order (a JSON object).") % {"n": index}))
            continue
        orders.append(_build_one(index, {"order": order}, partial(_woo_build, order), external_id=_woo_id(order)))
    return orders


# --- WooCommerce: orders CSV export (one row per order, line_item_N columns) -----------------------

WOO_CSV_REQUIRED = ["order_number", "status", "order_total", "billing_email", "line_item_1"]
LINE_ITEM_COLUMN = re.compile(r"line_item_[0-9]{1,4}")


def _woo_item(text: str) -> dict:
    """“name:Mug|sku:MUG-WHT|quantity:2|total:90.00|sub_total:100.00” -> dict."""
    return dict(part.split(":", 1) for part in text.split("|") if ":" in part)


def parse_woocommerce_csv(content: bytes) -> list[ParsedOrder]:
    rows = _rows(content, ",", WOO_CSV_REQUIRED)

    def build(row, records):
        r = records[0]
        items = [_woo_item(r[k]) for k in sorted((k for k in r if LINE_ITEM_COLUMN.fullmatch(k) and r[k]),
                                                 key=lambda k: int(k.rsplit("_", 1)[1]))]
        order = {
            "number": r["order_number"], "status": r["status"], "currency": r.get("order_currency", ""),
            "billing": {k.removeprefix("billing_"): v for k, v in r.items() if k.startswith("billing_")},
            "shipping": {k.removeprefix("shipping_"): v for k, v in r.items()
                         if k.startswith("shipping_") and k not in ("shipping_total", "shipping_method")},
            "line_items": [{"sku": i.get("sku", ""), "name": i.get("name", ""), "quantity": i.get("quantity"),
                            "subtotal": i.get("sub_total") or i.get("total")} for i in items],
            "shipping_lines": [{"method_id": r.get("shipping_method", "")}],
            "shipping_total": r.get("shipping_total"), "discount_total": r.get("discount_total"),
            "total_tax": r.get("tax_total"), "total": r["order_total"], "payment_method": r.get("payment_method", ""),
            "transaction_id": r.get("transaction_id", ""), "customer_note": r.get("customer_note", ""),
            "meta_data": [{"key": "_billing_cpf", "value": r.get("billing_cpf", "")}],
            "date_created": r.get("order_date", ""),
        }
        return _woo_build(order)

    return _parse_each([(line, [record]) for line, record in rows], build, "order_number")


# --- Amazon Seller Central: order report (tab-separated, one row per order item) ------------------

AMAZON_REQUIRED = ["order-id", "order-item-id", "purchase-date", "sku", "quantity-purchased", "item-price"]


def parse_amazon_tsv(content: bytes) -> list[ParsedOrder]:
    groups = _group(_rows(content, "\t", AMAZON_REQUIRED), "order-id")

    def build(row, records):
        first = records[0]
        lines, shipping, tax, discount = [], Decimal(0), Decimal(0), Decimal(0)
        for r in records:
            quantity = _int(r["quantity-purchased"], column="quantity-purchased")
            price = _money(r["item-price"], column="item-price")  # for all units of the item
            lines.append({"sku": r["sku"], "name": r.get("product-name", ""), "quantity": quantity,
                          "unit_price": str((price / quantity).quantize(Decimal("0.0001")) if quantity else price)})
            shipping += _money(r.get("shipping-price"), column="shipping-price")
            tax += _money(r.get("item-tax"), column="item-tax")
            tax += _money(r.get("shipping-tax"), column="shipping-tax")
            discount += abs(_money(r.get("item-promotion-discount"), column="item-promotion-discount"))
            discount += abs(_money(r.get("ship-promotion-discount"), column="ship-promotion-discount"))
        street, number = _split_street(first.get("ship-address-1", ""))
        data = {
            "external_id": first["order-id"], "currency": first.get("currency", ""),
            "channel_status": first.get("order-status", "").lower(),
            "customer": {"name": first.get("buyer-name") or first.get("recipient-name", ""),
                         "email": first.get("buyer-email", ""), "phone": first.get("buyer-phone-number", "")},
            "shipping_address": {"recipient": first.get("recipient-name", ""), "street": street, "number": number,
                                 "complement": first.get("ship-address-2", ""),
                                 "district": first.get("ship-address-3", ""), "city": first.get("ship-city", ""),
                                 "state": first.get("ship-state", ""), "postal_code": first.get("ship-postal-code", ""),
                                 "country": first.get("ship-country", "") or "BR",
                                 "phone": first.get("ship-phone-number", "")},
            "lines": lines, "shipping_method": first.get("ship-service-level", ""),
            "shipping_total": str(shipping), "tax_total": str(tax), "discount_total": str(discount),
            "payments": [{"method": "amazon", "amount": str(sum((Decimal(ln["unit_price"]) * ln["quantity"]
                                                                  for ln in lines), Decimal(0))
                                                             + shipping + tax - discount),
                          "reference": first["order-id"]}],
        }
        _with_placed_at(data, first["purchase-date"])
        return data["external_id"], data

    return _parse_each(groups, build, "order-id", buyer="buyer-email")


# --- our generic CSV (docs/channels.md) -------------------------------------------------------------

GENERIC_REQUIRED = ["order_id", "customer_name", "customer_email", "ship_street", "ship_city", "ship_state",
                    "ship_postal_code", "sku", "quantity", "unit_price"]


def parse_generic_csv(content: bytes) -> list[ParsedOrder]:
    groups = _group(_rows(content, ",", GENERIC_REQUIRED), "order_id")

    def build(row, records):
        first = records[0]
        data = {
            "external_id": first["order_id"], "currency": first.get("currency", ""),
            "channel_status": first.get("status", "").lower(),
            "customer": {"name": first["customer_name"], "email": first["customer_email"],
                         "phone": first.get("customer_phone", ""), "tax_id": first.get("customer_tax_id", "")},
            "shipping_address": {k.removeprefix("ship_"): first.get(k, "") for k in (
                "ship_street", "ship_number", "ship_complement", "ship_district", "ship_city", "ship_state",
                "ship_postal_code")} | {"country": first.get("ship_country", "") or "BR"},
            "lines": [{"sku": r["sku"], "quantity": _int(r["quantity"], column="quantity"),
                       "unit_price": str(_money(r["unit_price"], column="unit_price"))} for r in records],
            "shipping_method": first.get("shipping_method", ""),
            "shipping_total": str(_money(first.get("shipping_total"), column="shipping_total")),
            "discount_total": str(_money(first.get("discount_total"), column="discount_total")),
            "tax_total": str(_money(first.get("tax_total"), column="tax_total")),
            "source_code": first.get("source_code", ""),
        }
        _with_placed_at(data, first.get("order_date"))
        if first.get("order_total"):
            data["total"] = str(_money(first["order_total"], column="order_total"))
        if first.get("payment_method"):
            data["payments"] = [{"method": first["payment_method"],
                                 "amount": str(_money(first.get("payment_amount"), column="payment_amount")),
                                 "reference": first.get("payment_reference", "")}]
        return data["external_id"], data

    return _parse_each(groups, build, "order_id", buyer="customer_email")


PARSERS = {
    ImportFormat.SHOPIFY_CSV: parse_shopify_csv,
    ImportFormat.WOOCOMMERCE_JSON: parse_woocommerce_json,
    ImportFormat.WOOCOMMERCE_CSV: parse_woocommerce_csv,
    ImportFormat.AMAZON_TSV: parse_amazon_tsv,
    ImportFormat.GENERIC_CSV: parse_generic_csv,
}


def parse_as_written(fmt: str, content: bytes) -> list[ParsedOrder]:
    """``parse``, with the numbers that cannot be read kept as text (``_AS_WRITTEN``), for the correction form."""
    token = _AS_WRITTEN.set(True)
    try:
        return parse(fmt, content)
    finally:
        _AS_WRITTEN.reset(token)


def parse(fmt: str, content: bytes) -> list[ParsedOrder]:
    if fmt not in PARSERS:
        raise ImportFileError(_("Unknown format %(format)s.") % {"format": fmt})
    try:
        return PARSERS[fmt](content)
    except csv.Error:
        raise ImportFileError(_("The file is not valid CSV: look for a cell with an unclosed quote or a very long "
                                "cell.")) from None
