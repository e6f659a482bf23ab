from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from marketing.pricing import price_order
from marketing.segments import register_segment_evaluator, segment_evaluator

WHEN = datetime(2026, 6, 10, 14, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))  # a Wednesday afternoon


@pytest.fixture
def price(db):
    """``price(lines=[...], coupons=[...])`` -> price_order with sensible defaults for the other arguments."""

    def call(**overrides):
        args = {
            "lines": [], "channel_code": "phone", "customer_id": None, "customer_group": "", "source_code": "",
            "coupons": [], "ship_to_region": "SP", "shipping_service": None, "currency": "BRL", "when": WHEN,
        }
        args.update(overrides)
        return price_order(**args)

    return call


@contextmanager
def evaluator_registered(evaluator):
    """Swaps the registered segment evaluator (orders registers the real one) and puts it back."""
    previous = segment_evaluator()
    register_segment_evaluator(evaluator)
    try:
        yield
    finally:
        register_segment_evaluator(previous)
