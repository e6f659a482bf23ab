import pytest

from tests.reports.factories import ChannelFactory, CustomerFactory, VariantFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db):
    """Two channels, two SKUs of different brands, two customers."""
    return {
        "phone": ChannelFactory(code="rphone", name="Phone"),
        "web": ChannelFactory(code="rweb", name="Web"),
        "shirt": VariantFactory(sku="R-SHIRT", cost="10.00"),
        "mug": VariantFactory(sku="R-MUG", cost="4.00"),
        "ana": CustomerFactory(name="Ana"),
        "bruno": CustomerFactory(name="Bruno"),
    }
