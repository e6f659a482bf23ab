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
