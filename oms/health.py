"""Readiness of the things the OMS needs: the database, Redis and at least one Celery worker."""

import redis
from django.conf import settings
from django.db import connection

from oms.celery import app as celery_app


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return False, type(exc).__name__
    return True, "ok"


def check_redis() -> tuple[bool, str]:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__
    return True, "ok"


def check_workers() -> tuple[bool, str]:
    try:
        replies = celery_app.control.ping(timeout=1.0) or []
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__
    if not replies:
        return False, "no worker answered"
    return True, f"{len(replies)} worker(s)"


def health_report() -> tuple[bool, dict]:
    checks = {"database": check_database(), "redis": check_redis()}
    if checks["redis"][0]:
        checks["celery"] = check_workers()
    else:
        checks["celery"] = (False, "broker unreachable")
    healthy = all(ok for ok, _detail in checks.values())
    return healthy, {
        "status": "ok" if healthy else "unavailable",
        "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()},
    }
