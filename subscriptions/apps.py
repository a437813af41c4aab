from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate

from subscriptions.ledger_guard import guard_after_migrate


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        post_migrate.connect(guard_after_migrate, sender=self, dispatch_uid="subscriptions.ledger_guard")


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin whose default site is the two-factor support console.

    Every `@admin.register` and `admin.site` anywhere (auth, django-otp, the task queue, the sandbox)
    then lands on `StaffAdminSite`, so no ModelAdmin is served without a TOTP code.
    """

    default = False  # named in INSTALLED_APPS by its path; "subscriptions" alone still means SubscriptionsConfig
    default_site = "subscriptions.staff_site.StaffAdminSite"
