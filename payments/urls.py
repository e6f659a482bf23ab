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
    path("payments/gift-card-lookup/", views.giftcard_lookup_view, name="giftcard_lookup"),
]
