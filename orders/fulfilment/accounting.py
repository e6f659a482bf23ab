"""The orders app's general-ledger entries, posted by the fulfilment services inside their own transaction.

* A shipment leaving (``shipment_ship``, or a store pick-up collected) recognises the sale of its units:
  Dr 2000 customer balances (what the customer owes for them) and Dr 4500 discounts / Cr 4000 sales,
  Cr 2200 tax, and Cr 4100 shipping with the order's first shipment; plus the cost of the goods consumed,
  Dr 5000 / Cr 1200, at the variants' cost now (a kit at its components' cost, as its stock is consumed).
  Reference ``shipment:<id>``; posted once, whatever happens to the parcel afterwards.
* A return inspected as resellable puts the goods back: Dr 1200 / Cr 5000 (``return:<id>:restock``).
* A return refunded (to the payment or as store credit) reverses the sale of its units:
  Dr 4900 sales returns and Dr 2200 tax / Cr 2000 the refunded value (``return:<id>:sale``); a line returned in
  several returns is split by the same cumulative rounding (``return_shares``).

Amounts come from the order lines' stored prices. A line shipped in several parcels is split by cumulative
rounding (units ``a..b`` of ``n`` take ``round(x*b/n) - round(x*a/n)``), so the parcels add up to the line
exactly; sales (or sales returns) take whatever rounding is left, so every entry balances to the cent.
"""

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext_noop

from oms.i18n import StoredText, stored_text
from oms.money import ZERO, quantize
from payments.ledger import Acct, LedgerLine, cr, dr, journal_post
from payments.models import JournalEntry


def shipment_reference(shipment_id: int) -> str:
    return f"shipment:{shipment_id}"


def _share(amount: Decimal, before: int, units: int, quantity: int, currency: str) -> Decimal:
    """Units ``before+1 .. before+units`` of a line of ``quantity``: cumulative rounding, no lost cent."""
    if not quantity:
        return ZERO
    return (quantize(amount * (before + units) / quantity, currency)
            - quantize(amount * before / quantity, currency))


def unit_costs(variants) -> dict[int, tuple[Decimal, str]]:
    """``{variant_id: (unit cost, currency)}``; a kit costs what its components cost (that is what leaves)."""
    from inventory.models import KitComponent

    variants = list(variants)
    result = {v.pk: (v.cost, v.currency) for v in variants if not v.is_kit}
    kit_ids = [v.pk for v in variants if v.is_kit]
    if kit_ids:
        kits: dict[int, Decimal] = defaultdict(lambda: ZERO)
        currency = {v.pk: v.currency for v in variants}
        for kc in KitComponent.objects.filter(kit_id__in=kit_ids).select_related("component"):
            kits[kc.kit_id] += kc.component.cost * kc.quantity
            currency[kc.kit_id] = kc.component.currency
        result.update({pk: (kits[pk], currency[pk]) for pk in kit_ids})
    return result


def _cost_lines(items: list[tuple[object, int]], *, debit: str, credit: str, label: "str | StoredText"
                ) -> dict[str, list[LedgerLine]]:
    """``[(variant, units)]`` at cost, as balanced debit/credit pairs grouped by the cost's currency."""
    costs = unit_costs({variant.pk: variant for variant, _units in items}.values())
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for variant, units in items:
        cost, currency = costs[variant.pk]
        totals[currency] += quantize(cost * units, currency)
    return {currency: [dr(debit, amount, label), cr(credit, amount, label)]
            for currency, amount in totals.items() if amount}


def post_shipment_revenue(*, shipment, acting_user) -> JournalEntry | None:
    """Recognises the sale and cost of a shipment's units; call it where the stock is consumed, with the order
    and shipment locked. Returns the entry, or ``None`` when it was already posted (or there is nothing)."""
    from orders.fulfilment.models import ShipmentLine

    reference = shipment_reference(shipment.pk)
    if JournalEntry.objects.filter(reference__in=[reference, f"{reference}:cogs"]).exists():
        return None
    order = shipment.order
    currency = order.currency
    lines = list(shipment.lines.select_related("order_line__variant").order_by("pk"))
    # Units of the same order lines already recognised by the order's other shipments.
    others = {shipment_reference(pk): pk for pk in order.shipments.exclude(pk=shipment.pk).values_list("pk", flat=True)}
    posted = [others[ref] for ref in JournalEntry.objects.filter(reference__in=list(others))
              .values_list("reference", flat=True).distinct()]
    before: dict[int, int] = defaultdict(int)
    for line_id, qty in ShipmentLine.objects.filter(shipment_id__in=posted).values_list("order_line_id", "quantity"):
        before[line_id] += qty
    owed = tax = discount = ZERO
    for sl in lines:
        ol = sl.order_line
        args = (before[ol.pk], sl.quantity, ol.quantity, currency)
        owed += _share(ol.line_total, *args)
        tax += _share(ol.tax_amount, *args)
        discount += _share(ol.discount_total, *args)
        before[ol.pk] += sl.quantity
    shipping = quantize(order.shipping_total, currency) if not posted else ZERO
    owed += shipping
    sales = owed + discount - tax - shipping  # the rounding remainder, if any, lands here
    label = stored_text(gettext_noop("Order %(number)s"), number=order.number)
    entry_lines = [dr(Acct.CUSTOMER_BALANCES, owed, label), dr(Acct.DISCOUNTS, discount, label),
                   cr(Acct.SALES, sales, label), cr(Acct.SHIPPING_REVENUE, shipping, label),
                   cr(Acct.SALES_TAX, tax, label)]
    cogs = _cost_lines([(sl.order_line.variant, sl.quantity) for sl in lines], debit=Acct.COST_OF_GOODS,
                       credit=Acct.INVENTORY, label=label)
    entry_lines += cogs.pop(currency, [])
    memo = stored_text(gettext_noop("Shipment %(shipment)s of order %(number)s"), shipment=shipment.pk,
                       number=order.number)
    for other_currency, pair in sorted(cogs.items()):  # goods costed in another currency: their own entry
        journal_post(lines=pair, memo=stored_text(gettext_noop("%(memo)s: cost of goods"), memo=memo),
                     reference=f"{reference}:cogs",
                     currency=other_currency, acting_user=acting_user)
    if not any(line.debit or line.credit for line in entry_lines):
        return None
    return journal_post(lines=entry_lines, memo=memo, reference=reference, currency=currency,
                        acting_user=acting_user)


def post_return_restock(*, rma, acting_user) -> JournalEntry | None:
    """Goods inspected as resellable go back into inventory at their cost: Dr 1200 / Cr 5000."""
    reference = f"return:{rma.pk}:restock"
    if JournalEntry.objects.filter(reference=reference).exists():
        return None
    items = [(rl.order_line.variant, rl.restocked_quantity)
             for rl in rma.lines.select_related("order_line__variant").order_by("pk") if rl.restocked_quantity]
    entries = None
    for currency, pair in sorted(_cost_lines(items, debit=Acct.INVENTORY, credit=Acct.COST_OF_GOODS,
                                             label=str(rma)).items()):
        entries = journal_post(lines=pair, memo=stored_text(gettext_noop("%(rma)s restocked"), rma=str(rma)),
                               reference=reference, currency=currency,
                               acting_user=acting_user)
    return entries


def return_shares(rma) -> list[tuple[object, Decimal, Decimal]]:
    """``[(return line, value, tax)]``: the returned units' share of their order line's total and tax, counted after
    the units of the line the order's other returns already refunded (cumulative rounding, as parcels are posted:
    two returns of one unit of a line of 9.99 for two give back 5.00 and 4.99, not 5.00 twice, so returns of a line
    never give back more than it cost)."""
    from orders.fulfilment.models import Return, ReturnLine

    currency = rma.order.currency
    lines = list(rma.lines.select_related("order_line").order_by("pk"))
    before: dict[int, int] = defaultdict(int)
    for line_id, qty in (ReturnLine.objects.filter(order_line_id__in=[rl.order_line_id for rl in lines],
                                                   rma__status=Return.Status.REFUNDED)
                         .exclude(rma_id=rma.pk).values_list("order_line_id", "quantity")):
        before[line_id] += qty
    shares = []
    for rl in lines:
        ol = rl.order_line
        args = (before[ol.pk], rl.quantity, ol.quantity, currency)
        shares.append((rl, _share(ol.line_total, *args), _share(ol.tax_amount, *args)))
        before[ol.pk] += rl.quantity
    return shares


def post_return(*, rma, acting_user, amount: Decimal | None = None) -> JournalEntry | None:
    """Reverses the sale of the returned units when they are refunded: Dr 4900 sales returns and Dr 2200 the
    tax charged on them / Cr 2000 ``amount`` (what is refunded; by default their share of the line totals,
    ``return_shares``)."""
    reference = f"return:{rma.pk}:sale"
    if JournalEntry.objects.filter(reference=reference).exists():
        return None
    currency = rma.order.currency
    shares = return_shares(rma)
    value = sum((value for _rl, value, _tax in shares), ZERO)
    tax = sum((tax for _rl, _value, tax in shares), ZERO)
    owed = quantize(value if amount is None else amount, currency)
    if not owed:
        return None
    tax = min(tax, owed)
    label = stored_text(gettext_noop("%(rma)s of order %(number)s"), rma=str(rma), number=rma.order.number)
    return journal_post(lines=[dr(Acct.RETURNS, owed - tax, label), dr(Acct.SALES_TAX, tax, label),
                               cr(Acct.CUSTOMER_BALANCES, owed, label)],
                        memo=stored_text(gettext_noop("%(rma)s refunded"), rma=str(rma)), reference=reference,
                        currency=currency, acting_user=acting_user)
