from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_delete, post_migrate, post_save

from subscriptions.ledger_guard import guard_after_migrate


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        post_migrate.connect(guard_after_migrate, sender=self, dispatch_uid="subscriptions.ledger_guard")
        from subscriptions.catalog import catalog_changed  # models may be imported only once the registry is ready
        from subscriptions.models import AddOn, CatalogProduct, CotermOffer, PlanSwitch  # likewise

        for model in (CatalogProduct, CotermOffer, AddOn, PlanSwitch):
            post_save.connect(catalog_changed, sender=model, dispatch_uid=f"catalog_changed.save.{model.__name__}")
            post_delete.connect(catalog_changed, sender=model, dispatch_uid=f"catalog_changed.delete.{model.__name__}")


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin whose default site is the two-factor support console.

    Every `@admin.register` and `admin.site` anywhere (auth, django-otp, the task queue, the sandbox)
    then lands on `StaffAdminSite`, so no ModelAdmin is served without a TOTP code.
    """

    default = False  # named in INSTALLED_APPS by its path; "subscriptions" alone still means SubscriptionsConfig
    default_site = "subscriptions.staff_site.StaffAdminSite"
