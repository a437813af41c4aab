"""Steps of the change flows as a customer's browser takes them (plain POSTs unless asked for htmx)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from subscriptions.models import Quote

HTMX = {"HTTP_HX_REQUEST": "true"}


def preview(client: Client, subscription_id: int, *, htmx: bool = False, **fields) -> tuple[object, Quote | None]:
    """Post the preview form; returns the response and the newest quote (None when none was stored)."""
    before = set(Quote.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("subscriptions:change_preview", args=[subscription_id]),
        {name: value for name, value in fields.items() if value is not None},
        **(HTMX if htmx else {}),
    )
    created = Quote.objects.exclude(pk__in=before).order_by("-id").first()
    return response, created


def commit(client: Client, quote: Quote, *, consent: bool = True, htmx: bool = False, **extra):
    data = {"consent": "yes"} if consent else {}
    data.update(extra)
    return client.post(reverse("subscriptions:quote_commit", args=[quote.public_id]), data, **(HTMX if htmx else {}))
