"""Record kinds are named in the reader's language: the audit trail showed "Price list", "Source code", "Coupon
batch" and "Campaign" in English on Portuguese and Arabic pages, because those models had no translated
verbose name and Django made one from the class name."""

import pytest
from django.apps import apps
from django.utils import translation

from oms.models import AuditEntry


@pytest.mark.parametrize("app", ["inventory", "marketing"])
def test_every_model_has_a_translated_name(app):
    untranslated = []
    for model in apps.get_app_config(app).get_models():
        meta = model._meta
        if "verbose_name" not in meta.original_attrs or "verbose_name_plural" not in meta.original_attrs:
            untranslated.append(f"{meta.label}: no verbose name")
            continue
        english = (str(meta.verbose_name), str(meta.verbose_name_plural))
        for language in ("pt-br", "ar"):
            with translation.override(language):
                if (str(meta.verbose_name), str(meta.verbose_name_plural)) == english:
                    untranslated.append(f"{meta.label} in {language}")
    assert untranslated == []


def test_the_audit_trail_names_a_price_list_in_portuguese():
    with translation.override("pt-br"):
        assert AuditEntry(object_type="marketing.pricelist").object_type_label == "lista de preços"
        assert AuditEntry(object_type="marketing.couponbatch").object_type_label == "lote de cupons"
