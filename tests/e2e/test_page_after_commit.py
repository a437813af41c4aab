"""After a change is committed, the subscription page shows the subscription as it is now.

With JavaScript the outcome arrives in place, and the page's own sections (overview, next billing, products, the
offers) fetch themselves again; without it, the page read after the commit is a fresh one.
"""

import pytest
from playwright.sync_api import expect

from tests.cast import MONTHLY
from tests.e2e.journeys import ask_price, confirm, open_subscription, outcome

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_the_page_refreshes_its_sections_after_the_commit(app, vendor, anna_page):
    page = anna_page
    open_subscription(page, app, MONTHLY)
    items = page.locator("table.items tbody")
    expect(items).to_contain_text("10")

    ask_price(page, "Add seats", seats=15)
    confirm(page)
    expect(outcome(page)).to_contain_text("You now have 25 seats.")

    assert page.url == f"{app}/subscriptions/{MONTHLY}/", "still the subscription page"
    expect(items.locator("td.num").first).to_have_text("25")
    expect(page.locator("#billing-title + table .total")).to_contain_text("$2,000.00")
    expect(page.locator("li.offer-increase")).to_contain_text("You have 25 seats now.")
    expect(outcome(page)).to_contain_text("You now have 25 seats.")  # the outcome stays where it was


@pytest.mark.parametrize("javascript", [False], ids=["nojs"])
def test_without_javascript_the_page_after_the_receipt_is_read_fresh(app, vendor, anna_page):
    page = anna_page
    open_subscription(page, app, MONTHLY)
    ask_price(page, "Add seats", seats=15)
    confirm(page)
    expect(outcome(page)).to_contain_text("You now have 25 seats.")

    page.get_by_role("link", name="Back to the subscription").click()

    expect(page.locator("table.items tbody td.num").first).to_have_text("25")
