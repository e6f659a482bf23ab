import io

from orders.channels import demo
from orders.channels.models import ChannelIntegration, SkuMapping
from orders.models import Channel
from tests.inventory.factories import VariantFactory
from tests.orders.factories import ChannelFactory


def test_seed_is_idempotent(db):
    ChannelFactory(code="marketplace", kind=Channel.Kind.MARKETPLACE, order_prefix="MKT")
    ChannelFactory(code="web", kind=Channel.Kind.WEB, order_prefix="WEB")
    VariantFactory.create_batch(3)
    demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())
    assert ChannelIntegration.objects.count() == 2
    assert SkuMapping.objects.count() == 3
