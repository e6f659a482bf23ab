"""Who may open each URL of this app (see ``oms.access``)."""

from django.utils.translation import gettext_lazy as _

from oms.access import PUBLIC, NavItem

RULES: dict[str, str] = {
    # The sandbox processor's own pages: no OMS session involved, as with a real processor.
    "payments:sandbox_hosted_field": PUBLIC,
    "payments:sandbox_tokenize": PUBLIC,
    "payments:journal_list": "view_finance",
    "payments:journal_detail": "view_finance",
    "payments:journal_export": "manage_finance",
    "payments:trial_balance": "view_finance",
    "payments:giftcard_list": "view_finance",
    "payments:giftcard_issue": "manage_finance",
    "payments:giftcard_detail": "view_finance",
    "payments:giftcard_disable": "manage_finance",
    "payments:giftcard_replace": "manage_finance",
    "payments:giftcard_lookup": "take_orders",
    "payments:order_payments": "view_orders",
    "payments:payment_add": "take_orders",
    "payments:payment_capture": "manage_finance",
    "payments:payment_void": "manage_orders",
    "payments:payment_refund": "manage_finance",
    "payments:payment_confirm": "manage_finance",
    "payments:pix_qr": "view_orders",
    "payments:pix_webhook": PUBLIC,  # the PIX provider calls it; authenticated by an HMAC signature
    "payments:payment_list": "view_finance",
    "payments:invoice_list": "view_finance",
    "payments:invoice_payment": "manage_finance",
    "payments:ar_aging": "view_finance",
    "payments:reconciliation": "view_finance",
    "payments:settlement_upload": "manage_finance",
    "payments:settlement_detail": "view_finance",
    "payments:supplier_invoice_list": "view_finance",
    "payments:supplier_invoice_new": "manage_finance",
    "payments:supplier_invoice_detail": "view_finance",
    "payments:supplier_invoice_approve": "manage_finance",
}

FINANCE = _("Finance")

NAV: list = [
    NavItem(_("Gift card lookup"), "payments:giftcard_lookup", "take_orders", section=FINANCE),
    NavItem(_("Payments"), "payments:payment_list", "view_finance", section=FINANCE),
    NavItem(_("Invoices"), "payments:invoice_list", "view_finance", section=FINANCE),
    NavItem(_("AR aging"), "payments:ar_aging", "view_finance", section=FINANCE),
    NavItem(_("Gift cards"), "payments:giftcard_list", "view_finance", section=FINANCE),
    NavItem(_("Journal"), "payments:journal_list", "view_finance", section=FINANCE),
    NavItem(_("Trial balance"), "payments:trial_balance", "view_finance", section=FINANCE),
    NavItem(_("Reconciliation"), "payments:reconciliation", "view_finance", section=FINANCE),
    NavItem(_("Supplier invoices"), "payments:supplier_invoice_list", "view_finance", section=FINANCE),
    NavItem(_("Accounting export"), "payments:journal_export", "manage_finance", section=FINANCE),
]
