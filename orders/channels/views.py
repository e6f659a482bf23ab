"""Back-office screens of the channel integration (``manage_channels``)."""

from django.shortcuts import render

from orders.channels import selectors


def channel_list(request):
    return render(request, "orders/channels/channel_list.html", {"channels": selectors.channel_list()})
