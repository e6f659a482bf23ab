"""Merging a duplicate customer record: what moves, what is filled in, what is refused, and the page that does it."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from marketing.models import PromotionRedemption, Segment, SegmentMember
from oms.models import AuditEntry
from orders import selectors
from orders.errors import CustomerMerged, InvalidCustomer
from orders.models import Customer, Order
from orders.services import customer_duplicates, customer_merge, draft_create
from payments.models import SavedCard
from tests.marketing.factories import PromotionFactory
from tests.orders.factories import AddressFactory, ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(make_user):
    """One person registered twice: by the web shop (e-mail, consent) and by the call center (phone, CPF)."""
    kept = CustomerFactory(name="Mariana Costa", email="mariana@example.com", phone="+5511987654321", tax_id="",
                           marketing_consent=True, consent_at=timezone.now(), notes="Prefers afternoons")
    duplicate = CustomerFactory(name="Mariana C.", email="", phone="+5511912345678", tax_id="52998224725",
                                language="pt-br", notes="Called about a mug")
    AddressFactory(customer=kept, street="Rua Augusta", is_default=True)
    AddressFactory(customer=duplicate, street="Rua Oscar Freire", is_default=True)
    channel = ChannelFactory()
    user = make_user("manager")
    draft = draft_create(channel_id=channel.pk, acting_user=user, customer_id=duplicate.pk)
    SavedCard.objects.create(customer=duplicate, token="tok_saved_1", brand="visa", last4="1111", exp_month=1,
                             exp_year=2031)
    both, only_dup = Segment.objects.create(code="vip", name="VIP", member_count=2), \
        Segment.objects.create(code="mugs", name="Mug buyers", member_count=1)
    SegmentMember.objects.bulk_create([SegmentMember(segment=both, customer_id=kept.pk),
                                       SegmentMember(segment=both, customer_id=duplicate.pk),
                                       SegmentMember(segment=only_dup, customer_id=duplicate.pk)])
    PromotionRedemption.objects.create(promotion=PromotionFactory(), order_reference="PH-1",
                                       customer_id=duplicate.pk, amount=Decimal("5"), currency="BRL")
    return {"kept": kept, "duplicate": duplicate, "draft": draft, "user": user, "segments": (both, only_dup)}


def test_merge_moves_everything_fills_the_gaps_and_retires_the_duplicate(pair):
    kept, duplicate, user = pair["kept"], pair["duplicate"], pair["user"]
    customer_merge(customer_id=kept.pk, duplicate_id=duplicate.pk, acting_user=user)
    kept.refresh_from_db()
    duplicate.refresh_from_db()
    assert (kept.email, kept.phone, kept.phone_alt, kept.tax_id, kept.language) == (
        "mariana@example.com", "+5511987654321", "+5511912345678", "52998224725", "pt-br")
    assert kept.notes == "Prefers afternoons\nCalled about a mug"
    assert (kept.marketing_consent, kept.consent_at) == (False, None)  # the other record did not consent
    assert Order.objects.get(pk=pair["draft"].pk).customer_id == kept.pk
    assert sorted(kept.addresses.values_list("street", "is_default")) == [
        ("Rua Augusta", True), ("Rua Oscar Freire", False)]  # one default address
    assert SavedCard.objects.get().customer_id == kept.pk
    assert PromotionRedemption.objects.get().customer_id == kept.pk  # per-customer limits count both records' uses
    both, only_dup = pair["segments"]
    assert sorted(SegmentMember.objects.values_list("segment_id", "customer_id")) == [
        (both.pk, kept.pk), (only_dup.pk, kept.pk)]
    assert Segment.objects.get(pk=both.pk).member_count == 1
    assert (duplicate.merged_into_id, duplicate.is_active) == (kept.pk, False)
    entry = AuditEntry.objects.get(verb="customer_merge", object_id=str(kept.pk))
    assert entry.changes["merged"] == [duplicate.pk, "Mariana C."]
    assert entry.changes["orders"] == [0, 1] and entry.changes["tax_id"] == ["", "52998224725"]
    assert AuditEntry.objects.filter(verb="customer_merged_into", object_id=str(duplicate.pk)).exists()

    # The duplicate is no longer found, nor counted as a duplicate, and takes no new order.
    assert [c.pk for c in selectors.customer_search(query="Mariana")] == [kept.pk]
    assert list(customer_duplicates(phone="+5511912345678")) == [kept]
    with translation.override("en"), pytest.raises(CustomerMerged) as refused:
        draft_create(channel_id=pair["draft"].channel_id, acting_user=user, customer_id=duplicate.pk)
    assert refused.value.message == f"This customer record was merged into Mariana Costa (#{kept.pk}): use that " \
                                    "customer."


def test_consent_stays_when_both_records_gave_it(pair):
    Customer.objects.filter(pk=pair["duplicate"].pk).update(marketing_consent=True, consent_at=timezone.now())
    kept = customer_merge(customer_id=pair["kept"].pk, duplicate_id=pair["duplicate"].pk, acting_user=pair["user"])
    assert kept.marketing_consent is True and kept.consent_at is not None


@pytest.mark.parametrize("case, says", [
    ("itself", "Choose another customer: a record cannot be merged into itself."),
    ("missing", "Customer #999999 does not exist."),
    ("tax ids", "111.444.777-35 and 529.982.247-25 have different tax ids: they are not the same person or company."),
    ("merged", "This customer record was merged into"),
    ("erased", "This customer's personal data was erased at their request"),
])
def test_refusals_name_the_reason_and_move_nothing(pair, case, says):
    kept, duplicate = pair["kept"], pair["duplicate"]
    duplicate_id = {"itself": kept.pk, "missing": 999999}.get(case, duplicate.pk)
    if case == "tax ids":
        Customer.objects.filter(pk=kept.pk).update(tax_id="11144477735")
    if case == "merged":
        Customer.objects.filter(pk=duplicate.pk).update(merged_into=CustomerFactory())
    if case == "erased":
        Customer.objects.filter(pk=duplicate.pk).update(erased_at=timezone.now())
    with translation.override("en"), pytest.raises(InvalidCustomer if case in ("itself", "missing", "tax ids")
                                                   else Exception) as refused:
        customer_merge(customer_id=kept.pk, duplicate_id=duplicate_id, acting_user=pair["user"])
    assert says in refused.value.message
    assert Order.objects.get(pk=pair["draft"].pk).customer_id == duplicate.pk
    assert Customer.objects.get(pk=kept.pk).phone_alt == ""
    assert not AuditEntry.objects.filter(verb="customer_merge").exists()


def test_merge_page_offers_the_likely_duplicates_shows_what_moves_and_asks_to_confirm(client, pair):
    kept, duplicate = pair["kept"], pair["duplicate"]
    Customer.objects.filter(pk=duplicate.pk).update(email="MARIANA@example.com")  # found by the same e-mail
    client.force_login(pair["user"])
    url = reverse("orders:customer_merge", args=[kept.pk])
    assert f'href="{url}"' in client.get(reverse("orders:customer_detail", args=[kept.pk])).content.decode()
    with translation.override("en"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="?duplicate={duplicate.pk}"' in page and 'id="merge-confirm"' not in page
    preview = client.get(url, {"duplicate": duplicate.pk}, HTTP_ACCEPT_LANGUAGE="en")
    body = preview.content.decode()
    assert 'id="merge-confirm"' in body and '<dd id="merge-orders">1</dd>' in body
    assert 'id="merge-consent"' in body  # consent will be withdrawn: said before confirming
    unconfirmed = client.post(url, {"duplicate": duplicate.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert unconfirmed.status_code == 422 and "Tick the box to confirm the merge." in unconfirmed.content.decode()
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id is None
    done = client.post(url, {"duplicate": duplicate.pk, "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == reverse("orders:customer_detail", args=[kept.pk])
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id == kept.pk
    retired = client.get(reverse("orders:customer_detail", args=[duplicate.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = retired.content.decode()
    assert 'id="merged-into"' in body and 'id="merge-link"' not in body and "New phone order" not in body


@pytest.mark.parametrize("value, says", [("abc", "Type the duplicate customer&#x27;s number"),
                                         ("999999", "No customer has that number."),
                                         ("", "Choose the duplicate record, or type its number.")])
def test_merge_page_names_a_wrong_number(client, pair, value, says):
    client.force_login(pair["user"])
    response = client.get(reverse("orders:customer_merge", args=[pair["kept"].pk]), {"duplicate": value},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422 and says in response.content.decode()


def test_agents_cannot_merge(role_client, pair):
    client = role_client("agent")
    url = reverse("orders:customer_merge", args=[pair["kept"].pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"duplicate": pair["duplicate"].pk, "confirm": "on"}).status_code == 403
    assert Customer.objects.get(pk=pair["duplicate"].pk).merged_into_id is None
