"""Stock import throughput (the screen's path: parse, validate, apply with COPY + ledger movements) vs
PostgreSQL ``COPY`` of the same CSV bytes into a table of the same columns: rows/second, as a ratio.

Runs in ``oms_bench_imports`` (``BENCH_IMPORTS_DB``, shared with bench_order_imports), not in ``oms_bench``.
Scale: ``BENCH_IMPORT_ROWS`` (default 100000, about a minute for both loads). The note splits the time into
parsing, validation and applying. The order import is bench/bench_order_imports.py.
"""

import os
import time

from bench.data import env_int, run_inner
from bench.run import Result

ROWS = env_int("BENCH_IMPORT_ROWS", 100_000)
DATABASE = os.environ.get("BENCH_IMPORTS_DB", "oms_bench_imports")


def inner(rows: int) -> dict:
    from django.db import connection, transaction

    from inventory.imports import KINDS, apply, read_rows, validate
    from inventory.models import Location, Product, Variant

    location, _ = Location.objects.get_or_create(code="BI-LOC", defaults={"name": "Bench import"})
    have = Variant.objects.filter(sku__startswith="BI-").count()
    if have < rows:
        product, _ = Product.objects.get_or_create(code="BI-STYLE", defaults={"name": "Bench import style"})
        Variant.objects.bulk_create(
            [Variant(product=product, sku=f"BI-{n:07d}", name=f"Bench import {n}", search_text=f"bi-{n:07d}")
             for n in range(have, rows)], batch_size=5000)
    results = {}
    for label, shift in (("first", 1), ("second", 2)):
        csv = ("sku,location,on_hand,safety_stock\n"
               + "".join(f"BI-{n:07d},BI-LOC,{n % 97 + shift},{n % 3}\n" for n in range(rows))).encode()
        started = time.perf_counter()
        parsed = read_rows(csv, "bench.csv")
        parsed_at = time.perf_counter()
        checked = validate(KINDS["stock"], parsed)
        assert not checked.errors, checked.errors[:3]
        checked_at = time.perf_counter()
        apply(KINDS["stock"], checked.rows, acting_user=None, reference=f"bench:{label}")
        results[f"import_{label}"] = time.perf_counter() - started
        results[f"phases_{label}"] = [parsed_at - started, checked_at - parsed_at, time.perf_counter() - checked_at]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_copy (sku varchar(64), location varchar(20), on_hand integer, "
                       "safety_stock integer) ON COMMIT DROP")
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(csv)
        results["copy"] = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_copy")
        assert cursor.fetchone()[0] == rows
    results["rows"] = rows
    return results


def run() -> list[Result]:
    r = run_inner("bench_imports", database=DATABASE, rows=ROWS)
    copy_rate = r["rows"] / r["copy"]
    return [
        Result(f"stock import {label} load ({r['rows']} rows)", r["rows"] / r[f"import_{label}"], "rows/s",
               reference=copy_rate, reference_unit="COPY rows/s",
               note=(f"{r[f'import_{label}']:.1f} s (parse {r[f'phases_{label}'][0]:.1f} + validate "
                     f"{r[f'phases_{label}'][1]:.1f} + apply {r[f'phases_{label}'][2]:.1f}) vs COPY {r['copy']:.2f} s"))
        for label in ("first", "second")
    ]
