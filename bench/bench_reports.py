"""Reports at scale: dashboard render, every top-N report over a year, rollup refresh, a full order export.

Run ``manage.py bench_data --orders N --refresh`` first (the lead runs it at 1,000,000 orders; keep it at
about 20,000 on a shared machine). Times are the median of a few runs, measured in-process through the
Django test client (template rendering included, network excluded). Export memory is the Python heap
peak seen by ``tracemalloc`` while streaming every order to CSV.
"""

import statistics
import time
import tracemalloc
from datetime import timedelta

from run import Result


def _median_ms(func, repeat: int = 5) -> float:
    """Median time of ``func`` (a page request), which must answer 200: a refused page would time its error."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = func()
        samples.append((time.perf_counter() - started) * 1000)
        if getattr(response, "status_code", 200) != 200:
            raise AssertionError(f"the page answered {response.status_code}, not 200")
    return statistics.median(samples)


def run() -> list[Result]:
    import os
    import tempfile

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from orders.models import Order, OrderLine
    from reports import exports, rollups
    from reports.selectors import DIMENSIONS

    setup_test_environment()  # lets the test client run against this database with ALLOWED_HOSTS=testserver
    orders, lines = Order.objects.count(), OrderLine.objects.count()
    scale = f"{orders} orders / {lines} lines"
    results: list[Result] = []

    started = time.perf_counter()
    rollups.refresh_rollups(days=7)
    results.append(Result("reports.refresh_rollups (7 days)", (time.perf_counter() - started) * 1000, "ms",
                          note=scale))

    user, _created = get_user_model().objects.get_or_create(username="bench-manager")
    user.groups.add(Group.objects.get(name="manager"))
    client = Client()
    client.force_login(user)
    client.get("/reports/")
    results.append(Result("dashboard (30 days vs previous)", _median_ms(lambda: client.get("/reports/")), "ms",
                          1000, "ms", note=scale))
    results.append(Result("dashboard htmx poll", _median_ms(
        lambda: client.get("/reports/", HTTP_HX_REQUEST="true")), "ms", 1000, "ms"))
    today = timezone.localdate()
    year = f"start={(today - timedelta(days=364)).isoformat()}&end={today.isoformat()}"
    results.append(Result("dashboard, 1-year range", _median_ms(lambda: client.get(f"/reports/?{year}")), "ms",
                          1000, "ms"))
    for dim in DIMENSIONS:
        results.append(Result(f"top {dim}, 1 year vs previous", _median_ms(
            lambda dim=dim: client.get(f"/reports/top/?dim={dim}&{year}"), repeat=3), "ms", 1000, "ms"))
    for dim in ("products", "customers", "orders"):
        results.append(Result(f"top {dim} by net revenue, 1 year", _median_ms(
            lambda dim=dim: client.get(f"/reports/top/?dim={dim}&{year}&sort=-net_revenue"), repeat=3), "ms",
            1000, "ms"))
    results.append(Result("KPIs, 1 year", _median_ms(lambda: client.get(f"/reports/kpis/?{year}"), repeat=3),
                          "ms", 1000, "ms"))

    source = exports.SOURCES["orders"]({"start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat()})
    fd, path = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    started = time.perf_counter()
    exports.write_csv(path, source, lambda n: None)
    elapsed = time.perf_counter() - started
    tracemalloc.start()  # a second run under tracemalloc (which slows it down) for the heap peak
    exports.write_csv(path, source, lambda n: None)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = os.path.getsize(path)
    os.unlink(path)
    results.append(Result("order export CSV, 1 year", elapsed, "s", note=f"{size / 1e6:.1f} MB file"))
    results.append(Result("order export CSV, heap peak", peak / 1e6, "MB", note="flat: chunked server-side cursor"))
    return results
