"""The client against the sandbox in-process: the guide's figures, the three lookups, commits, and faults."""

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from subscriptions.cleverbridge import (
    AddItem,
    IncreaseQuantity,
    OutcomeUnknown,
    PaymentInfo,
    Prices,
    Rejected,
    Unavailable,
    UpdateItem,
)
from subscriptions.cleverbridge import client as cleverbridge
from subscriptions.cleverbridge.budget import get_budget
from tests.client.sandbox_control import (
    BACKUP_ADDON,
    CLOUDIFY_M,
    CUSTOMER_ID,
    EMAIL,
    GUIDE_NOW,
    REFERENCE_ID,
    SUBSCRIPTION_ID,
    Sandbox,
)
from tests.client.scripted import FakeSleep

pytestmark = pytest.mark.django_db

ADD_15 = IncreaseQuantity(subscription_id=SUBSCRIPTION_ID, running_no=1, add_quantity=15)
GUIDE_CHARGE = Prices(Decimal("1159.89"), Decimal("974.70"), Decimal("185.19"), "USD")
GUIDE_NEXT_BILLING = Prices(Decimal("2000.00"), Decimal("1680.67"), Decimal("319.33"), "USD")


@pytest.fixture
def sandbox() -> Sandbox:
    control = Sandbox()
    control.load()
    control.set_clock(GUIDE_NOW)
    return control


@pytest.fixture
def paused(monkeypatch) -> FakeSleep:
    """get_client()'s clients record their pauses instead of sleeping."""
    fake = FakeSleep()
    monkeypatch.setattr(cleverbridge, "pause", fake)
    return fake


def test_get_subscription(sandbox):
    subscription = cleverbridge.get_client().get_subscription(SUBSCRIPTION_ID)

    assert subscription.id == SUBSCRIPTION_ID
    assert subscription.customer_id == CUSTOMER_ID
    assert subscription.customer_reference_id == REFERENCE_ID
    assert subscription.currency == "USD"
    assert subscription.status_label == "Active"
    assert subscription.renewal_type == "Automatic"
    assert subscription.start == datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)
    assert subscription.next_billing_date == datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)
    assert (subscription.interval_months, subscription.interval_days) == (1, 0)
    assert subscription.next_billing == Prices(Decimal("800.00"), Decimal("672.27"), Decimal("127.73"), "USD")
    assert subscription.payment == PaymentInfo("Visa", "CCA_VIS", "765T", 12, 2027)
    (item,) = subscription.current_items
    assert (item.running_no, item.product_id, item.product_name, item.quantity) == (1, CLOUDIFY_M, "Cloudify M", 10)
    assert item.next_billing.gross == Decimal("800.00")


@pytest.mark.parametrize("lookup", [{"customer_id": CUSTOMER_ID}, {"email": EMAIL}, {"reference_id": REFERENCE_ID}])
def test_subscriptions_for_customer(sandbox, lookup):
    found = cleverbridge.get_client().get_subscriptions_for_customer(**lookup)
    assert [subscription.id for subscription in found] == [SUBSCRIPTION_ID]


def test_unknown_customer_is_rejected(sandbox):
    with pytest.raises(Rejected) as caught:
        cleverbridge.get_client().get_subscriptions_for_customer(email="nobody@example.com")
    assert caught.value.status == 404


def test_unknown_subscription_is_rejected(sandbox):
    with pytest.raises(Rejected) as caught:
        cleverbridge.get_client().get_subscription(99999999)
    assert caught.value.status == 404


def test_unknown_item_is_rejected(sandbox):
    with pytest.raises(Rejected) as caught:
        cleverbridge.get_client().preview(IncreaseQuantity(SUBSCRIPTION_ID, running_no=7, add_quantity=1))
    assert (caught.value.status, caught.value.message) == (404, "Item not found")


def test_wrong_credentials_are_rejected(sandbox, settings):
    """The sandbox checks the same settings the client reads, so the wrong password is given directly."""
    client = cleverbridge.CleverbridgeClient(
        base_url=settings.CLEVERBRIDGE_API_URL,
        user=settings.CLEVERBRIDGE_API_USER,
        password="not-the-password",
        timeout=httpx.Timeout(1.0),
        budget=get_budget(),
        transport=cleverbridge.make_transport(),
        sleep=FakeSleep(),
    )
    with pytest.raises(Rejected) as caught:
        client.get_subscription(SUBSCRIPTION_ID)
    assert caught.value.status == 401


def test_preview_increase_reproduces_the_guide_and_changes_nothing(sandbox):
    client = cleverbridge.get_client()

    quote = client.preview(ADD_15)

    assert quote.charge_now == GUIDE_CHARGE
    assert quote.next_billing == GUIDE_NEXT_BILLING
    assert quote.next_renewal == GUIDE_NEXT_BILLING
    assert quote.currency == "USD"
    assert client.get_subscription(SUBSCRIPTION_ID).item(1).quantity == 10
    assert sandbox.charges() == []
    assert sandbox.emails(SUBSCRIPTION_ID) == []


def test_preview_update_to_a_total_of_25_costs_the_same(sandbox):
    quote = cleverbridge.get_client().preview(UpdateItem(SUBSCRIPTION_ID, 1, CLOUDIFY_M, total_quantity=25))
    assert quote.charge_now == GUIDE_CHARGE
    assert quote.next_billing == GUIDE_NEXT_BILLING


def test_preview_add_item(sandbox):
    quote = cleverbridge.get_client().preview(AddItem(SUBSCRIPTION_ID, BACKUP_ADDON, quantity=1))

    assert quote.charge_now == Prices(Decimal("19.33"), Decimal("16.24"), Decimal("3.09"), "USD")
    assert quote.next_billing == Prices(Decimal("820.00"), Decimal("689.08"), Decimal("130.92"), "USD")


def test_commit_increase_adds_seats(sandbox):
    client = cleverbridge.get_client()

    quote = client.commit(ADD_15)

    assert quote.charge_now == GUIDE_CHARGE
    assert quote.next_billing == GUIDE_NEXT_BILLING
    subscription = client.get_subscription(SUBSCRIPTION_ID)
    assert subscription.item(1).quantity == 25
    assert subscription.item(1).version == 2
    assert sorted((item.version, item.is_current) for item in subscription.items) == [(1, False), (2, True)]
    assert subscription.next_billing == GUIDE_NEXT_BILLING
    (charge,) = sandbox.charges()
    assert Decimal(str(charge["GrossPrice"])) == Decimal("1159.89")
    assert len(sandbox.emails(SUBSCRIPTION_ID)) == 1


def test_commit_add_item_creates_a_running_number(sandbox):
    client = cleverbridge.get_client()

    client.commit(AddItem(SUBSCRIPTION_ID, BACKUP_ADDON, quantity=2))

    items = client.get_subscription(SUBSCRIPTION_ID).current_items
    assert [(item.running_no, item.product_id, item.quantity) for item in items] == [
        (1, CLOUDIFY_M, 10),
        (2, BACKUP_ADDON, 2),
    ]


def test_downgrade_commit_waits_for_next_billing(sandbox):
    client = cleverbridge.get_client()

    quote = client.commit(
        UpdateItem(SUBSCRIPTION_ID, 1, CLOUDIFY_M, total_quantity=4, update_action="Downgrade", at_next_billing=True)
    )

    assert quote.charge_now.gross == Decimal(0)
    assert quote.next_billing.gross == Decimal("320.00")
    assert sandbox.charges() == []


def test_preview_server_error_is_retried(sandbox, paused):
    sandbox.fault("error", status=500)

    quote = cleverbridge.get_client().preview(ADD_15)

    assert quote.charge_now == GUIDE_CHARGE
    assert paused.calls == [0.2]


def test_preview_malformed_answer_is_retried(sandbox, paused):
    sandbox.fault("malformed")
    assert cleverbridge.get_client().preview(ADD_15).charge_now == GUIDE_CHARGE
    assert paused.calls == [0.2]


def test_preview_failing_every_try_is_unavailable(sandbox, paused):
    sandbox.fault("error", status=503, count=3)

    with pytest.raises(Unavailable) as caught:
        cleverbridge.get_client().preview(ADD_15)

    assert caught.value.status == 503
    assert paused.calls == [0.2, 0.4]


def test_read_server_error_is_retried(sandbox, paused):
    sandbox.fault("error", method="getsubscription", status=502)
    assert cleverbridge.get_client().get_subscription(SUBSCRIPTION_ID).id == SUBSCRIPTION_ID
    assert paused.calls == [0.2]


@pytest.mark.parametrize("mode", ["error", "malformed"])
def test_commit_failing_before_applying_is_outcome_unknown_and_nothing_was_bought(sandbox, paused, mode):
    client = cleverbridge.get_client()
    sandbox.fault(mode, status=500)

    with pytest.raises(OutcomeUnknown):
        client.commit(ADD_15)

    assert paused.calls == []
    assert sandbox.charges() == []
    assert client.get_subscription(SUBSCRIPTION_ID).item(1).quantity == 10


def test_commit_applied_then_failing_is_outcome_unknown_and_was_bought_once(sandbox, paused):
    client = cleverbridge.get_client()
    sandbox.fault("apply_then_error", status=500)

    with pytest.raises(OutcomeUnknown) as caught:
        client.commit(ADD_15)

    assert caught.value.status == 500
    assert paused.calls == []
    assert len(sandbox.charges()) == 1
    assert client.get_subscription(SUBSCRIPTION_ID).item(1).quantity == 25


def test_commit_rejected_by_a_business_rule(sandbox):
    with pytest.raises(Rejected) as caught:
        cleverbridge.get_client().commit(UpdateItem(SUBSCRIPTION_ID, 1, CLOUDIFY_M, total_quantity=4))
    assert caught.value.status == 402
    assert sandbox.charges() == []


def test_rate_limit_is_unavailable_with_retry_after(sandbox, settings, paused):
    settings.SANDBOX_RATE_LIMIT_PER_SECOND = 1
    client = cleverbridge.get_client()

    with pytest.raises(Unavailable) as caught:
        for _ in range(3):
            client.get_subscription(SUBSCRIPTION_ID)

    assert caught.value.status == 429
    assert caught.value.retry_after == 60
    assert paused.calls == []
