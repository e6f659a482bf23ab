from django.core.cache import cache


def test_the_cache_reuses_one_redis_client_per_pool_and_still_works():
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b", write=True) is client
    cache.set("oms-cache-test", {"n": 1}, 30)
    assert cache.get("oms-cache-test") == {"n": 1}
    cache.delete("oms-cache-counter-test")
    assert cache.add("oms-cache-counter-test", 1, 30) is True
    assert cache.incr("oms-cache-counter-test") == 2
    cache.delete_many(["oms-cache-test", "oms-cache-counter-test"])
    assert cache.get("oms-cache-test") is None
