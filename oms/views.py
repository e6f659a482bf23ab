from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db.models import Q
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language

from oms import staff
from oms.forms import StaffForm, add_refusal
from oms.health import health_report
from oms.i18n import active_language, is_language
from oms.listing import paginate, sort_queryset
from oms.models import AuditEntry, OutboxMessage
from oms.outbox import outbox_retry_failed
from oms.permissions import ROLE_LABELS
from oms.preferences import language_at_login, language_remember, set_language_cookie, user_language
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


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; a temporary password an administrator made is no longer one."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "password_temporary": bool(self.request.session.get(staff.PASSWORD_TEMPORARY_SESSION_KEY))}

    def form_valid(self, form):
        response = super().form_valid(form)
        staff.password_chosen(self.request)
        return response


def language_set(request):
    """Django's language switch (cookie and redirect); a signed-in user's choice is also kept for the e-mails
    and background work done for them."""
    response = set_language(request)
    code = request.POST.get("language")
    if request.method == "POST" and request.user.is_authenticated and is_language(code):
        language_remember(request.user, code)
    return response


@require_safe
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
    if outbox_retry_failed(message_id=pk):
        messages.success(request, _("Message %(id)s queued again.") % {"id": pk})
    else:
        messages.error(request, _("Message %(id)s is not a failed message: there is nothing to retry.") % {"id": pk})
    return redirect("outbox_list")


STAFF_SORTS = {"username": "username", "name": "first_name", "email": "email", "last_login": "last_login"}


def staff_list(request):
    users = staff.staff_list(query=request.GET.get("q", "").strip(), role=request.GET.get("role", ""))
    users = sort_queryset(users, request.GET.get("sort"), STAFF_SORTS, "username")
    template = "oms/staff_list.html#table" if request.htmx else "oms/staff_list.html"
    return render(request, template, {"page": paginate(request, users), "roles": ROLE_LABELS.items()})


def staff_create(request):
    form = StaffForm(request.POST or None, initial={"language": active_language()})
    if request.method == "POST" and form.is_valid():
        try:
            user, password = staff.staff_create(acting_user=request.user, **form.cleaned_data)
        except staff.StaffError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.get_username()})
            return _staff_page(request, user, new_password=password)
    return render(request, "oms/staff_form.html", {"form": form}, status=422 if form.errors else 200)


def staff_edit(request, pk: int):
    user = get_object_or_404(staff.User, pk=pk)
    if request.method != "POST":
        return _staff_page(request, user)
    form = StaffForm(request.POST, editing=True, initial={"username": user.get_username()})
    if form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "username"}
        try:
            staff.staff_update(user_id=user.pk, acting_user=request.user, **fields)
        except staff.StaffError as exc:
            if exc.field == "seen":  # changed by someone else meanwhile: the form again, as the account is now
                return _staff_page(request, user, refusal=exc, status=409)
            add_refusal(form, exc)
        else:
            messages.success(request, _("User %(name)s saved.") % {"name": user.get_username()})
            return redirect("staff_list")
    return render(request, "oms/staff_form.html", {"form": form, "staff_user": user}, status=422)


@require_POST
def staff_password_reset(request, pk: int):
    user = get_object_or_404(staff.User, pk=pk)
    password = staff.staff_password_reset(user_id=user.pk, acting_user=request.user)
    return _staff_page(request, user, new_password=password)


def _staff_page(request, user, *, new_password: str = "", refusal=None, status: int = 200):
    """The account's form; a new temporary password is shown on this page only, once."""
    initial = {"username": user.get_username(), "first_name": user.first_name, "last_name": user.last_name,
               "email": user.email, "roles": staff.roles_of(user), "is_active": user.is_active,
               "language": user_language(user), "seen": staff.account_version(user)}
    form = StaffForm(initial=initial, editing=True)
    response = render(request, "oms/staff_form.html", {"form": form, "staff_user": user, "new_password": new_password,
                                                       "refusal": refusal.message if refusal else ""}, status=status)
    if new_password:
        response["Cache-Control"] = "no-store"
    return response
