import io
import time

from inventory import demo as inventory_demo
from marketing import demo as marketing_demo
from oms import demo as oms_demo
from orders import demo
from orders.models import Channel, Customer, Order, OrderEvent, OrderLine
from orders.validators import is_valid_cnpj, is_valid_cpf


def test_demo_seed_is_fast_complete_and_idempotent(db):
    out = io.StringIO()
    oms_demo.seed(stdout=out)
    inventory_demo.seed(stdout=out)
    marketing_demo.seed(stdout=out)
    started = time.monotonic()
    demo.seed(stdout=out)
    elapsed = time.monotonic() - started
    print(f"orders demo seed: {elapsed:.1f}s")
    assert elapsed < 60
    assert Channel.objects.count() == 5
    assert Customer.objects.count() == 200
    assert Order.objects.count() == 2000
    assert set(Order.objects.values_list("channel__code", flat=True).distinct()) == {
        "web", "marketplace", "pos", "phone", "b2b"}
    assert len(set(Order.objects.values_list("status", flat=True))) >= 10
    assert OrderEvent.objects.filter(order__number="WEB-000001").exists()
    assert all(is_valid_cpf(c.tax_id) or is_valid_cnpj(c.tax_id) for c in Customer.objects.all())
    reserved = OrderLine.objects.filter(status=OrderLine.Status.RESERVED)
    assert not reserved.filter(allocations__isnull=True).exists()
    from inventory.services import ledger_drift

    assert ledger_drift() == []
    from orders.channels.models import ChannelIntegration, SkuMapping, StatusMapping

    integrations = set(ChannelIntegration.objects.values_list("channel__code", flat=True))
    assert integrations == {"web", "marketplace", "b2b"}
    mappings = (SkuMapping.objects.count(), StatusMapping.objects.count())
    assert mappings == (20, 2)
    demo.seed(stdout=out)
    assert Order.objects.count() == 2000
    assert Customer.objects.count() == 200
    assert ChannelIntegration.objects.count() == 3
    assert (SkuMapping.objects.count(), StatusMapping.objects.count()) == mappings
