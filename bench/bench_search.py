"""SKU search on the phone screen at 100,000 SKUs x 50 locations (5,000,000 stock rows): p95 server time of the
phone screen's search endpoint (``orders:phone_sku_search`` through Django's test client: middleware, session,
permission check, search, availability per location, template) vs the bare SQL of the same search (the
statements the view ran, replayed straight on a cursor), per kind of query and over the whole mix.

Query kinds: exact SKU, SKU prefix, barcode, name words, brand, 4-letter word prefix and a word that hits nothing.

Data lives in a database of its own, ``oms_bench_search`` (``BENCH_SEARCH_DB``), so its 50 active locations and
millions of stock rows never disturb the other benchmarks; it is built once with ``generate_series`` (about
1-2 minutes at full scale) and kept between runs. Scale: ``BENCH_SEARCH_SKUS`` (default 100000),
``BENCH_SEARCH_LOCATIONS`` (default 50), ``BENCH_SEARCH_QUERIES`` per kind (default 40).
"""

import os
import random
import re
import time

from bench.data import env_int, percentile, run_inner
from bench.run import Result

SKUS = env_int("BENCH_SEARCH_SKUS", 100_000)
LOCATIONS = env_int("BENCH_SEARCH_LOCATIONS", 50)
QUERIES = env_int("BENCH_SEARCH_QUERIES", 40)
DATABASE = os.environ.get("BENCH_SEARCH_DB", "oms_bench_search")
WORDS = ["camiseta", "tenis", "bolsa", "jaqueta", "meia", "bone", "short", "vestido", "cinto", "sandalia"]
COLOURS = ["azul", "preto", "branco", "verde", "rosa"]
BRANDS = ["Aurora", "Boreal", "Cactus", "Duna", "Estrela", "Farol", "Girassol", "Horizonte", "Ipe", "Jangada",
          "Kaiak", "Lagoa", "Mandacaru", "Nevoa", "Orla", "Pitanga", "Quaresma", "Restinga", "Sertao", "Tucano"]
KINDS = ["exact_sku", "sku_prefix", "barcode", "name_words", "brand", "word_prefix", "no_hit"]
PER_PRODUCT = 20  # SKUs per style


def _build(skus: int, locations: int) -> None:
    """Brands, styles, SKUs and a stock level for every SKU at every location, all in SQL (generate_series)."""
    from django.db import connection, transaction

    from inventory.models import Location, Variant

    if (Variant.objects.filter(sku__startswith="BS-").count() == skus
            and Location.objects.filter(code__startswith="BS").count() == locations):
        return
    products = max(skus // PER_PRODUCT, 1)
    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    colours = "ARRAY[" + ",".join(f"'{c}'" for c in COLOURS) + "]"
    brands = "ARRAY[" + ",".join(f"'{b}'" for b in BRANDS) + "]"
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in (
            "DELETE FROM inventory_stocklevel WHERE variant_id IN (SELECT id FROM inventory_variant "
            "WHERE sku LIKE 'BS-%%') OR location_id IN (SELECT id FROM inventory_location WHERE code LIKE 'BS%%')",
            "DELETE FROM inventory_variant WHERE sku LIKE 'BS-%%'",
            "DELETE FROM inventory_product WHERE code LIKE 'BS-%%'",
            "DELETE FROM inventory_location WHERE code LIKE 'BS%%'",
        ):
            cursor.execute(statement, [])
        cursor.execute(
            f"INSERT INTO inventory_brand (name, slug, is_active) SELECT b, lower(b), true FROM unnest({brands}) b "
            "ON CONFLICT DO NOTHING")
        cursor.execute(
            "INSERT INTO inventory_location (code, name, kind, address_line1, address_line2, city, state, "
            "postal_code, country, phone, can_ship, can_pickup, handling_days, is_active) "
            "SELECT 'BS' || lpad(n::text, 3, '0'), 'Bench store ' || n, 'store', '', '', 'Sao Paulo', 'SP', '', "
            "'BR', '', true, false, 1, true FROM generate_series(0, %s - 1) n", [locations])
        cursor.execute(
            "INSERT INTO inventory_product (code, name, brand_id, description, is_active, created_at, updated_at) "
            f"SELECT 'BS-' || lpad(n::text, 5, '0'), ({words})[n %% 10 + 1] || ' modelo ' || n, "
            f"(SELECT id FROM inventory_brand WHERE name = ({brands})[n %% 20 + 1]), '', true, now(), now() "
            "FROM generate_series(0, %s - 1) n", [products])
        cursor.execute(
            "INSERT INTO inventory_variant (product_id, sku, barcode, name, attributes, weight_grams, length_mm, "
            "width_mm, height_mm, cost, base_price, currency, tax_class, is_active, is_kit, visible_web, "
            "visible_store, visible_catalogue, visible_marketplace, search_text, created_at, updated_at) "
            "SELECT p.id, s.sku, s.barcode, s.name, '{}', 300, 0, 0, 0, 20, 50, 'BRL', 'standard', true, false, "
            "true, true, true, false, lower(s.sku || ' ' || s.barcode || ' ' || p.code || ' ' || s.name || ' ' || "
            "b.name), now(), now() "
            "FROM (SELECT n, 'BS-' || lpad(n::text, 7, '0') AS sku, '77' || lpad(n::text, 11, '0') AS barcode, "
            f"'BS-' || lpad((n %% %s)::text, 5, '0') AS code, "
            f"({words})[(n %% %s) %% 10 + 1] || ' modelo ' || (n %% %s) || ' ' || ({colours})[n %% 5 + 1] "
            "|| ' ' || (n %% 44) AS name FROM generate_series(0, %s - 1) n) s "
            "JOIN inventory_product p ON p.code = s.code JOIN inventory_brand b ON b.id = p.brand_id",
            [products, products, products, skus])
        cursor.execute(
            "INSERT INTO inventory_stocklevel (variant_id, location_id, on_hand, reserved, safety_stock, updated_at) "
            "SELECT v.id, l.id, (v.id * 7 + l.id) %% 40, 0, 0, now() FROM inventory_variant v "
            "CROSS JOIN inventory_location l WHERE v.sku LIKE 'BS-%%' AND l.code LIKE 'BS%%' ORDER BY v.id, l.id", [])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE inventory_stocklevel")
        cursor.execute("VACUUM ANALYZE inventory_variant")
        cursor.execute("ANALYZE inventory_product")


def _terms(skus: int, per_kind: int) -> list[tuple[str, str]]:
    rng = random.Random(3)
    products = max(skus // PER_PRODUCT, 1)
    terms = []
    for _ in range(per_kind):
        n = rng.randrange(skus)
        style = n % products
        terms += [
            ("exact_sku", f"BS-{n:07d}"),
            ("sku_prefix", f"BS-{n // 100:05d}"),  # 100 SKUs share it
            ("barcode", f"77{n:011d}"),
            ("name_words", f"{WORDS[style % 10]} {COLOURS[n % 5]}"),
            ("brand", BRANDS[rng.randrange(len(BRANDS))]),
            ("word_prefix", WORDS[rng.randrange(len(WORDS))][:4]),
            ("no_hit", f"zq{rng.randrange(10**6):06d}x"),
        ]
    rng.shuffle(terms)
    return terms


def inner(skus: int, locations: int, queries: int) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from orders.models import Channel
    from orders.services import draft_create

    settings.DEBUG = False  # as a server runs (no query log kept); CaptureQueriesContext still sees the SQL
    started = time.perf_counter()
    _build(skus, locations)
    build_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inventory_stocklevel")
        stock_rows = cursor.fetchone()[0]
    channel, _ = Channel.objects.get_or_create(code="bench-phone", defaults={
        "name": "Bench phone", "kind": Channel.Kind.PHONE, "order_prefix": "BP", "currency": "BRL"})
    user, _ = get_user_model().objects.get_or_create(username="bench-agent")
    user.groups.add(Group.objects.get(name="agent"))
    draft = draft_create(channel_id=channel.pk, acting_user=user)
    client = Client()
    client.force_login(user)
    url = reverse("orders:phone_sku_search", args=[draft.pk])
    terms = _terms(skus, queries)
    for _kind, term in terms[:10]:  # warm-up (connection, caches, plans)
        client.get(url, {"sku": term})
    view_ms = {k: [] for k in KINDS}
    sql_ms = {k: [] for k in KINDS}
    hits = dict.fromkeys(KINDS, 0)
    cells = 0
    for kind, term in terms:
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            response = client.get(url, {"sku": term})
            view_ms[kind].append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (term, response.status_code)
        body = response.content.decode()
        hits[kind] += body.count('name="variant_id"')
        cells += len(re.findall(r"BS\d{3}: \d+", body))  # availability per location shown
        # the search's own statements (the session and permission reads are request plumbing)
        statements = [q["sql"] for q in captured.captured_queries
                      if "inventory_" in q["sql"] and "django_session" not in q["sql"]]
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
            sql_ms[kind].append((time.perf_counter() - t0) * 1000)
    every_view = [x for k in KINDS for x in view_ms[k]]
    every_sql = [x for k in KINDS for x in sql_ms[k]]
    return {
        "view_p95": percentile(every_view, 0.95), "view_p50": percentile(every_view, 0.5),
        "sql_p95": percentile(every_sql, 0.95), "sql_p50": percentile(every_sql, 0.5),
        "kinds": {k: {"view_p95": percentile(view_ms[k], 0.95), "view_p50": percentile(view_ms[k], 0.5),
                      "sql_p95": percentile(sql_ms[k], 0.95), "hits": hits[k], "queries": len(view_ms[k])}
                  for k in KINDS},
        "queries": len(terms), "stock_rows": stock_rows, "build_seconds": build_seconds, "cells": cells,
    }


def run() -> list[Result]:
    r = run_inner("bench_search", database=DATABASE, skus=SKUS, locations=LOCATIONS, queries=QUERIES)
    scale = f"{SKUS} SKUs x {LOCATIONS} locations"
    results = [Result(
        f"phone SKU search view p95, mix ({scale})", r["view_p95"], "ms p95",
        reference=r["sql_p95"], reference_unit="ms SQL p95",
        note=(f"p50 view {r['view_p50']:.1f} ms / SQL {r['sql_p50']:.1f} ms; {r['queries']} queries; "
              f"{r['stock_rows']} stock rows; data build {r['build_seconds']:.0f} s"),
    )]
    for kind, k in r["kinds"].items():
        results.append(Result(
            f"  search p95: {kind}", k["view_p95"], "ms p95", reference=k["sql_p95"], reference_unit="ms SQL p95",
            note=f"p50 {k['view_p50']:.1f} ms; {k['queries']} queries, {k['hits']} SKUs shown"))
    results[0].note += f"; {r['cells']} location/quantity pairs shown"
    return results
