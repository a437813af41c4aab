from django.urls import path

from subscriptions import notification_views

urlpatterns = [
    path(
        "cleverbridge/notifications/<str:secret>/",
        notification_views.notification_receive,
        name="cleverbridge_notifications",
    ),
]
