"""The audit trail: who did what, when, with old and new values, and who viewed sensitive pages."""

import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from oms.models import AuditEntry


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of an instance as JSON-safe values (foreign keys by id)."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        values[name] = _plain(getattr(instance, field.attname))
    return values


def fingerprint(state: Mapping[str, Any]) -> str:
    """A short digest of a record's state (``snapshot``-like values): an edit form carries the one of the record
    it showed, and its save is refused if the record's has changed since (someone else saved it meanwhile)."""
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=_plain).encode()).hexdigest()[:32]


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    keys = sorted(set(before) | set(after))
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in keys
        if _plain(before.get(key)) != _plain(after.get(key))
    }


def _label(obj: models.Model | None, object_type: str) -> str:
    return object_type or (obj._meta.label_lower if obj is not None else "")


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    verb: str = "",
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
    ip_address: str | None = None,
) -> AuditEntry:
    """Writes one audit row; call it inside the transaction of the change it describes."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        verb=verb,
        object_type=_label(obj, object_type),
        object_id=str(obj.pk) if obj is not None else str(object_id),
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=dict(changes or {}),
        reason=reason,
        ip_address=ip_address,
    )


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def audit_access(request, obj: models.Model | None = None, *, object_type: str = "", object_id: str = "",
                 verb: str = "view") -> AuditEntry:
    """Records that the request's user opened a sensitive page or document."""
    return audit_record(
        actor=request.user,
        action=AuditEntry.Action.ACCESS,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        verb=verb,
        changes={"path": request.get_full_path()[:500]},
        ip_address=client_ip(request),
    )


def update_audited(instance: models.Model, changes: Mapping[str, Any], *, actor, verb: str) -> None:
    """Sets ``changes`` on a locked ``instance``, saves those fields, and audits the ones whose value changed."""
    before = snapshot(instance, changes)
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.save(update_fields=list(changes))
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=instance, verb=verb,
                 changes=diff(before, snapshot(instance, changes)))
