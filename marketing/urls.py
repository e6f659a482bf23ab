from django.urls import path

from marketing import imports, views

app_name = "marketing"

urlpatterns = [
    path("marketing/", views.marketing_home, name="home"),
    path("marketing/price-check/", views.price_check, name="price_check"),
    path("marketing/sku-suggest/", views.sku_suggest, name="sku_suggest"),
    path("marketing/pricelists/<int:pk>/items/", views.pricelist_items, name="pricelist_items"),
    path("marketing/pricelists/<int:pk>/items/<int:item_pk>/delete/", views.pricelist_item_delete,
         name="pricelist_item_delete"),
    path("marketing/pricelists/<int:pk>/export/", imports.pricelist_export, name="pricelist_export"),
    path("marketing/pricelists/<int:pk>/import/", imports.pricelist_import, name="pricelist_import"),
    path("marketing/pricelists/<int:pk>/what-if/", views.pricelist_what_if, name="pricelist_what_if"),
    path("marketing/promotions/<int:pk>/detail/", views.promotion_detail, name="promotion_detail"),
    path("marketing/promotions/<int:pk>/activate/", views.promotion_activate, name="promotion_activate"),
    path("marketing/promotions/<int:pk>/coupons/", views.coupon_add, name="coupon_add"),
    path("marketing/promotions/<int:pk>/coupons/active/", views.coupon_active, name="coupon_active"),
    path("marketing/promotions/<int:pk>/coupon-batches/", views.coupon_batch_add, name="coupon_batch_add"),
    path("marketing/promotions/<int:pk>/what-if/", views.promotion_what_if, name="promotion_what_if"),
    path("marketing/coupon-batches/<int:pk>/export/", views.coupon_batch_export, name="coupon_batch_export"),
    path("marketing/promote-overstock/", views.promote_overstock, name="promote_overstock"),
    path("marketing/segments/<int:pk>/detail/", views.segment_detail, name="segment_detail"),
    path("marketing/segments/<int:pk>/export/", views.segment_export, name="segment_export"),
    path("marketing/segments/<int:pk>/refresh/", views.segment_refresh, name="segment_refresh"),
    path("marketing/segments/<int:pk>/extracts/", views.segment_export_start, name="segment_export_start"),
    path("marketing/segment-extracts/<int:pk>/download/", views.segment_export_download,
         name="segment_export_download"),
]

for _key in views.SECTIONS:
    urlpatterns += [
        path(f"marketing/{_key}/", views.object_list, {"key": _key}, name=f"{_key}_list"),
        path(f"marketing/{_key}/new/", views.object_form, {"key": _key}, name=f"{_key}_create"),
        path(f"marketing/{_key}/<int:pk>/", views.object_form, {"key": _key}, name=f"{_key}_edit"),
        path(f"marketing/{_key}/<int:pk>/delete/", views.object_delete, {"key": _key}, name=f"{_key}_delete"),
    ]
