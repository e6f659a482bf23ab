from django.urls import path

from orders import giftcard_views, phone_views, views
from orders.channels import urls as channels_urls
from orders.fulfilment import urls as fulfilment_urls

app_name = "orders"

urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/status/", views.order_transition_view, name="order_transition"),
    path("orders/<int:pk>/note/", views.order_note, name="order_note"),
    path("orders/<int:pk>/cancel/", views.order_cancel_view, name="order_cancel"),
    path("orders/<int:pk>/edit/", views.order_edit_view, name="order_edit"),
    path("orders/<int:pk>/invoice.pdf", views.order_invoice_pdf, name="order_invoice_pdf"),
    path("orders/<int:pk>/packing-slip.pdf", views.order_packing_slip_pdf, name="order_packing_slip_pdf"),
    path("orders/<int:pk>/gift-cards/issue/", giftcard_views.giftcards_issue, name="giftcards_issue"),
    path("orders/<int:pk>/gift-cards/<int:line_id>/refund/", giftcard_views.giftcard_refund, name="giftcard_refund"),
    path("orders/approvals/", views.approval_list, name="approval_list"),
    path("orders/approvals/<int:pk>/decide/", views.approval_decide, name="approval_decide"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create_view, name="customer_create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit_view, name="customer_edit"),
    path("customers/<int:pk>/addresses/new/", views.customer_address_add, name="customer_address_add"),
    path("customers/<int:pk>/personal-data.json", views.customer_data_export, name="customer_data_export"),
    path("customers/<int:pk>/erase/", views.customer_erase_view, name="customer_erase"),
    path("customers/<int:pk>/merge/", views.customer_merge_view, name="customer_merge"),
    path("phone/", phone_views.phone_start, name="phone_start"),
    path("phone/<int:pk>/", phone_views.phone_order, name="phone_order"),
    path("phone/<int:pk>/customers/", phone_views.customer_search, name="phone_customer_search"),
    path("phone/<int:pk>/customer/", phone_views.set_customer, name="phone_set_customer"),
    path("phone/<int:pk>/customer/new/", phone_views.create_customer, name="phone_create_customer"),
    path("phone/<int:pk>/skus/", phone_views.sku_search, name="phone_sku_search"),
    path("phone/<int:pk>/lines/", phone_views.add_line, name="phone_add_line"),
    path("phone/<int:pk>/lines/<int:line_id>/", phone_views.update_line, name="phone_update_line"),
    path("phone/<int:pk>/header/", phone_views.update_header, name="phone_update_header"),
    path("phone/<int:pk>/hold/", phone_views.hold_stock, name="phone_hold_stock"),
    path("phone/<int:pk>/discard/", phone_views.discard, name="phone_discard"),
    path("phone/<int:pk>/place/", phone_views.place, name="phone_place"),
    path("track/<str:token>/", views.tracking, name="tracking"),
    *channels_urls.urlpatterns,
    *fulfilment_urls.urlpatterns,
]
