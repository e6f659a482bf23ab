"""Stock import throughput (validate + COPY apply with ledger movements) and SKU search at scale.

Everything runs inside one transaction that is rolled back, so the database is left as it was.
Rows: ``BENCH_INVENTORY_ROWS`` (default 100,000 SKUs x 1 location).
"""

import os
import time

from django.db import transaction

from bench.run import Result

ROWS = int(os.environ.get("BENCH_INVENTORY_ROWS", "100000"))


class _Rollback(Exception):
    pass


def run() -> list[Result]:
    from inventory.imports import KINDS, apply, read_rows, validate
    from inventory.models import Location, Product, Variant
    from inventory.selectors import variant_search
    from inventory.services import ledger_drift, variant_refresh_search_text

    results: list[Result] = []
    try:
        with transaction.atomic():
            Location.objects.create(code="BENCH-LOC", name="Bench")
            product = Product.objects.create(code="BENCH-STYLE", name="Bench style")
            Variant.objects.bulk_create(
                [Variant(product=product, sku=f"BENCH-{n:07d}", name=f"Bench item {n}", barcode=f"99{n:011d}")
                 for n in range(ROWS)], batch_size=5000)
            variant_refresh_search_text(product_ids=[product.pk])
            csv = "sku,location,on_hand,safety_stock\n" + "".join(
                f"BENCH-{n:07d},BENCH-LOC,{n % 97 + 1},{n % 3}\n" for n in range(ROWS))
            for label in ("insert", "update"):
                started = time.perf_counter()
                rows = read_rows(csv.encode(), "bench.csv")
                checked = validate(KINDS["stock"], rows)
                assert not checked.errors, checked.errors[:3]
                apply(KINDS["stock"], checked.rows, acting_user=None, reference=f"bench:{label}")
                elapsed = time.perf_counter() - started
                results.append(Result(f"stock import {label} ({ROWS} rows)", ROWS / elapsed, "rows/s",
                                      note=f"{elapsed:.1f} s incl. parse, validation, COPY, ledger"))
                csv = csv.replace(",BENCH-LOC,", ",BENCH-LOC,1") if label == "insert" else csv
            started = time.perf_counter()
            drift = ledger_drift()
            results.append(Result("verify_ledgers", (time.perf_counter() - started) * 1000, "ms",
                                  note=f"{len(drift)} drifted"))
            for query in ("BENCH-0054321", "item 4321", "9900000054321"):
                timings = []
                for _ in range(5):
                    started = time.perf_counter()
                    variant_search(query=query, limit=20)
                    timings.append((time.perf_counter() - started) * 1000)
                results.append(Result(f"variant_search {query!r} over {ROWS} SKUs", min(timings), "ms"))
            raise _Rollback
    except _Rollback:
        pass
    return results
