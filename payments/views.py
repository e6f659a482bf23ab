import hashlib
import hmac
import json
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from oms.access import has_permission
from oms.audit import audit_access, client_ip
from oms.listing import paginate, sort_queryset
from oms.money import CURRENCY_CHOICES, CURRENCY_EXPONENTS, ZERO, amount_text, default_currency, price_text
from oms.numbers import NumberError, parse_amount, parse_id, parse_whole
from oms.query import date_refusal, query_date, to_date
from oms.templatetags.oms_tags import money
from payments import pix
from payments.errors import AmountError, GiftCardAlreadyIssued, PaymentError
from payments.exports import export_csv
from payments.forms import (
    AmountForm,
    GiftCardIssueForm,
    GiftCardLookupForm,
    JournalExportForm,
    PaymentAddForm,
    SettlementUploadForm,
)
from payments.giftcards import giftcard_disable, giftcard_issue, giftcard_lookup, giftcard_replace
from payments.ledger import trial_balance
from payments.models import (
    GiftCard,
    Invoice,
    JournalEntry,
    JournalLine,
    Payment,
    SavedCard,
    SettlementBatch,
    SettlementLine,
    SupplierInvoice,
    masked,
)
from payments.purchasing import (
    SupplierLineInput,
    supplier_invoice_approve,
    supplier_invoice_record,
    three_way_match,
)
from payments.reconciliation import settlement_import, unsettled_transactions
from payments.selectors import (
    ar_aging,
    ar_aging_currencies,
    customer_open_invoices,
    order_payment_summary,
    order_payments,
    payment_search,
)
from payments.services import (
    card_save,
    invoice_record_payment,
    payment_authorize,
    payment_capture,
    payment_confirm,
    payment_refund,
    payment_void,
    pix_confirm,
)

# --- General ledger -------------------------------------------------------------------------

JOURNAL_SORTS = {"date": "posted_on", "id": "id", "reference": "reference", "total": "total"}


def journal_list(request):
    params = request.GET
    entries = JournalEntry.objects.select_related("created_by").annotate(total=Sum("lines__debit"))
    if q := params.get("q", "").strip():
        # A memo written as a stored text keeps its English message and its values (an invoice number, ••••0250).
        entries = entries.filter(Q(reference__icontains=q) | Q(memo__icontains=q) | Q(memo_params__icontains=q))
    if account := params.get("account", "").strip():
        # A subquery, not a join on the lines: a join repeats the entry's lines and multiplies its total.
        entries = entries.filter(Exists(JournalLine.objects.filter(entry=OuterRef("pk"), account__code=account)))
    if since := query_date(params, "since"):
        entries = entries.filter(posted_on__gte=since)
    if until := query_date(params, "until"):
        entries = entries.filter(posted_on__lte=until)
    entries = sort_queryset(entries, params.get("sort"), JOURNAL_SORTS, "-id")
    page = paginate(request, entries)
    template = "payments/journal_list.html#table" if request.htmx else "payments/journal_list.html"
    return render(request, template, {"page": page})


def journal_detail(request, pk: int):
    entry = get_object_or_404(JournalEntry.objects.select_related("created_by"), pk=pk)
    lines = entry.lines.select_related("account")
    return render(request, "payments/journal_detail.html", {"entry": entry, "lines": lines})


def _one_currency(request) -> str:
    """The currency a finance summary shows: the one asked for, else the store's base currency. Money in different
    currencies is never added (1.500 KWD is not R$ 1,50), so there is no "all currencies" total."""
    asked = request.GET.get("currency", "").strip().upper()
    return asked if asked in CURRENCY_EXPONENTS else default_currency()


def trial_balance_view(request):
    currency = _one_currency(request)
    until = query_date(request.GET, "until")
    rows = trial_balance(currency=currency, until=until)
    posted = JournalEntry.objects.exclude(currency=currency)
    if until:
        posted = posted.filter(posted_on__lte=until)
    total_debit = sum((r["debit"] for r in rows), 0)
    total_credit = sum((r["credit"] for r in rows), 0)
    return render(request, "payments/trial_balance.html", {
        "rows": rows, "total_debit": total_debit, "total_credit": total_credit,
        "balanced": total_debit == total_credit, "currency": currency, "currencies": CURRENCY_CHOICES,
        "until": until, "other_currencies": sorted(set(posted.values_list("currency", flat=True))),
    })


def journal_export(request):
    if "format" not in request.GET:
        today = timezone.localdate()
        form = JournalExportForm(initial={"format": "generic", "since": today.replace(day=1), "until": today})
        return render(request, "payments/journal_export.html", {"form": form})
    form = JournalExportForm(request.GET)
    if not form.is_valid():
        return render(request, "payments/journal_export.html", {"form": form}, status=400)
    data = form.cleaned_data
    body = export_csv(layout=data["format"], since=data["since"], until=data["until"])
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"journal-{data['format']}-{data['since']:%Y%m%d}-{data['until']:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Gift cards -----------------------------------------------------------------------------

GIFTCARD_SORTS = {"created": "created_at", "balance": "balance", "expires": "expires_on", "kind": "kind"}


def giftcard_list(request):
    params = request.GET
    cards = GiftCard.objects.select_related("issued_by")
    if last4 := params.get("last4", "").strip():
        cards = cards.filter(last4__iexact=last4)
    if kind := params.get("kind"):
        cards = cards.filter(kind=kind)
    if status := params.get("status"):
        cards = cards.filter(status=status)
    cards = sort_queryset(cards, params.get("sort"), GIFTCARD_SORTS, "-created_at")
    page = paginate(request, cards)
    totals = GiftCard.objects.filter(status=GiftCard.Status.ACTIVE).values("currency", "kind").annotate(
        outstanding=Sum("balance"), count=Count("id")).order_by("currency", "kind")
    totals = [{**row, "label": GiftCard.Kind(row["kind"]).label} for row in totals]
    context = {"page": page, "kinds": GiftCard.Kind.choices, "statuses": GiftCard.Status.choices, "totals": totals,
               "form": GiftCardIssueForm(), "can_issue": has_permission(request.user, "manage_finance")}
    template = "payments/giftcard_list.html#table" if request.htmx else "payments/giftcard_list.html"
    return render(request, template, context)


@require_POST
def giftcard_issue_view(request):
    form = GiftCardIssueForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                card, code = giftcard_issue(amount=data["amount"], currency=data["currency"], kind=data["kind"],
                                            source=data["source"], expires_on=data["expires_on"],
                                            reference=data["reference"], acting_user=request.user,
                                            request_key=data["once"] or None)
        except GiftCardAlreadyIssued as exc:  # the card's page, where it can be replaced
            return giftcard_detail(request, exc.extra["card_id"], error=exc.message, status=409)
        except PaymentError as exc:
            form.add_error(exc.field or None, exc.message)
        else:
            # The code is shown on this one response and never again.
            return render(request, "payments/giftcard_issued.html", {"card": card, "code": code})
    return render(request, "payments/giftcard_issue.html", {"form": form}, status=400)


def giftcard_detail(request, pk: int, *, error: str = "", status: int = 200):
    card = get_object_or_404(GiftCard.objects.select_related("issued_by", "replaced_by"), pk=pk)
    audit_access(request, card)
    transactions = card.transactions.select_related("created_by", "journal_entry")
    replaces = GiftCard.objects.filter(replaced_by=card).first()
    return render(request, "payments/giftcard_detail.html", {"card": card, "transactions": transactions,
                                                             "replaces": replaces, "error": error}, status=status)


@require_POST
def giftcard_replace_view(request, pk: int):
    """A lost code: the card's balance moves to a new card whose code is shown on this one response."""
    card = get_object_or_404(GiftCard, pk=pk)
    try:
        new, code = giftcard_replace(card_id=card.pk, reason=request.POST.get("reason", "")[:500],
                                     acting_user=request.user)
    except PaymentError as exc:
        return giftcard_detail(request, card.pk, error=exc.message, status=422)
    response = render(request, "payments/giftcard_issued.html", {"card": new, "code": code, "replaced": card})
    response["Cache-Control"] = "no-store"
    return response


def giftcard_lookup_view(request):
    form = GiftCardLookupForm(request.POST or None)
    card = None
    searched = request.method == "POST"  # a code no card can have (empty, over 40 characters) is not found either
    if searched and form.is_valid():
        card = giftcard_lookup(code=form.cleaned_data["code"], acting_user=request.user,
                               ip_address=client_ip(request))
    context = {"form": GiftCardLookupForm(), "card": card, "searched": searched, "today": timezone.localdate()}
    template = "payments/giftcard_lookup.html#result" if request.htmx else "payments/giftcard_lookup.html"
    return render(request, template, context)


@require_POST
def giftcard_disable_view(request, pk: int):
    card = get_object_or_404(GiftCard, pk=pk)
    try:
        giftcard_disable(card_id=card.pk, reason=request.POST.get("reason", "")[:500], acting_user=request.user)
    except PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Card %(card)s disabled.") % {"card": masked(card.last4)})
    return redirect("payments:giftcard_detail", pk=card.pk)


# --- Payments on an order -------------------------------------------------------------------


def _order(order_id: int):
    """The order row, looked up through the payment's foreign key (payments never imports orders)."""
    model = Payment._meta.get_field("order").remote_field.model
    return get_object_or_404(model.objects.select_related("channel").only(
        "id", "number", "total", "currency", "status", "customer", "channel__name", "channel__card_installments_max",
        "channel__card_installment_minimum"), pk=order_id)


def _saved_cards(order):
    if not order.customer_id:
        return []
    return list(SavedCard.objects.filter(customer_id=order.customer_id, is_active=True))


def _still_to_pay(order, summary: dict) -> Decimal:
    """What the order's payments do not cover yet; nothing for a cancelled order (its payments were voided or
    refunded with it)."""
    if order.status == type(order).Status.CANCELLED:
        return ZERO
    return max((order.total or ZERO) - summary["covered"], ZERO)


def _panel(request, order, *, form=None, error: str = "", status: int = 200):
    payments = order_payments(order_id=order.pk)
    context = {
        "order": order, "payments": payments, "summary": order_payment_summary(order_id=order.pk),
        "form": form or PaymentAddForm(initial={"idempotency_key": uuid.uuid4().hex, "method": "card"},
                                       saved_cards=_saved_cards(order)),
        "error": error, "methods": Payment.Method.choices,
        "request_key": uuid.uuid4().hex,  # one capture or refund per showing (AmountForm.request_reference)
    }
    context["gift_lines"] = _gift_card_lines(order)
    context["due"] = _still_to_pay(order, context["summary"])
    if form is None:
        context["form"].initial["amount"] = amount_text(context["due"], order.currency) if context["due"] else ""
    template = "payments/order_payments.html#panel" if request.htmx else "payments/order_payments.html"
    return render(request, template, context, status=status)


def _gift_card_lines(order) -> list:
    """The order's gift-card lines, each with the cards issued for it (``line.cards``)."""
    lines = list(order.lines.filter(variant__is_gift_card=True).order_by("position", "pk"))
    if lines:
        cards = list(GiftCard.objects.filter(order_id=order.pk).order_by("pk"))
        for line in lines:
            line.cards = [c for c in cards if c.reference == f"order:{order.pk}:line:{line.pk}"]
            # What is left on the cards in use (a replaced card counts through its replacement).
            line.left = sum((c.balance for c in line.cards if not c.replaced_by_id), ZERO)
            line.spent = line.left < line.line_total
    return lines


def order_payments_view(request, order_id: int):
    return _panel(request, _order(order_id))


@require_POST
def payment_add(request, order_id: int):
    order = _order(order_id)
    saved_cards = _saved_cards(order)
    form = PaymentAddForm(request.POST, saved_cards=saved_cards)
    if not form.is_valid():
        # The key is a hidden field: its problem is said in words (a page from before a deploy, a form cut short).
        expired = _("The form expired; reload the page and try again.") if "idempotency_key" in form.errors else ""
        return _panel(request, order, form=form, error=expired, status=422)
    data = form.cleaned_data
    # A payment takes at most what the order still needs: an extra zero typed (1500 for 150) charged the customer ten
    # times over, and a payment taken on a covered order charged it twice. The same form sent again (a double click)
    # is not a new payment: the service answers it with the first one.
    key = f"panel:{data['idempotency_key']}"
    due = _still_to_pay(order, order_payment_summary(order_id=order.pk))
    if data["amount"] > due and not Payment.objects.filter(idempotency_key=key).exists():
        form.add_error("amount", _("Order %(number)s needs %(due)s more: a payment of %(amount)s would take more than "
                                   "it costs.") % {"number": order, "due": money(due, order.currency),
                                                   "amount": money(data["amount"], order.currency)}
                       if due else _("Nothing is left to pay on order %(number)s: its payments cover it.")
                       % {"number": order})
        return _panel(request, order, form=form, status=422)
    if problem := order.channel.installment_offer.refusal(data["installments"], data["amount"], order.currency):
        form.add_error("installments", problem)
        return _panel(request, order, form=form, status=422)
    method = data["method"]
    token = data["card_token"]
    if method == Payment.Method.CARD and data["saved_card"]:
        token = next(c.token for c in saved_cards if c.pk == data["saved_card"])
    details: dict = {}
    if method in (Payment.Method.GIFT_CARD, Payment.Method.STORE_CREDIT):
        details["code"] = data["gift_card_code"]
    elif method == Payment.Method.PAYPAL:
        details["email"] = data["paypal_email"]
    elif method == Payment.Method.CHECK:
        details["check_number"] = data["check_number"]
    credit: dict = {}
    if method == Payment.Method.INVOICE:
        customer = order.customer if order.customer_id else None
        details["terms_days"] = data["terms_days"] or getattr(customer, "payment_terms_days", 0) or 30
        details["customer_name"] = getattr(customer, "name", "")
        if customer is not None and getattr(customer, "credit_limit", 0):
            credit = {"credit_limit": customer.credit_limit,
                      "open_balance": customer_open_invoices(customer_id=customer.pk)}
    try:
        payment_authorize(order_id=order.pk, method=method, amount=data["amount"], currency=order.currency,
                          token=token, details=details, idempotency_key=key, installments=data["installments"],
                          acting_user=request.user, **credit)
    except PaymentError as exc:
        # The retry needs a fresh key: the declined attempt keeps its own.
        retry = PaymentAddForm(initial={**data, "amount": amount_text(data["amount"], order.currency),
                                        "idempotency_key": uuid.uuid4().hex, "card_token": ""},
                               saved_cards=saved_cards)
        return _panel(request, order, form=retry, error=_("%(message)s (code: %(code)s)") % {
            "message": exc.message, "code": exc.code}, status=422)
    if method == Payment.Method.CARD and data["save_card"] and data["card_token"] and order.customer_id:
        try:
            card_save(customer_id=order.customer_id, token=data["card_token"], acting_user=request.user)
        except PaymentError as exc:
            return _after_action(request, order, _("Payment recorded; the card was not saved: %(why)s")
                                 % {"why": exc.message})
    return _after_action(request, order, _("Payment recorded."))


def _after_action(request, order, message: str):
    if request.htmx:
        response = _panel(request, order)
        response["HX-Trigger"] = json.dumps({"oms:toast": str(message), "payments:changed": ""})
        return response
    messages.success(request, message)
    return redirect("payments:order_payments", order_id=order.pk)


def _payment_action(request, pk: int, action):
    payment = get_object_or_404(Payment, pk=pk)
    order = _order(payment.order_id)
    try:
        message = action(payment)
    except PaymentError as exc:
        if request.htmx:
            return _panel(request, order, error=exc.message, status=422)
        messages.error(request, exc.message)
        return redirect("payments:order_payments", order_id=order.pk)
    return _after_action(request, order, message)


@require_POST
def payment_capture_view(request, pk: int):
    def act(payment):
        form = AmountForm(request.POST, currency=payment.currency)
        if not form.is_valid():
            raise AmountError(form.first_error(), field="amount")
        payment_capture(payment_id=payment.pk, amount=form.cleaned_data["amount"],
                        reference=form.request_reference(f"manual:{uuid.uuid4().hex[:12]}"),
                        acting_user=request.user)
        return _("Captured.")

    return _payment_action(request, pk, act)


@require_POST
def payment_void_view(request, pk: int):
    def act(payment):
        payment_void(payment_id=payment.pk, acting_user=request.user)
        return _("Voided.")

    return _payment_action(request, pk, act)


@require_POST
def payment_refund_view(request, pk: int):
    def act(payment):
        form = AmountForm(request.POST, currency=payment.currency)
        if not form.is_valid():
            raise AmountError(form.first_error(), field="amount")
        if not form.cleaned_data["reason"].strip():
            raise PaymentError(_("Give a reason for the refund."), code="reason_required", field="reason")
        payment_refund(payment_id=payment.pk, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"],
                       reference=form.request_reference(), acting_user=request.user)
        return _("Refunded.")

    return _payment_action(request, pk, act)


@require_POST
def payment_confirm_view(request, pk: int):
    def act(payment):
        payment_confirm(payment_id=payment.pk, reference=request.POST.get("reference", "")[:60],
                        acting_user=request.user)
        return _("Payment received.")

    return _payment_action(request, pk, act)


def pix_qr(request, pk: int):
    payment = get_object_or_404(Payment, pk=pk, method=Payment.Method.PIX)
    code = payment.instructions.get("copy_paste")
    if not code:
        raise Http404
    return HttpResponse(pix.qr_svg(code), content_type="image/svg+xml")


@csrf_exempt  # called by the PIX provider, authenticated by its HMAC signature
@require_POST
def pix_webhook(request):
    secret = getattr(settings, "PAYMENTS_PIX_WEBHOOK_SECRET", settings.SECRET_KEY).encode()
    expected = hmac.new(secret, request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Signature", "")):
        return JsonResponse({"code": "bad_signature", "message": "The signature does not match."}, status=403)
    try:
        body = json.loads(request.body)
        txid, amount, e2e = str(body["txid"]), body["amount"], str(body.get("end_to_end_id", ""))[:60]
        if amount in (None, "") or isinstance(amount, (bool, list, dict)):  # not "the full amount" by default
            raise TypeError
        amount = str(amount)
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"code": "bad_payload", "message": "Expected JSON with txid and amount."}, status=400)
    try:
        txn = pix_confirm(txid=txid, amount=amount, end_to_end_id=e2e)
    except PaymentError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=422)
    return JsonResponse({"status": "confirmed", "payment": txn.payment_id})


# --- Finance lists --------------------------------------------------------------------------

PAYMENT_SORTS = {"created": "created_at", "amount": "amount", "status": "status", "method": "method"}


def payment_list(request):
    params = request.GET
    rows = Payment.objects.select_related("order", "gift_card")
    if method := params.get("method"):
        rows = rows.filter(method=method)
    if status := params.get("status"):
        rows = rows.filter(status=status)
    if q := params.get("q", "").strip():
        rows = rows.filter(payment_search(q))
    rows = sort_queryset(rows, params.get("sort"), PAYMENT_SORTS, "-created_at")
    page = paginate(request, rows)
    template = "payments/payment_list.html#table" if request.htmx else "payments/payment_list.html"
    return render(request, template, {"page": page, "methods": Payment.Method.choices,
                                      "statuses": Payment.Status.choices})


INVOICE_SORTS = {"number": "number", "due": "due_on", "issued": "issued_on", "amount": "amount",
                 "customer": "customer_name"}


def invoice_list(request):
    params = request.GET
    rows = Invoice.objects.select_related("order")
    if status := params.get("status"):
        rows = rows.filter(status=status)
    if params.get("overdue"):
        rows = rows.filter(status=Invoice.Status.OPEN, due_on__lt=timezone.localdate())
    if q := params.get("q", "").strip():
        rows = rows.filter(Q(number__iexact=q) | Q(customer_name__icontains=q) | Q(order__number__iexact=q))
    if customer_id := parse_id(params.get("customer")):  # the AR aging's rows link here, a customer each
        rows = rows.filter(order__customer_id=customer_id)
    rows = sort_queryset(rows, params.get("sort"), INVOICE_SORTS, "due_on")
    page = paginate(request, rows)
    template = "payments/invoice_list.html#table" if request.htmx else "payments/invoice_list.html"
    return render(request, template, {"page": page, "statuses": Invoice.Status.choices,
                                      "today": timezone.localdate()})


def _shown_amount(text) -> Decimal | None:
    """An amount the page wrote in a hidden field (plain digits and a point), or None when absent or not one."""
    try:
        value = Decimal(str(text or "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and abs(value) < Decimal(10) ** 14 else None


@require_POST
def invoice_payment_view(request, pk: int):
    invoice = get_object_or_404(Invoice, pk=pk)
    form = AmountForm(request.POST, currency=invoice.currency)
    try:
        if not form.is_valid():
            raise AmountError(form.first_error(), field="amount")
        invoice_record_payment(invoice_id=invoice.pk, amount=form.cleaned_data["amount"],
                               reference=form.cleaned_data["reference"], acting_user=request.user,
                               open_before=_shown_amount(request.POST.get("open_before")))
    except PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Payment recorded on %(number)s.") % {"number": invoice.number})
    return redirect("payments:invoice_list")


def ar_aging_view(request):
    as_of = query_date(request.GET, "as_of")
    currency = _one_currency(request)
    aging = ar_aging(as_of=as_of, currency=currency)
    others = ar_aging_currencies(as_of=aging["as_of"]) - {currency}
    return render(request, "payments/ar_aging.html", {"aging": aging, "currencies": CURRENCY_CHOICES,
                                                      "currency": currency, "other_currencies": sorted(others)})


# --- Settlement reconciliation --------------------------------------------------------------


def reconciliation_list(request):
    batches = SettlementBatch.objects.select_related("imported_by").annotate(
        matched=Count("lines", filter=Q(lines__match=SettlementLine.Match.MATCHED)),
        unmatched=Count("lines", filter=~Q(lines__match=SettlementLine.Match.MATCHED)))
    page = paginate(request, batches.order_by("-imported_at", "-id"))
    unsettled = list(unsettled_transactions()[:200])
    return render(request, "payments/reconciliation.html", {"page": page, "form": SettlementUploadForm(),
                                                            "unsettled": unsettled})


@require_POST
def settlement_upload(request):
    form = SettlementUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = settlement_import(file_name=upload.name, content=upload.read(), acting_user=request.user)
        except PaymentError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Settlement file imported."))
            return redirect("payments:settlement_detail", pk=batch.pk)
    else:
        messages.error(request, _("Choose a CSV file to import."))
    return redirect("payments:reconciliation")


def settlement_detail(request, pk: int):
    batch = get_object_or_404(SettlementBatch.objects.select_related("imported_by", "journal_entry"), pk=pk)
    lines = batch.lines.select_related("transaction__payment")
    until = max((line.settled_on for line in lines), default=None)
    unsettled = list(unsettled_transactions(until=until)[:200])
    return render(request, "payments/settlement_detail.html", {"batch": batch, "lines": lines,
                                                               "unsettled": unsettled})


# --- Supplier invoices (three-way match) ----------------------------------------------------


def supplier_invoice_list(request):
    rows = SupplierInvoice.objects.select_related("purchase_order__supplier")
    if status := request.GET.get("status"):
        rows = rows.filter(status=status)
    page = paginate(request, rows.order_by("-invoice_date", "-id"))
    return render(request, "payments/supplier_invoice_list.html", {"page": page,
                                                                   "statuses": SupplierInvoice.Status.choices})


def _parse_po(value: str) -> int | None:
    """A purchase order's id from its number as shown (``PO-000123``) or the bare id."""
    value = value.strip()
    if value[:3].upper() == "PO-":
        value = value[3:]
    return parse_id(value)


def supplier_invoice_new(request):
    po_model = SupplierInvoice._meta.get_field("purchase_order").remote_field.model
    po_id = _parse_po(request.POST.get("po") or request.GET.get("po", ""))
    po = po_model.objects.select_related("supplier").filter(pk=po_id).first() if po_id else None
    lines = list(po.lines.select_related("variant")) if po else []
    for line in lines:  # what the boxes show: as typed when the page comes back with a refusal, else the order's
        posted = request.method == "POST"
        line.billed_quantity = request.POST.get(f"qty-{line.pk}", "") if posted else line.quantity_received
        line.billed_cost = request.POST.get(f"cost-{line.pk}", "") if posted else price_text(line.unit_cost)
    error = ""
    typed_date = request.POST.get("invoice_date", "").strip()
    invoice_date = to_date(typed_date)
    if request.method == "POST" and po and typed_date and invoice_date is None:
        error = date_refusal(typed_date)
    elif request.method == "POST" and po:
        try:
            inputs = [SupplierLineInput(
                variant_id=line.variant_id,
                quantity=parse_whole(request.POST.get(f"qty-{line.pk}") or "0",
                                     name=_("The quantity of %(sku)s") % {"sku": line.variant.sku}),
                unit_cost=parse_amount(request.POST.get(f"cost-{line.pk}") or "0",
                                       name=_("The unit cost of %(sku)s") % {"sku": line.variant.sku}))
                for line in lines]
            invoice = supplier_invoice_record(
                purchase_order_id=po.pk, number=request.POST.get("number", ""),
                invoice_date=invoice_date or timezone.localdate(),
                lines=inputs, acting_user=request.user)
        except NumberError as exc:
            error = exc.message
        except PaymentError as exc:
            error = exc.message
        else:
            return redirect("payments:supplier_invoice_detail", pk=invoice.pk)
    status = 400 if error else 200
    return render(request, "payments/supplier_invoice_new.html", {
        "po": po, "lines": lines, "error": error, "post": request.POST, "today": timezone.localdate(),
        "po_query": request.GET.get("po", "")}, status=status)


def supplier_invoice_detail(request, pk: int):
    invoice = get_object_or_404(SupplierInvoice.objects.select_related("purchase_order__supplier", "created_by"),
                                pk=pk)
    return render(request, "payments/supplier_invoice_detail.html", {"invoice": invoice,
                                                                     "rows": three_way_match(invoice=invoice)})


@require_POST
def supplier_invoice_approve_view(request, pk: int):
    invoice = get_object_or_404(SupplierInvoice, pk=pk)
    try:
        supplier_invoice_approve(invoice_id=invoice.pk, reason=request.POST.get("reason", "")[:500],
                                 acting_user=request.user)
    except PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invoice %(number)s approved despite its differences.")
                         % {"number": invoice.number})
    return redirect("payments:supplier_invoice_detail", pk=invoice.pk)
