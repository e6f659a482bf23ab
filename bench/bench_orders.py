"""Order placement throughput through ``order_place`` (3 lines, an automatic 10 % promotion, SP tax, sourcing
over 20 locations, sandbox card authorization) with 8 concurrent workers, vs the raw SQL floor: a pgbench
script doing the same kind of writes per order (3 stock reservations with their ledger rows, the order
number counter, the order, 3 lines, a payment, 2 events and an outbox row) in one transaction, on a
throw-away database created and dropped here.

The ORM side runs in the separate ``oms_bench`` database (bench/data.py) with 8 worker PROCESSES (each its own
interpreter, Django and connection, DEBUG off, like gunicorn/celery workers; threads would share one core through
the GIL). Drafts and card tokens are built before the clock and each worker places one warm-up draft first; only
``order_place`` is timed, from the moment every worker is ready until the last one finishes. Afterwards the placed
orders are checked: all confirmed, the expected totals, exactly one reserved unit per line in the stock levels,
one authorized payment for the total each, and ``verify_ledgers`` clean; anything wrong is printed in the note.
Scale: ``BENCH_ORDERS`` (default 400), ``BENCH_PGBENCH_SECONDS`` (15).
"""

import os
import re
import subprocess
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.data import (
    PGBIN,
    admin_connect,
    create_database,
    drop_database,
    env_int,
    percentile,
    run_inner,
    socket_dir,
)
from bench.run import Result

ORDERS = env_int("BENCH_ORDERS", 400)
WORKERS = 8
LOCATIONS = 20
SKUS = 30
PGBENCH_SECONDS = env_int("BENCH_PGBENCH_SECONDS", 15)
PGBENCH_DB = "oms_bench_pgbench"
SHIPPING = Decimal("15.00")
REDIS_DB = 15  # see isolated_env


def _world():
    from inventory.models import Location, Product, StockLevel, Variant
    from inventory.services import StockLine, stock_receive
    from marketing.models import Promotion, TaxRate
    from orders.models import Channel
    from tests.marketing.factories import ShippingRateFactory
    from tests.orders.factories import AddressFactory

    channel, _ = Channel.objects.get_or_create(code="bench-orders", defaults={
        "name": "Bench orders", "kind": Channel.Kind.PHONE, "order_prefix": "BO", "currency": "BRL"})
    if not Location.objects.filter(code__startswith="BO").exists():
        Location.objects.bulk_create([
            Location(code=f"BO{n:02d}", name=f"Bench DC {n}", kind="dc", state="SP", can_ship=True,
                     latitude=Decimal("-23.5") + Decimal(n) / 10, longitude=Decimal("-46.6") - Decimal(n) / 10)
            for n in range(LOCATIONS)])
        product = Product.objects.create(code="BO-STYLE", name="Bench order style")
        Variant.objects.bulk_create([
            Variant(product=product, sku=f"BO-{n:03d}", name=f"Bench order item {n}", base_price=Decimal("59.90"),
                    cost=Decimal("20"), weight_grams=300, search_text=f"bo-{n:03d}") for n in range(SKUS)])
        TaxRate.objects.create(name="ICMS bench", region="SP", tax_class="standard", rate=Decimal("18"),
                               valid_from="2020-01-01")
        Promotion.objects.create(name="Bench 10 % off", kind=Promotion.Kind.ORDER_PERCENT, percent=Decimal("10"),
                                 is_active=True)
        ShippingRateFactory(price=SHIPPING)
        AddressFactory(customer__name="Bench customer", customer__email="bench@example.com")
    locations = list(Location.objects.filter(code__startswith="BO").order_by("code"))
    variants = list(Variant.objects.filter(sku__startswith="BO-").order_by("sku"))
    low = [(v.pk, loc.pk) for v in variants for loc in locations
           if not StockLevel.objects.filter(variant=v, location=loc, on_hand__gte=10_000).exists()]
    if low:
        stock_receive(lines=[StockLine(v, loc, 100_000) for v, loc in low], reference="bench", acting_user=None)
    return channel, variants


def _card_number(rng) -> str:
    """A Luhn-valid Visa number that is none of the sandbox's special test cards (so it approves)."""
    from payments.gateway.sandbox import TEST_CARDS, luhn_valid

    while True:
        body = "4" + "".join(str(rng.randrange(10)) for _ in range(14))
        number = next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))
        if number not in TEST_CARDS:
            return number


def _payment(gateway, rng) -> dict:
    """A card tokenized before the clock (in a real checkout the browser does this at the processor's hosted field).

    A different card per order, as in real traffic: with one card, every order after the third in 24 hours is
    held by the card-velocity rule (the first version of this benchmark measured only held orders).
    """
    token = gateway.tokenize(number=_card_number(rng), exp_month=rng.randint(1, 12), exp_year=rng.randint(2030, 2039),
                             cvc="123")
    return {"token": token.token, "details": {"brand": token.brand, "last4": token.last4,
                                              "exp_month": token.exp_month, "exp_year": token.exp_year}}


def _worker(warmup: tuple, jobs: list, user_id: int, next_job, barrier, results) -> None:
    """One worker process (like one gunicorn or celery worker): its own interpreter, Django and connection.

    Places its warm-up draft (imports, connection, first queries), waits for the others at the barrier, then takes
    the next draft from the shared counter until none is left; reports finish time, CPU time, latencies, errors.
    """
    import django

    django.setup()
    import uuid

    from django.contrib.auth import get_user_model
    from django.db import connection

    from orders.services import PaymentRequest, order_place

    user = get_user_model().objects.get(pk=user_id)
    report = {"placed": 0, "errors": [], "error_count": 0, "latencies": []}

    def place(job):
        order_id, pay = job
        order_place(order_id=order_id, idempotency_key=uuid.uuid4().hex, acting_user=user,
                    payment=PaymentRequest(method="card", token=pay["token"], details=pay["details"]))

    try:
        place(warmup)
    except Exception as exc:  # noqa: BLE001 - reported; the run goes on
        report["errors"].append(f"warm-up: {type(exc).__name__}: {exc}")
        report["error_count"] += 1
    barrier.wait()
    cpu = time.process_time()
    while True:
        with next_job.get_lock():
            index = next_job.value
            next_job.value += 1
        if index >= len(jobs):
            break
        started = time.monotonic()
        try:
            place(jobs[index])
            report["placed"] += 1
        except Exception as exc:  # noqa: BLE001 - counted and reported
            report["error_count"] += 1
            if len(report["errors"]) < 3:
                report["errors"].append(f"{type(exc).__name__}: {exc}")
        report["latencies"].append(time.monotonic() - started)
    report["finished"] = time.monotonic()
    report["cpu"] = time.process_time() - cpu
    connection.close()
    results.put(report)


def _busy_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy so far (/proc/stat), to tell our share from everybody else's."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in fields]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _expected_prices(variants) -> tuple:
    """Subtotal, discount, tax and total of a 3-line order in this world, computed here by hand."""
    from decimal import ROUND_HALF_UP

    cent = Decimal("0.01")
    gross = [v.base_price for v in variants]
    subtotal = sum(gross)
    discount = (subtotal * Decimal("0.10")).quantize(cent, ROUND_HALF_UP)
    share = discount / 3  # equal lines: the discount spreads evenly (the bench's SKUs all cost the same)
    tax = sum(((g - share) * Decimal("0.18")).quantize(cent, ROUND_HALF_UP) for g in gross)
    return subtotal, discount, tax, subtotal - discount + SHIPPING + tax


def _checks(drafts: list[int], reserved_before: int, variants) -> dict:
    """Sanity checks on the placed orders: status, totals, stock reserved exactly, payments, ledgers."""
    from django.db.models import Count, F, Sum

    from inventory.models import StockLevel, StockMovement
    from inventory.services import ledger_drift
    from orders.models import Order, OrderLine, OrderLineAllocation
    from payments.ledger import verify_journal
    from payments.models import Payment

    placed = Order.objects.filter(pk__in=drafts).exclude(status=Order.Status.DRAFT)
    statuses = dict(placed.values_list("status").annotate(n=Count("id")).order_by("status"))
    prices = sorted({tuple(str(x) for x in row) for row in placed.values_list(
        "subtotal", "discount_total", "tax_total", "total")})
    lines = OrderLine.objects.filter(order__in=placed)
    reserved_lines = OrderLineAllocation.objects.filter(
        line__in=lines.filter(status=OrderLine.Status.RESERVED)).aggregate(n=Sum("quantity"))["n"] or 0
    reserved_after = StockLevel.objects.filter(variant__sku__startswith="BO-").aggregate(n=Sum("reserved"))["n"]
    # The ledger rows of these orders (the level totals also move with anybody else's orders on these SKUs).
    ledger_reserved = StockMovement.objects.filter(reference__in=[f"order:{pk}" for pk in drafts]).aggregate(
        n=Sum("reserved_delta"))["n"] or 0
    payments = Payment.objects.filter(order__in=placed, status=Payment.Status.AUTHORIZED)
    paid_in_full = payments.filter(amount=F("order__total")).count()
    # What ``verify_ledgers`` checks, for the stock this benchmark touches (other benchmarks share the database).
    ours = {v.pk for v in variants}
    drift = [d for d in ledger_drift() if d.variant_id in ours]
    journal = verify_journal()
    ledgers = "ok" if not drift and not journal else f"{len(drift)} stock drifts {drift[:1]}, journal {journal}"
    expected = tuple(str(x) for x in _expected_prices(variants[:3]))
    return {"statuses": statuses, "prices": prices, "expected_prices": expected,
            "prices_ok": all(tuple(Decimal(x) for x in p) == tuple(Decimal(x) for x in expected) for p in prices),
            "lines": lines.count(), "reserved_lines": reserved_lines,
            "reserved_delta": reserved_after - reserved_before, "ledger_reserved": ledger_reserved,
            "payments": payments.count(), "paid_in_full": paid_in_full, "ledgers": ledgers}


def inner(orders: int, workers: int) -> dict:
    import multiprocessing
    import random

    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.db.models import Sum

    from inventory.models import StockLevel
    from marketing.models import CarrierService
    from orders.models import Customer
    from orders.services import draft_create, draft_line_add, draft_update
    from payments.gateway import get_gateway

    channel, variants = _world()
    user, _ = get_user_model().objects.get_or_create(username="bench-orders")
    customer = Customer.objects.filter(email="bench@example.com").first()
    service = CarrierService.objects.order_by("pk").first().code
    rng = random.Random()  # fresh cards each run: earlier runs' orders count for the card-velocity rule
    gateway = get_gateway("sandbox")
    jobs = []
    for _ in range(orders + workers):
        draft = draft_create(channel_id=channel.pk, acting_user=user, customer_id=customer.pk)
        for variant in rng.sample(variants, 3):
            draft_line_add(order_id=draft.pk, variant_id=variant.pk, quantity=1, acting_user=user)
        draft_update(order_id=draft.pk, acting_user=user, payment_method="card", shipping_service=service)
        jobs.append((draft.pk, _payment(gateway, rng)))
    warmups, timed = jobs[:workers], jobs[workers:]
    connections.close_all()

    ctx = multiprocessing.get_context("spawn")
    next_job = ctx.Value("i", 0)
    barrier = ctx.Barrier(workers + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(warmups[n], timed, user.pk, next_job, barrier, results))
             for n in range(workers)]
    for proc in procs:
        proc.start()
    reserved_before = None
    try:
        barrier.wait(timeout=300)  # every worker is set up and warm
        reserved_before = StockLevel.objects.filter(variant__sku__startswith="BO-").aggregate(
            n=Sum("reserved"))["n"]
        connections.close_all()
        busy = _busy_cpu_seconds()
        started = time.monotonic()
        reports = [results.get(timeout=1800) for _ in procs]
        busy = _busy_cpu_seconds() - busy
    finally:
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
    elapsed = max(r["finished"] for r in reports) - started
    latencies = sorted(x for r in reports for x in r["latencies"])
    errors = [e for r in reports for e in r["errors"]]
    checks = _checks([pk for pk, _p in timed], reserved_before, variants)
    if os.environ.get("REDIS_URL", "").endswith(f"?db={REDIS_DB}"):
        from django.core.cache import cache

        cache.clear()  # our own Redis database: the tokens and the undelivered outbox messages of this run
    return {"orders": orders, "placed": sum(r["placed"] for r in reports), "seconds": elapsed,
            "errors": errors[:3], "error_count": sum(r["error_count"] for r in reports),
            "worker_cpu_ms": sum(r["cpu"] for r in reports) / max(len(latencies), 1) * 1000,
            "machine_busy_cores": busy / elapsed if elapsed else 0,
            "p50_ms": percentile(latencies, 0.5) * 1000 if latencies else 0,
            "p95_ms": percentile(latencies, 0.95) * 1000 if latencies else 0, **checks}


SCHEMA = """
CREATE TABLE stock (id serial PRIMARY KEY, variant int, location int, on_hand int, reserved int,
                    CHECK (reserved <= on_hand));
INSERT INTO stock (variant, location, on_hand, reserved)
  SELECT v, l, 100000000, 0 FROM generate_series(1, {skus}) v, generate_series(1, {locations}) l;
CREATE TABLE movement (id bigserial PRIMARY KEY, stock_id int REFERENCES stock, quantity int, reason text,
                       reference text, created_at timestamptz DEFAULT now());
CREATE TABLE counter (id int PRIMARY KEY, n bigint);
INSERT INTO counter VALUES (1, 0);
CREATE TABLE orders (id bigserial PRIMARY KEY, number text, status text, subtotal numeric(18,4),
                     discount numeric(18,4), tax numeric(18,4), total numeric(18,4), data jsonb,
                     created_at timestamptz DEFAULT now());
CREATE TABLE order_line (id bigserial PRIMARY KEY, order_id bigint REFERENCES orders, stock_id int REFERENCES stock,
                         quantity int, unit_price numeric(18,4), tax numeric(18,4), total numeric(18,4));
CREATE TABLE payment (id bigserial PRIMARY KEY, order_id bigint REFERENCES orders, amount numeric(18,4), status text);
CREATE TABLE event (id bigserial PRIMARY KEY, order_id bigint REFERENCES orders, kind text,
                    created_at timestamptz DEFAULT now());
CREATE TABLE outbox (id bigserial PRIMARY KEY, topic text, payload jsonb, status text);
"""

SCRIPT = """\\set a random(1, {rows})
\\set b random(1, {rows})
\\set c random(1, {rows})
BEGIN;
UPDATE stock SET reserved = reserved + 1 WHERE id IN (:a, :b, :c);
INSERT INTO movement (stock_id, quantity, reason, reference) VALUES (:a, 1, 'reservation', 'order'),
  (:b, 1, 'reservation', 'order'), (:c, 1, 'reservation', 'order');
UPDATE counter SET n = n + 1 WHERE id = 1;
INSERT INTO orders (number, status, subtotal, discount, tax, total, data)
  VALUES ('BO-1', 'confirmed', 179.70, 17.97, 29.11, 205.84, '{{"source": "bench"}}');
INSERT INTO order_line (order_id, stock_id, quantity, unit_price, tax, total) VALUES
  (currval('orders_id_seq'), :a, 1, 53.91, 9.70, 63.61), (currval('orders_id_seq'), :b, 1, 53.91, 9.70, 63.61),
  (currval('orders_id_seq'), :c, 1, 53.91, 9.70, 63.61);
INSERT INTO payment (order_id, amount, status) VALUES (currval('orders_id_seq'), 205.84, 'authorized');
INSERT INTO event (order_id, kind) VALUES (currval('orders_id_seq'), 'placed'), (currval('orders_id_seq'), 'confirmed');
INSERT INTO outbox (topic, payload, status) VALUES ('orders.channel_status', '{{"status": "confirmed"}}', 'pending');
COMMIT;
"""


def pgbench_tps(seconds: int) -> float:
    create_database(PGBENCH_DB, fresh=True)
    try:
        with admin_connect(PGBENCH_DB) as conn:
            conn.execute(SCHEMA.format(skus=SKUS, locations=LOCATIONS))
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "place.sql"
            script.write_text(SCRIPT.format(rows=SKUS * LOCATIONS))
            done = subprocess.run(
                [str(PGBIN / "pgbench"), "-n", "-c", str(WORKERS), "-j", "2", "-T", str(seconds), "-f", str(script),
                 "-h", socket_dir(), "-U", "postgres", PGBENCH_DB],
                capture_output=True, text=True, check=True)
        return float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))
    finally:
        drop_database(PGBENCH_DB)


def problems(r: dict) -> list[str]:
    """What the sanity checks found wrong with the placed orders (empty: all good)."""
    found = []
    if r["placed"] != r["orders"] or r["error_count"]:
        found.append(f"{r['orders'] - r['placed']} not placed, {r['error_count']} errors {r['errors'][:1]}")
    if set(r["statuses"]) != {"confirmed"}:
        found.append(f"statuses {r['statuses']}")
    if not r["prices_ok"]:
        found.append(f"prices {r['prices']} (expected {r['expected_prices']})")
    if not (r["reserved_lines"] == r["lines"] == r["ledger_reserved"] == 3 * r["placed"]):
        found.append(f"{r['lines']} lines, {r['reserved_lines']} reserved, ledger reserved +{r['ledger_reserved']}")
    if r["reserved_delta"] != r["ledger_reserved"]:
        found.append(f"stock levels reserved +{r['reserved_delta']}: somebody else placed orders on these SKUs "
                     "during the run (another benchmark on the same database?)")
    if not (r["payments"] == r["paid_in_full"] == r["placed"]):
        found.append(f"{r['payments']} authorized payments, {r['paid_in_full']} for the order total")
    if r["ledgers"] != "ok":
        found.append(f"ledgers: {r['ledgers']}")
    return found


def isolated_env() -> dict:
    """Environment for the measured processes: DEBUG off as deployed, and a Redis database of their own.

    Redis database 15 holds the sandbox gateway's card tokens (the test suites running beside a benchmark
    flush database 0, which made tokens vanish mid-run) and the outbox's Celery messages (so no worker of the
    dev database ever receives a task about a row of ``oms_bench``). The run empties it at the end.
    """
    from django.conf import settings

    url = settings.REDIS_URL
    if not url.startswith("unix://") or "?" in url:
        return {"DEBUG": "0"}
    socket = url.removeprefix("unix://")
    return {"DEBUG": "0", "REDIS_URL": f"{url}?db={REDIS_DB}",
            "CELERY_BROKER_URL": f"redis+socket://{socket}?virtual_host={REDIS_DB}"}


def run() -> list[Result]:
    r = run_inner("bench_orders", env=isolated_env(), orders=ORDERS, workers=WORKERS)
    tps = pgbench_tps(PGBENCH_SECONDS)
    rate = r["placed"] / r["seconds"]
    wrong = problems(r)
    subtotal, discount, tax, total = r["prices"][0] if r["prices"] else ("", "", "", "")
    return [Result(
        f"order_place, 3 lines, {WORKERS} worker processes, {LOCATIONS} locations", rate, "orders/s",
        reference=tps, reference_unit="pgbench tps",
        note=(f"{r['placed']}/{r['orders']} placed in {r['seconds']:.1f} s; p50 {r['p50_ms']:.0f} ms, "
              f"p95 {r['p95_ms']:.0f} ms; worker CPU {r['worker_cpu_ms']:.1f} ms/order; machine busy "
              f"{r['machine_busy_cores']:.2f} cores; total {total} (discount {discount}, tax {tax}); "
              f"statuses {r['statuses']}; reserved +{r['ledger_reserved']}; ledgers {r['ledgers']}; "
              + ("checks OK" if not wrong else "CHECKS FAILED: " + " | ".join(wrong))),
    )]
