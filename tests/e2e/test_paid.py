"""The receipt turns "paid" when the PaidOrderNotification arrives: by polling with JavaScript, on refresh without."""

import pytest
from django_tasks import default_task_backend
from playwright.sync_api import expect

from sandbox import notifications as sandbox_notifications
from subscriptions.models import Quote
from tests.cast import MONTHLY
from tests.conftest import InProcessTransport
from tests.e2e.a11y import check
from tests.e2e.journeys import ask_price, confirm, open_subscription, outcome

pytestmark = pytest.mark.browser

SECRET = "e2e-notification-secret-" + "Xq4Lm8Rt2Wz6Kp9V"


@pytest.fixture
def notifications(app, settings, monkeypatch):
    """Tasks wait in a queue this test works; the sandbox delivers to the product's endpoint in this thread."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.CLEVERBRIDGE_NOTIFICATION_SECRET = SECRET
    settings.CLEVERBRIDGE_NOTIFICATION_USER = ""
    settings.CLEVERBRIDGE_NOTIFICATION_PASSWORD = ""
    settings.SANDBOX_NOTIFICATION_URL = f"http://testserver/cleverbridge/notifications/{SECRET}/"
    monkeypatch.setattr(sandbox_notifications, "make_transport", InProcessTransport)
    default_task_backend.results.clear()
    yield
    default_task_backend.results.clear()


def deliver_and_process() -> None:
    """What the vendor and our worker do after a charge: send the notification, then match and confirm it."""
    due = sandbox_notifications.notifications_due()
    assert due, "the sandbox has no notification to send"
    for delivery in due:
        sandbox_notifications.notification_deliver(delivery_id=delivery.pk)
    for _ in range(10):
        ready = [r for r in default_task_backend.results if r.task.name == "process_notification"]
        if not ready:
            break
        for result in ready:
            default_task_backend.results.remove(result)
            result.task.call(*result.args, **result.kwargs)


def test_the_receipt_turns_paid(app, vendor, anna_page, notifications, javascript):
    page = anna_page
    open_subscription(page, app, MONTHLY)
    ask_price(page, "Add seats", seats=15)
    confirm(page)
    expect(outcome(page)).to_contain_text("Your change is done.")
    quote = Quote.objects.get()
    page.goto(f"{app}/changes/{quote.public_id}/receipt/")
    expect(page.locator("#payment-waiting")).to_be_visible()

    deliver_and_process()

    assert Quote.objects.get().state == "paid"
    if not javascript:
        page.get_by_role("link", name="Refresh").click()
    expect(outcome(page)).to_contain_text("Your change is done and paid.", timeout=8_000)
    expect(page.locator("#payment-confirmed")).to_contain_text("The billing provider confirmed the payment")
    expect(page.locator("#payment-waiting")).to_have_count(0)
    if javascript:
        assert check(page, "paid receipt") == []
