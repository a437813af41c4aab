from django.apps import AppConfig
from django.db.models.signals import post_migrate

from subscriptions.ledger_guard import guard_after_migrate


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        post_migrate.connect(guard_after_migrate, sender=self, dispatch_uid="subscriptions.ledger_guard")
