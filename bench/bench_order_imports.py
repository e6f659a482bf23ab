"""Channel ORDER import throughput: a generic-CSV file (``orders/channels/importers.py``) of orders with 1-4 lines
each, run as an import job (``import_job_create`` + ``import_job_run``, in this process as the worker would:
parse, validate, find or create the customer, place each order through the orders services with its stock
reservation and ledger rows, the error queue rows and the job counters) vs PostgreSQL ``COPY`` of the same CSV
bytes into a scratch table with the same columns: file rows (order lines) per second, as a ratio.

Data lives in ``oms_bench_imports`` (``BENCH_IMPORTS_DB``). Scale: ``BENCH_ORDER_IMPORT_ROWS`` file rows
(default 1,000, about 400 orders, under a minute on a quiet machine; the issue's full scale is 100,000 rows =
40,000 orders, see docs/benchmarks.md for how long that takes), ``BENCH_ORDER_IMPORT_SKUS`` (default 1,000)
stocked at 5 locations. Every run uses new external ids, so the orders are really created; after the job the
run checks the counts and that the stock ledger of every SKU it touched sums to its levels.
"""

import os
import random
import time

from bench.data import env_int, run_inner
from bench.run import Result

ROWS = env_int("BENCH_ORDER_IMPORT_ROWS", 1_000)
SKUS = env_int("BENCH_ORDER_IMPORT_SKUS", 1_000)
DATABASE = os.environ.get("BENCH_IMPORTS_DB", "oms_bench_imports")
LOCATIONS = 5
HEADER = ("order_id,order_date,status,currency,customer_name,customer_email,customer_phone,customer_tax_id,"
          "ship_street,ship_number,ship_complement,ship_district,ship_city,ship_state,ship_postal_code,ship_country,"
          "sku,quantity,unit_price,shipping_method,shipping_total,discount_total,tax_total,order_total,"
          "payment_method,payment_amount,payment_reference,source_code")
CITIES = [("São Paulo", "SP", "01310-100"), ("Rio de Janeiro", "RJ", "20040-002"), ("Curitiba", "PR", "80010-000"),
          ("Belo Horizonte", "MG", "30130-010"), ("Recife", "PE", "50030-230"), ("Porto Alegre", "RS", "90010-190")]


def _setup(skus: int):
    from decimal import Decimal

    from inventory.models import Location, Product, Variant
    from inventory.services import StockLine, stock_receive
    from orders.models import Channel

    channel, _ = Channel.objects.get_or_create(code="bench-import", defaults={
        "name": "Bench import shop", "kind": Channel.Kind.WEB, "order_prefix": "BIM", "currency": "BRL"})
    if Location.objects.filter(code__startswith="BO-L").count() < LOCATIONS:
        for n in range(LOCATIONS):
            Location.objects.get_or_create(code=f"BO-L{n}", defaults={"name": f"Bench DC {n}", "kind": "dc",
                                                                       "state": "SP", "can_ship": True})
    have = Variant.objects.filter(sku__startswith="BO-").count()
    if have < skus:
        product, _ = Product.objects.get_or_create(code="BO-STYLE", defaults={"name": "Bench order import style"})
        Variant.objects.bulk_create(
            [Variant(product=product, sku=f"BO-{n:05d}", name=f"Bench item {n}", base_price=Decimal("50.00"),
                     cost=Decimal("20.00"), search_text=f"bo-{n:05d}") for n in range(have, skus)], batch_size=5000)
        locations = list(Location.objects.filter(code__startswith="BO-L").values_list("pk", flat=True))
        new = Variant.objects.filter(sku__startswith="BO-").order_by("pk").values_list("pk", flat=True)[have:]
        stock_receive(lines=[StockLine(v, loc, 1_000_000) for v in new for loc in locations],
                      reference="bench:order-import", acting_user=None)
    return channel


def _file(rows: int, skus: int, tag: str) -> tuple[bytes, int]:
    """``rows`` CSV rows in orders of 1-4 lines (2.5 on average); 1 customer in 4 orders again."""
    rng = random.Random(7)
    out, n, order = [HEADER], 0, 0
    while n < rows:
        count = min(rng.randint(1, 4), rows - n)
        customer = rng.randrange(max(rows // 10, 1))
        city, state, postal = CITIES[customer % len(CITIES)]
        lines = [(f"BO-{rng.randrange(skus):05d}", rng.randint(1, 3), _price(rng.randrange(1990, 19990)))
                 for _ in range(count)]
        subtotal = sum(q * int(p.replace(".", "")) for _s, q, p in lines)
        total = f"{(subtotal + 1500) // 100}.{(subtotal + 1500) % 100:02d}"
        for i, (sku, qty, price) in enumerate(lines):
            if i == 0:
                out.append(f"{tag}-{order},2026-11-23,paid,BRL,Cliente {customer},cliente{customer}@example.com,"
                           f"+55119{customer:08d},,Rua das Flores,{customer % 900 + 1},,Centro,{city},{state},{postal},"
                           f"BR,{sku},{qty},{price},,15.00,0,0,{total},credit_card,{total},AUTH-{order},")
            else:
                out.append(f"{tag}-{order},,,,,,,,,,,,,,,,{sku},{qty},{price},,,,,,,,,")
        n += count
        order += 1
    return ("\n".join(out) + "\n").encode(), order


def _price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def inner(rows: int, skus: int) -> dict:
    from django.db import connection, transaction
    from django.db.models import Sum

    from inventory.models import StockLevel, StockMovement
    from orders.channels import imports
    from orders.channels.models import ImportRow
    from orders.models import Order, OrderLine

    channel = _setup(skus)
    tag = f"R{int(time.time())}"
    content, orders = _file(rows, skus, tag)
    last_movement = StockMovement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    imports.send_job = lambda job_id: True  # the job runs right here, not on a worker
    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        job = imports.import_job_create(channel_id=channel.pk, fmt="generic_csv", content=content,
                                        file_name=f"{tag}.csv", acting_user=None)
        job = imports.import_job_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    assert (job.status, job.created_count, job.rejected_count) == ("done", orders, 0), (
        job.status, job.created_count, job.rejected_count, list(job.rows.exclude(status="created")
                                                                .values_list("error", flat=True)[:3]))
    placed = Order.objects.filter(channel=channel, external_ref__startswith=f"{tag}-").exclude(number="")
    lines = OrderLine.objects.filter(order__in=placed)
    assert placed.count() == orders and lines.count() == rows
    assert ImportRow.objects.filter(job=job, status="created").count() == orders
    touched = set(lines.values_list("variant_id", flat=True))
    # the ledger of every touched level sums to the level
    levels = {(v, loc): (h, r) for v, loc, h, r in StockLevel.objects.filter(variant_id__in=touched).values_list(
        "variant_id", "location_id", "on_hand", "reserved")}
    sums = {(v, loc): (h or 0, r or 0) for v, loc, h, r in StockMovement.objects.filter(variant_id__in=touched)
            .values_list("variant_id", "location_id").annotate(h=Sum("on_hand_delta"), r=Sum("reserved_delta"))}
    assert levels == sums, "ledger does not match the levels"
    movements = StockMovement.objects.filter(pk__gt=last_movement, variant_id__in=touched).count()
    with transaction.atomic(), connection.cursor() as cursor:
        columns = ", ".join(f"{c} text" for c in HEADER.split(",")[:-12]) + (
            ", sku varchar(64), quantity integer, unit_price numeric(18,4), shipping_method text, "
            "shipping_total numeric(18,4), discount_total numeric(18,4), tax_total numeric(18,4), "
            "order_total numeric(18,4), payment_method text, payment_amount numeric(18,4), payment_reference text, "
            "source_code text")
        cursor.execute(f"CREATE TEMP TABLE bench_order_copy ({columns}) ON COMMIT DROP")
        t0 = time.perf_counter()
        with cursor.cursor.copy("COPY bench_order_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(content)
        copy_seconds = time.perf_counter() - t0
        cursor.execute("SELECT count(*) FROM bench_order_copy")
        assert cursor.fetchone()[0] == rows
    return {"rows": rows, "orders": orders, "seconds": seconds, "copy": copy_seconds, "movements": movements,
            "skus_touched": len(touched), "queries_per_order": statements[0] / orders}


def run() -> list[Result]:
    r = run_inner("bench_order_imports", database=DATABASE, rows=ROWS, skus=SKUS)
    return [Result(
        f"order import, generic CSV ({r['rows']} rows, {r['orders']} orders)", r["rows"] / r["seconds"], "rows/s",
        reference=r["rows"] / r["copy"], reference_unit="COPY rows/s",
        note=(f"ratio {r['copy'] / r['seconds']:.1e}; {r['orders'] / r['seconds']:.1f} orders/s; "
              f"job {r['seconds']:.1f} s vs COPY {r['copy']:.3f} s; {r['queries_per_order']:.0f} queries per order; "
              f"{r['movements']} ledger rows, ledger checked on {r['skus_touched']} SKUs"),
    )]
