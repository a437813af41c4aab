from subscriptions.cleverbridge import get_client
from tests.cast import ANNA, BEN, DEACTIVATED, MONTHLY, YEARLY


def test_cast_vendor_data(anna, ben, carla):
    client = get_client()
    assert [s.id for s in client.get_subscriptions_for_customer(customer_id=ANNA.vendor_id)] == [
        MONTHLY,
        DEACTIVATED,
        YEARLY,
    ]
    assert [s.id for s in client.get_subscriptions_for_customer(email=BEN.email)] == [68900102]
