"""SKU search on the phone screen at 100,000 SKUs x 50 locations: p95 server time of the view (Django test
client, whole request: middleware, session, search, availability, template) vs the bare SQL of the same
search (the selector's statements run straight on a cursor).

Data lives in the separate ``oms_bench`` database (see bench/data.py) and is kept between runs.
Scale: ``BENCH_SEARCH_SKUS`` (default 100000), ``BENCH_SEARCH_LOCATIONS`` (default 50).
"""

import random
import time

from bench.data import env_int, percentile, run_inner
from bench.run import Result

SKUS = env_int("BENCH_SEARCH_SKUS", 100_000)
LOCATIONS = env_int("BENCH_SEARCH_LOCATIONS", 50)
QUERIES = 60
WORDS = ["camiseta", "tenis", "bolsa", "jaqueta", "meia", "bone", "short", "vestido", "cinto", "sandalia"]
COLOURS = ["azul", "preto", "branco", "verde", "rosa"]


def _build(skus: int, locations: int) -> None:
    from django.db import connection, transaction

    from inventory.models import Location, Product, StockLevel, Variant

    if (Variant.objects.filter(sku__startswith="BS-").count() == skus
            and Location.objects.filter(code__startswith="BS").count() == locations):
        return
    with transaction.atomic():
        StockLevel.objects.filter(variant__sku__startswith="BS-").delete()
        StockLevel.objects.filter(location__code__startswith="BS").delete()
        Variant.objects.filter(sku__startswith="BS-").delete()
        Product.objects.filter(code__startswith="BS-").delete()
        Location.objects.filter(code__startswith="BS").delete()
        Location.objects.bulk_create([Location(code=f"BS{n:03d}", name=f"Bench store {n}", state="SP", kind="store")
                                      for n in range(locations)])
        products = Product.objects.bulk_create(
            [Product(code=f"BS-{n:05d}", name=f"{WORDS[n % 10]} modelo {n}") for n in range(max(skus // 20, 1))],
            batch_size=5000)
        variants = []
        for n in range(skus):
            product = products[n % len(products)]
            sku, barcode = f"BS-{n:07d}", f"77{n:011d}"
            name = f"{product.name} {COLOURS[n % 5]} {n % 44}"
            variants.append(Variant(product=product, sku=sku, barcode=barcode, name=name, base_price=50, cost=20,
                                    search_text=f"{sku} {barcode} {name}".lower()))
        Variant.objects.bulk_create(variants, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO inventory_stocklevel (variant_id, location_id, on_hand, reserved, safety_stock, "
                "updated_at) SELECT v.id, l.id, (v.id * 7 + l.id) % 40, 0, 0, NOW() FROM inventory_variant v "
                "CROSS JOIN inventory_location l WHERE v.sku LIKE 'BS-%' AND l.code LIKE 'BS%'")
            cursor.execute("ANALYZE inventory_stocklevel")
            cursor.execute("ANALYZE inventory_variant")


def inner(skus: int, locations: int, queries: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from inventory.selectors import availability, variant_search
    from orders.models import Channel
    from orders.services import draft_create

    started = time.perf_counter()
    _build(skus, locations)
    build_seconds = time.perf_counter() - started
    channel, _ = Channel.objects.get_or_create(code="bench-phone", defaults={
        "name": "Bench phone", "kind": Channel.Kind.PHONE, "order_prefix": "BP", "currency": "BRL"})
    user, _ = get_user_model().objects.get_or_create(username="bench-agent")
    user.groups.add(Group.objects.get(name="agent"))
    draft = draft_create(channel_id=channel.pk, acting_user=user)
    client = Client()
    client.force_login(user)
    url = reverse("orders:phone_sku_search", args=[draft.pk])
    rng = random.Random(3)
    terms = []
    for _ in range(queries):
        n = rng.randrange(skus)
        terms.append(rng.choice([f"BS-{n:07d}", f"77{n:011d}", f"{WORDS[n % 10]} {COLOURS[n % 5]}",
                                 f"modelo {n // 20}", f"{WORDS[n % 10][:4]}"]))
    for term in terms[:5]:  # warm-up (connection, caches, plans)
        client.get(url, {"sku": term})
    view_ms, sql_ms, results = [], [], 0
    for term in terms:
        t0 = time.perf_counter()
        response = client.get(url, {"sku": term})
        view_ms.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
        with CaptureQueriesContext(connection) as captured:
            found = variant_search(query=term, limit=8)
            if found:
                availability(variant_ids=[v.pk for v in found])
        results += len(found)
        statements = [q["sql"] for q in captured.captured_queries]
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
            sql_ms.append((time.perf_counter() - t0) * 1000)
    return {"view_p95": percentile(view_ms, 0.95), "view_p50": percentile(view_ms, 0.5),
            "sql_p95": percentile(sql_ms, 0.95), "sql_p50": percentile(sql_ms, 0.5), "queries": len(terms),
            "results": results, "build_seconds": build_seconds}


def run() -> list[Result]:
    r = run_inner("bench_search", skus=SKUS, locations=LOCATIONS, queries=QUERIES)
    return [Result(
        f"phone SKU search view p95 ({SKUS} SKUs x {LOCATIONS} locations)", r["view_p95"], "ms p95",
        reference=r["sql_p95"], reference_unit="ms SQL p95",
        note=(f"p50 view {r['view_p50']:.1f} ms / SQL {r['sql_p50']:.1f} ms; {r['queries']} queries; "
              f"data build {r['build_seconds']:.0f} s"),
    )]
