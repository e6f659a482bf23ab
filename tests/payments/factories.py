from decimal import Decimal

import factory

from payments.models import Account


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:03d}")
    name = factory.Sequence(lambda n: f"Test account {n}")
    kind = Account.Kind.ASSET


def issue_card(amount="100.00", **kwargs):
    """A gift card issued through the service; returns ``(card, code)``."""
    from payments.giftcards import giftcard_issue

    kwargs.setdefault("acting_user", None)
    return giftcard_issue(amount=Decimal(amount), **kwargs)


def make_order(total="100.00", currency="BRL", number=""):
    """A bare order row for payments to point at (payments never imports orders code; tests may)."""
    from orders.models import Channel, Order

    channel, _created = Channel.objects.get_or_create(
        code="pay-test", defaults={"name": "Payments test", "kind": Channel.Kind.PHONE, "order_prefix": "PT",
                                   "currency": currency})
    return Order.objects.create(channel=channel, currency=currency, total=Decimal(total), number=number)
