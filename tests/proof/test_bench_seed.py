"""The raw-SQL reference of the placement benchmark (``bench/bench_orders.py``) writes the project's real tables, so
a column added without a default breaks it; this loads its seed into the test database's schema (speed is never
measured here: ``make bench`` does that)."""

import pytest
from django.db import connection

from bench.bench_orders import ADDRESS, LOCATIONS, REAL_SEED, SHIPPING_OPTIONS, SKUS


@pytest.mark.django_db
def test_the_real_schema_seed_of_the_placement_benchmark_fits_the_current_tables():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM auth_user WHERE id = 1")  # the seed names its rows' ids
        cursor.execute(REAL_SEED.format(skus=SKUS, locations=LOCATIONS, drafts=3, address=ADDRESS,
                                        shipping=SHIPPING_OPTIONS))
        cursor.execute("SELECT count(*) FROM orders_orderline WHERE order_id <= 3")
        assert cursor.fetchone() == (9,)
