"""The change history on a phone: what was agreed and the open quote, not every price looked at."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone
from playwright.sync_api import expect

from subscriptions.models import Quote
from tests.cast import MONTHLY
from tests.e2e.a11y import check
from tests.e2e.journeys import ask_price, confirm, open_subscription, outcome

pytestmark = pytest.mark.browser


def _looked_at_and_left(quote: Quote, times: int) -> None:
    """Prices the customer asked for and never agreed to, as a curious customer leaves them."""
    not_copied = ["id", "public_id", "customer", "superseded_by", "state", "purchase_id", "expires_at"]
    fields = model_to_dict(quote, exclude=not_copied)
    for _ in range(times):
        Quote.objects.create(
            **fields,
            public_id=uuid4(),
            customer=quote.customer,
            state="quoted",
            expires_at=timezone.now() - timedelta(hours=1),
        )


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_the_history_at_375_px_lists_the_agreed_change_and_the_open_quote(app, vendor, anna_page):
    page = anna_page
    open_subscription(page, app, MONTHLY)
    ask_price(page, "Add seats", seats=15)
    confirm(page)
    expect(outcome(page)).to_contain_text("Your change is done.")
    _looked_at_and_left(Quote.objects.get(), 30)
    open_subscription(page, app, MONTHLY)
    ask_price(page, "Add seats", seats=2)

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{app}/changes/")

    rows = page.locator("table.change-history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Open until")
    expect(rows.nth(1)).to_contain_text("Done")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 1800, f"the history is {height} px tall at 375 px"
    assert check(page, "history at 375 px") == []
