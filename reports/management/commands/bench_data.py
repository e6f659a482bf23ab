"""Generates N placed orders (about 3 lines each) spread over the past year, for benchmarks.

    manage.py bench_data --orders 20000 [--days 365] [--refresh]

Uses ``bulk_create`` in batches (ids come back from PostgreSQL in the same statement), so a million
orders take minutes, not hours. Orders are written directly, not through ``order_place``: this is
synthetic load for measuring reads, never business data. It reuses the existing channels, SKUs and
customers, adding a small bench catalogue / customer base (``BENCH-`` codes) when there are too few.
Running it again adds N more orders.
"""

import random
import time
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

BATCH = 5000
STATUS_WEIGHTS = [("completed", 55), ("delivered", 15), ("shipped", 8), ("cancelled", 6), ("allocated", 5),
                  ("confirmed", 4), ("placed", 3), ("on_hold", 2), ("returned", 2)]
STATES = ["SP", "SP", "SP", "RJ", "RJ", "MG", "PR", "RS", "BA", "SC", "PE", "CE", "DF", "GO"]


class Command(BaseCommand):
    help = "Generates N synthetic orders with lines for benchmarks (bulk inserts in batches)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=10000)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--lines", type=float, default=3.0, help="Average lines per order.")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--refresh", action="store_true", help="Rebuild the report rollups afterwards.")

    def handle(self, *args, **options):
        from orders.models import Order, OrderLine

        rng = random.Random(options["seed"])
        channels, variants, customers, agents = self._world(rng)
        started = time.perf_counter()
        now = timezone.now()
        statuses = [s for s, _w in STATUS_WEIGHTS]
        weights = [w for _s, w in STATUS_WEIGHTS]
        existing = Order.objects.filter(number__startswith="BN").count()
        total, made_lines = options["orders"], 0
        avg_lines = max(options["lines"], 1.0)
        for offset in range(0, total, BATCH):
            size = min(BATCH, total - offset)
            orders, plans = [], []
            for i in range(size):
                seq = existing + offset + i + 1
                # More orders recently and on weekdays: a gentle trend and weekly pattern for forecasts.
                age = min(int(rng.triangular(0, options["days"], 0)), options["days"] - 1)
                placed_at = now - timedelta(days=age, seconds=rng.randrange(86400))
                if placed_at.weekday() >= 5 and rng.random() < 0.3:
                    placed_at -= timedelta(days=2)
                n_lines = max(1, min(8, int(rng.expovariate(1 / avg_lines)) + 1))
                picks = [(variants[int(rng.paretovariate(1.2)) % len(variants)], rng.choice((1, 1, 1, 2, 3)))
                         for _ in range(n_lines)]
                subtotal = sum((price * qty for (_vid, _sku, price), qty in picks), Decimal("0"))
                discount = (subtotal * Decimal("0.1")).quantize(Decimal("0.01")) if rng.random() < 0.2 else Decimal(0)
                shipping = Decimal("19.90") if subtotal < 200 else Decimal("0")
                channel = rng.choice(channels)
                status = rng.choices(statuses, weights)[0]
                orders.append(Order(
                    number=f"BN{seq:08d}", channel_id=channel, customer_id=rng.choice(customers), status=status,
                    currency="BRL", subtotal=subtotal, discount_total=discount, shipping_total=shipping,
                    tax_total=(subtotal * Decimal("0.18")).quantize(Decimal("0.01")),
                    total=subtotal - discount + shipping, placed_at=placed_at, placed_by_id=rng.choice(agents),
                    promised_date=(placed_at + timedelta(days=rng.randint(2, 7))).date(),
                    shipping_address={"state": rng.choice(STATES), "country": "BR"},
                    source_code=rng.choice(["", "", "TV01", "RADIO2", "CAT25", "EMAIL7"]),
                ))
                plans.append(picks)
            with transaction.atomic():
                Order.objects.bulk_create(orders, batch_size=BATCH)
                lines = []
                for order, picks in zip(orders, plans, strict=True):
                    for position, ((vid, sku, price), qty) in enumerate(picks, start=1):
                        lines.append(OrderLine(
                            order_id=order.pk, position=position, variant_id=vid, sku=sku, name=sku, quantity=qty,
                            list_price=price, unit_price=price, line_total=price * qty,
                            status="cancelled" if order.status == "cancelled" else "delivered",
                        ))
                OrderLine.objects.bulk_create(lines, batch_size=BATCH)
                made_lines += len(lines)
            done = offset + size
            if done % 50000 < BATCH or done == total:
                self.stdout.write(f"  {done} orders, {made_lines} lines ({time.perf_counter() - started:.0f} s)")
        self.stdout.write(self.style.SUCCESS(
            f"Created {total} orders and {made_lines} lines in {time.perf_counter() - started:.1f} s"))
        refunded = self._refunded_returns()
        self.stdout.write(f"{refunded} bench orders have a refunded return")
        if options["refresh"]:
            from reports.rollups import refresh_rollups

            t0 = time.perf_counter()
            result = refresh_rollups(full=True)
            self.stdout.write(f"Rollups rebuilt in {time.perf_counter() - t0:.1f} s: {result}")

    def _refunded_returns(self) -> int:
        """A refunded return of every line for each returned bench order that has none, refunded 3 to 12 days after
        it was placed (never in the future), so the reports' returns and net revenue read real rows at scale."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("""
                WITH made AS (
                    INSERT INTO orders_return (order_id, status, note, refund_amount, refund_method, created_at,
                                               approved_at, received_at, inspected_at, closed_at)
                    SELECT o.id, 'refunded', '', o.total, 'original', o.placed_at + interval '2 days',
                           o.placed_at + interval '2 days', closed, closed, closed
                    FROM orders_order o
                    CROSS JOIN LATERAL (SELECT LEAST(now(), o.placed_at
                                        + make_interval(days => 3 + (o.id % 10)::int)) AS closed) c
                    WHERE left(o.number, 2) = 'BN' AND o.status = 'returned'
                      AND NOT EXISTS (SELECT 1 FROM orders_return r WHERE r.order_id = o.id)
                    RETURNING id, order_id)
                INSERT INTO orders_returnline (rma_id, order_line_id, quantity, reason, condition, restocked_quantity)
                SELECT made.id, l.id, l.quantity, 'changed_mind', 'resell', l.quantity
                FROM made JOIN orders_orderline l ON l.order_id = made.order_id""")
            cursor.execute("SELECT count(*) FROM orders_return r JOIN orders_order o ON o.id = r.order_id "
                           "WHERE left(o.number, 2) = 'BN'")
            return cursor.fetchone()[0]

    def _world(self, rng):
        """Ids of channels, (variant id, sku, price) triples, customers and agents, creating bench ones if few."""
        from django.contrib.auth import get_user_model

        from inventory.models import Brand, Category, Product, Variant
        from orders.models import Channel, Customer

        if not Channel.objects.exists():
            Channel.objects.bulk_create([
                Channel(code=f"bench-{k}", name=f"Bench {k}", kind=k, order_prefix=f"B{i}")
                for i, k in enumerate(["web", "phone", "marketplace", "pos"])])
        if Variant.objects.filter(is_active=True).count() < 50:
            brands = Brand.objects.bulk_create([Brand(name=f"BENCH Brand {i}", slug=f"bench-brand-{i}-{rng.random()}")
                                                for i in range(8)])
            cats = Category.objects.bulk_create([Category(name=f"BENCH Category {i} {rng.random():.6f}",
                                                          slug=f"bench-cat-{i}-{rng.random()}") for i in range(12)])
            tag = rng.randrange(10**6)
            products = Product.objects.bulk_create([
                Product(code=f"BENCH-{tag}-{i}", name=f"Bench product {i}", brand=brands[i % 8], category=cats[i % 12])
                for i in range(200)])
            Variant.objects.bulk_create([
                Variant(product=p, sku=f"BENCH-{tag}-{p.pk}-{s}", name=f"{p.name} {s}", cost=Decimal(10 + i % 90),
                        base_price=Decimal(25 + i % 200), currency="BRL")
                for i, p in enumerate(products) for s in ("P", "M", "G")])
        if Customer.objects.count() < 1000:
            Customer.objects.bulk_create([Customer(name=f"Bench customer {rng.randrange(10**9)}")
                                          for _ in range(5000)], batch_size=BATCH)
        User = get_user_model()
        agents = list(User.objects.filter(is_active=True).values_list("pk", flat=True)[:20]) or [None]
        variants = [(pk, sku, price or Decimal("10")) for pk, sku, price in
                    Variant.objects.filter(is_active=True, is_kit=False).values_list("pk", "sku", "base_price")]
        customers = list(Customer.objects.values_list("pk", flat=True)[:100000])
        channels = list(Channel.objects.values_list("pk", flat=True))
        return channels, variants, customers, agents
