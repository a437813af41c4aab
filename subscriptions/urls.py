"""Every URL of the product, by area: sign-in and pages, the change flows, the vendor's notifications."""

from django.urls import path, register_converter
from django.views.i18n import set_language

from subscriptions.reads import subscription_id_possible
from subscriptions.views import account, api, changes, notifications, pages


class SubscriptionIdConverter:
    """A subscription id the vendor can have (1 … 2^63 - 1); any other number is a 404 before a view runs."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not subscription_id_possible(number):
            raise ValueError(f"no subscription can have the id {value}")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(SubscriptionIdConverter, "subscription_id")

app_name = "subscriptions"

urlpatterns = [
    # Sign-in, the customer's pages, the portal-session API
    path("", pages.home, name="home"),
    path("sign-in/", account.sign_in, name="sign_in"),
    path("sign-in/<str:token>/", account.sign_in_link, name="sign_in_link"),
    path("portal/<str:token>/", account.portal_link, name="portal_link"),
    path("sign-out/", account.sign_out, name="sign_out"),
    path("subscriptions/<subscription_id:subscription_id>/", pages.subscription_detail, name="subscription"),
    path("language/", set_language, name="set_language"),
    path("api/portal-sessions", api.portal_sessions, name="api_portal_sessions"),
    # The change flows
    path("subscriptions/<subscription_id:subscription_id>/changes/", changes.preview_create, name="change_preview"),
    path("subscriptions/<subscription_id:subscription_id>/cancel/", pages.subscription_cancel, name="cancel"),
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
