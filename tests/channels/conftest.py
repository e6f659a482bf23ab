import json
from decimal import Decimal

import pytest

from inventory.services import StockLine, stock_receive
from orders.channels.services import api_key_create
from orders.models import Channel
from tests.inventory.factories import LocationFactory, VariantFactory
from tests.orders.factories import ChannelFactory


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded import files go to a temporary folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def shop(db):
    """A web-shop channel with an API key, a DC holding 10 units each of three SKUs (R$ 100/50/20)."""
    channel = ChannelFactory(code="webshop", name="Web shop", kind=Channel.Kind.WEB, order_prefix="WS")
    dc = LocationFactory(code="DC1", name="DC São Paulo", kind="dc", can_ship=True)
    variants = [VariantFactory(sku=sku, base_price=Decimal(price))
                for sku, price in (("TSHIRT-BLK-M", "100.00"), ("MUG-WHT", "50.00"), ("SOCKS-3P", "20.00"))]
    stock_receive(lines=[StockLine(v.pk, dc.pk, 10) for v in variants], reference="test", acting_user=None)
    key, raw = api_key_create(channel_id=channel.pk, name="shop", acting_user=None)
    return {"channel": channel, "dc": dc, "variants": variants, "key": key, "raw": raw}


def order_payload(external_id: str = "1001", **changes) -> dict:
    body = {
        "external_id": external_id,
        "customer": {"name": "Ana Souza", "email": "ana@example.com", "phone": "+5511987654321"},
        "shipping_address": {"street": "Rua Augusta", "number": "500", "district": "Consolação",
                             "city": "São Paulo", "state": "SP", "postal_code": "01305-000"},
        "lines": [{"sku": "TSHIRT-BLK-M", "quantity": 2, "unit_price": "90.00"},
                  {"sku": "MUG-WHT", "quantity": 1, "unit_price": "45.50"}],
        "shipping_total": "12.00", "discount_total": "10.00", "tax_total": "0.00", "total": "227.50",
        "payments": [{"method": "credit_card", "amount": "227.50", "reference": "ch_1"}],
        "source_code": "",
    }
    body.update(changes)
    return body


@pytest.fixture
def api(shop):
    """``api.post(path, body, **headers)`` / ``api.get(path)`` with the shop's API key (CSRF checks on)."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    class Api:
        def headers(self, extra):
            return {"HTTP_AUTHORIZATION": f"Bearer {shop['raw']}", **extra}

        def post(self, path, body, raw: bytes | None = None, **extra):
            data = raw if raw is not None else json.dumps(body)
            return client.post(f"/api/v1{path}", data=data, content_type="application/json", **self.headers(extra))

        def get(self, path, **extra):
            return client.get(f"/api/v1{path}", **self.headers(extra))

    return Api()
