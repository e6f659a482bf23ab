"""Readers for the channels' real order export formats; each gives one ``ParsedOrder`` per order.

Every reader is deterministic (same bytes, same orders in the same order), so a job can resume from
its cursor. ``data`` has the shape of ``schemas.ChannelOrderIn`` and is validated when imported.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from orders.channels.errors import ImportFileError
from orders.channels.models import ImportFormat


@dataclass
class ParsedOrder:
    row_number: int  # first line of the order in the file (the header is line 1), or its index in a JSON list
    external_id: str
    raw: dict
    data: dict = field(default_factory=dict)
    error: str = ""


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def _money(value, *, row: int, column: str) -> Decimal:
    text = str(value if value is not None else "").strip().replace("R$", "").replace(" ", "")
    if not text:
        return Decimal(0)
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(_("row %(row)s: “%(value)s” in %(column)s is not an amount") % {
            "row": row, "value": value, "column": column}) from None


def _int(value, *, row: int, column: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(_("row %(row)s: “%(value)s” in %(column)s is not a whole number") % {
            "row": row, "value": value, "column": column}) from None


def _rows(content: bytes, delimiter: str, required: list[str]) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(_text(content)), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    reader.fieldnames = header
    out = []
    for record in reader:
        if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
            continue
        out.append((reader.line_num, {k: (v or "").strip() if isinstance(v, str) else v for k, v in record.items()}))
    return out


def _group(rows: list[tuple[int, dict]], key: str) -> list[tuple[int, list[dict]]]:
    groups: dict[str, tuple[int, list[dict]]] = {}
    for line, record in rows:
        groups.setdefault(record[key], (line, []))[1].append(record)
    return list(groups.values())


def _split_street(address1: str) -> tuple[str, str]:
    """“Rua Augusta, 500” -> (“Rua Augusta”, “500”)."""
    if "," in address1:
        street, number = address1.rsplit(",", 1)
        if number.strip() and number.strip()[0].isdigit():
            return street.strip(), number.strip()
    return address1.strip(), ""


def _parse_each(groups, build) -> list[ParsedOrder]:
    orders = []
    for row_number, records in groups:
        raw = {"rows": records}
        try:
            external_id, data = build(row_number, records)
            orders.append(ParsedOrder(row_number, external_id, raw, data))
        except (ValueError, KeyError) as exc:
            orders.append(ParsedOrder(row_number, "", raw, {}, str(exc)))
    return orders


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
                       "quantity": _int(r["Lineitem quantity"], row=row, column="Lineitem quantity"),
                       "unit_price": str(_money(r["Lineitem price"], row=row, column="Lineitem price"))}
                      for r in records],
            "shipping_method": first.get("Shipping Method", ""),
            "shipping_total": str(_money(first.get("Shipping"), row=row, column="Shipping")),
            "discount_total": str(_money(first.get("Discount Amount"), row=row, column="Discount Amount")),
            "tax_total": str(_money(first.get("Taxes"), row=row, column="Taxes")),
            "total": str(_money(first.get("Total"), row=row, column="Total")),
            "notes": first.get("Notes", ""),
        }
        if first.get("Payment Method"):
            data["payments"] = [{"method": first["Payment Method"], "amount": data["total"],
                                 "reference": first.get("Payment Reference", "")}]
        return data["external_id"], data

    return _parse_each(groups, build)


# --- WooCommerce: REST API orders JSON (a list, or {"orders": [...]}) ----------------------------


def _woo_address(part: dict) -> dict:
    street, number = _split_street(part.get("address_1", ""))
    return {"recipient": f"{part.get('first_name', '')} {part.get('last_name', '')}".strip(),
            "street": street, "number": part.get("number", "") or number, "complement": part.get("address_2", ""),
            "district": part.get("neighborhood", ""), "city": part.get("city", ""), "state": part.get("state", ""),
            "postal_code": part.get("postcode", ""), "country": part.get("country", "") or "BR",
            "phone": part.get("phone", "")}


def _woo_order(row: int, order: dict) -> dict:
    billing, shipping = order.get("billing") or {}, order.get("shipping") or {}
    meta = {m.get("key"): m.get("value") for m in order.get("meta_data") or [] if isinstance(m, dict)}
    lines = []
    for item in order.get("line_items") or []:
        quantity = _int(item.get("quantity"), row=row, column="line_items.quantity")
        subtotal = _money(item.get("subtotal"), row=row, column="line_items.subtotal")
        lines.append({"sku": item.get("sku") or "", "name": item.get("name", ""), "quantity": quantity,
                      "unit_price": str((subtotal / quantity).quantize(Decimal("0.0001")) if quantity else subtotal)})
    shipping_lines = order.get("shipping_lines") or [{}]
    data = {
        "external_id": str(order.get("number") or order.get("id") or ""),
        "currency": order.get("currency", ""),
        "channel_status": str(order.get("status", "")).lower(),
        "customer": {"name": f"{billing.get('first_name', '')} {billing.get('last_name', '')}".strip(),
                     "email": billing.get("email", ""), "phone": billing.get("phone", ""),
                     "tax_id": meta.get("_billing_cpf") or meta.get("_billing_cnpj") or ""},
        "shipping_address": _woo_address(shipping if shipping.get("address_1") else billing),
        "billing_address": _woo_address(billing) if billing.get("address_1") else None,
        "lines": lines,
        "shipping_method": shipping_lines[0].get("method_id", "") if shipping_lines else "",
        "shipping_total": str(_money(order.get("shipping_total"), row=row, column="shipping_total")),
        "discount_total": str(_money(order.get("discount_total"), row=row, column="discount_total")),
        "tax_total": str(_money(order.get("total_tax"), row=row, column="total_tax")),
        "total": str(_money(order.get("total"), row=row, column="total")),
        "notes": order.get("customer_note", ""),
    }
    if order.get("payment_method"):
        data["payments"] = [{"method": order["payment_method"], "amount": data["total"],
                             "reference": order.get("transaction_id", "")}]
    if data["billing_address"] is None:
        del data["billing_address"]
    return data


def parse_woocommerce_json(content: bytes) -> list[ParsedOrder]:
    try:
        document = json.loads(_text(content))
    except json.JSONDecodeError as exc:
        raise ImportFileError(_("Not valid JSON: %(error)s") % {"error": exc}) from None
    if isinstance(document, dict):
        document = document.get("orders", [document])
    if not isinstance(document, list):
        raise ImportFileError(_("Expected a list of WooCommerce orders."))
    orders = []
    for index, order in enumerate(document, start=1):
        if not isinstance(order, dict):
            orders.append(ParsedOrder(index, "", {"order": order}, {}, _("entry %(n)s is not an order") % {"n": index}))
            continue
        try:
            data = _woo_order(index, order)
            orders.append(ParsedOrder(index, data["external_id"], {"order": order}, data))
        except (ValueError, KeyError, TypeError) as exc:
            orders.append(ParsedOrder(index, str(order.get("number") or order.get("id") or ""), {"order": order}, {},
                                      str(exc)))
    return orders


# --- WooCommerce: orders CSV export (one row per order, line_item_N columns) -----------------------

WOO_CSV_REQUIRED = ["order_number", "status", "order_total", "billing_email", "line_item_1"]


def _woo_item(text: str) -> dict:
    """“name:Mug|sku:MUG-WHT|quantity:2|total:90.00|sub_total:100.00” -> dict."""
    return dict(part.split(":", 1) for part in text.split("|") if ":" in part)


def parse_woocommerce_csv(content: bytes) -> list[ParsedOrder]:
    rows = _rows(content, ",", WOO_CSV_REQUIRED)

    def build(row, records):
        r = records[0]
        items = [_woo_item(r[k]) for k in sorted((k for k in r if k.startswith("line_item_") and r[k]),
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
        }
        data = _woo_order(row, order)
        return data["external_id"], data

    return _parse_each([(line, [record]) for line, record in rows], build)


# --- Amazon Seller Central: order report (tab-separated, one row per order item) ------------------

AMAZON_REQUIRED = ["order-id", "order-item-id", "purchase-date", "sku", "quantity-purchased", "item-price"]


def parse_amazon_tsv(content: bytes) -> list[ParsedOrder]:
    groups = _group(_rows(content, "\t", AMAZON_REQUIRED), "order-id")

    def build(row, records):
        first = records[0]
        lines, shipping, tax, discount = [], Decimal(0), Decimal(0), Decimal(0)
        for r in records:
            quantity = _int(r["quantity-purchased"], row=row, column="quantity-purchased")
            price = _money(r["item-price"], row=row, column="item-price")  # for all units of the item
            lines.append({"sku": r["sku"], "name": r.get("product-name", ""), "quantity": quantity,
                          "unit_price": str((price / quantity).quantize(Decimal("0.0001")) if quantity else price)})
            shipping += _money(r.get("shipping-price"), row=row, column="shipping-price")
            tax += _money(r.get("item-tax"), row=row, column="item-tax")
            tax += _money(r.get("shipping-tax"), row=row, column="shipping-tax")
            discount += abs(_money(r.get("item-promotion-discount"), row=row, column="item-promotion-discount"))
            discount += abs(_money(r.get("ship-promotion-discount"), row=row, column="ship-promotion-discount"))
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
        return data["external_id"], data

    return _parse_each(groups, build)


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
            "lines": [{"sku": r["sku"], "quantity": _int(r["quantity"], row=row, column="quantity"),
                       "unit_price": str(_money(r["unit_price"], row=row, column="unit_price"))} for r in records],
            "shipping_method": first.get("shipping_method", ""),
            "shipping_total": str(_money(first.get("shipping_total"), row=row, column="shipping_total")),
            "discount_total": str(_money(first.get("discount_total"), row=row, column="discount_total")),
            "tax_total": str(_money(first.get("tax_total"), row=row, column="tax_total")),
            "source_code": first.get("source_code", ""),
        }
        if first.get("order_total"):
            data["total"] = str(_money(first["order_total"], row=row, column="order_total"))
        if first.get("payment_method"):
            data["payments"] = [{"method": first["payment_method"],
                                 "amount": str(_money(first.get("payment_amount"), row=row, column="payment_amount")),
                                 "reference": first.get("payment_reference", "")}]
        return data["external_id"], data

    return _parse_each(groups, build)


PARSERS = {
    ImportFormat.SHOPIFY_CSV: parse_shopify_csv,
    ImportFormat.WOOCOMMERCE_JSON: parse_woocommerce_json,
    ImportFormat.WOOCOMMERCE_CSV: parse_woocommerce_csv,
    ImportFormat.AMAZON_TSV: parse_amazon_tsv,
    ImportFormat.GENERIC_CSV: parse_generic_csv,
}


def parse(fmt: str, content: bytes) -> list[ParsedOrder]:
    if fmt not in PARSERS:
        raise ImportFileError(_("Unknown format %(format)s.") % {"format": fmt})
    try:
        return PARSERS[fmt](content)
    except csv.Error as exc:
        raise ImportFileError(_("The file is not valid CSV: %(error)s") % {"error": exc}) from None
