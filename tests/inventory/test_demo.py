import io

from django.core.management import call_command

from inventory import demo
from inventory.models import KitComponent, Location, ReorderAlert, StockMovement, Supplier, Variant


def test_demo_seed_is_idempotent_and_ledger_verifies(db):
    out = io.StringIO()
    demo.seed(stdout=out)
    counts = (Variant.objects.count(), Location.objects.count(), Supplier.objects.count(),
              StockMovement.objects.count())
    assert counts[0] == 503  # 502 stocked SKUs and kits + the gift card
    gift = Variant.objects.get(sku="GIFT-CARD")
    assert gift.is_gift_card and not gift.stock_levels.exists()
    assert counts[1:3] == (5, 5)
    assert KitComponent.objects.values("kit").distinct().count() == 2
    assert ReorderAlert.objects.exists()
    assert not Variant.objects.filter(search_text="").exists()
    demo.seed(stdout=out)
    assert (Variant.objects.count(), Location.objects.count(), Supplier.objects.count(),
            StockMovement.objects.count()) == counts
    call_command("verify_ledgers", stdout=out)
