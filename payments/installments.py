"""Card payments in installments ("parcelado sem juros"): the customer's card is billed the total in equal monthly
parts by the issuer; the order's total does not change (the retailer bears the acquirer's cost, no interest is added).

A channel offers up to ``Channel.card_installments_max`` installments, none smaller than its
``card_installment_minimum``; placement checks the draft's choice against that (``orders.services.placement``), and
``payment_authorize`` records the count on the payment and asks the processor for it.
"""

from dataclasses import dataclass
from decimal import Decimal

from oms.money import minor_unit, quantize

MAX_INSTALLMENTS = 24  # the most any acquirer offers on one purchase; a channel offers at most this


def installment_amounts(amount: Decimal, count: int, currency: str) -> list[Decimal]:
    """``amount`` in ``count`` parts of the currency's minor unit that add up to it exactly; the first part carries
    the minor units that do not divide evenly, as card issuers bill it (R$ 100.00 in 3: 33.34 + 33.33 + 33.33)."""
    unit = minor_unit(currency)
    minor = int(quantize(amount, currency) / unit)
    part, rest = divmod(minor, count)
    return [(part + rest) * unit] + [part * unit] * (count - 1)


def installment_counts(amount: Decimal, currency: str, *, most: int, smallest: Decimal) -> list[int]:
    """The installment counts a card payment of ``amount`` may have: 1 (at once) always, and up to ``most`` while
    each part stays at least ``smallest``."""
    if amount <= 0:
        return [1]
    most = max(1, min(most, MAX_INSTALLMENTS))
    return [1] + [n for n in range(2, most + 1) if min(installment_amounts(amount, n, currency)) >= smallest]


def installments_text(amount: Decimal, count: int, currency: str) -> str:
    """How the customer is billed, count first as shops say it: "3 × R$ 68,61", with the first part named when the
    minor units do not divide evenly ("3 × R$ 33,33 (the first R$ 33,34)"); at once, the amount ("R$ 100,00")."""
    from django.utils.translation import gettext as _

    from oms.templatetags.oms_tags import money

    first, *others = installment_amounts(amount, count, currency)
    if not others:
        return money(first, currency)
    parts = f"{count}\u00a0×\u00a0{money(others[0], currency)}"
    if others[0] == first:
        return parts
    return _("%(parts)s (the first %(first)s)") % {"parts": parts, "first": money(first, currency)}


@dataclass(frozen=True)
class InstallmentOffer:
    """What a seller (a channel: ``Channel.installment_offer``) offers: up to ``most`` parts of at least
    ``smallest``; ``by`` names the seller in refusals."""

    most: int
    smallest: Decimal
    by: str

    def counts(self, amount: Decimal, currency: str) -> list[int]:
        return installment_counts(amount, currency, most=self.most, smallest=self.smallest)

    def refusal(self, count: int, amount: Decimal, currency: str) -> str:
        """'' when ``count`` parts of ``amount`` are offered, else why not, in the reader's language."""
        from django.utils.translation import gettext as _

        from oms.templatetags.oms_tags import money

        if count == 1 or count in self.counts(amount, currency):
            return ""
        return _("%(count)s installments are not offered for %(total)s: %(channel)s offers up to %(most)s, of at "
                 "least %(smallest)s each. Choose fewer installments.") % {
            "count": count, "total": money(amount, currency), "channel": self.by, "most": self.most,
            "smallest": money(self.smallest, currency)}


def installments_problem(count, method: str) -> str:
    """What is wrong with billing a ``method`` payment in ``count`` installments, in the reader's language, or ''."""
    from django.utils.translation import gettext as _

    if type(count) is not int or not 1 <= count <= MAX_INSTALLMENTS:
        return _("Installments must be a whole number from 1 to %(most)s, not “%(value)s”.") % {
            "most": MAX_INSTALLMENTS, "value": count}
    if count > 1 and method != "card":
        return _("Only a card payment can be split into installments.")
    return ""
