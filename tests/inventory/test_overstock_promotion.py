"""From the overstock view to a promotion for the selected SKUs in two clicks."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from inventory.services import StockLine, stock_receive
from marketing.models import Promotion
from tests.inventory.factories import LocationFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def overstocked(make_user):
    variant = VariantFactory(sku="SLOW-1")
    location = LocationFactory()
    stock_receive(lines=[StockLine(variant.pk, location.pk, 40)], reference="test", acting_user=make_user("warehouse"))
    return variant


def test_manager_selects_overstocked_skus_and_creates_a_promotion(role_client, overstocked):
    client = role_client("manager")
    html = client.get(reverse("inventory:overstock")).content.decode()
    assert f'action="{reverse("marketing:promote_overstock")}"' in html
    assert 'name="sku" value="SLOW-1"' in html
    confirm = client.get(reverse("marketing:promote_overstock"), {"sku": ["SLOW-1"]})
    assert "SLOW-1" in confirm.content.decode()
    response = client.post(reverse("marketing:promote_overstock"), {
        "name": "Clear slow movers", "skus": "SLOW-1", "percent": "20", "activate": "on",
    })
    assert response.status_code == 302
    promotion = Promotion.objects.get(name="Clear slow movers")
    assert response["Location"] == reverse("marketing:promotion_detail", args=[promotion.pk])


def test_a_buyer_without_marketing_rights_sees_overstock_without_the_promotion_form(client, make_user, overstocked):
    buyer = make_user()
    buyer.user_permissions.set(Permission.objects.filter(
        content_type__app_label="oms", codename__in=["use_back_office", "manage_purchasing"]))
    client.force_login(buyer)
    html = client.get(reverse("inventory:overstock")).content.decode()
    assert "SLOW-1" in html
    assert reverse("marketing:promote_overstock") not in html
    assert 'name="sku"' not in html
