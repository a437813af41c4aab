"""What the pages say about changes that take effect later, cost nothing now, or end the subscription.

Each sentence here was once wrong on a page: an amount under "Charged now" that nobody paid, a price promised after
the end, a reactivation described as a removal undone.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from subscriptions.models import ChangeKind, QuoteState
from tests.cast import BACKUP, CLOUDIFY_L, MONTHLY, with_plans
from tests.changes.scheduled import commit, quote
from tests.web.test_pages import main_html, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(scenario):
    return with_plans(scenario, CLOUDIFY_L)


def _history_row(anna_client, quote_obj) -> str:
    html = main_html(anna_client.get(reverse("subscriptions:changes")))
    return next(row for row in html.split("<tr")[1:] if str(quote_obj.public_id) in row)


def test_a_replaced_quote_shows_nothing_charged_and_an_open_one_says_quoted(anna, anna_client, catalog, vendor):
    replaced = quote(anna, MONTHLY, ChangeKind.INCREASE, running_no=1, quantity=15)
    commit(anna, quote(anna, MONTHLY, ChangeKind.INCREASE, running_no=1, quantity=1))  # the item moved on meanwhile
    outcome = commit(anna, replaced)
    assert outcome.reconsent_quote is not None

    assert "$1,159.89" not in _history_row(anna_client, replaced)  # nothing was charged for it
    assert "quoted $" in _history_row(anna_client, outcome.reconsent_quote)  # open: a price, not a charge


def test_a_plan_switch_is_named_with_both_plans(anna, anna_client, catalog, vendor):
    switch = quote(anna, MONTHLY, ChangeKind.SWITCH_NOW, running_no=1, product_id=CLOUDIFY_L)
    commit(anna, switch)

    assert "Cloudify M → Cloudify L now" in text(anna_client.get(reverse("subscriptions:changes")))


def test_a_cancelling_subscription_shows_only_its_end(anna, anna_client, catalog, vendor):
    commit(anna, quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8))
    commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL))

    page = text(anna_client.get(reverse("subscriptions:subscription", args=[MONTHLY])))

    assert "Ends on 23 May 2026" in page
    assert "8 seats of Cloudify M" not in page  # scheduled for the end date, so it never bills
    assert "Renewal Off" in page


def test_a_scheduled_change_says_why_nothing_else_is_offered(anna, anna_client, catalog, vendor):
    commit(anna, quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8))

    page = text(anna_client.get(reverse("subscriptions:subscription", args=[MONTHLY])))

    assert "Other changes are possible once the scheduled change takes effect or is undone." in page


def test_keeping_an_add_on_whose_removal_was_scheduled_is_called_keeping(anna, anna_client, catalog, vendor):
    commit(anna, quote(anna, MONTHLY, ChangeKind.ADDON, product_id=BACKUP))
    backup = vendor.subscription(MONTHLY)["Items"][-1]["RunningNo"]
    commit(anna, quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=backup))
    keep = quote(anna, MONTHLY, ChangeKind.REACTIVATE, running_no=backup)
    assert commit(anna, keep).quote.state == QuoteState.COMMITTED

    receipt = text(anna_client.get(reverse("subscriptions:receipt", args=[keep.public_id])))

    assert "Keep Cloudify Backup" in receipt and "Reactivate" not in receipt
    assert "Cloudify Backup stays part of your subscription." in receipt


def test_a_quote_that_charges_nothing_names_no_card_and_no_price(anna, anna_client, catalog, vendor):
    cancel = quote(anna, MONTHLY, ChangeKind.CANCEL)

    page = text(anna_client.get(reverse("subscriptions:quote", args=[cancel.public_id])))

    assert "Valid until" in page
    assert "Charged to" not in page and "Price valid until" not in page
