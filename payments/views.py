

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oms.access import has_permission
from oms.audit import audit_access, client_ip
from oms.listing import paginate, sort_queryset
from oms.money import CURRENCY_CHOICES
from payments.errors import PaymentError
from payments.exports import export_csv
from payments.forms import GiftCardIssueForm, GiftCardLookupForm, JournalExportForm
from payments.giftcards import giftcard_disable, giftcard_issue, giftcard_lookup
from payments.ledger import trial_balance
from payments.models import GiftCard, JournalEntry

# --- General ledger -------------------------------------------------------------------------

JOURNAL_SORTS = {"date": "posted_on", "id": "id", "reference": "reference", "total": "total"}


def journal_list(request):
    params = request.GET
    entries = JournalEntry.objects.select_related("created_by").annotate(total=Sum("lines__debit"))
    if q := params.get("q", "").strip():
        entries = entries.filter(Q(reference__icontains=q) | Q(memo__icontains=q))
    if account := params.get("account", "").strip():
        entries = entries.filter(lines__account__code=account).distinct()
    if since := parse_date(params.get("since", "") or ""):
        entries = entries.filter(posted_on__gte=since)
    if until := parse_date(params.get("until", "") or ""):
        entries = entries.filter(posted_on__lte=until)
    entries = sort_queryset(entries, params.get("sort"), JOURNAL_SORTS, "-id")
    page = paginate(request, entries)
    template = "payments/journal_list.html#table" if request.htmx else "payments/journal_list.html"
    return render(request, template, {"page": page})


def journal_detail(request, pk: int):
    entry = get_object_or_404(JournalEntry.objects.select_related("created_by"), pk=pk)
    lines = entry.lines.select_related("account")
    return render(request, "payments/journal_detail.html", {"entry": entry, "lines": lines})


def trial_balance_view(request):
    currency = request.GET.get("currency") or None
    until = parse_date(request.GET.get("until", "") or "") or None
    rows = trial_balance(currency=currency, until=until)
    total_debit = sum((r["debit"] for r in rows), 0)
    total_credit = sum((r["credit"] for r in rows), 0)
    return render(request, "payments/trial_balance.html", {
        "rows": rows, "total_debit": total_debit, "total_credit": total_credit,
        "balanced": total_debit == total_credit, "currency": currency, "currencies": CURRENCY_CHOICES,
        "until": until,
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
                                            reference=data["reference"], acting_user=request.user)
        except PaymentError as exc:
            form.add_error(exc.field or None, exc.message)
        else:
            # The code is shown on this one response and never again.
            return render(request, "payments/giftcard_issued.html", {"card": card, "code": code})
    return render(request, "payments/giftcard_issue.html", {"form": form}, status=400)


def giftcard_detail(request, pk: int):
    card = get_object_or_404(GiftCard.objects.select_related("issued_by"), pk=pk)
    audit_access(request, card)
    transactions = card.transactions.select_related("created_by", "journal_entry")
    return render(request, "payments/giftcard_detail.html", {"card": card, "transactions": transactions})


def giftcard_lookup_view(request):
    form = GiftCardLookupForm(request.POST or None)
    card = None
    searched = False
    if request.method == "POST" and form.is_valid():
        searched = True
        card = giftcard_lookup(code=form.cleaned_data["code"], acting_user=request.user,
                               ip_address=client_ip(request))
    context = {"form": GiftCardLookupForm(), "card": card, "searched": searched, "today": timezone.localdate()}
    template = "payments/giftcard_lookup.html#result" if request.htmx else "payments/giftcard_lookup.html"
    return render(request, template, context)


@require_POST
def giftcard_disable_view(request, pk: int):
    card = get_object_or_404(GiftCard, pk=pk)
    giftcard_disable(card_id=card.pk, reason=request.POST.get("reason", "")[:500], acting_user=request.user)
    messages.success(request, _("Card ••••%(last4)s disabled.") % {"last4": card.last4})
    return redirect("payments:giftcard_detail", pk=card.pk)


