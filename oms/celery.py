"""The Celery application. Apps add periodic jobs with ``register_beat`` from their tasks modules."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

app = Celery("oms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {}


def register_beat(name: str, task: str, seconds: float, **options) -> None:
    """Adds a periodic job to the beat schedule (called at import time of an app's tasks module)."""
    app.conf.beat_schedule[name] = {"task": task, "schedule": seconds, "options": options}
