"""Fulfilment beat jobs: release confirmed orders to the warehouses, expire uncollected pick-ups, flag orders
at risk of missing their promised date. Each is idempotent and safe to run concurrently with the screens."""

from celery import shared_task

from oms.celery import register_beat


@shared_task(name="fulfilment.allocate_confirmed")
def allocate_confirmed_task() -> int:
    from orders.fulfilment.services import allocate_confirmed

    return allocate_confirmed()


@shared_task(name="fulfilment.expire_pickups")
def expire_pickups_task() -> int:
    from orders.fulfilment.services import expire_pickups

    return expire_pickups()


@shared_task(name="fulfilment.at_risk_scan")
def at_risk_scan_task() -> dict:
    from orders.fulfilment.services import at_risk_scan

    return at_risk_scan()


@shared_task(name="fulfilment.backorders_retry")
def backorders_retry_task() -> int:
    from orders.fulfilment.services import backorders_retry

    return backorders_retry()


register_beat("fulfilment-backorders-retry", "fulfilment.backorders_retry", 900.0)
register_beat("fulfilment-allocate-confirmed", "fulfilment.allocate_confirmed", 60.0)
register_beat("fulfilment-expire-pickups", "fulfilment.expire_pickups", 900.0)
register_beat("fulfilment-at-risk-scan", "fulfilment.at_risk_scan", 900.0)
