"""Order placement throughput through ``order_place`` (3 lines, an automatic 10 % promotion, SP tax, sourcing
over 20 locations, sandbox card authorization) with 8 concurrent workers, vs two raw SQL references run by
pgbench with 8 clients (``-c 8 -j 2``), each on a throw-away database created and dropped here:

- the faithful reference (the main ratio), ``REAL_SCRIPT`` on the project's REAL schema (``pg_dump --schema-only``
  of ``oms_bench``: every table, index, constraint and foreign key). One pgbench transaction makes every write one
  placement makes, as captured from ``order_place`` with ``CaptureQueriesContext`` (21 statements: 3 allocations, the
  3 stock levels in one UPDATE, 3 ledger rows, the lines' status, each line's prices, the order's prices, the payment
  and its authorize transaction inserted and updated, 2 outbox rows, the channel's order counter, the order placed and
  confirmed with 2 events, the promotion's usage counter and its redemption), in the services' statement shapes, but
  in ONE transaction and without the reads (pricing and sourcing queries, the order's row locks) except the lock of
  the stock rows in id order, which keeps concurrent clients from deadlocking as it keeps the product. It updates
  existing drafts rather than inserting orders, because placing updates a draft made earlier (the benchmark makes its
  drafts before the clock too): the seed makes a pool of drafts with 3 lines each, and client ``c`` places drafts c+1,
  c+1+8, ... so each is placed once, like the workers taking the next draft. Afterwards that database is checked (one
  confirmed order, 3 reserved lines and ledger rows, a payment... per transaction);
- the floor, ``SCRIPT`` on a SIMPLIFIED schema (plain tables without the real indexes and constraints) with a
  subset of those writes (3 stock reservations with their ledger rows, the order number counter, a new order with
  3 lines, a payment, 2 events and an outbox row), kept for comparison with the earlier figures.

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
    BENCH_DB,
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
PGBENCH_REAL_DB = "oms_bench_pgbench_real"
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


ADDRESS = ('{"city": "São Paulo", "phone": "", "state": "SP", "number": "1000", "street": "Avenida Paulista", '
           '"country": "BR", "district": "Bela Vista", "recipient": "Bench customer", "address_id": 1, '
           '"complement": "", "postal_code": "01310-100"}')
SHIPPING_OPTIONS = ('[{"code": "svc-0", "name": "Service 0", "price": "15.00", "transit_days": 3, '
                    '"regular_price": "15.00", "reason": ""}]')

# Seed of the real-schema reference: the rows the placement's writes reference (user, channel, customer, 30 SKUs,
# 20 locations, 600 stock levels, the promotion) and ``{drafts}`` drafts as draft_create/draft_line_add/draft_update
# leave them. Ids are explicit so the script can name rows without reading them: stock level
# ``(location - 1) * skus + variant``, lines ``3 * (order - 1) + 1..3``. The three distinct SKUs of draft ``o`` come
# from a multiplicative hash of ``o`` that the script computes the same way, so the stock rows it reserves and the
# ledger rows it writes are those of the draft's lines (as in the benchmark: 3 of 30 SKUs at random).
REAL_SEED = """
INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                       date_joined) VALUES (1, '!', false, 'bench-orders', '', '', '', false, true, now());
INSERT INTO orders_channel (id, code, name, kind, order_prefix, price_list_code, sourcing_strategy, allow_oversell,
                            currency, last_order_number, is_active, language, notify_customers, card_installments_max,
                            card_installment_minimum)
  VALUES (1, 'bench-orders', 'Bench orders', 'phone', 'BO', '', 'first_available', false, 'BRL', 0, true, '', true, 1,
          0);
INSERT INTO orders_customer (id, kind, name, email, phone, phone_alt, tax_country, tax_id, group_code,
                             payment_terms_days, credit_limit, currency, marketing_consent, notes, is_active,
                             created_at, language)
  VALUES (1, 'person', 'Bench customer', 'bench@example.com', '+5511900000000', '', 'BR', '', '', 0, 0, 'BRL', false,
          '', true, now(), '');
INSERT INTO inventory_product (id, code, name, description, is_active, created_at, updated_at)
  VALUES (1, 'BO-STYLE', 'Bench order style', '', true, now(), now());
INSERT INTO inventory_variant (id, sku, barcode, name, attributes, weight_grams, length_mm, width_mm, height_mm, cost,
                               base_price, currency, tax_class, is_active, is_kit, visible_web, visible_store,
                               visible_catalogue, visible_marketplace, search_text, created_at, updated_at, product_id,
                               is_gift_card)
  SELECT v, 'BO-' || lpad((v - 1)::text, 3, '0'), '', 'Bench order item ' || (v - 1), '{{}}', 300, 0, 0, 0, 20,
         59.90, 'BRL', 'standard', true, false, true, true, true, false, 'bo-' || lpad((v - 1)::text, 3, '0'), now(),
         now(), 1, false
  FROM generate_series(1, {skus}) v;
INSERT INTO inventory_location (id, code, name, kind, address_line1, address_line2, city, state, postal_code, country,
                                latitude, longitude, phone, can_ship, can_pickup, handling_days, is_active)
  SELECT l, 'BO' || lpad((l - 1)::text, 2, '0'), 'Bench DC ' || (l - 1), 'dc', '', '', '', 'SP', '', 'BR',
         -23.5 + (l - 1) / 10.0, -46.6 - (l - 1) / 10.0, '', true, false, 1, true
  FROM generate_series(1, {locations}) l;
INSERT INTO inventory_stocklevel (id, on_hand, reserved, safety_stock, updated_at, location_id, variant_id)
  SELECT (l - 1) * {skus} + v, 100000000, 0, 0, now(), l, v
  FROM generate_series(1, {locations}) l, generate_series(1, {skus}) v;
INSERT INTO marketing_promotion (id, name, description, kind, currency, percent, tiers, shipping_services,
                                 channel_codes, customer_groups, requires_coupon, weekdays, priority, exclusive,
                                 times_used, is_active, created_at)
  VALUES (1, 'Bench 10 % off', '', 'order_percent', 'BRL', 10, '[]', '{{}}', '{{}}', '{{}}', false, '{{}}', 0, false, 0,
          true, now());
INSERT INTO orders_order (id, number, external_ref, idempotency_key, email, phone, billing_address, shipping_address,
                          delivery_method, status, currency, subtotal, discount_total, shipping_total, tax_total, total,
                          shipping_service, source_code, coupons, pricing_messages, order_discounts, payment_method,
                          card_fingerprint, priority, notes, tracking_token, cancel_reason, created_at, updated_at,
                          channel_id, created_by_id, customer_id, shipping_options, payment_installments)
  SELECT o, '', '', '', 'bench@example.com', '+5511900000000', '{address}', '{address}', 'ship', 'draft', 'BRL',
         179.70, 17.97, 15.00, 29.10, 205.83, 'svc-0', '', '[]', '[]', '[]', 'card', '', 1, '', md5('t' || o),
         '', now(), now(), 1, 1, 1, '{shipping}', 1
  FROM generate_series(1, {drafts}) o;
INSERT INTO orders_orderline (id, position, sku, name, quantity, list_price, unit_price, override_reason,
                              extra_unit_price, discount_total, discounts, tax_rate, tax_amount, line_total,
                              explanation, personalization, status, cancel_reason, order_id, variant_id)
  SELECT 3 * (o - 1) + k, k, 'BO-' || lpad(sku::text, 3, '0'), 'Bench order item ' || sku, 1, 59.90, 59.90, '', 0,
         5.99, '[]', 18, 9.70, 63.61, '[]', '{{}}', 'pending', '', o, sku + 1
  FROM (SELECT o, k, CASE k WHEN 1 THEN f WHEN 2 THEN (f + d1) % {skus}
                            ELSE (f + CASE WHEN d2 >= d1 THEN d2 + 1 ELSE d2 END) % {skus} END AS sku
        FROM (SELECT o, h % {skus} AS f, 1 + (h / {skus}) % ({skus} - 1) AS d1,
                     1 + (h / ({skus} * ({skus} - 1))) % ({skus} - 2) AS d2
              FROM (SELECT o, (o * 2654435761) % 4294967296 AS h FROM generate_series(1, {drafts}) o) hashed) picked,
             generate_series(1, 3) k) lines;
"""

# One pgbench transaction = every write of one placement, in the order ``order_place`` makes them (its 5 durable
# transactions: reserve and price, payment, authorize transaction, authorization, place and confirm) and in the
# statement shapes the services send (UNNEST bulk inserts, the stock levels' deltas joined from UNNEST, one price
# UPDATE a line, RETURNING ids; pgbench reads back the
# ids the next statements need with \gset, as the ORM does). Client ``c`` places drafts c+1, c+1+{workers}, ...:
# each draft is placed once, as in the benchmark, and no extra statement hands them out. All lines are reserved at
# location 1, as first-available sourcing does in the benchmark (every location has stock; BO00 comes first).
# Not here: the other reads (the order's row locks, pricing and sourcing queries, hold rules), savepoints and the 4
# extra commits.
# The product locks the stock rows in id order before it updates them, and so does the script (the one read it
# keeps): an UPDATE joined to ids sorted in a subquery locks the rows in whatever order the plan visits them, which
# after a few updates is not the id order (new row versions move), and concurrent clients then deadlock.
REAL_SCRIPT = """\\set o :k * {workers} + :client_id + 1
\\set k :k + 1
\\set h (:o * 2654435761) % 4294967296
\\set f :h % {skus}
\\set d1 1 + (:h / {skus}) % ({skus} - 1)
\\set d2 1 + (:h / ({skus} * ({skus} - 1))) % ({skus} - 2)
\\set e CASE WHEN :d2 >= :d1 THEN :d2 + 1 ELSE :d2 END
\\set v1 :f + 1
\\set v2 (:f + :d1) % {skus} + 1
\\set v3 (:f + :e) % {skus} + 1
\\set l1 3 * (:o - 1) + 1
\\set l2 :l1 + 1
\\set l3 :l1 + 2
BEGIN;
SELECT id FROM inventory_stocklevel WHERE id IN (:v1, :v2, :v3) ORDER BY id FOR UPDATE;
INSERT INTO orders_orderlineallocation (line_id, location_id, quantity)
  SELECT * FROM UNNEST(ARRAY[:l1, :l2, :l3]::bigint[], ARRAY[1, 1, 1]::bigint[], ARRAY[1, 1, 1]::integer[])
  RETURNING id;
UPDATE inventory_stocklevel AS level
  SET on_hand = level.on_hand + delta.on_hand, reserved = level.reserved + delta.reserved, updated_at = now()
  FROM unnest(ARRAY[:v1, :v2, :v3]::bigint[], ARRAY[0, 0, 0]::integer[], ARRAY[1, 1, 1]::integer[])
         AS delta (id, on_hand, reserved)
  WHERE level.id = delta.id;
INSERT INTO inventory_stockmovement (variant_id, location_id, on_hand_delta, reserved_delta, reason, reference, note,
                                     user_id, created_at)
  SELECT * FROM UNNEST(ARRAY[:v1, :v2, :v3]::bigint[], ARRAY[1, 1, 1]::bigint[], ARRAY[0, 0, 0]::integer[],
                       ARRAY[1, 1, 1]::integer[], ARRAY['reservation', 'reservation', 'reservation']::varchar[],
                       ARRAY['order:' || :o, 'order:' || :o, 'order:' || :o]::varchar[], ARRAY['', '', '']::varchar[],
                       ARRAY[1, 1, 1]::integer[], ARRAY[now(), now(), now()]::timestamptz[])
  RETURNING id;
UPDATE orders_orderline SET status = 'reserved' WHERE id IN (:l1, :l2, :l3);
UPDATE orders_orderline
  SET list_price = 59.90, unit_price = 59.90, discounts = '[]'::jsonb, discount_total = 5.99, tax_rate = 18.0000,
      tax_amount = 9.70, line_total = 63.61, explanation = '{explanation}'::jsonb
  WHERE id = :l1;
UPDATE orders_orderline
  SET list_price = 59.90, unit_price = 59.90, discounts = '[]'::jsonb, discount_total = 5.99, tax_rate = 18.0000,
      tax_amount = 9.70, line_total = 63.61, explanation = '{explanation}'::jsonb
  WHERE id = :l2;
UPDATE orders_orderline
  SET list_price = 59.90, unit_price = 59.90, discounts = '[]'::jsonb, discount_total = 5.99, tax_rate = 18.0000,
      tax_amount = 9.70, line_total = 63.61, explanation = '{explanation}'::jsonb
  WHERE id = :l3;
UPDATE orders_order
  SET idempotency_key = md5('k' || :o), subtotal = 179.70, discount_total = 17.97, shipping_total = 15.00,
      tax_total = 29.10, total = 205.83, source_code = '', campaign_id = NULL, pricing_messages = '[]'::jsonb,
      order_discounts = '[{{"promotion_id": 1, "name": "Bench 10 % off", "amount": "17.97",
                           "reason": {{"msgid": "%(percent)s%% off the order",
                                       "params": {{"percent": "10"}}}}}}]'::jsonb,
      shipping_options = '{shipping}'::jsonb, payment_method = 'card',
      card_fingerprint = 'visa:' || lpad((:o % 10000)::text, 4, '0') || ':10/2032', placing_started_at = now(),
      promised_date = current_date + 4, stock_held_until = now() + interval '10 minutes', updated_at = now()
  WHERE id = :o;
INSERT INTO payments_payment (order_id, method, status, currency, amount, captured_amount, refunded_amount,
                              idempotency_key, gateway, gateway_reference, token, card_brand, card_last4,
                              card_exp_month, card_exp_year, gift_card_id, instructions, decline_code, decline_message,
                              created_by_id, created_at, updated_at, installments)
  VALUES (:o, 'card', 'pending', 'BRL', 205.83, 0, 0, 'order:' || md5('k' || :o), 'sandbox', '', '', '', '', NULL,
          NULL, NULL, '{{}}'::jsonb, '', '', 1, now(), now(), 1)
  RETURNING id \\gset pay_
INSERT INTO payments_paymenttransaction (payment_id, kind, result, amount, idempotency_key, gateway_reference, code,
                                         message, reference, reason, journal_entry_id, created_by_id, created_at)
  VALUES (:pay_id, 'authorize', 'pending', 205.83, 'order:' || md5('k' || :o) || ':authorize', '', '', '', '', '',
          NULL, 1, now())
  RETURNING id \\gset txn_
UPDATE payments_paymenttransaction
  SET result = 'success', gateway_reference = 'auth_' || substr(md5('g' || :o), 1, 20), code = 'approved', message = ''
  WHERE id = :txn_id;
UPDATE payments_payment
  SET status = 'authorized', gateway_reference = 'auth_' || substr(md5('g' || :o), 1, 20),
      token = 'tok_' || substr(md5('c' || :o), 1, 24), card_brand = 'visa',
      card_last4 = lpad((:o % 10000)::text, 4, '0'),
      card_exp_month = 10, card_exp_year = 2032, decline_code = '', decline_message = '', updated_at = now()
  WHERE id = :pay_id;
INSERT INTO oms_outboxmessage (topic, payload, status, attempts, last_error, created_at, available_at, claimed_until,
                               done_at)
  VALUES ('payments.changed', '{{"payment_id": :pay_id, "order_id": :o, "method": "card", "previous": "pending",
                                "status": "authorized"}}'::jsonb, 'pending', 0, '', now(), now(), NULL, NULL)
  RETURNING id;
UPDATE orders_channel SET last_order_number = last_order_number + 1 WHERE id = 1 RETURNING last_order_number \\gset
UPDATE orders_order
  SET status = 'placed', updated_at = now(), number = 'BO-' || lpad(:last_order_number::text, 6, '0'),
      placed_at = now(), placed_by_id = 1, placing_started_at = NULL, stock_held_until = NULL
  WHERE id = :o;
INSERT INTO orders_orderevent (order_id, kind, from_status, to_status, actor_id, created_at, reason, data)
  VALUES (:o, 'status', 'draft', 'placed', 1, now(), '', '{{"payment_id": :pay_id, "payment_ids": [:pay_id]}}'::jsonb)
  RETURNING id;
UPDATE orders_order SET status = 'confirmed', updated_at = now() WHERE id = :o;
INSERT INTO orders_orderevent (order_id, kind, from_status, to_status, actor_id, created_at, reason, data)
  VALUES (:o, 'status', 'placed', 'confirmed', 1, now(), '', '{{}}'::jsonb)
  RETURNING id;
INSERT INTO oms_outboxmessage (topic, payload, status, attempts, last_error, created_at, available_at, claimed_until,
                               done_at)
  VALUES ('orders.channel_status', '{{"order_id": :o, "status": "confirmed", "channel": 1}}'::jsonb, 'pending', 0, '',
          now(), now(), NULL, NULL)
  RETURNING id;
UPDATE marketing_promotion SET times_used = times_used + 1
  WHERE (usage_limit IS NULL OR times_used < usage_limit) AND (ends_at IS NULL OR ends_at > now()) AND is_active
    AND id = 1;
INSERT INTO marketing_promotionredemption (promotion_id, coupon_id, order_reference, customer_id, amount, currency,
                                           source_code, campaign_id, created_at)
  VALUES (1, NULL, 'order:' || :o, 1, 17.97, 'BRL', '', NULL, now())
  RETURNING id;
COMMIT;
"""
# A line's pricing steps as placement stores them (stored texts with their amounts, see ``oms.i18n``).
EXPLANATION = ('[{"msgid": "Base price of the SKU: %(price)s", "params": {"price": {"money": "59.90", '
               '"currency": "BRL"}}}, {"msgid": "Share of order discounts: \\u2212%(amount)s", "params": {"amount": '
               '{"money": "5.99", "currency": "BRL"}}}, {"msgid": "Tax %(label)s %(rate)s%%: %(tax)s", "params": '
               '{"label": "ICMS bench", "rate": "18", "tax": {"money": "9.70", "currency": "BRL"}}}]')


def _pgbench(database: str, script: str, seconds: int, *defines: str) -> str:
    """Runs ``script`` with 8 clients on 2 threads for ``seconds`` against ``database``; returns pgbench's report."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "place.sql"
        path.write_text(script)
        done = subprocess.run(
            [str(PGBIN / "pgbench"), "-n", "-c", str(WORKERS), "-j", "2", "-T", str(seconds), "-f", str(path),
             *(f"-D{d}" for d in defines), "-h", socket_dir(), "-U", "postgres", database],
            capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"pgbench failed ({done.returncode}): {(done.stderr or done.stdout)[-1500:]}")
    return done.stdout


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
SELECT id FROM stock WHERE id IN (:a, :b, :c) ORDER BY id FOR UPDATE;
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
    """The floor: the simplified script on the simplified schema (plain tables, no real indexes or constraints)."""
    create_database(PGBENCH_DB, fresh=True)
    try:
        with admin_connect(PGBENCH_DB) as conn:
            conn.execute(SCHEMA.format(skus=SKUS, locations=LOCATIONS))
        out = _pgbench(PGBENCH_DB, SCRIPT.format(rows=SKUS * LOCATIONS), seconds)
        return float(re.search(r"tps = ([\d.]+)", out).group(1))
    finally:
        drop_database(PGBENCH_DB)


def pgbench_real(seconds: int, drafts: int) -> dict:
    """The faithful reference: every write of one placement (``REAL_SCRIPT``) on the project's real schema.

    The throw-away database gets the schema of ``BENCH_DB`` (migrated by ``run_inner`` just before) through
    ``pg_dump --schema-only``: the real tables, indexes, constraints and foreign keys. ``drafts`` drafts are seeded
    (the caller sizes the pool from the simplified rate; a run that outgrew it fails on the lines' foreign key and is
    reported, never counted). Afterwards the database is checked: one confirmed order, 3 allocations, 3 ledger rows
    naming the lines' SKUs, one authorized payment and one redemption per pgbench transaction. Returns tps,
    transactions, drafts, and ``problems`` (empty: all good).
    """
    create_database(PGBENCH_REAL_DB, fresh=True)
    try:
        schema = subprocess.run(
            [str(PGBIN / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges", "-h", socket_dir(),
             "-U", "postgres", BENCH_DB], capture_output=True, text=True, check=True).stdout
        subprocess.run([str(PGBIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", socket_dir(), "-U", "postgres",
                        "-d", PGBENCH_REAL_DB], input=schema, capture_output=True, text=True, check=True)
        with admin_connect(PGBENCH_REAL_DB) as conn:
            conn.execute(REAL_SEED.format(skus=SKUS, locations=LOCATIONS, drafts=drafts, address=ADDRESS,
                                          shipping=SHIPPING_OPTIONS))
            conn.execute("VACUUM ANALYZE")
        out = _pgbench(PGBENCH_REAL_DB, REAL_SCRIPT.format(workers=WORKERS, skus=SKUS, explanation=EXPLANATION,
                                                           shipping=SHIPPING_OPTIONS), seconds, "k=0")
        tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
        done = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
        failed = re.search(r"number of failed transactions: (\d+)", out)
        failed = int(failed.group(1)) if failed else 0  # a deadlock or serialization failure costs a second
        with admin_connect(PGBENCH_REAL_DB) as conn:
            found = conn.execute("""
                SELECT (SELECT count(*) FROM orders_order WHERE status = 'confirmed' AND number <> ''),
                       (SELECT count(*) FROM orders_orderline WHERE status = 'reserved'),
                       (SELECT count(*) FROM orders_orderlineallocation a JOIN orders_orderline l ON l.id = a.line_id
                          JOIN inventory_stockmovement m ON m.reference = 'order:' || l.order_id
                                                         AND m.variant_id = l.variant_id),
                       (SELECT sum(reserved) FROM inventory_stocklevel),
                       (SELECT count(*) FROM payments_payment WHERE status = 'authorized'),
                       (SELECT count(*) FROM orders_orderevent),
                       (SELECT count(*) FROM oms_outboxmessage),
                       (SELECT count(*) FROM marketing_promotionredemption),
                       (SELECT times_used FROM marketing_promotion),
                       (SELECT last_order_number FROM orders_channel)""").fetchone()
        expected = (done, 3 * done, 3 * done, 3 * done, done, 2 * done, 2 * done, done, done, done)
        names = ("confirmed orders", "reserved lines", "allocations matching a ledger row of the line's SKU",
                 "reserved units", "authorized payments", "events", "outbox rows", "redemptions",
                 "promotion uses", "order numbers")
        wrong = [f"{name} {got} (expected {want})" for name, got, want in zip(names, found, expected, strict=True)
                 if got != want]
        if failed:
            wrong.append(f"{failed} pgbench transactions failed (deadlocks?)")
        return {"tps": tps, "transactions": done, "drafts": drafts, "problems": wrong}
    finally:
        drop_database(PGBENCH_REAL_DB)


def references(seconds: int) -> dict:
    """Both pgbench references, one after the other (the simplified first: it sizes the real one's draft pool).

    Returns ``simplified`` (tps), ``real`` (tps, or None if that run failed), ``real_note`` (for the report).
    """
    simplified = pgbench_tps(seconds)
    drafts = max(10_000, int(simplified * seconds * 1.5))
    try:
        real = pgbench_real(seconds, drafts)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        return {"simplified": simplified, "real": None,
                "real_note": f"real-schema pgbench FAILED ({drafts} drafts; a foreign key error on the lines means "
                             f"the pool ran out): {detail[-300:]}"}
    checks = "checks OK" if not real["problems"] else "CHECKS FAILED: " + "; ".join(real["problems"])
    return {"simplified": simplified, "real": real["tps"],
            "real_note": f"real-schema pgbench {real['transactions']} placements from {drafts} drafts, {checks}"}


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
    refs = references(PGBENCH_SECONDS)
    rate = r["placed"] / r["seconds"]
    wrong = problems(r)
    subtotal, discount, tax, total = r["prices"][0] if r["prices"] else ("", "", "", "")
    name = f"order_place, 3 lines, {WORKERS} worker processes, {LOCATIONS} locations"
    real = f"{rate / refs['real']:.3f} of the real-schema reference; " if refs["real"] else ""
    simplified = f"{rate / refs['simplified']:.3f} of simplified-schema pgbench {refs['simplified']:.0f} tps"
    return [
        Result(
            name, rate, "orders/s", reference=refs["real"], reference_unit="real-schema pgbench tps",
            note=(f"{real}{refs['real_note']}; {simplified}; "
                  f"{r['placed']}/{r['orders']} placed in {r['seconds']:.1f} s; p50 {r['p50_ms']:.0f} ms, "
                  f"p95 {r['p95_ms']:.0f} ms; worker CPU {r['worker_cpu_ms']:.1f} ms/order; machine busy "
                  f"{r['machine_busy_cores']:.2f} cores; total {total} (discount {discount}, tax {tax}); "
                  f"statuses {r['statuses']}; reserved +{r['ledger_reserved']}; ledgers {r['ledgers']}; "
                  + ("checks OK" if not wrong else "CHECKS FAILED: " + " | ".join(wrong))),
        ),
        Result(
            f"{name} (vs the simplified floor)", rate, "orders/s", reference=refs["simplified"],
            reference_unit="simplified-schema pgbench tps",
            note="pgbench on plain tables without the real indexes and constraints, a subset of the writes",
        ),
    ]
