from django.urls import path
from django.views.i18n import set_language

from subscriptions.views import account, api, pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("sign-in/", account.sign_in, name="sign_in"),
    path("sign-in/<str:token>/", account.sign_in_link, name="sign_in_link"),
    path("portal/<str:token>/", account.portal_link, name="portal_link"),
    path("sign-out/", account.sign_out, name="sign_out"),
    path("subscriptions/<int:subscription_id>/", pages.subscription_detail, name="subscription"),
    path("language/", set_language, name="set_language"),
    path("api/portal-sessions", api.portal_sessions, name="api_portal_sessions"),
]
