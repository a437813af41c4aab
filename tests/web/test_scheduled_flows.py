"""Each new change as the customer's pages take it, without JavaScript and with htmx, in English and German:
the offer, the quote, the receipt, and the subscription page afterwards (its Scheduled section)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from subscriptions.models import Quote, QuoteState
from tests.cast import BACKUP, CLOUDIFY_L, CLOUDIFY_M, MONTHLY, with_plans
from tests.changes.flows import HTMX, commit, preview
from tests.vendor import SANDBOX_AUTH
from tests.web.test_pages import main_html, text

pytestmark = pytest.mark.django_db

PAGE = f"/subscriptions/{MONTHLY}/"


@dataclass(frozen=True)
class Words:
    code: str
    fewer_offer: str
    fewer_title: str
    fewer_done: str
    fewer_scheduled: str
    nothing_now: str
    confirm: str
    undone: str
    switch_later_done: str
    switch_later_scheduled: str
    switch_now_done: str
    remove_offer: str
    remove_scheduled: str
    keep: str
    reactivate_offer: str
    reactivated: str
    cancel_title: str
    cancel_ends: str
    cancelled: str
    ends_on: str
    resume: str
    resumed: str
    resumed_title: str


ENGLISH = Words(
    code="en",
    fewer_offer="Fewer seats of Cloudify M from 23 May 2026",
    fewer_title="Cloudify M: 10 → 8 seats from 23 May 2026",
    fewer_done="From 23 May 2026 you have 8 seats.",
    fewer_scheduled="From 23 May 2026: 8 seats of Cloudify M, $640.00 per month for these seats",
    nothing_now="Nothing is charged now.",
    confirm=">Confirm<",
    undone="The scheduled change is undone: Cloudify M stays as it is.",
    switch_later_done="Your plan changes on 23 May 2026.",
    switch_later_scheduled=(
        "From 23 May 2026: Cloudify L instead of Cloudify M, 10 seats, $1,200.00 per month for these seats"
    ),
    switch_now_done="Your new plan applies from now on.",
    remove_offer="Remove Cloudify Backup on 23 May 2026",
    remove_scheduled="Cloudify Backup ends on 23 May 2026",
    keep="keep Cloudify Backup",
    reactivate_offer="Reactivate Cloudify Backup",
    reactivated="Cloudify Backup is active again.",
    cancel_title="Cancel: ends on 23 May 2026",
    cancel_ends="The subscription ends on 23 May 2026 and is not billed again.",
    cancelled="Automatic renewal is off. Your subscription ends on 23 May 2026.",
    ends_on="Ends on 23 May 2026",
    resume="Resume the subscription",
    resumed="Automatic renewal is on again.",
    resumed_title="Resume automatic renewal",
)
GERMAN = Words(
    code="de",
    fewer_offer="Weniger Plätze für Cloudify M ab 23. Mai 2026",
    fewer_title="Cloudify M: 10 → 8 Plätze ab 23. Mai 2026",
    fewer_done="Ab 23. Mai 2026 haben Sie 8 Plätze.",
    fewer_scheduled="Ab 23. Mai 2026: 8 Plätze Cloudify M, 640,00 $ monatlich für diese Plätze",
    nothing_now="Jetzt wird nichts berechnet.",
    confirm=">Bestätigen<",
    undone="Die geplante Änderung ist zurückgenommen: Cloudify M bleibt, wie es ist.",
    switch_later_done="Ihr Tarif wechselt am 23. Mai 2026.",
    switch_later_scheduled=(
        "Ab 23. Mai 2026: Cloudify L statt Cloudify M, 10 Plätze, 1.200,00 $ monatlich für diese Plätze"
    ),
    switch_now_done="Ihr neuer Tarif gilt ab sofort.",
    remove_offer="Cloudify Backup zum 23. Mai 2026 entfernen",
    remove_scheduled="Cloudify Backup endet am 23. Mai 2026",
    keep="Cloudify Backup behalten",
    reactivate_offer="Cloudify Backup wieder aktivieren",
    reactivated="Cloudify Backup ist wieder aktiv.",
    cancel_title="Kündigung: endet am 23. Mai 2026",
    cancel_ends="Das Abonnement endet am 23. Mai 2026 und wird nicht mehr berechnet.",
    cancelled="Die automatische Verlängerung ist aus. Ihr Abonnement endet am 23. Mai 2026.",
    ends_on="Endet am 23. Mai 2026",
    resume="Abonnement fortsetzen",
    resumed="Die automatische Verlängerung ist wieder an.",
    resumed_title="Automatische Verlängerung fortsetzen",
)


@pytest.fixture(params=[ENGLISH, GERMAN], ids=["en", "de"])
def words(request) -> Words:
    return request.param


@pytest.fixture
def scenario(scenario):
    """The cast's vendor data with Cloudify L, the plan the demo catalog lets Cloudify M switch to."""
    return with_plans(scenario, CLOUDIFY_L)


@pytest.fixture
def with_backup(scenario):
    scenario["subscriptions"][0]["items"].append({"product_id": BACKUP, "quantity": 1})
    return scenario


@pytest.fixture
def customer(anna_client: Client, words: Words) -> Client:
    """Anna, signed in, her browser asking for `words`' language."""
    anna_client.defaults["HTTP_ACCEPT_LANGUAGE"] = words.code
    return anna_client


def page_text(client: Client, url: str = PAGE) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return text(response)


def quoted(client: Client, **fields) -> tuple[Quote, str]:
    """Ask for the price without JavaScript: a quote, and its page's text."""
    response, quote = preview(client, MONTHLY, **fields)
    assert response.status_code == 302, text(response)
    assert quote is not None
    return quote, page_text(client, response["Location"])


def committed(client: Client, quote: Quote) -> str:
    """Agree and commit without JavaScript: the receipt's text."""
    response = commit(client, quote)
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED, quote.vendor_message
    return page_text(client, response["Location"])


def test_fewer_seats_at_the_billing_date(customer, vendor, words):
    assert words.fewer_offer in page_text(customer)

    quote, shown = quoted(customer, kind="reduce", running_no=1, quantity=8)
    assert words.fewer_title in shown
    assert words.nothing_now in shown
    assert words.confirm in main_html(customer.get(f"/changes/{quote.public_id}/"))

    receipt = committed(customer, quote)
    assert words.fewer_done in receipt
    assert vendor.purchases(MONTHLY) == []
    page = page_text(customer)
    assert words.fewer_scheduled in page
    assert words.fewer_offer not in page  # one scheduled change per item: only its undo is offered


def test_undo_the_fewer_seats_with_htmx(customer, vendor, words):
    quote, _ = quoted(customer, kind="reduce", running_no=1, quantity=8)
    committed(customer, quote)
    html = main_html(customer.get(PAGE))
    scheduled = html.split('id="scheduled"')[1].split("</section>")[0]
    assert 'name="kind" value="undo"' in scheduled
    assert 'hx-target="#scheduled-panel"' in scheduled

    response, undo = preview(customer, MONTHLY, htmx=True, kind="undo", running_no=1)
    assert response.status_code == 200
    assert 'class="card quote"' in response.content.decode()
    response = customer.post(f"/changes/{undo.public_id}/commit/", {"consent": "yes"}, **HTMX)
    assert words.undone in text(response)

    page = page_text(customer)
    assert 'id="scheduled"' not in main_html(customer.get(PAGE))
    assert words.fewer_offer in page
    assert vendor.subscription(MONTHLY)["Items"][0]["Quantity"] == 10


def test_switch_plan_at_the_billing_date(customer, vendor, words):
    quote, shown = quoted(customer, kind="switch_later", running_no=1, product_id=CLOUDIFY_L)
    assert words.nothing_now in shown

    assert words.switch_later_done in committed(customer, quote)
    assert words.switch_later_scheduled in page_text(customer)
    assert CLOUDIFY_L not in vendor.current_items(MONTHLY)


def test_switch_plan_now(customer, vendor, words):
    quote, shown = quoted(customer, kind="switch_now", running_no=1, product_id=CLOUDIFY_L)
    assert quote.charge_now_gross > 0
    assert words.nothing_now not in shown

    assert words.switch_now_done in committed(customer, quote)
    assert CLOUDIFY_L in vendor.current_items(MONTHLY)
    assert 'id="scheduled"' not in main_html(customer.get(PAGE))


def test_remove_an_add_on_then_keep_it(with_backup, customer, vendor, words):
    assert words.remove_offer in page_text(customer)

    quote, shown = quoted(customer, kind="remove_addon", running_no=2)
    assert words.nothing_now in shown
    committed(customer, quote)
    page = page_text(customer)
    assert words.remove_scheduled in page
    assert words.keep in page  # the Undo button says what it keeps
    html = main_html(customer.get(PAGE))
    scheduled = html.split('id="scheduled"')[1].split("</section>")[0]
    assert 'name="kind" value="reactivate"' in scheduled
    assert 'value="reactivate"' not in html.split('id="change-offers-')[1]

    keep, _ = quoted(customer, kind="reactivate", running_no=2)
    committed(customer, keep)
    assert 'id="scheduled"' not in main_html(customer.get(PAGE))
    assert not vendor.current_items(MONTHLY)[BACKUP]["DeactivationDate"]


def test_reactivate_a_deactivated_add_on(with_backup, customer, vendor, words):
    response = vendor.client.post(
        "/sandbox/api/subscription/deactivatesubscriptionitems",
        json.dumps({"SubscriptionId": f"S{MONTHLY}", "Items": [2], "GenerateMail": False}),
        content_type="application/json",
        HTTP_AUTHORIZATION=SANDBOX_AUTH,
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    vendor.clock("2026-05-24T09:00:00Z")
    assert vendor.current_items(MONTHLY)[BACKUP]["Status"] == 2

    assert words.reactivate_offer in page_text(customer)
    quote, _ = quoted(customer, kind="reactivate", running_no=2)
    assert words.reactivated in committed(customer, quote)
    assert vendor.current_items(MONTHLY)[BACKUP]["Status"] == 1


def test_cancel_with_a_reason_then_resume(customer, vendor, words):
    quote, shown = quoted(customer, kind="cancel", reason_code="too_expensive", reason_text="  Too dear.  ")
    assert words.cancel_title in shown
    assert words.cancel_ends in shown
    assert words.confirm in main_html(customer.get(f"/changes/{quote.public_id}/"))
    assert (quote.reason_code, quote.reason_text) == ("too_expensive", "Too dear.")

    assert words.cancelled in committed(customer, quote)
    page = page_text(customer)
    assert words.ends_on in page
    assert words.resume in page
    assert 'id="cancel-link"' not in main_html(customer.get(PAGE))
    assert vendor.subscription(MONTHLY)["RenewalType"] == "Manual"

    resume, _ = quoted(customer, kind="resume")
    assert words.resumed in committed(customer, resume)
    assert 'id="scheduled"' not in main_html(customer.get(PAGE))
    assert vendor.subscription(MONTHLY)["RenewalType"] == "Automatic"
    assert vendor.purchases(MONTHLY) == []
    history = page_text(customer, "/changes/")
    assert words.cancel_title in history
    assert history.count(words.resumed_title) == 1


def test_fewer_seats_than_the_catalog_allows_is_refused(customer, vendor):
    response, quote = preview(customer, MONTHLY, kind="reduce", running_no=1, quantity=10)
    assert response.status_code == 400
    assert quote is None
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 10
