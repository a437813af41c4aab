from django.conf import settings
from django.urls import include, path

from selfservice import views
from subscriptions.admin.site import install

staff_site = install()  # the default admin site, two-factor only: every app's ModelAdmins are on it

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", staff_site.urls),
    path("", include("subscriptions.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
