"""Record kinds are named in the reader's language: the audit trail showed "Price list", "Source code", "Coupon
batch" and "Campaign" in English on Portuguese and Arabic pages, because those models had no translated
verbose name and Django made one from the class name."""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation

from oms.models import AuditEntry

PROJECT_APPS = ["oms", "inventory", "marketing", "orders", "payments", "reports"]


def test_the_check_covers_every_app_of_the_project():
    root = Path(settings.BASE_DIR).resolve()
    ours = [config.label for config in apps.get_app_configs()
            if Path(config.path).resolve().is_relative_to(root) and ".venv" not in Path(config.path).parts]
    assert sorted(ours) == sorted(PROJECT_APPS)


@pytest.mark.parametrize("app", PROJECT_APPS)
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


def test_the_audit_trail_names_orders_payments_reports_and_core_records_in_the_readers_language():
    with translation.override("pt-br"):
        assert AuditEntry(object_type="orders.skumapping").object_type_label == "mapeamento de SKU"
        assert AuditEntry(object_type="orders.shipment").object_type_label == "remessa"
        assert AuditEntry(object_type="payments.giftcard").object_type_label == "cartão-presente"
        assert AuditEntry(object_type="reports.reportschedule").object_type_label == "agendamento de relatório"
        assert AuditEntry(object_type="oms.userpreference").object_type_label == "preferência do usuário"
    with translation.override("ar"):
        assert AuditEntry(object_type="orders.apikey").object_type_label == "مفتاح API"
        assert AuditEntry(object_type="payments.invoice").object_type_label == "فاتورة"
