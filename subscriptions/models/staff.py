"""What support agents do for customers: changes they prepare, and the permissions of the support console."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from subscriptions.models.changes import Quote
from subscriptions.models.customers import Customer, SignInLink

__all__ = ["AssistedChange"]


class AssistedChange(models.Model):
    """A quote a support agent prepared for a customer, and the consent link e-mailed to them.

    The agent never consents or commits: the customer opens the link, signs in through it and
    uses the ordinary quote page. The model also carries the console's own permissions.
    """

    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="assisted")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="assisted_changes")
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(default=timezone.now)
    link = models.OneToOneField(
        SignInLink, null=True, blank=True, on_delete=models.PROTECT, related_name="assisted_change"
    )
    emailed_to = models.EmailField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-prepared_at"]
        permissions = [
            ("prepare_change", "Can prepare a change for a customer and e-mail them the consent link"),
            ("export_ledger", "Can export the ledger as CSV"),
            ("view_live_subscription", "Can read a customer's subscriptions at the vendor"),
        ]

    def __str__(self) -> str:
        return f"{self.quote} prepared by {self.prepared_by}"
