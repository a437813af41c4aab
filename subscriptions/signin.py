"""Sign-in without passwords: e-mailed links and portal links asked for by the vendor's product.

Links are single-use and short-lived; only a hash of each token is stored (see `SignInLink`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from subscriptions import reads, throttles
from subscriptions.cleverbridge import Rejected
from subscriptions.models import Customer, PortalKey, SignInLink

logger = logging.getLogger(__name__)

"""The vendor budget's class for a lookup on behalf of a visitor nobody has identified yet (docs/vendor-budget.md)."""

__all__ = [
    "PortalSession",
    "customer_for_link",
    "portal_customer_known",
    "portal_return_url_allowed",
    "portal_session_create",
    "sign_in_email_send",
]


def sign_in_email_send(*, email: str, next_url: str = "") -> int:
    """E-mail a sign-in link to `email` if the vendor knows subscriptions for it; return the number of links sent.

    At most SIGN_IN_EMAILS_PER_ADDRESS per address per SIGN_IN_THROTTLE_MINUTES, counted across processes; past
    that nothing is looked up or sent. The caller must answer the same whatever this returns. Vendor failures
    propagate (`CleverbridgeError`).
    """
    email = email.strip().lower()
    if not throttles.throttle_hit(limit=throttles.sign_in_address_limit(), subject=email).allowed:
        logger.info("sign-in e-mail throttled for this address")
        return 0
    try:
        subscriptions = reads.subscriptions_by_email(email=email)
    except Rejected as exc:
        if exc.status in (400, 402, 404):
            return 0
        raise
    customer_ids = sorted({subscription.customer_id for subscription in subscriptions})
    for customer_id in customer_ids:
        _link, raw = SignInLink.issue(
            kind=SignInLink.Kind.EMAIL,
            vendor_customer_id=customer_id,
            minutes=settings.SIGN_IN_LINK_MINUTES,
            email=email,
            next_url=next_url,
        )
        url = settings.SITE_URL + reverse("subscriptions:sign_in_link", args=[raw])
        send_mail(
            subject=_("Your sign-in link"),
            message=_(
                "Hello,\n\n"
                "use this link to sign in and manage your subscriptions:\n\n"
                "{url}\n\n"
                "The link works once and for {minutes} minutes.\n"
                "If you did not ask for it, you can ignore this e-mail.\n"
            ).format(url=url, minutes=settings.SIGN_IN_LINK_MINUTES),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
        )
    return len(customer_ids)


def customer_for_link(link: SignInLink, *, locale: str = "") -> Customer:
    """The local customer a used link signs in, created at the first sign-in."""
    customer, _created = Customer.objects.get_or_create(vendor_id=link.vendor_customer_id)
    fields = []
    if link.email and customer.email != link.email:
        customer.email = link.email
        fields.append("email")
    if locale and not customer.locale:
        customer.locale = locale
        fields.append("locale")
    if fields:
        customer.save(update_fields=fields)
    return customer


def portal_return_url_allowed(url: str) -> bool:
    """http(s) only, and the host must be one of PORTAL_RETURN_HOSTS."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.hostname.lower() in {host.lower() for host in settings.PORTAL_RETURN_HOSTS}
        and not parts.username
        and not parts.password
    )


@dataclass(frozen=True)
class PortalSession:
    url: str
    expires_at: datetime


def portal_customer_known(*, customer_id: int) -> bool:
    """Whether the vendor lists subscriptions for CustomerId `customer_id`: only then may a portal session sign them in.

    The list read is kept for the pages the customer opens next. Vendor failures propagate: `Rejected` (other than
    404, which means "unknown") and `CleverbridgeError`.
    """
    return reads.customer_known(vendor_customer_id=customer_id)


def portal_session_create(*, key: PortalKey, customer_id: int, return_url: str) -> PortalSession:
    """A single-use link that signs vendor customer `customer_id` in; the caller has checked key and return URL."""
    link, raw = SignInLink.issue(
        kind=SignInLink.Kind.PORTAL,
        vendor_customer_id=customer_id,
        minutes=settings.PORTAL_LINK_MINUTES,
        return_url=return_url,
        portal_key=key,
    )
    PortalKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return PortalSession(
        url=settings.SITE_URL + reverse("subscriptions:portal_link", args=[raw]), expires_at=link.expires_at
    )
