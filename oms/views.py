from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db.models import Q
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from oms.health import health_report
from oms.listing import paginate, sort_queryset
from oms.models import AuditEntry, OutboxMessage
from oms.outbox import outbox_retry_failed
from oms.preferences import language_at_login, language_remember, set_language_cookie
from oms.query import query_date
from oms.search import global_search


def home(request):
    """The dashboard shell; the reports app adds live tiles for the roles that may see them."""
    return render(request, "oms/home.html")


def search(request):
    query = request.GET.get("q", "").strip()
    results = global_search(query=query, user=request.user)
    exact = [r for r in results if r.exact]
    if len(exact) == 1 and not request.htmx:
        return HttpResponseRedirect(exact[0].url)
    template = "oms/search.html#results" if request.htmx else "oms/search.html"
    return render(request, template, {"query": query, "results": results})


class LoginView(auth_views.LoginView):
    """Django's login; then the user's language (see ``oms.preferences.language_at_login``)."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        set_language_cookie(response, language_at_login(self.request, form.get_user()))
        return response


def language_set(request):
    """Django's language switch (cookie and redirect); a signed-in user's choice is also kept for the e-mails
    and background work done for them."""
    response = set_language(request)
    code = request.POST.get("language")
    if request.method == "POST" and request.user.is_authenticated and code in dict(settings.LANGUAGES):
        language_remember(request.user, code)
    return response


@require_GET
def healthz(request):
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


AUDIT_SORTS = {"when": "created_at", "actor": "actor__username", "type": "object_type", "action": "action"}


def audit_list(request):
    entries = AuditEntry.objects.select_related("actor")
    params = request.GET
    if q := params.get("q", "").strip():
        entries = entries.filter(
            Q(object_repr__icontains=q) | Q(object_id=q) | Q(reason__icontains=q) | Q(verb__icontains=q)
        )
    if actor := params.get("actor", "").strip():
        entries = entries.filter(actor__username__iexact=actor)
    if action := params.get("action"):
        entries = entries.filter(action=action)
    if object_type := params.get("type", "").strip():
        entries = entries.filter(object_type=object_type)
    if since := query_date(params, "since"):
        entries = entries.filter(created_at__date__gte=since)
    if until := query_date(params, "until"):
        entries = entries.filter(created_at__date__lte=until)
    entries = sort_queryset(entries, params.get("sort"), AUDIT_SORTS, "-created_at")
    page = paginate(request, entries)
    template = "oms/audit_list.html#table" if request.htmx else "oms/audit_list.html"
    return render(request, template, {"page": page, "actions": AuditEntry.Action.choices})


def outbox_list(request):
    rows = OutboxMessage.objects.all()
    if status := request.GET.get("status"):
        rows = rows.filter(status=status)
    if topic := request.GET.get("topic", "").strip():
        rows = rows.filter(topic=topic)
    page = paginate(request, rows.order_by("-id"))
    return render(request, "oms/outbox_list.html", {"page": page, "statuses": OutboxMessage.Status.choices})


@require_POST
def outbox_retry(request, pk: int):
    outbox_retry_failed(message_id=pk)
    messages.success(request, _("Message %(id)s queued again.") % {"id": pk})
    return redirect("outbox_list")
