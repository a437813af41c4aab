from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from selfservice import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),  # the two-factor StaffAdminSite (subscriptions.apps.StaffAdminConfig)
    path("", include("subscriptions.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
