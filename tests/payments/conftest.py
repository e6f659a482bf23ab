import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_sandbox_state():
    """The sandbox processor keeps its state in Redis; start every test from a clean slate."""
    keys = cache.keys("sandbox-gw:*") if hasattr(cache, "keys") else []
    if keys:
        cache.delete_many(keys)
    yield
