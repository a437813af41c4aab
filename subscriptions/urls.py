"""Every URL of the product, by area: sign-in and pages, the change flows, the vendor's notifications."""

from django.urls import path
from django.views.i18n import set_language

from subscriptions.views import account, api, changes, notifications, pages

app_name = "subscriptions"

urlpatterns = [
    # Sign-in, the customer's pages, the portal-session API
    path("", pages.home, name="home"),
    path("sign-in/", account.sign_in, name="sign_in"),
    path("sign-in/<str:token>/", account.sign_in_link, name="sign_in_link"),
    path("portal/<str:token>/", account.portal_link, name="portal_link"),
    path("sign-out/", account.sign_out, name="sign_out"),
    path("subscriptions/<int:subscription_id>/", pages.subscription_detail, name="subscription"),
    path("language/", set_language, name="set_language"),
    path("api/portal-sessions", api.portal_sessions, name="api_portal_sessions"),
    # The change flows
    path("subscriptions/<int:subscription_id>/changes/", changes.preview_create, name="change_preview"),
    path("changes/", changes.history, name="changes"),
    path("changes/<uuid:quote_id>/", changes.quote_detail, name="quote"),
    path("changes/<uuid:quote_id>/commit/", changes.quote_commit, name="quote_commit"),
    path("changes/<uuid:quote_id>/receipt/", changes.receipt, name="receipt"),
    path("changes/<uuid:quote_id>/consent.json", changes.consent_record_download, name="consent_record"),
    # The vendor's payment notifications
    path(
        "cleverbridge/notifications/<str:secret>/",
        notifications.notification_receive,
        name="cleverbridge_notifications",
    ),
]
