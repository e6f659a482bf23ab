from django.urls import path

from orders.fulfilment import views

urlpatterns = [
    path("fulfilment/", views.shipment_queue, name="fulfilment_queue"),
    path("fulfilment/release/<int:pk>/", views.order_release, name="fulfilment_release"),
    path("fulfilment/pick-list/", views.pick_list, name="fulfilment_pick_list"),
    path("fulfilment/shipments/<int:pk>/", views.shipment_detail, name="fulfilment_shipment"),
    path("fulfilment/shipments/<int:pk>/scan/", views.shipment_scan, name="fulfilment_scan"),
    path("fulfilment/shipments/<int:pk>/unscan/", views.shipment_unscan, name="fulfilment_unscan"),
    path("fulfilment/shipments/<int:pk>/<slug:step>/", views.shipment_step, name="fulfilment_step"),
    path("fulfilment/shipments/<int:pk>/<slug:kind>.pdf", views.shipment_pdf, name="fulfilment_shipment_pdf"),
    path("fulfilment/carrier-updates/", views.carrier_upload, name="fulfilment_carrier_upload"),
    path("fulfilment/promise/", views.available_to_promise, name="fulfilment_atp"),
    path("fulfilment/at-risk/", views.at_risk, name="fulfilment_at_risk"),
    path("fulfilment/simulation/", views.simulation, name="fulfilment_simulation"),
    path("fulfilment/routes/", views.consolidation_routes, name="fulfilment_routes"),
    path("fulfilment/routes/<int:pk>/delete/", views.consolidation_route_delete, name="fulfilment_route_delete"),
    path("fulfilment/holidays/", views.holidays, name="fulfilment_holidays"),
    path("fulfilment/holidays/<int:pk>/delete/", views.holiday_delete, name="fulfilment_holiday_delete"),
    path("fulfilment/returns/", views.return_list, name="fulfilment_return_list"),
    path("fulfilment/returns/<int:pk>/", views.return_detail, name="fulfilment_return"),
    path("fulfilment/returns/<int:pk>/approve/", views.return_approve, name="fulfilment_return_approve"),
    path("fulfilment/returns/<int:pk>/receive/", views.return_receive, name="fulfilment_return_receive"),
    path("fulfilment/returns/<int:pk>/inspect/", views.return_inspect, name="fulfilment_return_inspect"),
    path("fulfilment/returns/<int:pk>/refund/", views.return_refund, name="fulfilment_return_refund"),
    path("fulfilment/returns/<int:pk>/exchange/", views.return_exchange, name="fulfilment_return_exchange"),
    path("orders/<int:pk>/fulfilment/", views.order_panel, name="fulfilment_order_panel"),
    path("orders/<int:pk>/returns/new/", views.return_new, name="fulfilment_return_new"),
]
