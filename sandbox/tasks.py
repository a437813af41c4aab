"""The sandbox's background work: sending notifications like the vendor does (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_notification(delivery_id: int) -> str:
    """One attempt to deliver a PaidOrderNotification; a failure plans the next attempt itself."""
    from sandbox.notifications import notification_deliver

    return notification_deliver(delivery_id=delivery_id)
