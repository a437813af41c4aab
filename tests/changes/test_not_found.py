"""The services say "not found" in their own words; the views turn it into the same 404 for foreign and unknown."""

import uuid

import pytest

from subscriptions import services
from subscriptions.cleverbridge import IncreaseQuantity, get_client
from subscriptions.errors import NotFound, NotYours
from subscriptions.models import Quote
from tests.cast import MONTHLY, OTTOS
from tests.changes.flows import preview


def test_quoting_another_customers_subscription_is_not_yours(anna, vendor, catalog):
    ottos = get_client().get_subscription(OTTOS)

    with pytest.raises(NotYours):
        services.quote_create(
            customer=anna,
            subscription=ottos,
            change=IncreaseQuantity(OTTOS, running_no=1, add_quantity=1),
            ip=None,
            user_agent="",
        )
    assert not Quote.objects.exists()


def test_committing_another_customers_quote_is_not_found(anna_client, otto, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)

    with pytest.raises(NotFound):
        services.quote_commit(customer=otto, quote_id=quote.public_id, consent_given=True, ip=None, user_agent="")
    with pytest.raises(NotFound):
        services.quote_commit(customer=otto, quote_id=uuid.uuid4(), consent_given=True, ip=None, user_agent="")
    quote.refresh_from_db()
    assert quote.state == "quoted"
