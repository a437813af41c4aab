from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin whose default site is the two-factor support console.

    Every `@admin.register` and `admin.site` anywhere (auth, django-otp, the task queue, the sandbox)
    then lands on `StaffAdminSite`, so no ModelAdmin is served without a TOTP code.
    """

    default = False  # named in INSTALLED_APPS by its path; "subscriptions" alone still means SubscriptionsConfig
    default_site = "subscriptions.staff_site.StaffAdminSite"
