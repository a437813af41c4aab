"""Signing in by the e-mailed link, seeing the subscriptions, signing out: with and without JavaScript."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_by_email

pytestmark = pytest.mark.browser


def test_sign_in_by_emailed_link_see_subscriptions_and_sign_out(app, anna, new_context, javascript):
    page = new_context(javascript=javascript).new_page()

    sign_in_by_email(page, app)

    rows = page.locator("table.subscriptions tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="S68574751")).to_contain_text("Cloudify M")
    expect(rows.filter(has_text="S68574751")).to_contain_text("$800.00")
    expect(rows.filter(has_text="S68574751")).to_contain_text("23 May 2026")
    expect(rows.filter(has_text="S68841753")).to_contain_text("Cloudify Storage A")
    expect(rows.filter(has_text="S68841753")).to_contain_text("$1,200.00")

    rows.filter(has_text="S68574751").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cloudify M S68574751")
    expect(page.locator("#billing-title + table")).to_contain_text("$672.27")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    page.goto(app + "/subscriptions/68574751/")
    expect(page).to_have_url(f"{app}/sign-in/?next=%2Fsubscriptions%2F68574751%2F")


def test_a_used_link_says_so(app, anna, new_context):
    from django.core import mail

    page = new_context().new_page()
    sign_in_by_email(page, app)
    link = mail.outbox[-1].body
    other = new_context().new_page()
    from tests.e2e.conftest import LINK

    other.goto(LINK.search(link).group(0))
    expect(other.get_by_role("heading", name="This link has already been used")).to_be_visible()
