"""A customer's steps through the change flows in the browser; each works with and without JavaScript."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def open_subscription(page: Page, app: str, subscription_id: int) -> None:
    page.goto(f"{app}/subscriptions/{subscription_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"S{subscription_id}")


def offer(page: Page, text: str) -> Locator:
    return page.locator("li.offer").filter(has_text=text)


def ask_price(page: Page, offer_text: str, *, seats: int | None = None) -> Locator:
    """Fill the offer and press "See the price"; returns the quote (in place with htmx, its own page without)."""
    form = offer(page, offer_text)
    if seats is not None:
        form.get_by_label("Seats to add").fill(str(seats))
    form.get_by_role("button", name="See the price").click()
    quote = page.locator("section.quote")
    expect(quote).to_be_visible()
    return quote


def amount(quote: Locator, name: str) -> str:
    return quote.locator(f'[data-amount="{name}"]').inner_text()


def confirm(page: Page, *, tick: bool = True, double: bool = False) -> None:
    quote = page.locator("section.quote")
    if tick:
        quote.get_by_role("checkbox").check()
    button = quote.get_by_role("button", name="Confirm and pay")
    if double:
        button.dblclick()
    else:
        button.click()


def outcome(page: Page) -> Locator:
    message = page.locator("#outcome-message")
    expect(message).to_be_visible()
    return message
