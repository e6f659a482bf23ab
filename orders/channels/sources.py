"""Watched folders and URL pulls: new files become import jobs (a file already imported is skipped)."""

import hashlib
import logging
import urllib.request
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from orders.channels import imports
from orders.channels.errors import ChannelError
from orders.channels.models import ChannelIntegration, ImportJob

logger = logging.getLogger(__name__)
SUFFIXES = {".csv", ".tsv", ".txt", ".json"}
PULL_TIMEOUT = 30


def _known(channel_id: int, content: bytes) -> bool:
    return ImportJob.objects.filter(channel_id=channel_id, file_sha256=hashlib.sha256(content).hexdigest()).exists()


def _start(integration: ChannelIntegration, content: bytes, name: str, source: str) -> bool:
    if _known(integration.channel_id, content):
        return False
    try:
        imports.import_job_create(channel_id=integration.channel_id, fmt=integration.import_format, content=content,
                          file_name=name, acting_user=None, source=source)
    except ChannelError as exc:
        logger.warning("Channel %s: %s not imported: %s", integration.channel_id, name, exc.message)
        return False
    return True


def poll_sources(*, now=None) -> int:
    """Starts a job for every new file in watched folders and every due URL pull; returns how many."""
    now = now or timezone.now()
    started = 0
    for integration in ChannelIntegration.objects.select_related("channel").filter(channel__is_active=True):
        if integration.watch_folder:
            folder = Path(integration.watch_folder)
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                if path.suffix.lower() in SUFFIXES and path.is_file():
                    if path.stat().st_size > imports.MAX_FILE_BYTES:
                        logger.warning("Channel %s: %s not imported: larger than %s bytes", integration.channel_id,
                                       path, imports.MAX_FILE_BYTES)
                        continue
                    started += _start(integration, path.read_bytes(), path.name, ImportJob.Source.FOLDER)
        due = (integration.last_pulled_at is None
               or integration.last_pulled_at <= now - timedelta(minutes=integration.pull_every_minutes))
        if integration.pull_url.startswith(("http://", "https://")) and due:
            ChannelIntegration.objects.filter(pk=integration.pk).update(last_pulled_at=now)
            try:
                with urllib.request.urlopen(integration.pull_url, timeout=PULL_TIMEOUT) as response:  # noqa: S310
                    content = response.read(imports.MAX_FILE_BYTES + 1)  # an endless answer is not read whole
            except OSError as exc:
                logger.warning("Channel %s: pull from %s failed: %s", integration.channel_id, integration.pull_url, exc)
                continue
            if len(content) > imports.MAX_FILE_BYTES:
                logger.warning("Channel %s: pull from %s not imported: larger than %s bytes", integration.channel_id,
                               integration.pull_url, imports.MAX_FILE_BYTES)
                continue
            started += _start(integration, content, integration.pull_url.rsplit("/", 1)[-1][:100] or "pull",
                              ImportJob.Source.URL)
    return started
