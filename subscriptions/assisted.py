"""Changes a support agent prepares for a customer, who consents and commits them personally.

The agent picks the change; the same `services.quote_create` path asks the vendor's preview and
stores the quote (with the agent on its ledger entries). The customer gets an e-mailed, single-use
link that signs them in and opens the ordinary quote page; consent and commit are theirs alone
(the commit view needs a customer session, which staff never have).

An e-mailed link may be opened hours later, so an assisted quote and its link live
ASSISTED_LINK_MINUTES (24 h) instead of QUOTE_VALID_MINUTES. That is safe because the commit asks
the vendor for a fresh price first and asks the customer to consent again when it went up.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from subscriptions import ledger, reads, services
from subscriptions.cleverbridge import Rejected
from subscriptions.formatting import format_money, kind_label
from subscriptions.models import AssistedChange, Customer, QuoteState, SignInLink

logger = logging.getLogger(__name__)

__all__ = [
    "ASSISTED_LINK_MINUTES",
    "AssistedChangeProblem",
    "assisted_change_prepare",
    "consent_link_send",
    "customer_find",
    "live_subscriptions_read",
]

ASSISTED_LINK_MINUTES = 24 * 60
STAFF_USER_AGENT = "support console"


class AssistedChangeProblem(Exception):
    """Why an agent cannot prepare or send this change; `message` is for the agent."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def customer_find(*, email: str = "", customer_id: int | None = None) -> Customer | None:
    """The local customer for a vendor customer found by e-mail or id, created on first look-up.

    None when the vendor lists no subscriptions for them. Vendor failures propagate (`CleverbridgeError`).
    """
    email = email.strip().lower()
    try:
        if customer_id is not None:
            found = reads.customer_subscriptions_fresh(vendor_customer_id=customer_id)
        else:
            found = reads.subscriptions_by_email(email=email)
    except Rejected as exc:
        if exc.status in (400, 402, 404):
            return None
        raise
    vendor_ids = sorted({subscription.customer_id for subscription in found})
    if not vendor_ids:
        return None
    customer, _created = Customer.objects.get_or_create(vendor_id=vendor_ids[0])
    if email and not customer.email:
        customer.email = email
        customer.save(update_fields=["email"])
    return customer


def live_subscriptions_read(*, customer: Customer, staff_user, ip: str | None) -> list:
    """The customer's subscriptions as the vendor has them now; the look-up is written to the ledger.

    Vendor failures propagate (`CleverbridgeError`); the entry is written only when the read succeeded.
    """
    subscriptions = reads.customer_subscriptions_fresh(vendor_customer_id=customer.vendor_id)
    with transaction.atomic():
        ledger.record(
            action="staff.viewed_subscription",
            customer=customer,
            staff_user=staff_user,
            ip=ip,
            subscription_id=subscriptions[0].id if len(subscriptions) == 1 else None,
            data={"subscriptions": [f"S{subscription.id}" for subscription in subscriptions]},
        )
    return subscriptions


def assisted_change_prepare(
    *,
    agent,
    customer: Customer,
    subscription_id: int,
    kind: str,
    running_no: int | None = None,
    quantity: int | None = None,
    product_id: int | None = None,
    details: dict[str, str] | None = None,
    ip: str | None,
) -> AssistedChange:
    """Price a change at the vendor for `customer` and store it as a quote the agent prepared.

    Raises `services.ChangeNotAllowed` (the same rules as the customer's own page) and `CleverbridgeError`.
    """
    if not reads.subscription_id_possible(subscription_id):
        raise services.ChangeNotAllowed("The vendor does not know this subscription.")
    try:
        subscription = reads.subscription_fresh(subscription_id=subscription_id)
    except Rejected as exc:
        if exc.status == 404:
            raise services.ChangeNotAllowed("The vendor does not know this subscription.") from None
        raise
    if subscription.customer_id != customer.vendor_id:
        raise services.ChangeNotAllowed("This subscription belongs to another customer.")
    change = services.change_build(
        subscription=subscription, kind=kind, running_no=running_no, quantity=quantity, product_id=product_id
    )
    quote = services.quote_create(
        customer=customer,
        subscription=subscription,
        change=change,
        ip=ip,
        user_agent=STAFF_USER_AGENT,
        staff_user=agent,
        valid_minutes=ASSISTED_LINK_MINUTES,
        details=details,
    )
    with transaction.atomic():
        assisted = AssistedChange.objects.create(quote=quote, customer=customer, prepared_by=agent)
        ledger.record(
            action="change.prepared_by_agent",
            quote=quote,
            customer=customer,
            staff_user=agent,
            ip=ip,
            data={**ledger.quote_data(quote), "agent": agent.get_username()},
        )
    return assisted


def consent_link_send(*, assisted: AssistedChange, agent, ip: str | None) -> str:
    """E-mail the customer a single-use link to the quote page; returns the address. A new link replaces the old."""
    customer = assisted.customer
    if not customer.email:
        raise AssistedChangeProblem("We know no e-mail address for this customer; they must sign in once first.")
    now = timezone.now()
    with transaction.atomic():
        locked = AssistedChange.objects.select_for_update().select_related("quote").get(pk=assisted.pk)
        quote = locked.quote
        if quote.state != QuoteState.QUOTED or quote.is_expired(now):
            raise AssistedChangeProblem("This quote can no longer be agreed to; prepare the change again.")
        if locked.link is not None and locked.link.used_at is None:
            SignInLink.objects.filter(pk=locked.link.pk, used_at__isnull=True).update(used_at=now)
        minutes = max(1, int((quote.expires_at - now).total_seconds() // 60))
        link, raw = SignInLink.issue(
            kind=SignInLink.Kind.EMAIL,
            vendor_customer_id=customer.vendor_id,
            minutes=minutes,
            email=customer.email,
            next_url=reverse("subscriptions:quote", args=[quote.public_id]),
        )
        locked.link = link
        locked.emailed_to = customer.email
        locked.emailed_at = now
        locked.save(update_fields=["link", "emailed_to", "emailed_at"])
        ledger.record(
            action="change.consent_link_sent",
            quote=quote,
            customer=customer,
            staff_user=agent,
            ip=ip,
            data={"quote": str(quote.public_id), "email": customer.email, "link_expires_at": link.expires_at},
        )
    url = settings.SITE_URL + reverse("subscriptions:sign_in_link", args=[raw])
    language = customer.locale or settings.LANGUAGE_CODE
    with translation.override(language):
        send_mail(
            subject=_("A change to your subscription is ready for your consent"),
            message=_(
                "Hello,\n\n"
                "our support team prepared this change for you: {what} ({charge} now).\n"
                "Nothing has been changed or charged. To review it and agree, open:\n\n"
                "{url}\n\n"
                "The link works once, until {expires} (UTC). The price is checked again before anything "
                "is charged. If you did not ask for this change, you can ignore this e-mail.\n"
            ).format(
                what=_describe(quote),
                charge=format_money(quote.charge_now_gross, quote.currency, language),
                url=url,
                expires=f"{link.expires_at:%Y-%m-%d %H:%M}",
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[customer.email],
        )
    assisted.refresh_from_db()
    return customer.email


def _describe(quote) -> str:
    if quote.kind not in ("addon", "increase", "coterm"):
        return _("%(change)s on subscription S%(subscription)s (%(product)s)") % {
            "change": kind_label(quote.kind),
            "subscription": quote.subscription_id,
            "product": quote.new_product_name or quote.product_name,
        }
    if quote.kind == "addon":
        return _("add %(product)s to subscription S%(subscription)s") % {
            "product": quote.product_name,
            "subscription": quote.subscription_id,
        }
    return _("%(product)s on subscription S%(subscription)s from %(before)d to %(after)d seats") % {
        "product": quote.product_name,
        "subscription": quote.subscription_id,
        "before": quote.quantity_before,
        "after": quote.quantity_after,
    }
