"""Order placement throughput through ``order_place`` (3 lines, an automatic 10 % promotion, SP tax, sourcing
over 20 locations, sandbox card authorization) with 8 concurrent workers, vs the raw SQL floor: a pgbench
script doing the same kind of writes per order (3 stock reservations with their ledger rows, the order
number counter, the order, 3 lines, a payment, 2 events and an outbox row) in one transaction, on a
throw-away database created and dropped here.

The ORM side runs in the separate ``oms_bench`` database (bench/data.py). Drafts are built before the clock
starts; only ``order_place`` is timed. Scale: ``BENCH_ORDERS`` (default 400), ``BENCH_PGBENCH_SECONDS`` (15).
"""

import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.data import PGBIN, admin_connect, create_database, drop_database, env_int, run_inner, socket_dir
from bench.run import Result

ORDERS = env_int("BENCH_ORDERS", 400)
WORKERS = 8
LOCATIONS = 20
SKUS = 30
PGBENCH_SECONDS = env_int("BENCH_PGBENCH_SECONDS", 15)
PGBENCH_DB = "oms_bench_pgbench"


def _world():
    from decimal import Decimal

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
        ShippingRateFactory(price=Decimal("15.00"))
        AddressFactory(customer__name="Bench customer", customer__email="bench@example.com")
    locations = list(Location.objects.filter(code__startswith="BO").order_by("code"))
    variants = list(Variant.objects.filter(sku__startswith="BO-").order_by("sku"))
    low = [(v.pk, loc.pk) for v in variants for loc in locations
           if not StockLevel.objects.filter(variant=v, location=loc, on_hand__gte=10_000).exists()]
    if low:
        stock_receive(lines=[StockLine(v, loc, 100_000) for v, loc in low], reference="bench", acting_user=None)
    return channel, variants


def inner(orders: int, workers: int) -> dict:
    import random
    import uuid

    from django.contrib.auth import get_user_model
    from django.db import connection

    from marketing.models import CarrierService
    from orders.models import Customer, Order
    from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place
    from payments.gateway import get_gateway

    channel, variants = _world()
    user, _ = get_user_model().objects.get_or_create(username="bench-orders")
    customer = Customer.objects.filter(email="bench@example.com").first()
    service = CarrierService.objects.order_by("pk").first().code
    rng = random.Random(5)
    drafts = []
    for _ in range(orders):
        draft = draft_create(channel_id=channel.pk, acting_user=user, customer_id=customer.pk)
        for variant in rng.sample(variants, 3):
            draft_line_add(order_id=draft.pk, variant_id=variant.pk, quantity=1, acting_user=user)
        draft_update(order_id=draft.pk, acting_user=user, payment_method="card", shipping_service=service)
        drafts.append(draft.pk)
    gateway = get_gateway("sandbox")
    queue = list(drafts)
    lock = threading.Lock()
    errors: list[str] = []

    def worker():
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    order_id = queue.pop()
                token = gateway.tokenize(number="4242424242424242", exp_month=12, exp_year=2030, cvc="123")
                payment = PaymentRequest(method="card", token=token.token, details={
                    "brand": token.brand, "last4": token.last4, "exp_month": token.exp_month,
                    "exp_year": token.exp_year})
                try:
                    order_place(order_id=order_id, idempotency_key=uuid.uuid4().hex, acting_user=user,
                                payment=payment)
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    placed = Order.objects.filter(pk__in=drafts).exclude(status=Order.Status.DRAFT)
    sample = placed.first()
    return {"orders": orders, "placed": placed.count(), "seconds": elapsed, "errors": errors[:3],
            "error_count": len(errors), "discount": str(sample.discount_total) if sample else "",
            "tax": str(sample.tax_total) if sample else "",
            "statuses": sorted(set(placed.values_list("status", flat=True)))}


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


def run() -> list[Result]:
    r = run_inner("bench_orders", orders=ORDERS, workers=WORKERS)
    tps = pgbench_tps(PGBENCH_SECONDS)
    rate = r["placed"] / r["seconds"]
    return [Result(
        f"order_place, 3 lines, {WORKERS} workers, {LOCATIONS} locations", rate, "orders/s",
        reference=tps, reference_unit="pgbench tps",
        note=(f"{r['placed']}/{r['orders']} placed in {r['seconds']:.1f} s, {r['error_count']} errors "
              f"{r['errors'][:1]}; discount {r['discount']}, tax {r['tax']}; statuses {r['statuses']}"),
    )]
