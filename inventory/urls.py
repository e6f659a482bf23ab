from django.urls import path

from inventory import imports, records, views

app_name = "inventory"

urlpatterns = [
    path("inventory/products/", views.product_list, name="product_list"),
    path("inventory/products/<int:pk>/", views.product_detail, name="product_detail"),
    path("inventory/locations/", views.location_list, name="location_list"),
    path("inventory/locations/<int:pk>/", views.location_detail, name="location_detail"),
    path("inventory/stock/adjust/", views.stock_adjust, name="stock_adjust"),
    path("inventory/stock/count/", views.stock_count, name="stock_count"),
    path("inventory/stock/safety/", views.safety_stock, name="safety_stock"),
    path("inventory/transfers/", views.transfer_list, name="transfer_list"),
    path("inventory/transfers/new/", views.transfer_create, name="transfer_create"),
    path("inventory/transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("inventory/transfers/<int:pk>/<slug:action>/", views.transfer_action, name="transfer_action"),
    path("inventory/suppliers/", views.supplier_list, name="supplier_list"),
    path("inventory/suppliers/<int:pk>/", views.supplier_detail, name="supplier_detail"),
    path("inventory/purchase-orders/", views.po_list, name="po_list"),
    path("inventory/purchase-orders/new/", views.po_create, name="po_create"),
    path("inventory/purchase-orders/<int:pk>/", views.po_detail, name="po_detail"),
    path("inventory/purchase-orders/<int:pk>/receive/", views.po_receive, name="po_receive"),
    path("inventory/purchase-orders/<int:pk>/lines/", views.po_lines, name="po_lines"),
    path("inventory/purchase-orders/<int:pk>/pdf/", views.po_pdf, name="po_pdf"),
    path("inventory/purchase-orders/<int:pk>/<slug:action>/", views.po_action, name="po_action"),
    path("inventory/reorder/alerts/", views.reorder_alerts, name="reorder_alerts"),
    path("inventory/reorder/alerts/run/", views.reorder_run, name="reorder_run"),
    path("inventory/reorder/alerts/<int:pk>/<slug:action>/", views.reorder_alert_action, name="reorder_alert_action"),
    path("inventory/reorder/rules/", views.reorder_rules, name="reorder_rules"),
    path("inventory/overstock/", views.overstock, name="overstock"),
]

for kind in imports.KINDS.values():
    urlpatterns += [
        path(f"inventory/import/{kind.slug}/", imports.import_view, {"kind": kind.slug}, name=f"import_{kind.slug}"),
        path(f"inventory/export/{kind.slug}/", imports.export_view, {"kind": kind.slug}, name=f"export_{kind.slug}"),
    ]
urlpatterns.append(path("inventory/import/jobs/<int:pk>/", imports.import_job_status, name="import_job"))

for section in records.SECTIONS.values():
    key = {"key": section.key}
    urlpatterns += [
        path(f"inventory/{section.slug}/new/", records.record_form, key, name=f"{section.key}_create"),
        path(f"inventory/{section.slug}/<int:pk>/edit/", records.record_form, key, name=f"{section.key}_edit"),
    ]
    if section.deletable:
        urlpatterns.append(path(f"inventory/{section.slug}/<int:pk>/delete/", records.record_delete, key,
                                name=f"{section.key}_delete"))
    if section.has_list:
        urlpatterns.append(path(f"inventory/{section.slug}/", records.record_list, key, name=f"{section.key}_list"))
