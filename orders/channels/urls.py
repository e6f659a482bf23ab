from django.urls import path

from orders.channels import views
from orders.channels.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("channels/", views.channel_list, name="channel_list"),
]
