"""Inventory background jobs: the reorder scan (beat) and big imports."""

from celery import shared_task

from oms.celery import register_beat


@shared_task(name="inventory.reorder_scan")
def reorder_scan_task() -> dict:
    """Raises reorder alerts and drafts purchase orders; safe to run at any time, any number of times."""
    from inventory.services import reorder_scan

    result = reorder_scan(acting_user=None, draft=True)
    return {"raised": result.raised, "resolved": result.resolved, "drafted": result.drafted_alerts}


register_beat("inventory-reorder-scan", "inventory.reorder_scan", 15 * 60.0)
