"""The audit trail and outbox lists: each filter narrows to exactly the matching rows, sorting orders them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from oms.models import AuditEntry, OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(make_user):
    ana, bia = make_user(username="ana"), make_user(username="bia")

    def entry(actor, action, object_type, object_id, reason="", verb="", days_ago=0):
        row = AuditEntry.objects.create(actor=actor, action=action, object_type=object_type, object_id=object_id,
                                        object_repr=f"{object_type} {object_id}", reason=reason, verb=verb)
        AuditEntry.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
        return row.pk

    return {
        "old": entry(ana, "update", "orders.order", "7", reason="customer asked", days_ago=10),
        "adjust": entry(bia, "action", "inventory.stocklevel", "12", verb="stock_adjust", days_ago=1),
        "new": entry(ana, "create", "orders.customer", "3"),
    }


def _ids(client, **params):
    response = client.get(reverse("audit_list"), params)
    assert response.status_code == 200
    return [e.pk for e in response.context["page"]]


def test_audit_trail_filters_and_sorts(role_client, trail):
    client = role_client("admin")
    everything = _ids(client)
    assert everything[:3] == [trail["new"], trail["adjust"], trail["old"]]  # newest first
    mine = set(trail.values())
    assert [pk for pk in _ids(client, actor="ANA") if pk in mine] == [trail["new"], trail["old"]]
    assert [pk for pk in _ids(client, action="action") if pk in mine] == [trail["adjust"]]
    assert [pk for pk in _ids(client, type="orders.order") if pk in mine] == [trail["old"]]
    assert [pk for pk in _ids(client, q="asked") if pk in mine] == [trail["old"]]
    assert [pk for pk in _ids(client, q="stock_adjust") if pk in mine] == [trail["adjust"]]
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    until = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert [pk for pk in _ids(client, since=since) if pk in mine] == [trail["new"], trail["adjust"]]
    assert [pk for pk in _ids(client, until=until) if pk in mine] == [trail["old"]]
    assert [pk for pk in _ids(client, sort="actor", type="orders.order") if pk in mine] == [trail["old"]]
    by_type = [pk for pk in _ids(client, sort="-type") if pk in mine]
    assert by_type == [trail["old"], trail["new"], trail["adjust"]]  # orders.order > orders.customer > inventory.*


def test_a_report_page_seen_reads_as_the_pages_name_and_an_entry_without_an_id_shows_no_bare_hash(role_client):
    client = role_client("admin")
    client.get(reverse("reports:kpis"))
    client.get(reverse("reports:top") + "?dim=brands")
    html = client.get(reverse("audit_list"), {"q": "report_view"}).content.decode()
    assert '<span title="reports.kpis">KPIs</span>' in html
    assert '<span title="reports.top">Top-N report</span> <bdi>brands</bdi>' in html
    assert "<bdi>#</bdi>" not in html and "<bdi>#brands</bdi>" not in html


def test_outbox_list_filters_by_status_and_topic(role_client):
    now = timezone.now()
    done = OutboxMessage.objects.create(topic="mail.send", status="done", available_at=now)
    failed = OutboxMessage.objects.create(topic="webhook.deliver", status="failed", available_at=now)
    pending = OutboxMessage.objects.create(topic="mail.send", status="pending", available_at=now)
    client = role_client("admin")

    def ids(**params):
        return [m.pk for m in client.get(reverse("outbox_list"), params).context["page"]
                if m.pk in (done.pk, failed.pk, pending.pk)]

    assert ids() == [pending.pk, failed.pk, done.pk]
    assert ids(status="failed") == [failed.pk]
    assert ids(topic="mail.send") == [pending.pk, done.pk]
    assert ids(topic="mail.send", status="done") == [done.pk]
