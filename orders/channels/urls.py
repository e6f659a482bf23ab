from django.urls import path

from orders.channels import views
from orders.channels.api import api_urls

urlpatterns = [
    path("api/v1/", api_urls()),
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/new/", views.channel_create, name="channel_create"),
    path("channels/<int:pk>/", views.channel_detail, name="channel_detail"),
    path("channels/<int:pk>/edit/", views.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/settings/", views.channel_settings, name="channel_settings"),
    path("channels/<int:pk>/keys/new/", views.key_create, name="channel_key_create"),
    path("channels/keys/<int:key_id>/revoke/", views.key_revoke, name="channel_key_revoke"),
    path("channels/<int:pk>/mappings/<slug:kind>/new/", views.mapping_add, name="channel_mapping_add"),
    path("channels/<int:pk>/mappings/<slug:kind>/<int:mapping_id>/delete/", views.mapping_delete,
         name="channel_mapping_delete"),
    path("channels/<int:pk>/webhooks/new/", views.webhook_create, name="channel_webhook_create"),
    path("channels/webhooks/<int:endpoint_id>/disable/", views.webhook_disable, name="channel_webhook_disable"),
    path("channels/<int:pk>/deliveries/", views.delivery_list, name="channel_deliveries"),
    path("channels/<int:pk>/imports/new/", views.import_upload, name="channel_import_upload"),
    path("channels/imports/<int:job_id>/", views.import_detail, name="channel_import"),
    path("channels/imports/<int:job_id>/errors.csv", views.import_errors_csv, name="channel_import_errors"),
    path("channels/import-rows/<int:row_id>/", views.import_row, name="channel_import_row"),
    path("channels/import-rows/<int:row_id>/discard/", views.import_row_discard, name="channel_import_row_discard"),
]
