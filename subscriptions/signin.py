"""Sign-in without passwords: e-mailed links and portal links asked for by the vendor's product.

Links are single-use and short-lived; only a hash of each token is stored (see `SignInLink`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from subscriptions.cleverbridge import Rejected, get_client
from subscriptions.models import Customer, PortalKey, SignInLink

logger = logging.getLogger(__name__)

EMAILS_PER_ADDRESS = 3
"""Sign-in e-mails per address within one link lifetime (SIGN_IN_LINK_MINUTES)."""

__all__ = [
    "PortalSession",
    "customer_for_link",
    "portal_customer_known",
    "portal_return_url_allowed",
    "portal_session_create",
    "sign_in_email_send",
]


def _rate_limited(email: str) -> bool:
    """True once an address has had its share of e-mails for now (counted in the cache)."""
    key = "signin-mail:" + hashlib.sha256(email.encode()).hexdigest()
    window = settings.SIGN_IN_LINK_MINUTES * 60
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)
        count = 1
    return count > EMAILS_PER_ADDRESS


def sign_in_email_send(*, email: str, next_url: str = "") -> int:
    """E-mail a sign-in link to `email` if the vendor knows subscriptions for it; return the number of links sent.

    The caller must answer the same whatever this returns. Vendor failures propagate (`CleverbridgeError`).
    """
    email = email.strip().lower()
    if _rate_limited(email):
        logger.info("sign-in e-mail rate limited")
        return 0
    try:
        subscriptions = get_client().get_subscriptions_for_customer(email=email, kind="anonymous")
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

    Vendor failures propagate: `Rejected` (other than 404, which means "unknown") and `CleverbridgeError`.
    """
    try:
        return bool(get_client().get_subscriptions_for_customer(customer_id=customer_id, kind="anonymous"))
    except Rejected as exc:
        if exc.status == 404:
            return False
        raise


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
