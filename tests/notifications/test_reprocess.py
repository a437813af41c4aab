"""Support re-processes a notification that gave up, once the vendor answers again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from subscriptions.models import InboundNotification, NotificationStatus, QuoteState
from subscriptions.notifications import notification_process
from subscriptions.roles import CATALOG_MANAGER, SUPPORT_AGENT, roles_setup
from tests.admin.otp import verified
from tests.notifications.payloads import body, paid_order
from tests.notifications.test_loop import ENDPOINT, _increase


def _staff_client(group: str | None):
    roles_setup()
    user = get_user_model().objects.create_user(f"staff-{group}", password="x", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return verified(user)


def _gave_up(anna_client, vendor, queue, client) -> tuple:
    quote = _increase(anna_client)
    queue.clear()
    gross = str(quote.confirmed_charge_now_gross)
    client.generic("POST", ENDPOINT, body(paid_order(gross=gross)), content_type="application/json")
    notification = InboundNotification.objects.get()
    vendor.fault("getsubscription", count=1)
    later = notification.received_at + timedelta(hours=25)
    assert notification_process(notification_id=notification.pk, now=later) == NotificationStatus.UNMATCHED
    queue.clear()
    return quote, notification


def _reprocess(staff, notification):
    url = reverse("admin:subscriptions_inboundnotification_changelist")
    return staff.post(url, {"action": "reprocess", "_selected_action": [notification.pk]}, follow=True)


@pytest.mark.parametrize("group", [SUPPORT_AGENT, CATALOG_MANAGER])
def test_an_agent_reprocesses_a_notification_that_gave_up_and_the_change_is_paid(
    anna_client, vendor, queue, client, group
):
    quote, notification = _gave_up(anna_client, vendor, queue, client)

    response = _reprocess(_staff_client(group), notification)

    assert "1 notification(s) queued" in response.content.decode()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    queue.run()
    notification.refresh_from_db()
    quote.refresh_from_db()
    assert notification.status == NotificationStatus.PROCESSED
    assert quote.state == QuoteState.PAID


def test_processed_notifications_are_not_reprocessed(anna_client, vendor, queue, client):
    _increase(anna_client)
    queue.run()
    notification = InboundNotification.objects.get(duplicate_of__isnull=True)
    assert notification.status == NotificationStatus.PROCESSED

    response = _reprocess(_staff_client(SUPPORT_AGENT), notification)

    assert "0 notification(s) queued" in response.content.decode()
    assert queue.names() == []


def test_staff_without_the_permission_cannot_reprocess(anna_client, vendor, queue, client):
    _, notification = _gave_up(anna_client, vendor, queue, client)

    _reprocess(_staff_client(None), notification)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.UNMATCHED
    assert queue.names() == []
