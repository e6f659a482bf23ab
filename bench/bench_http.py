"""Order intake over HTTP: ``POST /api/v1/orders`` served by gunicorn (the production server of the Dockerfile,
several worker processes) against the ``oms_bench`` database, driven by a small load generator at a few
concurrency levels.

Each request is a new 3-line order (3 of 30 SKUs at random, stock in the order benchmark's 20 locations, SP tax,
the automatic 10 % promotion) with its own ``external_id`` and ``Idempotency-Key``, signed with the key's HMAC
secret (the channel requires signatures). Bodies and signatures are built before the clock starts. The load
generator is threads on keep-alive ``http.client`` connections, one per concurrent client: it needs nothing
beyond the standard library and signs each body itself (wrk would need a Lua script for the HMAC).

In the same run: the two pgbench references (``references`` of bench/bench_orders.py: the real-schema one is the
ratio's reference, the simplified floor is in the note) and the direct
``order_place`` figure (bench/bench_orders.py's ``inner``, 8 threads, no HTTP). Afterwards every 2xx is checked to
have made exactly one order, and stock is checked exact (ledger equals levels; reservations grew by exactly the
units of the placed lines that were reserved).

Scale: ``BENCH_HTTP_ORDERS`` orders per level (default 300), ``BENCH_HTTP_CONCURRENCY`` (default ``8,32``),
``BENCH_HTTP_WORKERS`` gunicorn processes (default 4), ``BENCH_HTTP_DIRECT_ORDERS`` for the direct figure
(default 200), ``BENCH_PGBENCH_SECONDS`` (15).
"""

import hashlib
import hmac
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench.data import ROOT, bench_env, env_int, percentile, run_inner
from bench.run import Result

ORDERS = env_int("BENCH_HTTP_ORDERS", 300)
CONCURRENCY = [int(c) for c in os.environ.get("BENCH_HTTP_CONCURRENCY", "8,32").split(",") if c.strip()]
GUNICORN_WORKERS = env_int("BENCH_HTTP_WORKERS", 4)
DIRECT_ORDERS = env_int("BENCH_HTTP_DIRECT_ORDERS", 200)
PGBENCH_SECONDS = env_int("BENCH_PGBENCH_SECONDS", 15)
CHANNEL_CODE = "bench-http"


# --- inside the bench database (child processes) -------------------------------------------------------------


def inner(step: str, **params) -> dict:
    return {"setup": _setup, "snapshot": _snapshot, "verify": _verify}[step](**params)


def _setup() -> dict:
    """The order benchmark's world (20 locations, tax, promotion, shipping) with 30 SKUs of its own (``BH-``, so
    that the reservation count is not disturbed by another benchmark using ``oms_bench`` at the same time), and a
    web channel with a signing API key; a fresh key each run (its full text is never stored)."""
    from decimal import Decimal

    from bench.bench_orders import SKUS, _world
    from inventory.models import Location, Product, StockLevel, Variant
    from inventory.services import StockLine, stock_receive
    from orders.channels.services import api_key_create, integration_update
    from orders.models import Channel

    _world()
    if not Variant.objects.filter(sku__startswith="BH-").exists():
        product = Product.objects.create(code="BH-STYLE", name="Bench HTTP style")
        Variant.objects.bulk_create([
            Variant(product=product, sku=f"BH-{n:03d}", name=f"Bench HTTP item {n}", base_price=Decimal("59.90"),
                    cost=Decimal("20"), weight_grams=300, search_text=f"bh-{n:03d}") for n in range(SKUS)])
    locations = list(Location.objects.filter(code__startswith="BO").order_by("code"))
    variants = list(Variant.objects.filter(sku__startswith="BH-").order_by("sku"))
    low = [(v.pk, loc.pk) for v in variants for loc in locations
           if not StockLevel.objects.filter(variant=v, location=loc, on_hand__gte=10_000).exists()]
    if low:
        stock_receive(lines=[StockLine(v, loc, 100_000) for v, loc in low], reference="bench", acting_user=None)
    channel, _ = Channel.objects.get_or_create(code=CHANNEL_CODE, defaults={
        "name": "Bench HTTP", "kind": Channel.Kind.WEB, "order_prefix": "BH", "currency": "BRL"})
    integration_update(channel_id=channel.pk, acting_user=None, require_signature=True,
                       rate_limit_per_minute=10_000_000)
    key, raw = api_key_create(channel_id=channel.pk, name="bench", acting_user=None, with_signature=True)
    return {"channel_id": channel.pk, "raw": raw, "secret": key.hmac_secret,
            "skus": [v.sku for v in variants], "prices": {v.sku: str(v.base_price) for v in variants}}


def _drift() -> dict[str, list[int]]:
    """Levels that differ from their ledger, as level minus ledger (on hand, reserved). ``oms_bench`` is shared
    by the benchmarks and may hold drift written by bulk loaders; what matters here is that it does not change."""
    from inventory.services import ledger_drift

    return {f"{d.variant_id}:{d.location_id}": [d.level_on_hand - d.ledger_on_hand,
                                                d.level_reserved - d.ledger_reserved] for d in ledger_drift()}


def _snapshot() -> dict:
    import tempfile

    from django.db.models import Sum

    from inventory.models import StockLevel

    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="bench_http_drift_", delete=False) as out:
        json.dump(_drift(), out)
    return {"reserved": StockLevel.objects.filter(variant__sku__startswith="BH-").aggregate(n=Sum("reserved"))["n"]
            or 0, "drift_file": out.name}


def _verify(channel_id: int, numbers: list[str], external_ids: list[str], reserved_before: int,
            drift_file: str) -> dict:
    """Every 2xx made exactly one order; stock is exact."""
    from django.db.models import Count, Sum

    from inventory.models import StockLevel
    from orders.models import Order, OrderLine

    orders = Order.objects.filter(channel_id=channel_id, external_ref__in=external_ids)
    per_external = dict(orders.values_list("external_ref").annotate(n=Count("pk")).values_list("external_ref", "n"))
    duplicated = sorted(e for e, n in per_external.items() if n > 1)
    missing = sorted(set(external_ids) - set(per_external))
    by_number = set(orders.values_list("number", flat=True))
    unknown_numbers = sorted(set(numbers) - by_number)
    drafts = orders.filter(status=Order.Status.DRAFT).count()
    reserved_units = OrderLine.objects.filter(order__in=orders, status=OrderLine.Status.RESERVED).aggregate(
        n=Sum("quantity"))["n"] or 0
    drift_now = _drift()
    drift_before = json.loads(Path(drift_file).read_text())
    Path(drift_file).unlink()
    reserved_now = StockLevel.objects.filter(variant__sku__startswith="BH-").aggregate(n=Sum("reserved"))["n"] or 0
    return {"orders": orders.count(), "duplicated": duplicated[:5], "missing": missing[:5],
            "unknown_numbers": unknown_numbers[:5], "drafts": drafts,
            "ledger_drift": sum(1 for k in {*drift_now, *drift_before} if drift_now.get(k) != drift_before.get(k)),
            "reserved_delta": reserved_now - reserved_before, "reserved_units": reserved_units,
            "statuses": sorted(set(orders.values_list("status", flat=True)))}


# --- the load generator (this process) -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    env = bench_env()
    env["DEBUG"] = "0"
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_http_gunicorn_{port}.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "oms.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(GUNICORN_WORKERS), "--worker-class", "sync", "--keep-alive", "30", "--log-level",
         "warning"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def _bodies(world: dict, count: int, rng: random.Random, tag: str) -> list[tuple[str, bytes, dict]]:
    from decimal import Decimal

    out = []
    for n in range(count):
        external_id = f"{tag}-{n}"
        lines = [{"sku": sku, "quantity": 1, "unit_price": world["prices"][sku]}
                 for sku in rng.sample(world["skus"], 3)]
        total = sum((Decimal(line["unit_price"]) for line in lines), Decimal(0)) + Decimal("15.00")
        body = json.dumps({
            "external_id": external_id,
            "customer": {"name": "Bench HTTP buyer", "email": f"http-{tag}-{n % 50}@example.com",
                         "phone": "+5511987654321"},
            "shipping_address": {"street": "Rua Augusta", "number": "500", "district": "Consolação",
                                 "city": "São Paulo", "state": "SP", "postal_code": "01305-000"},
            "lines": lines, "shipping_total": "15.00", "total": str(total),
            "payments": [{"method": "credit_card", "amount": str(total), "reference": f"ch_{tag}_{n}"}],
        }).encode()
        headers = {"Authorization": f"Bearer {world['raw']}", "Content-Type": "application/json",
                   "Idempotency-Key": uuid.uuid4().hex,
                   "X-Signature": "sha256=" + hmac.new(world["secret"].encode(), body, hashlib.sha256).hexdigest()}
        out.append((external_id, body, headers))
    return out


def _drive(port: int, requests: list, concurrency: int) -> dict:
    queue = list(reversed(requests))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    numbers: list[str] = []
    ok_external: list[str] = []
    errors: list[str] = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                external_id, body, headers = queue.pop()
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/orders", body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                elapsed = time.perf_counter() - started
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if 200 <= response.status < 300:
                    numbers.append(json.loads(payload)["number"])
                    ok_external.append(external_id)
                elif len(errors) < 20:
                    errors.append(f"{response.status}: {payload[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    return {"seconds": seconds, "ok": ok, "statuses": statuses, "numbers": numbers, "ok_external": ok_external,
            "errors": errors, "error_count": len(requests) - ok,
            "p50": percentile(latencies, 0.50) * 1000 if latencies else 0.0,
            "p95": percentile(latencies, 0.95) * 1000 if latencies else 0.0,
            "p99": percentile(latencies, 0.99) * 1000 if latencies else 0.0}


def run() -> list[Result]:
    from bench import bench_orders as orders_bench
    from bench.bench_orders import WORKERS, references

    world = run_inner("bench_http", step="setup")
    rng = random.Random(11)
    run_tag = uuid.uuid4().hex[:8]
    port = _free_port()
    server = _start_server(port)
    measured = []
    try:
        for concurrency in CONCURRENCY:
            tag = f"{run_tag}-c{concurrency}"
            requests = _bodies(world, ORDERS, rng, tag)
            # a few warm-up orders so every gunicorn worker has loaded the app and opened its connection
            _drive(port, _bodies(world, GUNICORN_WORKERS * 2, rng, f"{tag}-warm"), GUNICORN_WORKERS)
            before = run_inner("bench_http", step="snapshot")
            load = _drive(port, requests, concurrency)
            check = run_inner("bench_http", step="verify", channel_id=world["channel_id"], numbers=load["numbers"],
                              external_ids=load["ok_external"], reserved_before=before["reserved"],
                              drift_file=before["drift_file"])
            measured.append((concurrency, load, check))
            print(f"  {concurrency} clients: {load['ok']} 2xx in {load['seconds']:.1f} s, p50 {load['p50']:.0f} ms, "
                  f"p95 {load['p95']:.0f} ms, p99 {load['p99']:.0f} ms, errors {load['error_count']}; {check}",
                  flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    direct = run_inner("bench_orders", orders=DIRECT_ORDERS, workers=WORKERS)
    direct_rate = direct["placed"] / direct["seconds"] if direct["seconds"] else 0.0
    print(f"  direct order_place: {direct_rate:.2f} orders/s", flush=True)
    # pgbench's throw-away database under a name of its own: bench_orders may be running at the same time
    # (it drops and recreates its own with FORCE)
    orders_bench.PGBENCH_DB = "oms_bench_pgbench_http"
    orders_bench.PGBENCH_REAL_DB = "oms_bench_pgbench_real_http"
    refs = references(PGBENCH_SECONDS)
    results = []
    for concurrency, load, check in measured:
        rate = load["ok"] / load["seconds"]
        exact = (check["orders"] == load["ok"] and not check["duplicated"] and not check["missing"]
                 and not check["unknown_numbers"] and check["drafts"] == 0 and check["ledger_drift"] == 0
                 and check["reserved_delta"] == check["reserved_units"])
        results.append(Result(
            f"POST /api/v1/orders over HTTP, 3 lines, {concurrency} clients, gunicorn x{GUNICORN_WORKERS}",
            rate, "orders/s", reference=refs["real"], reference_unit="real-schema pgbench tps",
            note=(f"{rate / refs['simplified']:.4f} of simplified-schema pgbench {refs['simplified']:.0f} tps; "
                  f"{refs['real_note']}; {load['ok']}/{ORDERS} 2xx in {load['seconds']:.1f} s; "
                  f"p50 {load['p50']:.0f} ms, p95 {load['p95']:.0f} ms, p99 {load['p99']:.0f} ms; "
                  f"{load['error_count']} errors {load['errors'][:1]}; "
                  f"{rate / direct_rate if direct_rate else 0:.2f} x direct order_place "
                  f"({direct_rate:.1f}/s, {WORKERS} threads); one order per 2xx and ledger exact: {exact} "
                  f"(orders {check['orders']}, duplicated {check['duplicated']}, levels drifting anew "
                  f"{check['ledger_drift']}, "
                  f"reserved +{check['reserved_delta']} for {check['reserved_units']} reserved line units); "
                  f"statuses {check['statuses']}"),
        ))
    return results
