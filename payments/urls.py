from django.urls import path

from payments import sandbox_views, views

app_name = "payments"

urlpatterns = [
    # The sandbox processor (conceptually outside the OMS).
    path("sandbox-gateway/hosted-field/", sandbox_views.hosted_field, name="sandbox_hosted_field"),
    path("sandbox-gateway/tokenize/", sandbox_views.tokenize, name="sandbox_tokenize"),
    # Finance.
    path("finance/journal/", views.journal_list, name="journal_list"),
    path("finance/journal/<int:pk>/", views.journal_detail, name="journal_detail"),
    path("finance/journal/export/", views.journal_export, name="journal_export"),
    path("finance/trial-balance/", views.trial_balance_view, name="trial_balance"),
    path("finance/gift-cards/", views.giftcard_list, name="giftcard_list"),
    path("finance/gift-cards/issue/", views.giftcard_issue_view, name="giftcard_issue"),
    path("finance/gift-cards/<int:pk>/", views.giftcard_detail, name="giftcard_detail"),
    path("finance/gift-cards/<int:pk>/disable/", views.giftcard_disable_view, name="giftcard_disable"),
    path("finance/gift-cards/<int:pk>/replace/", views.giftcard_replace_view, name="giftcard_replace"),
    path("payments/gift-card-lookup/", views.giftcard_lookup_view, name="giftcard_lookup"),
]

urlpatterns += [
    path("payments/order/<int:order_id>/", views.order_payments_view, name="order_payments"),
    path("payments/order/<int:order_id>/add/", views.payment_add, name="payment_add"),
    path("payments/<int:pk>/capture/", views.payment_capture_view, name="payment_capture"),
    path("payments/<int:pk>/void/", views.payment_void_view, name="payment_void"),
    path("payments/<int:pk>/refund/", views.payment_refund_view, name="payment_refund"),
    path("payments/<int:pk>/confirm/", views.payment_confirm_view, name="payment_confirm"),
    path("payments/<int:pk>/pix.svg", views.pix_qr, name="pix_qr"),
    path("payments/webhooks/pix/", views.pix_webhook, name="pix_webhook"),
    path("finance/payments/", views.payment_list, name="payment_list"),
    path("finance/invoices/", views.invoice_list, name="invoice_list"),
    path("finance/invoices/<int:pk>/payment/", views.invoice_payment_view, name="invoice_payment"),
    path("finance/ar-aging/", views.ar_aging_view, name="ar_aging"),
    path("finance/reconciliation/", views.reconciliation_list, name="reconciliation"),
    path("finance/reconciliation/upload/", views.settlement_upload, name="settlement_upload"),
    path("finance/reconciliation/<int:pk>/", views.settlement_detail, name="settlement_detail"),
]

urlpatterns += [
    path("finance/supplier-invoices/", views.supplier_invoice_list, name="supplier_invoice_list"),
    path("finance/supplier-invoices/new/", views.supplier_invoice_new, name="supplier_invoice_new"),
    path("finance/supplier-invoices/<int:pk>/", views.supplier_invoice_detail, name="supplier_invoice_detail"),
    path("finance/supplier-invoices/<int:pk>/approve/", views.supplier_invoice_approve_view,
         name="supplier_invoice_approve"),
]
